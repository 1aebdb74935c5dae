"""A change set as Sheets API requests, for one ``spreadsheets:batchUpdate`` (SPEC 9).

Why ``spreadsheets:batchUpdate`` rather than ``values:batchUpdate``: one request does everything a
sync writes, and Google applies it all or nothing. Values go in ``updateCells`` as typed
``userEnteredValue``s, which have the RAW semantics (a ``stringValue`` is never parsed, so text
such as ``=IMPORTXML(...)`` or ``+44 20 7946 0000`` stays text); the Due tab's links are the one
deliberate ``formulaValue``; new tabs, grid growth, date formats, checkboxes, the hidden state
tab and the Metrics tab's charts (see charts.py) ride in the same request. Only cells whose value
changes are sent, and a date format is sent only to a cell that does not have one yet.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass, field

from ...changeset import ChangeSet, Chart
from ...layout import DUE
from ...model import EPOCH_1900, Grid, Link, WriteValue
from ...planner import same
from .a1 import grid_range, vertical_runs
from .charts import chart_requests
from .http import dumps

# Google refuses request bodies over about 10 MB; a batch bigger than this is split in several.
MAX_REQUEST_BYTES = 9_000_000
BLOCK_CELLS = 5_000  # cells per updateCells request, so a big batch can be split between them
DATE_TYPES = frozenset({"DATE", "TIME", "DATE_TIME"})
DATE_FORMAT = {"type": "DATE", "pattern": "yyyy-mm-dd"}
LINK_SCHEMES = ("mailto:", "tel:", "sms:", "https:")
NEW_TAB_ROWS, NEW_TAB_COLUMNS = 1000, 26  # Google's size for a new tab
PIXELS_PER_CHARACTER = 7

Cell = tuple[int, int]  # 1-based (row, column)


@dataclass
class SheetMeta:
    """A tab's properties, as the read gives them."""

    sheet_id: int
    title: str
    hidden: bool = False
    rows: int = NEW_TAB_ROWS
    cols: int = NEW_TAB_COLUMNS
    charts: list[dict] = field(default_factory=list)  # EmbeddedCharts (see charts.CHART_FIELDS)


@dataclass
class TabRead:
    """A tab as read: its values (and formula positions), plus what the writer must know about
    its cells: formula texts, number format types and bold cells."""

    grid: Grid
    formula_text: dict[Cell, str] = field(default_factory=dict)
    number_types: dict[Cell, str] = field(default_factory=dict)
    bold: set[Cell] = field(default_factory=set)


def hyperlink_formula(link: Link) -> str | None:
    """``=HYPERLINK("url","label")`` with quotes escaped; None for a URL that is not a mailto:,
    tel:, sms: or https: link (such a cell gets its label as plain text)."""
    url = link.url.strip()
    if not url.lower().startswith(LINK_SCHEMES) or any(ord(ch) < 32 for ch in url):
        return None
    return f'=HYPERLINK("{_quoted(url)}","{_quoted(link.label or url)}")'


def _quoted(text: str) -> str:
    """Text inside a formula's string literal: every " doubled."""
    return text.replace('"', '""')


def serial(value: dt.date) -> int | float:
    """A date (or date and time) as Google's serial number."""
    if isinstance(value, dt.datetime):
        delta = value - dt.datetime.combine(EPOCH_1900, dt.time())
        return delta.days + delta.seconds / 86400
    return (value - EPOCH_1900).days


def cell_data(value: WriteValue) -> dict:
    """The CellData that stores ``value``; ``{}`` empties the cell (its format stays)."""
    kind = type(value)
    if value is None or value == "":
        return {}
    if kind is str:
        return {"userEnteredValue": {"stringValue": value}}
    if kind is bool:
        return {"userEnteredValue": {"boolValue": value}}
    if kind is int or kind is float:
        return {"userEnteredValue": {"numberValue": value}}
    if isinstance(value, dt.date):
        return {"userEnteredValue": {"numberValue": serial(value)}}
    if isinstance(value, Link):
        formula = hyperlink_formula(value)
        if formula is None:
            return {"userEnteredValue": {"stringValue": value.label or value.url}}
        return {"userEnteredValue": {"formulaValue": formula}}
    return {"userEnteredValue": {"stringValue": str(value)}}


@dataclass
class _Tab:
    """What one tab gets: cells set in place and rows appended, or all of its rows replaced."""

    name: str
    meta: SheetMeta | None
    read: TabRead | None
    cells: dict[Cell, WriteValue] = field(default_factory=dict)
    style_from: dict[Cell, Cell] = field(default_factory=dict)
    rows: list[list[WriteValue]] | None = None
    appends: list[list[WriteValue]] = field(default_factory=list)
    hidden: bool = False
    widths: tuple[float, ...] = ()
    charts: tuple[Chart, ...] = ()


class RequestBuilder:
    """Turns a change set into the requests of one batchUpdate, given what was read."""

    def __init__(self, sheets: dict[str, SheetMeta], reads: dict[str, TabRead]):
        self.sheets = {k.strip().casefold(): v for k, v in sheets.items()}
        self.reads = {k.strip().casefold(): v for k, v in reads.items()}
        self.structure: list[dict] = []  # new tabs, grid growth, hiding: first
        self.values: list[dict] = []
        self.formats: list[dict] = []
        self.charts: list[dict] = []  # last: a chart may sit on a tab added in the same batch
        self._ids = {m.sheet_id for m in sheets.values()}

    def build(self, changes: ChangeSet) -> list[dict]:
        for tab in self._plan(changes):
            self._tab(tab)
            if tab.rows is not None and tab.charts:
                self.charts += chart_requests(tab.meta.sheet_id, tab.meta.charts, tab.charts)
        return self.structure + self.values + self.formats + self.charts

    def _plan(self, changes: ChangeSet) -> list[_Tab]:
        """The change set grouped by tab (ChangeSet.by_tab), with what is known of each; rows
        copied, as writing them changes some cells (links, Done boxes)."""
        grouped = changes.by_tab({key: meta.title for key, meta in self.sheets.items()})
        return [_Tab(t.name, self.sheets.get(key), self.reads.get(key), t.cells, t.style_from,
                     None if t.rows is None else [list(r) for r in t.rows],
                     [list(r) for r in t.appends], t.hidden, t.widths, t.charts)
                for key, t in grouped.items()]

    # ------------------------------------------------------------------ one tab
    def _tab(self, t: _Tab) -> None:
        wanted = self._wanted(t)
        changed = {cell: v for cell, v in wanted.items() if not self._unchanged(t, cell, v)}
        if t.rows is not None and t.name.strip().casefold() == DUE.casefold():
            changed.update(_done_of_new_leads(t.rows, wanted, changed))
        if t.meta is None:
            ends: dict[int, int] = {}
            for (row, col) in changed:
                ends[row] = max(ends.get(row, 0), col)
            for (row, col), v in wanted.items():
                if v is None and col < ends.get(row, 0):
                    changed[(row, col)] = None  # an empty cell inside a row keeps blocks whole
        if not changed and t.meta is not None and not (t.hidden and not t.meta.hidden):
            self._formats(t, wanted, changed)
            return
        need_rows = max([r for r, _ in wanted] + [1])
        need_cols = max([c for _, c in wanted] + [1])
        meta = t.meta or self._add_sheet(t, need_rows, need_cols)
        self._grow(meta, need_rows, need_cols)
        if t.hidden and not meta.hidden:
            meta.hidden = True
            self.structure.append({"updateSheetProperties": {
                "properties": {"sheetId": meta.sheet_id, "hidden": True}, "fields": "hidden"}})
        if t.rows is not None and t.read is None and t.meta is not None:
            # A tab replaced without having been read (Metrics): empty it all first.
            self.values.append({"updateCells": {"range": {"sheetId": meta.sheet_id},
                                                "fields": "userEnteredValue"}})
        self.values += update_cells(meta.sheet_id, {c: cell_data(v) for c, v in changed.items()})
        self._formats(t, wanted, changed, meta)

    def _wanted(self, t: _Tab) -> dict[Cell, WriteValue]:
        """Every cell the tab should end up with that this change set decides (None: empty)."""
        wanted: dict[Cell, WriteValue] = dict(t.cells)
        grid = t.read.grid if t.read else None
        if t.rows is not None:
            for r, row in enumerate(t.rows, start=1):
                for c, v in enumerate(row, start=1):
                    wanted[(r, c)] = v
            if grid is not None:  # what the old content had beyond the new is emptied
                for r, row in enumerate(grid.rows, start=1):
                    for c, v in enumerate(row, start=1):
                        if v is not None and v != "":
                            wanted.setdefault((r, c), None)
                for cell in grid.formulas:
                    wanted.setdefault(cell, None)
        if t.appends:
            if t.rows is not None:
                last = len(t.rows)
            else:
                last = max([grid.height if grid else 0] +
                           [r for (r, _), v in t.cells.items() if v is not None and v != ""])
            for offset, row in enumerate(t.appends, start=1):
                for c, v in enumerate(row, start=1):
                    if v is not None and v != "":
                        wanted[(last + offset, c)] = v
        return wanted

    def _unchanged(self, t: _Tab, cell: Cell, value: WriteValue) -> bool:
        if t.read is None:
            return value is None or value == ""
        formula = t.read.formula_text.get(cell)
        if isinstance(value, Link):
            text = hyperlink_formula(value)
            if text is not None:
                return formula == text
        if formula is not None:
            return False
        return same(t.read.grid.cell(*cell), value, EPOCH_1900)

    # ------------------------------------------------------------------ structure
    def _add_sheet(self, t: _Tab, need_rows: int, need_cols: int) -> SheetMeta:
        sheet_id = 0
        while sheet_id in self._ids or sheet_id == 0:
            sheet_id = random.randrange(1, 2**31 - 1)
        self._ids.add(sheet_id)
        meta = SheetMeta(sheet_id, t.name, t.hidden, max(NEW_TAB_ROWS, need_rows),
                         max(NEW_TAB_COLUMNS, need_cols))
        grid = {"rowCount": meta.rows, "columnCount": meta.cols}
        if t.rows:
            grid["frozenRowCount"] = 1
        self.structure.append({"addSheet": {"properties": {
            "sheetId": sheet_id, "title": t.name, "hidden": t.hidden, "gridProperties": grid}}})
        self.sheets[t.name.strip().casefold()] = t.meta = meta
        if t.rows:
            width = len(t.rows[0])
            self.formats.append(_repeat(sheet_id, 1, 1, 1, width, {"textFormat": {"bold": True}},
                                        "userEnteredFormat.textFormat.bold"))
        for i, width in enumerate(t.widths):
            self.formats.append({"updateDimensionProperties": {
                "range": {"sheetId": sheet_id, "dimension": "COLUMNS", "startIndex": i,
                          "endIndex": i + 1},
                "properties": {"pixelSize": round(width * PIXELS_PER_CHARACTER + 5)},
                "fields": "pixelSize"}})
        return meta

    def _grow(self, meta: SheetMeta, rows: int, cols: int) -> None:
        """Add rows or columns when a write reaches beyond the grid (Google refuses it)."""
        for dimension, have, need in (("ROWS", meta.rows, rows), ("COLUMNS", meta.cols, cols)):
            if need > have:
                self.structure.append({"appendDimension": {
                    "sheetId": meta.sheet_id, "dimension": dimension, "length": need - have}})
        meta.rows, meta.cols = max(meta.rows, rows), max(meta.cols, cols)

    # ------------------------------------------------------------------ formats
    def _formats(self, t: _Tab, wanted: dict[Cell, WriteValue], changed: dict[Cell, WriteValue],
                 meta: SheetMeta | None = None) -> None:
        """Date formats where dates land on cells without one, number formats cleared where
        new plain numbers land on date cells, header styles, and the Due tab's checkboxes."""
        meta = meta or t.meta
        types = t.read.number_types if t.read else {}
        dates = [cell for cell, v in wanted.items()
                 if isinstance(v, dt.date) and types.get(cell) not in DATE_TYPES]
        plain = [cell for cell, v in changed.items()
                 if type(v) in (int, float) and types.get(cell) in DATE_TYPES]
        for cells, fmt in ((dates, {"numberFormat": DATE_FORMAT}), (plain, {})):
            for col, row, count in vertical_runs(cells):
                self.formats.append(_repeat(meta.sheet_id, row, col, count, 1, fmt,
                                            "userEnteredFormat.numberFormat"))
        bold = t.read.bold if t.read else set()
        for (row, col), source in t.style_from.items():
            if source in bold:
                self.formats.append(_repeat(meta.sheet_id, row, col, 1, 1,
                                            {"textFormat": {"bold": True}},
                                            "userEnteredFormat.textFormat.bold"))
        if changed and t.rows is not None and t.name.strip().casefold() == DUE.casefold():
            self._checkboxes(t, meta)

    def _checkboxes(self, t: _Tab, meta: SheetMeta) -> None:
        """Checkboxes on the Done cells of the Due rows, none on the other rows."""
        rows = t.rows or []
        if not rows or "Done" not in rows[0]:
            return
        col = rows[0].index("Done") + 1
        old = t.read.grid.height if t.read else 0
        ticks, others = [], []
        for r in range(2, max(len(rows), old) + 1):
            row = rows[r - 1] if r <= len(rows) else []
            (ticks if len(row) >= col and isinstance(row[col - 1], bool) else others).append(
                (r, col))
        for cells, rule in ((ticks, {"condition": {"type": "BOOLEAN"}}), (others, None)):
            for _, row, count in vertical_runs(cells):
                request = {"range": grid_range(meta.sheet_id, row, col, count)}
                if rule:
                    request["rule"] = rule
                self.formats.append({"setDataValidation": request})


def _done_of_new_leads(rows: list[list[WriteValue]], wanted: dict[Cell, WriteValue],
                       changed: dict[Cell, WriteValue]) -> dict[Cell, WriteValue]:
    """The Done cells of the Due rows that now hold another lead, as unchanged as they look: a
    box ticked after the re-read (no request can see it) must not stay in a row given to
    another lead, whose touch the next sync would log."""
    header = rows[0] if rows else []
    if "Done" not in header or "ID" not in header:
        return {}
    done, lead = header.index("Done") + 1, header.index("ID") + 1
    return {(row, done): wanted.get((row, done)) for row, col in changed
            if col == lead and row > 1}


def _repeat(sheet_id: int, row: int, col: int, rows: int, cols: int, fmt: dict,
            fields: str) -> dict:
    return {"repeatCell": {"range": grid_range(sheet_id, row, col, rows, cols),
                           "cell": {"userEnteredFormat": fmt} if fmt else {}, "fields": fields}}


def update_cells(sheet_id: int, cells: dict[Cell, dict]) -> list[dict]:
    """updateCells requests for ``cells``: each row's runs of adjacent cells, and runs of the
    same columns on consecutive rows merged into one block of at most BLOCK_CELLS cells."""
    by_row: dict[int, list[int]] = defaultdict(list)
    for row, col in cells:
        by_row[row].append(col)
    runs: dict[tuple[int, int], list[int]] = defaultdict(list)  # (first col, width) -> rows
    for row, cols in by_row.items():
        cols.sort()
        start = prev = cols[0]
        for col in cols[1:] + [None]:
            if col is not None and col == prev + 1:
                prev = col
                continue
            runs[(start, prev - start + 1)].append(row)
            if col is not None:
                start = prev = col
    requests = []
    for (start, width), rows in sorted(runs.items()):
        rows.sort()
        block: list[int] = []
        for row in rows + [None]:
            if row is not None and block and row == block[-1] + 1 and \
                    (len(block) + 1) * width <= BLOCK_CELLS:
                block.append(row)
                continue
            if block:
                requests.append({"updateCells": {
                    "start": {"sheetId": sheet_id, "rowIndex": block[0] - 1,
                              "columnIndex": start - 1},
                    "rows": [{"values": [cells[(r, c)] for c in range(start, start + width)]}
                             for r in block],
                    "fields": "userEnteredValue"}})
            block = [row] if row is not None else []
    return requests


def bodies(requests: list[dict], limit: int = MAX_REQUEST_BYTES) -> list[bytes]:
    """The batchUpdate bodies for ``requests``: one, unless it would exceed ``limit`` bytes."""
    parts = [dumps(r).encode() for r in requests]
    head, tail = b'{"requests":[', b"]}"
    out: list[bytes] = []
    chunk: list[bytes] = []
    size = len(head) + len(tail)
    for part in parts:
        if chunk and size + len(part) + 1 > limit:
            out.append(head + b",".join(chunk) + tail)
            chunk, size = [], len(head) + len(tail)
        chunk.append(part)
        size += len(part) + 1
    if chunk:
        out.append(head + b",".join(chunk) + tail)
    return out
