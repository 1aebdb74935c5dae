"""The Google Sheets backend: reads a spreadsheet into plain values and applies a change set to it
in as few requests as the API allows (SPEC 9).

Requests per sync, whatever the number of leads:

1. the read: one ``spreadsheets.get`` without ``ranges`` and with a field mask that returns
   the title and time zone, every tab's properties, charts and merged ranges, and, per cell,
   the effective value (what ``values:batchGet`` with UNFORMATTED_VALUE and SERIAL_NUMBER dates
   gives) *and* the formula, if any, plus the number format type. A ``values:batchGet`` cannot
   tell formulas from values (and takes one render option per call), so it would take a second
   read to honour SPEC 2's "a formula in a column the tool writes is the user's";
2. when Leads cells are written: the re-read of the Leads and Due tabs (``ranges`` = those two),
   just before writing, to find every written row again and keep Done ticks made meanwhile
   (see recheck.py);
3. the write: one ``spreadsheets:batchUpdate`` (see writes.py) holding the cells, new tabs,
   formats and checkboxes, applied by Google all or nothing.

So a sync that changes nothing makes 1 request; one that changes only tool tabs (Due, Log,
state) 2; one that writes Leads cells (every daily sync: flags and dates move) 3. The only case
with more is a write bigger than ``max_request_bytes`` (9 MB; Google refuses bodies over about
10 MB), which is split into several batchUpdates, each applied whole. Failed attempts that are
retried count too.

The trade-off of reading everything at once: a mask applies to every tab (Google: "if a field
mask is set, the includeGridData parameter is ignored", and without ranges every sheet is
returned), so the read also downloads the cells of the user's own tabs that the sync never looks
at, only to drop them. One request less per sync (a round trip, and one of the 60 reads a minute
Google allows per user and project) is worth more than those bytes for a leads spreadsheet; a
workbook with huge unrelated tabs pays for them on every sync.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Iterable

from ...changeset import ChangeSet
from ...errors import TargetError
from ...layout import DUE, STATE
from ...model import EPOCH_1900, CellError, Grid, Value, WorkbookData
from ..base import ApplyResult
from .a1 import quote_tab
from .auth import Identity, api_base, load_identity
from .charts import CHART_FIELDS
from .http import RetryPolicy, SheetsHTTP
from .recheck import forget, keep_ticks, recheck, ticked
from .writes import MAX_REQUEST_BYTES, RequestBuilder, SheetMeta, TabRead, bodies

CELL_FIELDS = ("effectiveValue,userEnteredValue/formulaValue,userEnteredFormat/numberFormat/type,"
               "userEnteredFormat/textFormat/bold")
GRID_FIELDS = f"merges,data(startRow,startColumn,rowData(values({CELL_FIELDS})))"
# The read: the whole spreadsheet (no ranges), but only what a sync needs of it.
READ_FIELDS = ("properties(title,timeZone),sheets(properties(sheetId,title,index,hidden,"
               f"gridProperties),{CHART_FIELDS},{GRID_FIELDS})")
# The re-read before writing: the cells of a few tabs (``ranges``) and their properties.
RECHECK_FIELDS = f"sheets(properties(sheetId,title,hidden,gridProperties),{GRID_FIELDS})"
ERROR_CODES = {"ERROR": "#ERROR!", "NULL_VALUE": "#NULL!", "DIVIDE_BY_ZERO": "#DIV/0!",
               "VALUE": "#VALUE!", "REF": "#REF!", "NAME": "#NAME?", "NUM": "#NUM!",
               "N_A": "#N/A", "LOADING": "#LOADING"}


class GoogleBackend:
    """One Google Sheet, opened by its key. Credentials come from ``credentials`` (a key file),
    ``oauth_client`` (log in as yourself) or the environment (see auth.load_identity)."""

    def __init__(self, key: str, *, credentials: str | os.PathLike | None = None,
                 oauth_client: str | os.PathLike | None = None,
                 token_file: str | os.PathLike | None = None, interactive: bool | None = None,
                 timeout: float = 30.0, tries: int = 5,
                 sleep: Callable[[float], None] | None = None,
                 max_request_bytes: int = MAX_REQUEST_BYTES, identity: Identity | None = None):
        self.key = key
        self.description = f"Google Sheet {key}"
        self.max_request_bytes = max_request_bytes
        self._login = dict(credentials=credentials, oauth_client=oauth_client,
                           token_file=token_file, interactive=interactive)
        self._identity = identity
        self._policy = RetryPolicy(tries=tries, timeout=timeout)
        self._sleep = sleep
        self._http: SheetsHTTP | None = None
        self._sheets: dict[str, SheetMeta] = {}
        self._reads: dict[str, TabRead] = {}

    # ------------------------------------------------------------------ plumbing
    @property
    def identity(self) -> Identity:
        if self._identity is None:
            self._identity = load_identity(**self._login)
        return self._identity

    @property
    def http(self) -> SheetsHTTP:
        if self._http is None:
            self._http = SheetsHTTP(self.identity, self.key, base=api_base(),
                                    policy=self._policy, sleep=self._sleep)
        return self._http

    @property
    def requests(self) -> int:
        """Requests sent to Google so far (retried attempts included)."""
        return self._http.requests if self._http else 0

    # ------------------------------------------------------------------ the Backend protocol
    def read(self, tabs: Collection[str]) -> WorkbookData:
        """Every tab's name, the spreadsheet's time zone and the cells of the tabs named in
        ``tabs`` (case and outer spaces ignored), in one request."""
        wanted = {t.strip().casefold() for t in tabs}
        zone = self._read_all(lambda name: name.strip().casefold() in wanted)
        return WorkbookData(list(self._sheets), {name: r.grid for name, r in self._reads.items()},
                            EPOCH_1900, zone)

    def apply(self, changes: ChangeSet) -> ApplyResult:
        """Write ``changes``: re-read the Leads rows it writes (1 request, only if there are),
        then one batchUpdate. Nothing at all when the change set is empty."""
        if not changes:
            return ApplyResult(written=False, requests=self.requests)
        skipped: list[str] = []
        leads = self._meta(changes.id_tab) if changes.id_tab else None
        if changes.row_keys and leads is not None and leads.title in self._reads:
            due = self._meta(DUE)
            titles = [leads.title] + ([due.title] if due and due.title in self._reads else [])
            before, before_due = self._reads[leads.title].grid, self._grid(DUE)
            self._reads.update(self._read_tabs(titles))
            checked = recheck(changes, before, self._reads[leads.title].grid)
            skipped = checked.skipped
            was, now = ticked(before_due), ticked(self._grid(DUE))
            changes = keep_ticks(forget(checked.changes, checked.skipped_ids, self._grid(STATE)),
                                 (was & checked.skipped_ids) | (now - was))
        requests = RequestBuilder(self._sheets, self._reads).build(changes)
        for body in bodies(requests, self.max_request_bytes):
            self.http.batch_update(body)
        return ApplyResult(written=bool(requests), skipped_rows=skipped, requests=self.requests)

    # ------------------------------------------------------------------ init
    def initialize(self, tabs: dict[str, list[list]]) -> None:
        """Set up ``tabs`` (from newbook.workbook_tabs) in an existing, empty Google Sheet: their
        values, bold frozen headers, widths, date formats and dropdowns. 2 requests."""
        from .newsheet import setup_requests

        self._read_all(lambda name: True)
        used = next((name for name, r in self._reads.items() if r.grid.rows), None)
        if used is not None:
            raise TargetError(
                f"{self.description} is not empty (its tab '{used}' holds data) and init never "
                "overwrites a sheet: create a blank one (https://sheets.new), share it with "
                f"{self.identity.who} as Editor, and run init on its address")
        requests = setup_requests(tabs, self._sheets)
        for body in bodies(requests, self.max_request_bytes):
            self.http.batch_update(body)

    # ------------------------------------------------------------------ reading
    def _read_all(self, keep: Callable[[str], bool]) -> str | None:
        """Read the whole spreadsheet: every tab's properties, and the cells of the tabs whose
        name ``keep`` accepts (the others' are dropped). Returns the time zone."""
        answer = self.http.get({"fields": READ_FIELDS})
        props = answer.get("properties", {})
        if props.get("title"):
            self.description = f"Google Sheet '{props['title']}'"
        sheets = sorted(answer.get("sheets", []),
                        key=lambda s: s.get("properties", {}).get("index", 0))
        self._sheets, self._reads = {}, {}
        for sheet in sheets:
            tab = sheet.get("properties", {})
            if "title" not in tab:
                continue
            name = tab["title"]
            self._sheets[name] = _sheet_meta(tab, charts=sheet.get("charts", []))
            if keep(name):
                self._reads[name] = parse_grid(name, sheet.get("data", []),
                                               sheet.get("merges", []))
        return props.get("timeZone")

    def _read_tabs(self, titles: list[str]) -> dict[str, TabRead]:
        """The cells of ``titles`` as they are now, in one request."""
        answer = self.http.get({"ranges": [quote_tab(t) for t in titles],
                                "fields": RECHECK_FIELDS})
        by_id = {m.sheet_id: name for name, m in self._sheets.items()}
        reads = {}
        for sheet in answer.get("sheets", []):
            props = sheet.get("properties", {})
            name = by_id.get(props.get("sheetId"), props.get("title"))
            if name is None:
                continue
            self._sheets[name] = _sheet_meta(props, self._sheets.get(name))
            reads[name] = parse_grid(name, sheet.get("data", []), sheet.get("merges", []))
        return reads

    def _meta(self, tab: str) -> SheetMeta | None:
        wanted = tab.strip().casefold()
        return next((m for name, m in self._sheets.items() if name.strip().casefold() == wanted),
                    None)

    def _grid(self, tab: str) -> Grid | None:
        meta = self._meta(tab)
        read = self._reads.get(meta.title) if meta else None
        return read.grid if read else None


def _sheet_meta(props: dict, old: SheetMeta | None = None,
                charts: list[dict] | None = None) -> SheetMeta:
    grid = props.get("gridProperties", {})
    return SheetMeta(props.get("sheetId", old.sheet_id if old else 0),
                     props.get("title", old.title if old else ""),
                     bool(props.get("hidden", old.hidden if old else False)),
                     grid.get("rowCount", old.rows if old else 0),
                     grid.get("columnCount", old.cols if old else 0),
                     charts if charts is not None else old.charts if old else [])


def parse_grid(name: str, data: list[dict], merges: Iterable[dict] = ()) -> TabRead:
    """GridData (trailing empty cells and rows dropped, as the API does) and the tab's merged
    ranges as a TabRead."""
    rows: list[list[Value]] = []
    read = TabRead(Grid(name, rows, merged=[m for m in map(_merge, merges) if m]))
    for block in data:
        r0, c0 = block.get("startRow", 0), block.get("startColumn", 0)
        for r, row_data in enumerate(block.get("rowData", []), start=r0 + 1):
            while len(rows) < r:
                rows.append([])
            values = rows[r - 1]
            for c, cell in enumerate(row_data.get("values") or [], start=c0 + 1):
                value = _value(cell.get("effectiveValue"))
                if value is not None:
                    values.extend([None] * (c - len(values)))
                    values[c - 1] = value
                entered = cell.get("userEnteredValue")
                if entered and "formulaValue" in entered:
                    read.grid.formulas.add((r, c))
                    read.formula_text[(r, c)] = entered["formulaValue"]
                fmt = cell.get("userEnteredFormat")
                if fmt:
                    kind = (fmt.get("numberFormat") or {}).get("type")
                    if kind:
                        read.number_types[(r, c)] = kind
                    if (fmt.get("textFormat") or {}).get("bold"):
                        read.bold.add((r, c))
    while rows and not rows[-1]:
        rows.pop()
    return read


def _merge(grid_range: dict) -> tuple[int, int, int, int] | None:
    """A merged GridRange (zero-based, end exclusive, zeros left out) as Grid.merged wants it:
    1-based (top, left, bottom, right); None for one that covers a single cell or less."""
    top, left = grid_range.get("startRowIndex", 0) + 1, grid_range.get("startColumnIndex", 0) + 1
    bottom, right = grid_range.get("endRowIndex", 0), grid_range.get("endColumnIndex", 0)
    if bottom < top or right < left or (bottom, right) == (top, left):
        return None
    return top, left, bottom, right


def _value(effective: dict | None) -> Value:
    """An effectiveValue as the values API's UNFORMATTED_VALUE would give it (errors kept as
    CellError, dates as serial numbers)."""
    if not effective:
        return None
    if "numberValue" in effective:
        number = effective["numberValue"]
        return int(number) if type(number) is float and number.is_integer() else number
    if "stringValue" in effective:
        return effective["stringValue"]
    if "boolValue" in effective:
        return effective["boolValue"]
    if "errorValue" in effective:
        kind = (effective["errorValue"] or {}).get("type", "ERROR")
        return CellError(ERROR_CODES.get(kind, "#ERROR!"))
    return None

