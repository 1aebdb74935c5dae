"""A sync, planned: read values in, a change set out (read -> compute -> diff). Pure.

``plan_sync`` takes what a backend read and returns everything the sync would write, as a
``ChangeSet``, plus the per-lead results the CLI prints. It never touches a file or the clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from jinja2.bccache import BytecodeCache

from .cadence import read_cadences
from .changeset import (
    CHART_COLUMNS,
    CellWrite,
    ChangeSet,
    Chart,
    RowAppend,
    RowKey,
    TabWrite,
    column_letter,
)
from .drafts import Draft, DraftError, TemplateLibrary, open_link
from .due import DueItem, done_ticks, due_rows
from .engine import Event, LeadRow, Outcome, Rules, follow_up
from .layout import (
    CADENCE,
    DUE,
    LEAD_COLUMNS,
    LEADS,
    LOG,
    LOG_HEADER,
    METRICS,
    SETTINGS,
    STATE,
    TEMPLATES,
)
from .leads import LeadsTab, duplicates, read_leads
from .messages import draft_context, why
from .metrics import (
    METRICS_WIDTHS,
    ChartSeries,
    chart_series,
    compute_metrics,
    event_rows,
    metrics_rows,
)
from .model import (
    MAX_CELL_CHARS,
    UNWRITABLE,
    Grid,
    Link,
    Value,
    WorkbookData,
    WriteValue,
    fit_text,
)
from .schedule import Calendar
from .settings import Settings, read_settings
from .state import read_state, state_rows
from .values import BadValue, as_text, read_date

# Columns the sync adds to Leads when they are missing, in this order.
ADDED_COLUMNS = ("last_contact", "method", "next_date", "id", "flag", "next_step")


@dataclass
class LeadResult:
    """One lead after the sync: what the Leads row and the Due tab will show."""

    lead: LeadRow
    outcome: Outcome
    flag: str
    draft: Draft | None = None
    item: DueItem | None = None
    warnings: list[str] = field(default_factory=list, repr=False)  # the flag's advice


@dataclass
class SyncPlan:
    today: dt.date
    settings: Settings
    changes: ChangeSet
    leads: list[LeadResult]
    due: list[DueItem]
    upcoming: list[DueItem]
    events: list[Event]
    problems: list[str] = field(default_factory=list)  # reported, never fatal
    done: list[str] = field(default_factory=list)  # IDs whose Done tick was recorded
    new_ids: int = 0


@dataclass
class Inputs:
    """What the core needs besides the workbook: the templates and, optionally, the backend's
    knowledge of how wide the Leads tab really is (cells beyond the values, tables, sparklines)."""

    template_files: dict[str, str]
    used_width: int | None = None
    # How the drafts are made: ``start(fn, jobs)`` begins ``[fn(job) for job in jobs]`` and
    # returns the function that finishes it and gives the answers, in order. The I/O layer may
    # give one that works on a second core meanwhile (parallel.fork_start).
    start: Callable[[Callable[[Any], Any], list], Callable[[], list]] = field(
        default=lambda fn, jobs: lambda: [fn(job) for job in jobs])
    compiled: BytecodeCache | None = None  # templates compiled by earlier runs


def plan_sync(data: WorkbookData, inputs: Inputs, today: dt.date) -> SyncPlan:
    epoch = data.date_epoch
    settings, problems = read_settings(data.grid(SETTINGS), epoch)
    cadences, cadence_problems = read_cadences(data.grid(CADENCE), settings)
    calendar = Calendar(settings)
    templates_grid = data.grid(TEMPLATES)
    library = TemplateLibrary(inputs.template_files,
                              templates_grid.rows[1:] if templates_grid else (), inputs.compiled)
    problems += cadence_problems + calendar.problems + library.problems
    rules = Rules(settings, cadences, calendar, today)

    states = read_state(data.grid(STATE), epoch)
    log_grid = data.grid(LOG)
    logged, log_ids = _logged(log_grid, epoch)
    leads = read_leads(data.grid(LEADS), settings, epoch, set(states) | log_ids)
    problems += leads.columns.warnings
    columns = _place_columns(leads, inputs.used_width)

    changes = ChangeSet(id_tab=leads.grid.name, id_col=columns["id"])
    cells = _Cells(leads, changes, epoch)
    for name, col in columns.items():
        if name not in leads.columns.fields:
            last = max(leads.columns.headers, default=None)
            cells.set(1, col, LEAD_COLUMNS[name][0], style_from=(1, last) if last else None)

    ticks = done_ticks(data.grid(DUE))
    done: list[str] = []
    dupes = duplicates(leads.rows, leads.passing_ids)
    results: list[LeadResult] = []
    new_states = dict(states)
    events: list[Event] = []
    followed: list[tuple[LeadRow, Outcome]] = []
    for row in leads.rows:
        if row.id in ticks and not row.problems:
            row = _record_done(row, ticks[row.id], states.get(row.id), rules, columns, cells,
                               problems)
            if row.touch_source == "done":
                done.append(row.id)
        outcome = follow_up(row, states.get(row.id), rules)
        if outcome.state is not None:
            new_states[row.id] = outcome.state
        events += outcome.events
        followed.append((row, outcome))
    # Drafting is most of a big sync's work, and each draft stands alone: it starts now (on a
    # second core, if ``inputs.start`` has one) while the rest of the plan is made.
    wanted = [(row, outcome) for row, outcome in followed
              if _drafted(outcome, settings, today)]
    library.prepare((outcome.step.template, outcome.step.channel) for _, outcome in wanted)
    finish_drafts = inputs.start(_Drafter(library, settings, today, dupes), wanted)
    drafted_rows = {row.row for row, _ in wanted}
    flag_writes: dict[int, int] = {}  # drafted row -> its Flag write's place in changes.cells
    for row, outcome in followed:
        result = _result(row, outcome, dupes, settings, today)
        results.append(result)
        if row.row in leads.new_ids:
            cells.set(row.row, columns["id"], row.id)
        if cells.set(row.row, columns["flag"], result.flag) and row.row in drafted_rows:
            flag_writes[row.row] = len(changes.cells) - 1
        cells.set(row.row, columns["next_step"], outcome.step_label)
        if outcome.write_next:
            cells.set(row.row, columns["next_date"], outcome.next_date)

    state_tab = _tab_write(data.grid(STATE), STATE, state_rows(new_states), epoch, hidden=True)
    new_events = [e for e in events if _event_key(e) not in logged]
    new_rows = fit_rows(event_rows(new_events))  # as the Log will hold them
    if new_events:
        if log_grid is not None:  # a Log from an older version gains the newer columns' headers
            header = log_grid.rows[0] if log_grid.rows else []
            for col in range(len(header) + 1, len(LOG_HEADER) + 1):
                changes.cells.append(CellWrite(log_grid.name, 1, col, LOG_HEADER[col - 1]))
        changes.appends.append(RowAppend(log_grid.name if log_grid else LOG, list(LOG_HEADER),
                                         new_rows))
    log_rows = (log_grid.rows[1:] if log_grid else []) + new_rows
    metrics = compute_metrics(log_rows, results, settings, today, epoch)  # needs no draft

    by_row = {r.lead.row: r for r in results}
    failed = []
    for (row, _), (draft, item) in zip(wanted, finish_drafts(), strict=True):
        result = by_row[row.row]
        result.draft, result.item = draft, item
        if draft is None:  # the template failed for the lead: its flag says why
            result.flag = item.flag
            failed.append(result)
    _fix_flags(cells, columns["flag"], failed, flag_writes)
    problems += cells.hidden
    due = [r.item for r in results if r.item and r.item.due <= today]
    upcoming = [r.item for r in results if r.item and r.item.due > today]
    tabs = (_tab_write(data.grid(DUE), DUE, due_rows(due, upcoming, settings.upcoming_days),
                       epoch, widths=(7, 11, 8, 22, 20, 10, 12, 26, 36, 60, 10, 10, 22, 40, 8),
                       fitted=True),  # (every item's texts are, see _Drafter)
            state_tab,
            _tab_write(data.grid(METRICS), METRICS, metrics_rows(metrics), epoch,
                       widths=METRICS_WIDTHS, charts=metrics_charts(chart_series(metrics))))
    changes.tabs += [tab for tab in tabs if tab is not None]
    return SyncPlan(today, settings, changes, results, due, upcoming, new_events, problems, done,
                    len(leads.new_ids))


class _Cells:
    """Collects cell writes to the Leads tab, leaving alone cells that already hold the value,
    cells that hold the user's formulas and cells hidden under merged cells (``hidden`` says
    which)."""

    def __init__(self, leads: LeadsTab, changes: ChangeSet, epoch: dt.date):
        self.leads, self.changes, self.epoch = leads, changes, epoch
        self.grid = leads.grid
        self.hidden: list[str] = []  # problems: cells not written because a merge hides them

    def set(self, row: int, col: int, value: WriteValue, style_from=None) -> bool:
        kind = type(value)
        if kind is str:
            value = fit_text(value)
        grid = self.grid
        current = grid.cell(row, col)
        if (row, col) in grid.formulas:
            return False
        if current is None or type(current) is not kind or kind is not str:  # else: two texts
            if same(current, value, self.epoch):
                return False
        elif current == value:
            return False
        if grid.merged and self.under_merge(row, col):
            return False
        self.changes.cells.append(CellWrite(self.grid.name, row, col, value, current, style_from))
        if row > 1 and row not in self.changes.row_keys:
            id_col = self.leads.columns.get("id")
            as_read = as_text(self.grid.cell(row, id_col)) if id_col else ""
            self.changes.row_keys[row] = RowKey(as_read or None, self.leads.inputs(row))
        return True

    def under_merge(self, row: int, col: int) -> bool:
        """Whether a merge hides the cell: a value written there would never be seen."""
        merge = self.grid.merge_over(row, col)
        if merge is None:
            return False
        top, left, bottom, right = merge
        header = as_text(self.grid.cell(1, col)) or "a sheetfollow column"
        self.hidden.append(
            f"{self.grid.name}!{column_letter(col)}{row} ({header}) is hidden under the merged "
            f"cells {column_letter(left)}{top}:{column_letter(right)}{bottom}, so sheetfollow "
            "does not write it; unmerge them to see it")
        return True


def _place_columns(leads: LeadsTab, used_width: int | None) -> dict[str, int]:
    """Columns for every field the sync writes; missing ones go right of everything in use."""
    grid = leads.grid
    width = max([used_width or 0, max((len(r) for r in grid.rows), default=0),
                 max(leads.columns.headers, default=0)])
    columns = {}
    for name in ADDED_COLUMNS:
        if name in leads.columns.fields:
            columns[name] = leads.columns.fields[name]
        else:
            width += 1
            columns[name] = width
    return columns


def _record_done(row: LeadRow, channel: str, state, rules: Rules, columns, cells: _Cells,
                 problems: list[str]) -> LeadRow:
    """A ticked Done box: today's date into Last Contact and the channel into Method."""
    today = rules.today
    if row.last_contact is not None and row.last_contact >= today:
        return row  # the user recorded the touch by hand as well
    if cells.under_merge(row.row, columns["last_contact"]):
        return row
    if cells.grid.is_formula(row.row, columns["last_contact"]):
        problems.append(f"{LEADS} row {row.row}: Done is ticked but Last Contact holds a "
                        "formula; type the date of the touch into it yourself.")
        return row
    channel = channel.casefold() or row.method
    cells.set(row.row, columns["last_contact"], today)
    if channel and not cells.grid.is_formula(row.row, columns["method"]):
        cells.set(row.row, columns["method"], channel)
    return replace(row, last_contact=today, method=channel, touch_source="done")


def _drafted(outcome: Outcome, settings: Settings, today: dt.date) -> bool:
    """Whether the lead gets a draft: its next step is due within the upcoming days."""
    return (outcome.step is not None and outcome.next_date is not None
            and outcome.status != "INVALID"
            and (outcome.next_date - today).days <= settings.upcoming_days)


@dataclass(frozen=True)
class _Drafter:
    """Makes a drafted lead's Due item, with its draft and Open link: ``(Draft, DueItem)``, or
    ``(None, DueItem)`` when the template fails for the lead (the item's flag then says why,
    and it has no message). Its texts are fitted to a cell (``fit_text``). Answers are plain
    values, so they can come back from another process."""

    library: TemplateLibrary
    settings: Settings
    today: dt.date
    dupes: dict[str, str]

    def __call__(self, job: tuple[LeadRow, Outcome]) -> tuple[Draft | None, DueItem]:
        row, outcome = job
        step, today = outcome.step, self.today
        # The flag the main process also gives the lead: it does so after this copy has started.
        result = _result(row, outcome, self.dupes, self.settings, today)
        to = _address_for(row, step.channel)
        try:
            draft = self.library.render(step.template, step.channel,
                                        *draft_context(row, outcome, self.settings), today)
        except DraftError as exc:
            draft, link = None, None
            flag = " · ".join([f"INVALID {exc}"] + result.warnings)
        else:
            link = open_link(step.channel, to, draft) if to else None
            flag = result.flag
        texts = [row.id, row.name, row.company, step.channel, _short_step(outcome), to,
                 draft.subject if draft else "", draft.body if draft else "", flag,
                 why(row, outcome)]
        joined = "".join(texts)  # one check for all: they are rarely anything but plain
        if len(joined) > MAX_CELL_CHARS // 2 or UNWRITABLE.search(joined):
            texts = [fit_text(text) for text in texts]
        lead_id, name, company, channel, short, to, subject, message, flag, why_text = texts
        return draft, DueItem(
            lead_id=lead_id, name=name, company=company, due=outcome.next_date,
            days_overdue=max((today - outcome.next_date).days, 0), channel=channel, step=short,
            to=to, subject=subject, message=message, link=link, value=row.value, flag=flag,
            why=why_text)


def _address_for(row: LeadRow, channel: str):
    if channel == "email":
        return row.email
    return row.phone if channel in ("call", "sms", "whatsapp") else ""


def _result(row: LeadRow, outcome: Outcome, dupes: dict[str, str], settings: Settings,
            today: dt.date) -> LeadResult:
    """The lead's result before its draft (see ``_Drafter``)."""
    warnings = list(outcome.warnings)
    if row.id in dupes:
        warnings.append(f"duplicate of {dupes[row.id]}")
    status = outcome.status
    if status == "INVALID":
        return LeadResult(row, outcome, f"INVALID {outcome.reason}", warnings=warnings)
    if status == "OVERDUE":
        status = f"OVERDUE {(today - outcome.next_date).days}d"
    return LeadResult(row, outcome, " · ".join([status] + warnings), warnings=warnings)


def _fix_flags(cells: _Cells, col: int, failed: list[LeadResult],
               flag_writes: dict[int, int]) -> None:
    """Write the flags of leads whose template failed (rare) in place of the flags they were
    given before their drafts were made."""
    # From the last write back, so the places of the earlier ones stay where they were.
    for result in sorted(failed, key=lambda r: flag_writes.get(r.lead.row, -1), reverse=True):
        written = flag_writes.get(result.lead.row)
        if written is not None:
            del cells.changes.cells[written]
        cells.set(result.lead.row, col, result.flag)


def _short_step(outcome: Outcome) -> str:
    step, cadence = outcome.step, outcome.cadence
    if step is None:
        return ""
    if step.number == 0 or cadence is None:
        return "first contact"
    if cadence.repeats:
        return cadence.name
    return f"{step.number}/{cadence.total}"


def same(current: Value, new: WriteValue, epoch: dt.date) -> bool:
    """Whether a cell already shows ``new``, so writing it would change nothing."""
    return shown(current, epoch) == shown(new, epoch)


def shown(value: Value | WriteValue, epoch: dt.date):
    """What a cell shows, comparable across what was read and what would be written: dates as
    serial numbers, links as their label, '' as nothing, and booleans kept apart from 0 and 1."""
    kind = type(value)
    if kind is str:
        return value or None
    if value is None:
        return None
    if kind is bool:
        return ("bool", value)
    if kind is int or kind is float:
        return float(value)
    if kind is dt.date:
        return float((value - epoch).days)
    if kind is dt.datetime:
        return float((value.date() - epoch).days)
    if kind is Link:
        return value.label or None
    return value


def _row_shown(row, epoch: dt.date) -> tuple:
    values = [shown(v, epoch) for v in row]
    while values and values[-1] is None:
        values.pop()
    return tuple(values)


# The Metrics charts: side by side right of the figures (columns A to C), from E2, in the order
# of ``chart_series``, with an empty column between them.
CHART_ANCHOR_COLUMN, CHART_ANCHOR_ROW = 5, 2
_CHART_LOOK = {"responses": ("column", "Answered (%)"), "pipeline": ("bar", "Value")}


def metrics_charts(series: dict[str, ChartSeries]) -> tuple[Chart, ...]:
    """The Metrics tab's native charts, drawn from its own cells. A series without data (no
    leads yet: no stage lines) gets no chart rather than one over an empty range."""
    charts = []
    for key, (kind, series_name) in _CHART_LOOK.items():
        s = series[key]
        if s.first_row > s.last_row:
            continue
        col = CHART_ANCHOR_COLUMN + len(charts) * (CHART_COLUMNS + 1)
        charts.append(Chart(s.title, kind, s.label_range, s.value_range,
                            f"{column_letter(col)}{CHART_ANCHOR_ROW}", series_name))
    return tuple(charts)


def _tab_write(grid: Grid | None, name: str, rows: list[list[WriteValue]], epoch: dt.date,
               hidden: bool = False, widths: tuple[float, ...] = (),
               charts: tuple[Chart, ...] = (), fitted: bool = False) -> TabWrite | None:
    """The write that replaces a tool tab, or None when what it shows already equals ``rows``.

    Only the rows are compared, not the ``charts``: a tab's charts are derived from the same
    layout as its rows (see ``metrics.chart_series``), so equal rows mean equal charts. (A
    Metrics tab written before charts existed gets them on the next sync that changes it: the
    daily "As of" row sees to that.)"""
    if not fitted:  # (``rows`` whose every text is fitted already)
        rows = fit_rows(rows)
    if grid is not None and _grid_equals(grid, rows, epoch):
        return None
    return TabWrite(grid.name if grid else name, rows, hidden, widths, charts)


def _grid_equals(grid: Grid, rows: list[list[WriteValue]], epoch: dt.date) -> bool:
    old = [_row_shown(r, epoch) for r in grid.rows]
    new = [_row_shown(r, epoch) for r in rows]
    while old and not old[-1]:
        old.pop()
    while new and not new[-1]:
        new.pop()
    return old == new


def _event_key(event: Event) -> tuple:
    return (event.date, event.kind, event.lead_id,
            fit_text(event.source) if event.kind == "stage" else "")


def fit_rows(rows: list[list[WriteValue]]) -> list[list[WriteValue]]:
    """``rows`` with every text fitted to what a cell holds (see ``model.fit_text``)."""
    fitted = []
    for row in rows:
        texts = "".join([v for v in row if type(v) is str])  # one check for the whole row
        if len(texts) > MAX_CELL_CHARS // 2 or UNWRITABLE.search(texts):
            row = [fit_text(v) if type(v) is str else v for v in row]
        fitted.append(row)
    return fitted


def _logged(grid: Grid | None, epoch: dt.date) -> tuple[set[tuple], set[str]]:
    """Keys of the events already in the Log (so none is logged twice), and the IDs in it."""
    keys: set[tuple] = set()
    ids: set[str] = set()
    if grid is None:
        return keys, ids
    for row in grid.rows[1:]:
        cells = list(row) + [None] * (9 - len(row))
        lead_id = as_text(cells[2])
        if not lead_id:
            continue
        ids.add(lead_id)
        try:
            day = read_date(cells[0], epoch, None)
        except BadValue:
            continue
        kind = as_text(cells[1])
        keys.add((day, kind, lead_id, as_text(cells[8]) if kind == "stage" else ""))
    return keys, ids
