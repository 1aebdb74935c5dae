"""Reading the Leads tab into lead rows, and giving every lead a stable ID (SPEC 2)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection
from dataclasses import MISSING, dataclass, field, fields, replace

from .cadence import MAX_WAIT
from .changeset import column_letter
from .columns import ColumnMap, map_columns
from .engine import LeadRow
from .errors import WorkbookError
from .layout import INPUT_COLUMNS, LEAD_COLUMNS, LEADS
from .model import Grid, Value
from .settings import Settings
from .values import BadValue, as_text, number_shown, read_date, read_money, read_weekday, read_yes

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
    names = tuple(columns.fields)
    place = [columns.fields[name] - 1 for name in names]
    width = max(place, default=0) + 1
    blank = (None,) * width
    found: list[tuple[int, dict[str, Value]]] = []
    for number, values in enumerate(grid.rows[1:], start=2):
        if len(values) < width:
            values = [*values, *blank[len(values):]]
        raw = dict(zip(names, [values[i] for i in place], strict=True))
        if all(raw.get(f) in (None, "") for f in INPUT_COLUMNS):
            continue  # a blank row between leads
        found.append((number, raw))
    ids, new_ids = assign_ids([(number, as_text(raw.get("id"))) for number, raw in found],
                              known_ids)
    reader = _RowReader(grid, columns, settings, epoch)
    rows = [reader.lead(number, raw, lead_id)
            for (number, raw), lead_id in zip(found, ids, strict=True)]
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


# LeadRow's fields, and those with defaults (see ``_RowReader.lead``).
_FIELD_COUNT = len(fields(LeadRow))
_DEFAULTS = {f.name: f.default for f in fields(LeadRow) if f.default is not MISSING}


class _RowReader:
    """Makes the leads of one Leads tab from their rows' values by field name."""

    def __init__(self, grid: Grid, columns: ColumnMap, settings: Settings, epoch: dt.date):
        self.grid, self.fields, self.settings, self.epoch = grid, columns.fields, settings, epoch
        self.next_col = columns.fields.get("next_date")
        self.days: dict[int, dt.date] = {}  # serial number -> date: dates repeat down a column

    def cell(self, name: str, number: int) -> str:
        return f"{LEAD_COLUMNS[name][0]} ({column_letter(self.fields[name])}{number})"

    def date(self, raw: dict[str, Value], name: str, number: int,
             problems: list[str]) -> dt.date | None:
        value = raw.get(name)
        if value is None or type(value) is dt.date:
            return value
        if type(value) is int:
            day = self.days.get(value)
            if day is not None:
                return day
        try:
            day = read_date(value, self.epoch, self.settings.day_first)
        except BadValue as exc:
            problems.append(f"{self.cell(name, number)}: {exc}")
            return None
        if type(value) is int:
            self.days[value] = day
        return day

    def lead(self, number: int, raw: dict[str, Value], lead_id: str) -> LeadRow:
        """The lead of row ``number``, whose ``raw`` values are by field name."""
        get = raw.get
        problems: list[str] = []
        name = as_text(get("name"))
        if not name:
            problems.append(f"{self.cell('name', number)} is empty")
        value = None
        try:
            value = read_money(get("value"))
            if value is not None and value < 0:
                problems.append(f"{self.cell('value', number)}: a deal value cannot be negative "
                                f"({number_shown(value)})")
        except BadValue as exc:
            problems.append(f"{self.cell('value', number)}: {exc}")
        preferred_day = None
        day_text = as_text(get("preferred_day"))
        if day_text:
            try:
                preferred_day = read_weekday(day_text)
            except BadValue as exc:
                problems.append(f"{self.cell('preferred_day', number)}: {exc}")
        last_contact = self.date(raw, "last_contact", number, problems)
        if last_contact is not None and last_contact > LATEST_CONTACT:
            problems.append(f"{self.cell('last_contact', number)}: {last_contact.isoformat()} is "
                            "too far in the future to schedule a follow-up after it; type the "
                            "date of the latest touch")
            last_contact = None
        next_date = self.date(raw, "next_date", number, problems)
        next_col = self.next_col
        # Made without LeadRow's __init__, which sets each field of a frozen dataclass through
        # object.__setattr__: a third of the time of reading a lead.
        lead = object.__new__(LeadRow)
        values = lead.__dict__
        values.update(
            row=number,
            id=lead_id,
            name=name,
            company=as_text(get("company")),
            email=as_text(get("email")),
            phone=as_text(get("phone")),
            last_contact=last_contact,
            method=as_text(get("method")).casefold(),
            notes=as_text(get("notes")),
            next_date=next_date,
            next_date_formula=bool(next_col and (number, next_col) in self.grid.formulas),
            stage=as_text(get("stage")),
            value=value,
            preferred_channel=as_text(get("preferred_channel")).casefold(),
            preferred_day=preferred_day,
            dnc=read_yes(get("dnc")),
            touch_source="sheet",
            problems=tuple(problems),
        )
        if len(values) < _FIELD_COUNT:  # a field added to LeadRow but not above: its default
            for field_name, default in _DEFAULTS.items():
                values.setdefault(field_name, default)
        return lead


def assign_ids(rows: list[tuple[int, str]], known_ids: set[str]
               ) -> tuple[list[str], dict[int, str]]:
    """The ID of each lead, given as (sheet row, ID as read), in sheet order: its own, or a new
    ``L-0001`` for one without (or with a copy of an earlier row's); and the new ones by row.

    Numbers continue after the highest ever used (in the sheet, the state tab or the Log), so an
    ID is never handed out twice, even after its lead was deleted.
    """
    used = set(known_ids) | {lead_id for _, lead_id in rows if lead_id}
    highest = max((int(m[1]) for i in used if (m := ID_PATTERN.fullmatch(i))), default=0)
    seen: set[str] = set()
    new_ids: dict[int, str] = {}
    ids = []
    for number, lead_id in rows:
        if not lead_id or lead_id in seen:
            highest += 1
            lead_id = new_ids[number] = f"L-{highest:04d}"
        seen.add(lead_id)
        ids.append(lead_id)
    return ids, new_ids


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
