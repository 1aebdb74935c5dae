"""Spreadsheets and their sheets: properties, a sparse grid of typed cells, dimension changes."""

from __future__ import annotations

import copy
import functools
import random
from dataclasses import dataclass, field
from typing import Any

from .a1 import cell_name, quote_title
from .cells import ERROR, Cell, formatted, sort_key
from .errors import invalid
from .formulas import Effective, display_format, effective, error_value

DEFAULT_ROWS = 1000
DEFAULT_COLUMNS = 26
MAX_CELLS = 10_000_000  # Google's per-spreadsheet cell limit
PARTLY_MERGED = "You must select all cells in a merged range to merge or unmerge them."

Bounds = tuple[int, int, int, int]


@dataclass
class Sheet:
    """One tab. Cells are keyed by zero-based (row, column); absent means blank and unformatted."""

    sheet_id: int
    title: str
    index: int = 0
    row_count: int = DEFAULT_ROWS
    column_count: int = DEFAULT_COLUMNS
    frozen_row_count: int = 0
    frozen_column_count: int = 0
    hidden: bool = False
    extra_properties: dict = field(default_factory=dict)  # tabColorStyle, rightToLeft, ...
    extra_grid: dict = field(default_factory=dict)  # hideGridlines, group control settings
    cells: dict[tuple[int, int], Cell] = field(default_factory=dict)
    # Merged ranges as zero-based, end-exclusive (row1, col1, row2, col2): only the top-left
    # cell of each holds a value.
    merges: list[Bounds] = field(default_factory=list)
    charts: list[dict] = field(default_factory=list)
    # Stored as sent and echoed in metadata; the fake does not act on them.
    conditional_formats: list[dict] = field(default_factory=list)
    protected_ranges: list[dict] = field(default_factory=list)
    basic_filter: dict | None = None
    dimension_properties: list[dict] = field(default_factory=list)

    def properties(self) -> dict:
        """The API's SheetProperties; like Google, false and zero defaults are left out."""
        grid: dict[str, Any] = {"rowCount": self.row_count, "columnCount": self.column_count}
        if self.frozen_row_count:
            grid["frozenRowCount"] = self.frozen_row_count
        if self.frozen_column_count:
            grid["frozenColumnCount"] = self.frozen_column_count
        grid.update(self.extra_grid)
        props: dict[str, Any] = {
            "sheetId": self.sheet_id,
            "title": self.title,
            "index": self.index,
            "sheetType": "GRID",
            "gridProperties": grid,
        }
        if self.hidden:
            props["hidden"] = True
        props.update(self.extra_properties)
        return props

    def clone(self) -> Sheet:
        """A copy whose cells can change without touching this sheet (format and validation
        dicts are shared: every change replaces them rather than editing them in place)."""
        twin = copy.copy(self)
        twin.cells = {
            k: Cell(c.kind, c.value, c.format, c.validation) for k, c in self.cells.items()
        }
        twin.merges = list(self.merges)
        for name in (
            "extra_properties",
            "extra_grid",
            "charts",
            "conditional_formats",
            "protected_ranges",
            "basic_filter",
            "dimension_properties",
        ):
            setattr(twin, name, copy.deepcopy(getattr(self, name)))
        return twin

    def cell(self, row: int, col: int, create: bool = False) -> Cell | None:
        found = self.cells.get((row, col))
        if found is None and create:
            found = self.cells[(row, col)] = Cell()
        return found

    def prune(self, row: int, col: int) -> None:
        """Forget a cell that holds nothing, so blank cells never linger as empty objects."""
        found = self.cells.get((row, col))
        if found is not None and found.kind is None and not found.format and not found.validation:
            del self.cells[(row, col)]

    def check_grid(self, r2: int, c2: int, start_row: int = 0, start_col: int = 0) -> None:
        """Refuse to touch cells beyond the grid, with Google's wording."""
        if c2 > self.column_count:
            bad = cell_name(start_row, self.column_count)
        elif r2 > self.row_count:
            bad = cell_name(self.row_count, start_col)
        else:
            return
        raise invalid(
            f"Range ({quote_title(self.title)}!{bad}) exceeds grid limits. "
            f"Max rows: {self.row_count}, max columns: {self.column_count}"
        )

    # -- dimensions: cells move with their rows and columns (formulas are not rewritten)
    def insert(self, dimension: str, start: int, count: int) -> None:
        axis = 0 if dimension == "ROWS" else 1
        moved = {}
        for key, cell in self.cells.items():
            if key[axis] >= start:
                key = (key[0] + count, key[1]) if axis == 0 else (key[0], key[1] + count)
            moved[key] = cell
        self.cells = moved
        self.merges = [_shifted(m, axis, lambda i: i + count if i >= start else i,
                                lambda i: i + count if i > start else i) for m in self.merges]
        if axis == 0:
            self.row_count += count
        else:
            self.column_count += count

    def delete(self, dimension: str, start: int, end: int) -> None:
        axis, count = (0 if dimension == "ROWS" else 1), end - start
        kept = {}
        for key, cell in self.cells.items():
            if start <= key[axis] < end:
                continue
            if key[axis] >= end:
                key = (key[0] - count, key[1]) if axis == 0 else (key[0], key[1] - count)
            kept[key] = cell
        self.cells = kept

        def left(i: int) -> int:  # where index i ends up once [start, end) is gone
            return i - max(0, min(i, end) - start)

        self.merges = _real([_shifted(m, axis, left, left) for m in self.merges])
        if axis == 0:
            self.row_count -= count
            self.frozen_row_count = min(self.frozen_row_count, self.row_count)
        else:
            self.column_count -= count
            self.frozen_column_count = min(self.frozen_column_count, self.column_count)

    def resize(self, rows: int, cols: int) -> None:
        """Set the grid size; cells falling outside are lost, as in Sheets."""
        self.row_count, self.column_count = rows, cols
        self.cells = {k: v for k, v in self.cells.items() if k[0] < rows and k[1] < cols}
        self.merges = _real([(r1, c1, min(r2, rows), min(c2, cols))
                             for r1, c1, r2, c2 in self.merges])

    # -- merged cells
    def merge(self, bounds: Bounds, pieces: list[Bounds]) -> None:
        """Merge each of ``pieces`` (which tile ``bounds``); merges inside ``bounds`` give way.
        As in Sheets, only the top-left value of each merge is kept."""
        self._check_whole_merges(bounds)
        self.merges = [m for m in self.merges if not _inside(m, bounds)] + _real(pieces)
        for r1, c1, r2, c2 in _real(pieces):
            for key in [k for k in self.cells if r1 <= k[0] < r2 and c1 <= k[1] < c2
                        and k != (r1, c1)]:
                self.cells[key].kind = self.cells[key].value = None
                self.prune(*key)

    def unmerge(self, bounds: Bounds) -> None:
        self._check_whole_merges(bounds)
        self.merges = [m for m in self.merges if not _inside(m, bounds)]

    def _check_whole_merges(self, bounds: Bounds) -> None:
        if any(_overlap(m, bounds) and not _inside(m, bounds) for m in self.merges):
            raise invalid(PARTLY_MERGED)

    def merge_ranges(self) -> list[dict]:
        """The merges as the API lists them: GridRanges, zero values left out."""
        names = ("startRowIndex", "startColumnIndex", "endRowIndex", "endColumnIndex")
        out = []
        for merge in self.merges:
            grid = {"sheetId": self.sheet_id, **dict(zip(names, merge, strict=True))}
            out.append({k: v for k, v in grid.items() if v})
        return out


def _shifted(merge: Bounds, axis: int, move_start, move_end) -> Bounds:
    r1, c1, r2, c2 = merge
    if axis == 0:
        return move_start(r1), c1, move_end(r2), c2
    return r1, move_start(c1), r2, move_end(c2)


def _real(merges: list[Bounds]) -> list[Bounds]:
    """The merges that still cover two cells or more."""
    return [m for m in merges if m[2] > m[0] and m[3] > m[1] and (m[2] - m[0]) * (m[3] - m[1]) > 1]


def _inside(inner: Bounds, outer: Bounds) -> bool:
    return (outer[0] <= inner[0] and outer[1] <= inner[1] and inner[2] <= outer[2]
            and inner[3] <= outer[3])


def _overlap(a: Bounds, b: Bounds) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@dataclass
class Spreadsheet:
    spreadsheet_id: str
    title: str
    locale: str = "en_US"
    time_zone: str = "Europe/London"
    sheets: list[Sheet] = field(default_factory=list)
    shared_with: dict[str, str] = field(default_factory=dict)  # email -> reader|writer|owner
    extra_properties: dict = field(default_factory=dict)
    next_chart_id: int = 1

    def __post_init__(self) -> None:
        self._ids = random.Random(self.spreadsheet_id)

    def clone(self) -> Spreadsheet:
        """A copy to apply a batch to, so a failing batch leaves this one untouched."""
        twin = copy.copy(self)
        twin.sheets = [sheet.clone() for sheet in self.sheets]
        twin.shared_with = dict(self.shared_with)
        twin.extra_properties = copy.deepcopy(self.extra_properties)
        twin._ids = random.Random()
        twin._ids.setstate(self._ids.getstate())
        return twin

    # -- lookups
    def sheet_by_title(self, title: str) -> Sheet | None:
        for sheet in self.sheets:
            if sheet.title == title:
                return sheet
        folded = title.casefold()  # sheet titles are unique ignoring case, as in Sheets
        return next((s for s in self.sheets if s.title.casefold() == folded), None)

    def sheet_by_id(self, sheet_id: int) -> Sheet | None:
        return next((s for s in self.sheets if s.sheet_id == sheet_id), None)

    def cell_at(self, title: str, row: int, col: int) -> Cell | None:
        sheet = self.sheet_by_title(title)
        if sheet is None:
            raise KeyError(title)
        return sheet.cell(row, col)

    def effective(self, sheet: Sheet, row: int, col: int) -> Effective:
        return effective(self, sheet.title, sheet.cell(row, col))

    # -- structure
    def new_sheet_id(self) -> int:
        taken = {s.sheet_id for s in self.sheets}
        if 0 not in taken:
            return 0
        while True:
            candidate = self._ids.randrange(1, 2_000_000_000)
            if candidate not in taken:
                return candidate

    def add_sheet(self, title: str, index: int | None = None, **props: Any) -> Sheet:
        if self.sheet_by_title(title) is not None:
            raise invalid(
                f'A sheet with the name "{title}" already exists. Please enter another name.'
            )
        sheet = Sheet(sheet_id=self.new_sheet_id(), title=title, **props)
        self.sheets.insert(len(self.sheets) if index is None else index, sheet)
        self.reindex()
        return sheet

    def reindex(self) -> None:
        for i, sheet in enumerate(self.sheets):
            sheet.index = i

    def check_cell_limit(self) -> None:
        total = sum(s.row_count * s.column_count for s in self.sheets)
        if total > MAX_CELLS:
            raise invalid(
                "This action would increase the number of cells in the workbook above the "
                f"limit of {MAX_CELLS} cells."
            )

    def properties(self) -> dict:
        return {
            "title": self.title,
            "locale": self.locale,
            "autoRecalc": "ON_CHANGE",
            "timeZone": self.time_zone,
            "defaultFormat": {"verticalAlignment": "BOTTOM", "wrapStrategy": "OVERFLOW_CELL"},
            **self.extra_properties,
        }

    def metadata(self, grid_ranges: list[tuple[Sheet, tuple[int, int, int, int]]] | None) -> dict:
        """The Spreadsheet resource; grid_ranges, when given, limits sheets and adds their data."""
        sheets = []
        chosen = self.sheets
        if grid_ranges is not None:
            wanted = {id(sheet) for sheet, _ in grid_ranges}
            chosen = [s for s in self.sheets if id(s) in wanted]
        for sheet in chosen:
            entry: dict[str, Any] = {"properties": sheet.properties()}
            if sheet.merges:
                entry["merges"] = sheet.merge_ranges()
            if sheet.charts:
                entry["charts"] = [dict(c) for c in sheet.charts]
            if sheet.conditional_formats:
                entry["conditionalFormats"] = list(sheet.conditional_formats)
            if sheet.protected_ranges:
                entry["protectedRanges"] = list(sheet.protected_ranges)
            if sheet.basic_filter:
                entry["basicFilter"] = sheet.basic_filter
            if grid_ranges is not None:
                bounds = [b for s, b in grid_ranges if s is sheet]
                entry["data"] = [self.grid_data(sheet, *b) for b in bounds if b is not None]
                if not entry["data"]:
                    del entry["data"]
            sheets.append(entry)
        return {
            "spreadsheetId": self.spreadsheet_id,
            "properties": self.properties(),
            "sheets": sheets,
            "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/{self.spreadsheet_id}/edit",
        }

    def grid_data(self, sheet: Sheet, r1: int, c1: int, r2: int, c2: int) -> dict:
        """GridData for a block: rowData[].values[] of CellData, trailing empties dropped."""
        rows: list[dict] = []
        for r in range(r1, r2):
            values = [self.cell_data(sheet, r, c) for c in range(c1, c2)]
            while values and not values[-1]:
                values.pop()
            rows.append({"values": values} if values else {})
        while rows and not rows[-1]:
            rows.pop()
        data: dict[str, Any] = {"rowData": rows} if rows else {}
        if r1:
            data["startRow"] = r1
        if c1:
            data["startColumn"] = c1
        return data

    def cell_data(self, sheet: Sheet, row: int, col: int) -> dict:
        """The API's CellData for one cell ({} when blank and unformatted)."""
        cell = sheet.cell(row, col)
        if cell is None:
            return {}
        data: dict[str, Any] = {}
        if cell.kind is not None:
            data["userEnteredValue"] = cell.entered()
            eff = self.effective(sheet, row, col)
            if eff.kind == ERROR:
                data["effectiveValue"] = {"errorValue": error_value(eff.value)}
            elif eff.kind is not None:
                data["effectiveValue"] = {eff.kind: eff.value}
            data["formattedValue"] = formatted(eff, display_format(cell, eff))
        if cell.format:
            data["userEnteredFormat"] = cell.format
            data["effectiveFormat"] = cell.format
        if cell.validation:
            data["dataValidation"] = cell.validation
        return data

    def sort_rows(self, sheet: Sheet, bounds: tuple[int, int, int, int], specs: list[dict]) -> None:
        """Sort the rows of a block by columns, blanks last in either order, as Sheets does."""
        r1, c1, r2, c2 = bounds
        if any(_overlap(m, bounds) and m[2] - m[0] > 1 for m in sheet.merges):
            raise invalid("You can't sort a range that contains vertically merged cells.")
        rows = [({c: sheet.cells.get((r, c)) for c in range(c1, c2)}, r) for r in range(r1, r2)]
        keys = {r: {c: self.effective(sheet, r, c) for c in range(c1, c2)} for r in range(r1, r2)}

        def compare(a: tuple[dict, int], b: tuple[dict, int]) -> int:
            for spec in specs:
                col = spec.get("dimensionIndex", 0)
                ea, eb = keys[a[1]].get(col, Effective(None)), keys[b[1]].get(col, Effective(None))
                if (ea.kind is None) != (eb.kind is None):
                    return 1 if ea.kind is None else -1
                ka, kb = sort_key(ea), sort_key(eb)
                if ka != kb:
                    result = -1 if ka < kb else 1
                    return -result if spec.get("sortOrder") == "DESCENDING" else result
            return 0

        rows.sort(key=functools.cmp_to_key(compare))
        moved_to = {old: r1 + offset for offset, (_, old) in enumerate(rows)}
        sheet.merges = [(moved_to[m[0]], m[1], moved_to[m[0]] + 1, m[3])
                        if _overlap(m, bounds) else m for m in sheet.merges]
        for offset, (cells, _) in enumerate(rows):
            for c, cell in cells.items():
                if cell is None:
                    sheet.cells.pop((r1 + offset, c), None)
                else:
                    sheet.cells[(r1 + offset, c)] = cell
