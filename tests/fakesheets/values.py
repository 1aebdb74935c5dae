"""The spreadsheets.values API: read, write, append and clear A1 ranges of one spreadsheet."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .a1 import (
    A1Error,
    A1Range,
    column_letter,
    format_range,
    looks_like_cells,
    parse_cells,
    split_sheet,
)
from .cells import FORMULA, Parsed, apply_parsed, parse_raw, parse_user_entered, render
from .errors import invalid
from .formulas import display_format
from .grid import Sheet, Spreadsheet

VALUE_RENDER = ("FORMATTED_VALUE", "UNFORMATTED_VALUE", "FORMULA")
DATE_RENDER = ("SERIAL_NUMBER", "FORMATTED_STRING")
DIMENSIONS = ("ROWS", "COLUMNS")
INPUT_OPTIONS = ("RAW", "USER_ENTERED")


def check_option(name: str, value: str | None, allowed: tuple[str, ...], default: str) -> str:
    """An enum query parameter, refused like Google refuses an unknown enum value."""
    if value is None or value == "":
        return default
    if value not in allowed:
        raise invalid(f"Invalid value at '{name}' (TYPE_ENUM), \"{value}\"")
    return value


def resolve(ss: Spreadsheet, text: str) -> tuple[Sheet, A1Range]:
    """A range in A1 notation -> its sheet and bounds; a bare name may be a sheet title."""
    try:
        title, cells = split_sheet(text)
        if title is None:
            sheet = ss.sheet_by_title(cells.strip())
            if sheet is not None:
                return sheet, A1Range()
            if looks_like_cells(cells):
                return ss.sheets[0], parse_cells(cells)
            raise A1Error(text)
        sheet = ss.sheet_by_title(title)
        if sheet is None:
            raise A1Error(text)
        return sheet, parse_cells(cells)
    except A1Error:
        raise invalid(f"Unable to parse range: {text}") from None


def read_bounds(sheet: Sheet, rng: A1Range) -> tuple[int, int, int, int]:
    """The bounds a read covers: clipped to the grid, an error when it starts outside."""
    if rng.start_row >= sheet.row_count or rng.start_col >= sheet.column_count:
        sheet.check_grid(rng.start_row + 1, rng.start_col + 1, rng.start_row, rng.start_col)
    return rng.clip(sheet.row_count, sheet.column_count)


def cell_output(
    ss: Spreadsheet, sheet: Sheet, row: int, col: int, value_render: str, date_render: str
) -> Any:
    cell = sheet.cell(row, col)
    if cell is None or cell.kind is None:
        return ""
    if value_render == "FORMULA":
        if cell.kind == FORMULA:
            return cell.value
        value_render = "UNFORMATTED_VALUE"  # FORMULA renders other cells unformatted
    eff = ss.effective(sheet, row, col)
    return render(eff, display_format(cell, eff), value_render, date_render)


def read_block(
    ss: Spreadsheet,
    sheet: Sheet,
    bounds: tuple[int, int, int, int],
    value_render: str,
    date_render: str,
    major: str = "ROWS",
) -> list[list]:
    """Values of a block; trailing empty cells of a row and trailing empty rows are dropped."""
    r1, c1, r2, c2 = bounds
    found: dict[int, dict[int, Any]] = {}
    for (r, c), cell in sheet.cells.items():
        if r1 <= r < r2 and c1 <= c < c2 and cell.kind is not None:
            value = cell_output(ss, sheet, r, c, value_render, date_render)
            if value != "":
                outer, inner = (r - r1, c - c1) if major == "ROWS" else (c - c1, r - r1)
                found.setdefault(outer, {})[inner] = value
    if not found:
        return []
    lines = []
    for i in range(max(found) + 1):
        line = found.get(i, {})
        lines.append([line.get(j, "") for j in range(max(line) + 1)] if line else [])
    return lines


def read(
    ss: Spreadsheet,
    text: str,
    value_render: str | None = None,
    date_render: str | None = None,
    major: str | None = None,
) -> dict:
    """A ValueRange, as values.get answers."""
    value_render = check_option(
        "value_render_option", value_render, VALUE_RENDER, "FORMATTED_VALUE"
    )
    date_render = check_option("date_time_render_option", date_render, DATE_RENDER, "SERIAL_NUMBER")
    major = check_option("major_dimension", major, DIMENSIONS, "ROWS")
    sheet, rng = resolve(ss, text)
    bounds = read_bounds(sheet, rng)
    result: dict[str, Any] = {"range": format_range(sheet.title, *bounds), "majorDimension": major}
    values = read_block(ss, sheet, bounds, value_render, date_render, major)
    if values:
        result["values"] = values
    return result


def _oriented(values: Any, major: str | None) -> list[list]:
    if values is None:
        return []
    if not isinstance(values, list) or not all(isinstance(v, list) for v in values):
        raise invalid("Invalid values: expected a list of lists (ListValue of ListValue).")
    if major == "COLUMNS":
        height = max((len(col) for col in values), default=0)
        return [[col[i] if i < len(col) else None for col in values] for i in range(height)]
    return values


def _parser(ss: Spreadsheet, input_option: str | None) -> Callable[[Any], Parsed]:
    if input_option in (None, ""):
        raise invalid("'valueInputOption' is required but not specified")
    option = check_option("value_input_option", input_option, INPUT_OPTIONS, "RAW")
    if option == "RAW":
        return parse_raw
    return lambda value: parse_user_entered(value, ss.locale)


def write(
    ss: Spreadsheet,
    text: str,
    values: Any,
    major: str | None,
    input_option: str | None,
    dry_run: bool = False,
) -> dict:
    """Write a block at a range (an UpdateValuesResponse); dry_run only validates."""
    sheet, rng = resolve(ss, text)
    rows = _oriented(values, check_option("major_dimension", major, DIMENSIONS, "ROWS"))
    parse = _parser(ss, input_option)
    height, width = len(rows), max((len(r) for r in rows), default=0)
    if not height or not width:
        return {"spreadsheetId": ss.spreadsheet_id}
    r1, c1 = rng.start_row, rng.start_col
    if not rng.single_cell:
        if rng.end_row is not None and r1 + height > rng.end_row:
            raise invalid(
                f"Requested writing within range [{text}], but tried writing to row "
                f"[{rng.end_row + 1}]"
            )
        if rng.end_col is not None and c1 + width > rng.end_col:
            raise invalid(
                f"Requested writing within range [{text}], but tried writing to column "
                f"[{column_letter(rng.end_col)}]"
            )
    sheet.check_grid(r1 + height, c1 + width, r1, c1)
    parsed = [[None if v is None else parse(v) for v in row] for row in rows]
    if dry_run:
        return {}
    return store_block(ss, sheet, r1, c1, parsed)


def store_block(
    ss: Spreadsheet, sheet: Sheet, r1: int, c1: int, parsed: list[list[Parsed | None]]
) -> dict:
    """Store parsed values from (r1, c1); None leaves a cell as it is, as the API does."""
    rows_hit, cols_hit, cells_hit = set(), set(), 0
    for i, row in enumerate(parsed):
        for j, value in enumerate(row):
            if value is None:
                continue
            apply_parsed(sheet.cell(r1 + i, c1 + j, create=True), value)
            sheet.prune(r1 + i, c1 + j)
            rows_hit.add(i)
            cols_hit.add(j)
            cells_hit += 1
    height, width = len(parsed), max((len(r) for r in parsed), default=0)
    response: dict[str, Any] = {
        "spreadsheetId": ss.spreadsheet_id,
        "updatedRange": format_range(sheet.title, r1, c1, r1 + height, c1 + width),
    }
    if cells_hit:
        response.update(
            updatedRows=len(rows_hit), updatedColumns=len(cols_hit), updatedCells=cells_hit
        )
    return response


def with_values(ss: Spreadsheet, response: dict, params: dict) -> dict:
    """Add updatedData when the request asked for includeValuesInResponse."""
    if str(params.get("includeValuesInResponse", "")).lower() != "true":
        return response
    if "updatedRange" in response:
        response["updatedData"] = read(
            ss,
            response["updatedRange"],
            params.get("responseValueRenderOption"),
            params.get("responseDateTimeRenderOption"),
        )
    return response


def batch_write(ss: Spreadsheet, body: dict) -> dict:
    """values:batchUpdate: every range validated first, so a bad one changes nothing."""
    option = body.get("valueInputOption")
    data = body.get("data") or []
    for item in data:
        write(
            ss,
            item.get("range", ""),
            item.get("values"),
            item.get("majorDimension"),
            option,
            dry_run=True,
        )
    responses = [
        with_values(
            ss,
            write(
                ss, item.get("range", ""), item.get("values"), item.get("majorDimension"), option
            ),
            body,
        )
        for item in data
    ]
    if not data:
        _parser(ss, option)
        return {"spreadsheetId": ss.spreadsheet_id}
    sheets = {r["updatedRange"].rsplit("!", 1)[0] for r in responses if r.get("updatedCells")}
    return {
        "spreadsheetId": ss.spreadsheet_id,
        "totalUpdatedRows": sum(r.get("updatedRows", 0) for r in responses),
        "totalUpdatedColumns": sum(r.get("updatedColumns", 0) for r in responses),
        "totalUpdatedCells": sum(r.get("updatedCells", 0) for r in responses),
        "totalUpdatedSheets": len(sheets),
        "responses": responses,
    }


def append(
    ss: Spreadsheet,
    text: str,
    values: Any,
    major: str | None,
    input_option: str | None,
    insert_option: str | None,
) -> dict:
    """values.append: find the table at the range and write on the row after it.

    As Google does: the table is the first block of consecutive non-empty rows in the range (a
    blank row ends it); a single-cell range whose cell row is blank is written in place (gspread's
    insert_row relies on this). Rows are added to the grid as needed; columns are not.
    """
    sheet, rng = resolve(ss, text)
    insert_option = check_option(
        "insert_data_option", insert_option, ("OVERWRITE", "INSERT_ROWS"), "OVERWRITE"
    )
    rows = _oriented(values, check_option("major_dimension", major, DIMENSIONS, "ROWS"))
    parse = _parser(ss, input_option)
    first, start, c1, table_c2 = _find_table(sheet, rng)
    height, width = len(rows), max((len(r) for r in rows), default=0)
    sheet.check_grid(0, c1 + width, start, c1)
    parsed = [[None if v is None else parse(v) for v in row] for row in rows]
    response: dict[str, Any] = {"spreadsheetId": ss.spreadsheet_id}
    if first is not None:
        response["tableRange"] = format_range(sheet.title, first, c1, start, table_c2)
    if insert_option == "INSERT_ROWS" and start < sheet.row_count:
        sheet.insert("ROWS", start, height)
    elif start + height > sheet.row_count:
        sheet.row_count = start + height
    ss.check_cell_limit()
    response["updates"] = store_block(ss, sheet, start, c1, parsed)
    return response


def _find_table(sheet: Sheet, rng: A1Range) -> tuple[int | None, int, int, int]:
    """(first table row or None, row to write at, first column, end column of the table)."""
    r1, c1, r2, c2 = rng.clip(sheet.row_count, sheet.column_count)
    if rng.single_cell:
        r2, c2 = sheet.row_count, sheet.column_count
    filled: dict[int, int] = {}  # row -> one past its last filled column
    for (r, c), cell in sheet.cells.items():
        if r1 <= r < r2 and c1 <= c < c2 and not cell.is_blank():
            filled[r] = max(filled.get(r, 0), c + 1)
    if not filled or (rng.single_cell and r1 not in filled):
        return None, r1, c1, c1
    first = end = min(filled)
    while end in filled:
        end += 1
    return first, end, c1, max(filled[r] for r in range(first, end))


def clear(ss: Spreadsheet, text: str) -> str:
    """Clear values (formats stay) in a range; returns the cleared range."""
    sheet, rng = resolve(ss, text)
    r1, c1, r2, c2 = read_bounds(sheet, rng)
    for (r, c), cell in list(sheet.cells.items()):
        if r1 <= r < r2 and c1 <= c < c2:
            cell.kind, cell.value = None, None
            sheet.prune(r, c)
    return format_range(sheet.title, r1, c1, r2, c2)
