"""Naming ranges for the Sheets API: quoted A1 tab names and zero-based GridRanges."""

from __future__ import annotations

from ...changeset import column_index


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


def a1_grid_range(sheet_id: int, ref: str) -> dict:
    """The GridRange of an A1 range such as ``A26:A31`` (or one cell) on the tab ``sheet_id``."""
    ends = [_cell(part) for part in ref.replace("$", "").split(":")]
    rows, cols = [r for r, _ in ends], [c for _, c in ends]
    return grid_range(sheet_id, min(rows), min(cols), max(rows) - min(rows) + 1,
                      max(cols) - min(cols) + 1)


def _cell(ref: str) -> tuple[int, int]:
    """``B12`` -> (12, 2)."""
    letters = ref.rstrip("0123456789")
    return int(ref[len(letters):]), column_index(letters)


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
