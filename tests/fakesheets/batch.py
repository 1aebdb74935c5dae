"""spreadsheets:batchUpdate: the structural and formatting requests a sync (or a test) sends.

Requests apply in order to a copy of the spreadsheet; the copy replaces the original only when
every request succeeded, so a failing batch changes nothing, as with Google.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from .cells import BOOL, FORMULA, NUMBER, STRING, Cell
from .errors import ApiError, invalid
from .fields import mask_paths, parse_mask
from .grid import DEFAULT_COLUMNS, DEFAULT_ROWS, Sheet, Spreadsheet

Bounds = tuple[int, int, int, int]
_VALUE_KINDS = (NUMBER, STRING, BOOL, FORMULA)


def apply_batch(ss: Spreadsheet, body: dict) -> tuple[Spreadsheet, dict]:
    """Run a batch on a copy; returns the new spreadsheet and the API response."""
    work = ss.clone()
    replies = []
    for i, request in enumerate(body.get("requests") or []):
        if not isinstance(request, dict) or len(request) != 1:
            raise invalid(
                f"Invalid requests[{i}]: No request set."
                if not request
                else f"Invalid requests[{i}]: exactly one kind of request must be set."
            )
        kind, args = next(iter(request.items()))
        handler = HANDLERS.get(kind)
        if handler is None:
            raise invalid(
                f'Invalid JSON payload received. Unknown name "{kind}" at '
                f"'requests[{i}]': Cannot find field."
            )
        try:
            reply = handler(work, args or {})
        except ApiError as err:
            if err.code != 400:
                raise
            raise invalid(f"Invalid requests[{i}].{kind}: {err.message}") from None
        replies.append(reply or {})
    response: dict[str, Any] = {"spreadsheetId": work.spreadsheet_id, "replies": replies}
    if body.get("includeSpreadsheetInResponse"):
        response["updatedSpreadsheet"] = work.metadata(None)
    return work, response


# ---------------------------------------------------------------- shared pieces


def sheet_of(ss: Spreadsheet, sheet_id: Any) -> Sheet:
    sheet = ss.sheet_by_id(int(sheet_id or 0))
    if sheet is None:
        raise invalid(f"No grid with id: {sheet_id or 0}")
    return sheet


def grid_bounds(ss: Spreadsheet, grid_range: dict) -> tuple[Sheet, Bounds]:
    """A GridRange (missing indexes are unbounded) -> its sheet and clipped bounds."""
    sheet = sheet_of(ss, grid_range.get("sheetId"))
    r1 = grid_range.get("startRowIndex", 0)
    c1 = grid_range.get("startColumnIndex", 0)
    r2 = grid_range.get("endRowIndex", sheet.row_count)
    c2 = grid_range.get("endColumnIndex", sheet.column_count)
    if min(r1, c1) < 0 or r1 > r2 or c1 > c2:
        raise invalid(f"Invalid range: {grid_range}")
    sheet.check_grid(r2, c2, r1, c1)
    return sheet, (r1, c1, r2, c2)


def _set_path(target: dict, path: list[str], source: dict) -> None:
    """Copy one dotted path from source into target, deleting it when source lacks it."""
    head, rest = path[0], path[1:]
    if not rest:
        if head in source:
            target[head] = copy.deepcopy(source[head])
        else:
            target.pop(head, None)
        return
    child = dict(target.get(head) or {})
    _set_path(child, rest, source.get(head) or {})
    if child:
        target[head] = child
    else:
        target.pop(head, None)


def apply_cell_data(cell: Cell, data: dict, paths: list[str]) -> None:
    """Apply CellData to a cell for the masked fields (a masked field missing from data clears)."""
    for path in paths:
        parts = path.split(".")
        if parts[0] == "*":
            for name in ("userEnteredValue", "userEnteredFormat", "dataValidation"):
                apply_cell_data(cell, data, [name])
            continue
        if parts[0] == "userEnteredValue":
            entered = data.get("userEnteredValue") or {}
            if len(entered) > 1 or (entered and next(iter(entered)) not in _VALUE_KINDS):
                raise invalid(f"Invalid userEnteredValue: {entered}")
            cell.kind, cell.value = next(iter(entered.items()), (None, None))
        elif parts[0] == "userEnteredFormat":
            if len(parts) == 1:
                cell.format = copy.deepcopy(data.get("userEnteredFormat") or {})
            else:
                fmt = dict(cell.format)
                _set_path(fmt, parts[1:], data.get("userEnteredFormat") or {})
                cell.format = fmt
        elif parts[0] == "dataValidation":
            cell.validation = copy.deepcopy(data.get("dataValidation"))
        # note, textFormatRuns, pivotTable...: accepted and ignored


def _fields(args: dict) -> list[str]:
    if not args.get("fields"):
        raise invalid("At least one field must be updated, but 'fields' is empty.")
    return mask_paths(parse_mask(args["fields"]))


# ---------------------------------------------------------------- sheets


def add_sheet(ss: Spreadsheet, args: dict) -> dict:
    props = dict(args.get("properties") or {})
    grid = props.pop("gridProperties", {}) or {}
    title = props.pop("title", None) or f"Sheet{len(ss.sheets) + 1}"
    index = props.pop("index", None)
    sheet_id = props.pop("sheetId", None)
    props.pop("sheetType", None)
    if sheet_id is not None and ss.sheet_by_id(sheet_id) is not None:
        raise invalid(f"A sheet with id {sheet_id} already exists.")
    sheet = ss.add_sheet(
        title,
        index=index,
        row_count=grid.get("rowCount", DEFAULT_ROWS),
        column_count=grid.get("columnCount", DEFAULT_COLUMNS),
        frozen_row_count=grid.get("frozenRowCount", 0),
        frozen_column_count=grid.get("frozenColumnCount", 0),
        hidden=bool(props.pop("hidden", False)),
        extra_properties=props,
    )
    if sheet_id is not None:
        sheet.sheet_id = int(sheet_id)
    ss.check_cell_limit()
    return {"addSheet": {"properties": sheet.properties()}}


def duplicate_sheet(ss: Spreadsheet, args: dict) -> dict:
    source = sheet_of(ss, args.get("sourceSheetId"))
    title = args.get("newSheetName") or f"Copy of {source.title}"
    copied = source.clone()
    if ss.sheet_by_title(title) is not None:
        raise invalid(f'A sheet with the name "{title}" already exists. Please enter another name.')
    copied.title = title
    new_id = args.get("newSheetId")
    if new_id is not None and ss.sheet_by_id(new_id) is not None:
        raise invalid(f"A sheet with id {new_id} already exists.")
    copied.sheet_id = ss.new_sheet_id() if new_id is None else int(new_id)
    index = args.get("insertSheetIndex")
    ss.sheets.insert(len(ss.sheets) if index is None else index, copied)
    ss.reindex()
    ss.check_cell_limit()
    return {"duplicateSheet": {"properties": copied.properties()}}


def delete_sheet(ss: Spreadsheet, args: dict) -> None:
    sheet = sheet_of(ss, args.get("sheetId"))
    if len(ss.sheets) == 1:
        raise invalid("You can't remove all the sheets in a document.")
    ss.sheets.remove(sheet)
    ss.reindex()


def update_sheet_properties(ss: Spreadsheet, args: dict) -> None:
    props = args.get("properties") or {}
    sheet = sheet_of(ss, props.get("sheetId"))
    paths = _fields(args)
    if "*" in paths:
        paths = [p for p in props if p != "sheetId"]
    grid = props.get("gridProperties") or {}
    for path in paths:
        head, _, sub = path.partition(".")
        if head not in _SHEET_FIELDS:
            raise invalid(f"Invalid field mask: '{path}' is not a SheetProperties field.")
        if head == "title":
            other = ss.sheet_by_title(props.get("title", ""))
            if not props.get("title") or (other is not None and other is not sheet):
                raise invalid(
                    f'A sheet with the name "{props.get("title")}" already exists. '
                    "Please enter another name."
                )
            sheet.title = props["title"]
        elif head == "index":
            ss.sheets.remove(sheet)
            ss.sheets.insert(min(int(props.get("index", 0)), len(ss.sheets)), sheet)
            ss.reindex()
        elif head == "hidden":
            sheet.hidden = bool(props.get("hidden", False))
            if all(s.hidden for s in ss.sheets):
                raise invalid("You can't hide all visible sheets in a document.")
        elif head == "gridProperties":
            for key in [sub] if sub else list(grid):
                _set_grid_property(sheet, key, grid.get(key, 0))
        elif head != "sheetId":
            if head in props:
                sheet.extra_properties[head] = copy.deepcopy(props[head])
            else:
                sheet.extra_properties.pop(head, None)
    ss.check_cell_limit()


_SHEET_FIELDS = {
    "sheetId",
    "title",
    "index",
    "hidden",
    "gridProperties",
    "tabColor",
    "tabColorStyle",
    "rightToLeft",
    "sheetType",
}
_EXTRA_GRID = {"hideGridlines", "rowGroupControlAfter", "columnGroupControlAfter"}


def _set_grid_property(sheet: Sheet, key: str, value: int) -> None:
    if key in _EXTRA_GRID:
        sheet.extra_grid[key] = value
    elif key == "rowCount":
        sheet.resize(int(value), sheet.column_count)
    elif key == "columnCount":
        sheet.resize(sheet.row_count, int(value))
    elif key == "frozenRowCount":
        sheet.frozen_row_count = int(value)
    elif key == "frozenColumnCount":
        sheet.frozen_column_count = int(value)
    else:
        raise invalid(f"Invalid field mask: 'gridProperties.{key}' is not a GridProperties field.")
    if sheet.frozen_row_count > sheet.row_count or sheet.frozen_column_count > sheet.column_count:
        raise invalid("Frozen rows or columns would exceed the grid.")


def update_spreadsheet_properties(ss: Spreadsheet, args: dict) -> None:
    props = args.get("properties") or {}
    paths = _fields(args)
    if "*" in paths:
        paths = list(props)
    for path in paths:
        head = path.split(".")[0]
        if head == "title":
            ss.title = props.get("title", "")
        elif head == "locale":
            ss.locale = props.get("locale", "en_US")
        elif head == "timeZone":
            ss.time_zone = props.get("timeZone", "Etc/GMT")
        elif head in props:
            ss.extra_properties[head] = copy.deepcopy(props[head])


# ---------------------------------------------------------------- rows and columns


def _dimension_range(ss: Spreadsheet, rng: dict) -> tuple[Sheet, str, int, int]:
    sheet = sheet_of(ss, rng.get("sheetId"))
    dimension = rng.get("dimension")
    if dimension not in ("ROWS", "COLUMNS"):
        raise invalid(f"Invalid dimension: {dimension}")
    size = sheet.row_count if dimension == "ROWS" else sheet.column_count
    start, end = rng.get("startIndex", 0), rng.get("endIndex", size)
    if start < 0 or end < start:
        raise invalid(f"Invalid dimension range: {rng}")
    return sheet, dimension, start, end


def append_dimension(ss: Spreadsheet, args: dict) -> None:
    sheet = sheet_of(ss, args.get("sheetId"))
    length = int(args.get("length", 0))
    if args.get("dimension") not in ("ROWS", "COLUMNS") or length <= 0:
        raise invalid("appendDimension needs a dimension and a positive length.")
    end = sheet.row_count if args["dimension"] == "ROWS" else sheet.column_count
    sheet.insert(args["dimension"], end, length)
    ss.check_cell_limit()


def insert_dimension(ss: Spreadsheet, args: dict) -> None:
    sheet, dimension, start, end = _dimension_range(ss, args.get("range") or {})
    size = sheet.row_count if dimension == "ROWS" else sheet.column_count
    if start > size:
        raise invalid(
            f"Cannot insert at index {start}: the sheet has only {size} {dimension.lower()}."
        )
    sheet.insert(dimension, start, end - start)
    ss.check_cell_limit()


def delete_dimension(ss: Spreadsheet, args: dict) -> None:
    sheet, dimension, start, end = _dimension_range(ss, args.get("range") or {})
    size = sheet.row_count if dimension == "ROWS" else sheet.column_count
    if end > size:
        raise invalid(
            f"Cannot delete {dimension.lower()} [{start}, {end}): the sheet has only {size}."
        )
    if start == 0 and end >= size:
        raise invalid(f"You can't delete all the {dimension.lower()} on the sheet.")
    sheet.delete(dimension, start, end)


def update_dimension_properties(ss: Spreadsheet, args: dict) -> None:
    sheet, *_ = _dimension_range(ss, args.get("range") or {})
    _fields(args)
    sheet.dimension_properties.append(copy.deepcopy(args))


def auto_resize_dimensions(ss: Spreadsheet, args: dict) -> None:
    _dimension_range(ss, args.get("dimensions") or {})  # validated, then nothing to do


# ---------------------------------------------------------------- cells


def update_cells(ss: Spreadsheet, args: dict) -> None:
    paths = _fields(args)
    rows = [row.get("values") or [] for row in args.get("rows") or []]
    if "start" in args:
        start = args["start"]
        sheet = sheet_of(ss, start.get("sheetId"))
        r0, c0 = start.get("rowIndex", 0), start.get("columnIndex", 0)
        width = max((len(r) for r in rows), default=0)
        sheet.check_grid(r0 + len(rows), c0 + width, r0, c0)
        for i, row in enumerate(rows):
            for j, data in enumerate(row):
                apply_cell_data(sheet.cell(r0 + i, c0 + j, create=True), data or {}, paths)
                sheet.prune(r0 + i, c0 + j)
        return
    sheet, (r1, c1, r2, c2) = grid_bounds(ss, args.get("range") or {})
    for r in range(r1, r2):
        row = rows[r - r1] if r - r1 < len(rows) else []
        for c in range(c1, c2):
            data = row[c - c1] if c - c1 < len(row) else {}
            apply_cell_data(sheet.cell(r, c, create=True), data or {}, paths)
            sheet.prune(r, c)


def repeat_cell(ss: Spreadsheet, args: dict) -> None:
    paths = _fields(args)
    sheet, (r1, c1, r2, c2) = grid_bounds(ss, args.get("range") or {})
    data = args.get("cell") or {}
    for r in range(r1, r2):
        for c in range(c1, c2):
            apply_cell_data(sheet.cell(r, c, create=True), data, paths)
            sheet.prune(r, c)


def set_data_validation(ss: Spreadsheet, args: dict) -> None:
    sheet, (r1, c1, r2, c2) = grid_bounds(ss, args.get("range") or {})
    for r in range(r1, r2):
        for c in range(c1, c2):
            sheet.cell(r, c, create=True).validation = copy.deepcopy(args.get("rule"))
            sheet.prune(r, c)


def sort_range(ss: Spreadsheet, args: dict) -> None:
    sheet, bounds = grid_bounds(ss, args.get("range") or {})
    specs = args.get("sortSpecs") or []
    if not specs:
        raise invalid("sortSpecs must not be empty.")
    for spec in specs:
        if not bounds[1] <= spec.get("dimensionIndex", 0) < bounds[3]:
            raise invalid(f"Sort column {spec.get('dimensionIndex', 0)} is outside the range.")
    ss.sort_rows(sheet, bounds, specs)


def merge_cells(ss: Spreadsheet, args: dict) -> None:
    sheet, (r1, c1, r2, c2) = grid_bounds(ss, args.get("range") or {})
    kind = args.get("mergeType", "MERGE_ALL")
    if kind == "MERGE_ALL":
        pieces = [(r1, c1, r2, c2)]
    elif kind == "MERGE_COLUMNS":
        pieces = [(r1, c, r2, c + 1) for c in range(c1, c2)]
    elif kind == "MERGE_ROWS":
        pieces = [(r, c1, r + 1, c2) for r in range(r1, r2)]
    else:
        raise invalid(f"Invalid value at 'requests[0].merge_cells.merge_type' ({kind})")
    sheet.merge((r1, c1, r2, c2), pieces)


def unmerge_cells(ss: Spreadsheet, args: dict) -> None:
    sheet, bounds = grid_bounds(ss, args.get("range") or {})
    sheet.unmerge(bounds)


# ---------------------------------------------------------------- objects stored for inspection


def set_basic_filter(ss: Spreadsheet, args: dict) -> None:
    basic = copy.deepcopy(args.get("filter") or {})
    sheet, _ = grid_bounds(ss, basic.get("range") or {})
    sheet.basic_filter = basic


def clear_basic_filter(ss: Spreadsheet, args: dict) -> None:
    sheet_of(ss, args.get("sheetId")).basic_filter = None


def add_chart(ss: Spreadsheet, args: dict) -> dict:
    chart = copy.deepcopy(args.get("chart") or {})
    position = chart.get("position") or {}
    anchor = (position.get("overlayPosition") or {}).get("anchorCell") or {}
    sheet = sheet_of(ss, position.get("sheetId", anchor.get("sheetId", ss.sheets[0].sheet_id)))
    chart.setdefault("chartId", ss.next_chart_id)
    ss.next_chart_id = max(ss.next_chart_id, chart["chartId"]) + 1
    sheet.charts.append(chart)
    return {"addChart": {"chart": chart}}


def _find_chart(ss: Spreadsheet, chart_id: Any) -> tuple[Sheet, dict]:
    for sheet in ss.sheets:
        for chart in sheet.charts:
            if chart.get("chartId") == chart_id:
                return sheet, chart
    raise invalid(f"No chart with id: {chart_id}")


def update_chart_spec(ss: Spreadsheet, args: dict) -> None:
    _, chart = _find_chart(ss, args.get("chartId"))
    chart["spec"] = copy.deepcopy(args.get("spec") or {})


def delete_embedded_object(ss: Spreadsheet, args: dict) -> None:
    sheet, chart = _find_chart(ss, args.get("objectId"))
    sheet.charts.remove(chart)


def add_conditional_format_rule(ss: Spreadsheet, args: dict) -> None:
    rule = copy.deepcopy(args.get("rule") or {})
    ranges = rule.get("ranges") or [{}]
    sheet = sheet_of(ss, ranges[0].get("sheetId"))
    sheet.conditional_formats.insert(args.get("index", len(sheet.conditional_formats)), rule)


def delete_conditional_format_rule(ss: Spreadsheet, args: dict) -> None:
    sheet = sheet_of(ss, args.get("sheetId"))
    index = args.get("index", 0)
    if not 0 <= index < len(sheet.conditional_formats):
        raise invalid(f"No conditional format on sheet {sheet.sheet_id} at index {index}.")
    del sheet.conditional_formats[index]


def add_protected_range(ss: Spreadsheet, args: dict) -> dict:
    protected = copy.deepcopy(args.get("protectedRange") or {})
    sheet = sheet_of(ss, (protected.get("range") or {}).get("sheetId"))
    protected.setdefault("protectedRangeId", len(sheet.protected_ranges) + 1)
    sheet.protected_ranges.append(protected)
    return {"addProtectedRange": {"protectedRange": protected}}


HANDLERS: dict[str, Callable[[Spreadsheet, dict], dict | None]] = {
    "addSheet": add_sheet,
    "duplicateSheet": duplicate_sheet,
    "deleteSheet": delete_sheet,
    "updateSheetProperties": update_sheet_properties,
    "updateSpreadsheetProperties": update_spreadsheet_properties,
    "appendDimension": append_dimension,
    "insertDimension": insert_dimension,
    "deleteDimension": delete_dimension,
    "updateDimensionProperties": update_dimension_properties,
    "autoResizeDimensions": auto_resize_dimensions,
    "updateCells": update_cells,
    "repeatCell": repeat_cell,
    "setDataValidation": set_data_validation,
    "sortRange": sort_range,
    "mergeCells": merge_cells,
    "unmergeCells": unmerge_cells,
    "setBasicFilter": set_basic_filter,
    "clearBasicFilter": clear_basic_filter,
    "addChart": add_chart,
    "updateChartSpec": update_chart_spec,
    "deleteEmbeddedObject": delete_embedded_object,
    "addConditionalFormatRule": add_conditional_format_rule,
    "deleteConditionalFormatRule": delete_conditional_format_rule,
    "addProtectedRange": add_protected_range,
}
