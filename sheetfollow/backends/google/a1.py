"""Naming ranges for the Sheets API: quoted A1 tab names and zero-based GridRanges."""

from __future__ import annotations


def quote_tab(title: str) -> str:
    """A tab name as A1 notation wants it: always quoted, inner quotes doubled."""
    return "'" + title.replace("'", "''") + "'"


def grid_range(sheet_id: int, row: int, col: int, rows: int = 1, cols: int = 1) -> dict:
    """The GridRange of ``rows`` x ``cols`` cells from 1-based ``row``, ``col``."""
    return {
        "sheetId": sheet_id,
        "startRowIndex": row - 1,
        "endRowIndex": row - 1 + rows,
        "startColumnIndex": col - 1,
        "endColumnIndex": col - 1 + cols,
    }


def vertical_runs(cells) -> list[tuple[int, int, int]]:
    """(column, first row, row count) for each run of vertically adjacent (row, col) cells."""
    runs: list[tuple[int, int, int]] = []
    for row, col in sorted(cells, key=lambda rc: (rc[1], rc[0])):
        if runs and runs[-1][0] == col and runs[-1][1] + runs[-1][2] == row:
            last = runs[-1]
            runs[-1] = (col, last[1], last[2] + 1)
        else:
            runs.append((col, row, 1))
    return runs
