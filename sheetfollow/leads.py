"""Reading the Leads tab into lead rows, and giving every lead a stable ID (SPEC 2)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection
from dataclasses import dataclass, field, replace

from .cadence import MAX_WAIT
from .changeset import column_letter
from .columns import ColumnMap, map_columns
from .engine import LeadRow
from .errors import WorkbookError
from .layout import INPUT_COLUMNS, LEAD_COLUMNS, LEADS
from .model import Grid, Value
from .settings import Settings
from .values import BadValue, as_text, read_date, read_money, read_weekday, read_yes

ID_PATTERN = re.compile(r"L-(\d+)")
# The latest Last Contact a cadence can count from: a step waits at most MAX_WAIT days, then
# moves to an open day; after this the next date would fall beyond 9999-12-31.
LATEST_CONTACT = dt.date.max - dt.timedelta(days=2 * MAX_WAIT)


@dataclass
class LeadsTab:
    grid: Grid
    columns: ColumnMap
    rows: list[LeadRow]  # in sheet order, blank rows left out
    new_ids: dict[int, str]  # sheet row -> ID assigned by this sync
    # Rows whose ID cell holds a formula giving no usable ID: their IDs last for this sync only.
    passing_ids: frozenset[int] = frozenset()
    _input_columns: list[int] | None = field(default=None, init=False, repr=False)

    def inputs(self, row: int) -> tuple[Value, ...]:
        """The user-owned values of a row as read (to notice edits made during a sync)."""
        cols = self._input_columns
        if cols is None:
            fields = self.columns.fields
            cols = self._input_columns = [fields[f] - 1 for f in INPUT_COLUMNS if f in fields]
        rows = self.grid.rows
        if not 0 < row <= len(rows):
            return (None,) * len(cols)
        values = rows[row - 1]
        width = len(values)
        return tuple([values[i] if i < width else None for i in cols])


def read_leads(grid: Grid | None, settings: Settings, epoch: dt.date,
               known_ids: set[str]) -> LeadsTab:
    """Parse every non-blank Leads row. A workbook that cannot be synced raises WorkbookError."""
    if grid is None:
        raise WorkbookError("the workbook has no Leads tab: rename the tab that holds your leads "
                            "to 'Leads' (with headers such as Name, Email, Last Contact in row 1)")
    columns = map_columns(grid.rows[0] if grid.rows else [], grid.name)
    if "name" not in columns:
        aliases = ", ".join(LEAD_COLUMNS["name"][:5])
        raise WorkbookError(f"the {grid.name} tab has no Name column: put a header such as "
                            f"{aliases} in row 1 above your leads' names")
    rows: list[LeadRow] = []
    names = tuple(columns.fields)
    place = [columns.fields[name] - 1 for name in names]
    width = max(place, default=0) + 1
    blank = (None,) * width
    for number, values in enumerate(grid.rows[1:], start=2):
        if len(values) < width:
            values = [*values, *blank[len(values):]]
        raw = dict(zip(names, [values[i] for i in place], strict=True))
        if all(raw.get(f) in (None, "") for f in INPUT_COLUMNS):
            continue  # a blank row between leads
        rows.append(_read_row(grid, number, raw, columns, settings, epoch))
    rows, new_ids = assign_ids(rows, known_ids)
    id_col = columns.get("id")
    passing = frozenset(row for row in new_ids if (row, id_col) in grid.formulas) \
        if id_col is not None else frozenset()
    if passing:
        rows = [_formula_id(row, id_col) if row.row in passing else row for row in rows]
    return LeadsTab(grid, columns, rows, new_ids, passing)


def _formula_id(row: LeadRow, id_col: int) -> LeadRow:
    """A row whose ID cell holds the user's formula (never overwritten) giving no ID, or
    another row's: the ID it would get cannot be written, so it could not be recognised at the
    next sync. It is flagged instead of being handed a new ID every time."""
    problem = (f"{LEAD_COLUMNS['id'][0]} ({column_letter(id_col)}{row.row}) holds a formula "
               "that gives no ID or another row's; clear the cell and sheetfollow will give "
               "the lead its own ID")
    return replace(row, problems=row.problems + (problem,))


def _read_row(grid: Grid, number: int, values: dict[str, Value], columns: ColumnMap,
              settings: Settings, epoch: dt.date) -> LeadRow:
    """One lead from its row's ``values`` by field name."""
    fields = columns.fields
    raw = values.get
    problems: list[str] = []

    def cell(name: str) -> str:
        return f"{LEAD_COLUMNS[name][0]} ({column_letter(fields[name])}{number})"

    def date(name: str) -> dt.date | None:
        value = raw(name)
        if value is None or type(value) is dt.date:
            return value
        try:
            return read_date(value, epoch, settings.day_first)
        except BadValue as exc:
            problems.append(f"{cell(name)}: {exc}")
            return None

    name = as_text(raw("name"))
    if not name:
        problems.append(f"{cell('name')} is empty")
    value = None
    try:
        value = read_money(raw("value"))
        if value is not None and value < 0:
            problems.append(f"{cell('value')}: a deal value cannot be negative ({value:g})")
    except BadValue as exc:
        problems.append(f"{cell('value')}: {exc}")
    preferred_day = None
    day_text = as_text(raw("preferred_day"))
    if day_text:
        try:
            preferred_day = read_weekday(day_text)
        except BadValue as exc:
            problems.append(f"{cell('preferred_day')}: {exc}")
    next_col = fields.get("next_date")
    last_contact = date("last_contact")
    if last_contact is not None and last_contact > LATEST_CONTACT:
        problems.append(f"{cell('last_contact')}: {last_contact.isoformat()} is too far in the "
                        "future to schedule a follow-up after it; type the date of the latest "
                        "touch")
        last_contact = None
    next_date = date("next_date")
    return LeadRow(
        row=number,
        id=as_text(raw("id")),
        name=name,
        company=as_text(raw("company")),
        email=as_text(raw("email")),
        phone=as_text(raw("phone")),
        last_contact=last_contact,
        method=as_text(raw("method")).casefold(),
        notes=as_text(raw("notes")),
        next_date=next_date,
        next_date_formula=bool(next_col and (number, next_col) in grid.formulas),
        stage=as_text(raw("stage")),
        value=value,
        preferred_channel=as_text(raw("preferred_channel")).casefold(),
        preferred_day=preferred_day,
        dnc=read_yes(raw("dnc")),
        problems=tuple(problems),
    )


def assign_ids(rows: list[LeadRow], known_ids: set[str]) -> tuple[list[LeadRow], dict[int, str]]:
    """Give every row without an ID (or with a copy of an earlier row's ID) a new ``L-0001``.

    Numbers continue after the highest ever used (in the sheet, the state tab or the Log), so an
    ID is never handed out twice, even after its lead was deleted.
    """
    used = set(known_ids) | {r.id for r in rows if r.id}
    highest = max((int(m[1]) for i in used if (m := ID_PATTERN.fullmatch(i))), default=0)
    seen: set[str] = set()
    new_ids: dict[int, str] = {}
    result = []
    for row in rows:
        if not row.id or row.id in seen:
            highest += 1
            row = _with_id(row, f"L-{highest:04d}")
            new_ids[row.row] = row.id
        seen.add(row.id)
        result.append(row)
    return result, new_ids


def _with_id(row: LeadRow, lead_id: str) -> LeadRow:
    """``replace(row, id=lead_id)``, without its checks: a first sync gives every lead an ID."""
    twin = object.__new__(LeadRow)
    twin.__dict__.update(row.__dict__, id=lead_id)
    return twin


def duplicates(rows: list[LeadRow], passing_ids: Collection[int] = ()) -> dict[str, str]:
    """Lead ID -> an earlier lead with the same email or phone number: its ID, or "the lead in
    row N" when that ID is written nowhere and lasts for this sync only (``passing_ids``, rows
    whose ID cell holds the user's formula): the user could not find it, and the next sync
    would name another."""
    first: dict[str, str] = {}
    found: dict[str, str] = {}
    for row in rows:
        keys = []
        if row.email:
            keys.append("e:" + row.email.strip().casefold())
        digits = re.sub(r"\D", "", row.phone)
        if len(digits) >= 7:
            keys.append("p:" + digits[-9:])  # ignore country prefixes written differently
        for key in keys:
            if key in first and first[key] != row.id:
                found.setdefault(row.id, first[key])
            else:
                first.setdefault(key, row.id)
    if passing_ids:
        rows_of = {row.id: row.row for row in rows if row.row in passing_ids}
        found = {lead: f"the lead in row {rows_of[other]}" if other in rows_of else other
                 for lead, other in found.items()}
    return found


def tool_header(name: str) -> str:
    return LEAD_COLUMNS[name][0]


__all__ = ["LEADS", "LeadsTab", "read_leads", "assign_ids", "duplicates", "tool_header"]
