"""The Metrics tab: follow-up effectiveness figures from the Log and the leads (SPEC 8). Pure.

``compute_metrics`` reads the Log's rows (those already in the tab plus the events this sync
appends, see ``event_rows``) and the sync's per-lead results; ``metrics_rows`` lays the figures
out as the tab's rows and ``chart_series`` says which of those cells a chart should draw.

How each figure is counted (the README's Metrics section repeats this):

- A *follow-up touch* is a Log row whose Event is ``touch`` and whose Source is not
  ``first seen`` (a contact made before sheetfollow knew the lead is not a follow-up). A lead's
  follow-up touches are numbered 1, 2, 3... in date order, across all its stages.
- A lead's events are ordered by Date; events of the same date keep their Log order (a sync logs
  a touch before the stage change it saw at the same time). Its *current stage* is the Stage of
  its latest stage change (of its last event, if it never changed stage); a stage's *kind*
  (open, won, lost, stop) comes from the Settings' stage map (an empty or unknown stage follows
  New, like the sync does).
- A *won lead* has a stage change to a won-kind stage in the Log and is still in a won-kind stage.
  Its *touches to close* are its follow-up touches before its first change to a won stage.
- Rates and averages built on fewer than ``MIN_SAMPLE`` data points are not shown: their value
  is None and their detail says ``too few data (N touches)``. Counts and sums are exact and
  always shown. Every figure carries its sample size.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .changeset import column_letter
from .engine import Event, stage_rule
from .model import Value, WriteValue
from .settings import Settings, normalize_stage
from .values import BadValue, as_text, read_date

if TYPE_CHECKING:  # the planner imports this module to write the Metrics tab
    from .planner import LeadResult

MIN_SAMPLE = 5  # fewer data points than this: a rate or an average says "too few data"
TOUCH_BUCKETS = ("1", "2", "3", "4", "5", "6+")  # response rate by touch number
RECOVERED_AFTER = 2  # revenue recovered: won after this many follow-up touches or more
FIRST_SEEN = "first seen"
NO_STAGE = "(no stage)"
# Column widths (characters) for the Metrics tab, for the TabWrite.
METRICS_WIDTHS = (32, 14, 56)

_UNITS = {"touches": "touch", "leads": "lead", "won leads": "won lead",
          "Log events": "Log event"}


@dataclass(frozen=True)
class Figure:
    """One figure and the data behind it. ``value`` is None when there are too few data."""

    value: float | None
    sample: int  # how many data points (touches or leads) it was computed from
    unit: str  # what ``sample`` counts: "touches", "leads", "won leads"
    detail: str  # how it was reached, or "too few data (3 touches)"
    part: int | None = None  # for a rate: the numerator (``sample`` is the denominator)

    @property
    def too_few(self) -> bool:
        return self.value is None

    def to_json(self) -> dict:
        data = {"value": self.value, "sample": self.sample, "unit": self.unit,
                "detail": self.detail, "too_few_data": self.too_few}
        if self.part is not None:
            data["part"] = self.part
        return data


@dataclass(frozen=True)
class StageLine:
    """The leads in one stage and their total value (a missing value counts as 0)."""

    stage: str
    kind: str  # open, won, lost or stop
    leads: int
    value: float


@dataclass(frozen=True)
class Metrics:
    today: dt.date
    stages: tuple[StageLine, ...]  # in the stage map's order, then alphabetical
    due_today: Figure
    overdue: Figure
    value_at_risk: Figure
    on_time: Figure
    responses: tuple[Figure, ...]  # one per TOUCH_BUCKETS label
    touches_to_close: Figure
    conversion: Figure
    revenue_recovered: Figure
    events: int  # Log events read (after dropping exact repeats)
    ignored_rows: int  # Log rows that could not be read (no ID, no date, unknown event)

    @property
    def open_pipeline(self) -> StageLine:
        lines = [s for s in self.stages if s.kind == "open"]
        return StageLine("Open pipeline", "open", sum(s.leads for s in lines),
                         _money(sum(s.value for s in lines)))

    def to_json(self) -> dict:
        """The shape ``metrics --json`` prints; see ``cli_metrics.metrics``."""
        total = self.open_pipeline
        return {
            "as_of": self.today.isoformat(),
            "log": {"events": self.events, "ignored_rows": self.ignored_rows},
            "min_sample": MIN_SAMPLE,
            "pipeline": [vars(s) for s in self.stages],
            "open_pipeline": {"leads": total.leads, "value": total.value},
            "today": {"due_today": self.due_today.to_json(),
                      "overdue": self.overdue.to_json(),
                      "value_at_risk": self.value_at_risk.to_json()},
            "follow_up": {"on_time_rate": self.on_time.to_json(),
                          "conversion_rate": self.conversion.to_json(),
                          "touches_to_close": self.touches_to_close.to_json(),
                          "revenue_recovered": self.revenue_recovered.to_json()},
            "response_rate_by_touch": [{"touch": label, **figure.to_json()}
                                       for label, figure in zip(TOUCH_BUCKETS, self.responses,
                                                                strict=True)],
        }


@dataclass(frozen=True)
class ChartSeries:
    """A chart's data, and where it lies in ``metrics_rows`` (1-based rows and columns), so a
    backend can anchor a native chart on the tab's own cells. ``first_row > last_row`` when the
    series is empty."""

    title: str
    labels: tuple[str, ...]
    values: tuple[float | None, ...]
    first_row: int
    last_row: int
    label_col: int
    value_col: int

    @property
    def label_range(self) -> str:
        return _a1(self.first_row, self.last_row, self.label_col)

    @property
    def value_range(self) -> str:
        return _a1(self.first_row, self.last_row, self.value_col)


def event_rows(events: Iterable[Event]) -> list[list[WriteValue]]:
    """Engine events as Log rows, in LOG_HEADER order: what a sync appends to the Log."""
    return [[e.date, e.kind, e.lead_id, e.name, e.stage, e.cadence, e.step, e.channel, e.source,
             e.due] for e in events]


# -- reading the Log ------------------------------------------------------------------------------

@dataclass(slots=True)
class _Entry:
    date: dt.date
    kind: str  # "touch" or "stage"
    lead_id: str
    stage: str
    follow_up: bool  # a touch that is not "first seen"
    due: dt.date | None
    order: int  # position in the Log: same-day events keep it


def _read_log(rows: Sequence[Sequence[Value]], epoch: dt.date) -> tuple[list[_Entry], int]:
    """The readable events, without exact repeats, and how many non-blank rows were not."""
    entries: list[_Entry] = []
    seen: set[tuple] = set()
    ignored = 0
    dates = _Dates(epoch)
    padding = [None] * 10
    for order, row in enumerate(rows):
        cells = row if len(row) >= 10 else [*row, *padding]
        kind = as_text(cells[1]).casefold()
        lead_id = as_text(cells[2])
        day = dates.read(cells[0])
        if day is None or not lead_id or kind not in ("touch", "stage"):
            ignored += any(as_text(c) for c in cells)  # a blank row is no junk
            continue
        source = as_text(cells[8])
        # The same key the sync uses to log an event once: a Log pasted twice counts once.
        key = (day, kind, lead_id, source if kind == "stage" else "")
        if key in seen:
            continue
        seen.add(key)
        touch = kind == "touch"
        entries.append(_Entry(day, kind, lead_id, as_text(cells[4]),
                              touch and source.casefold() != FIRST_SEEN,
                              dates.read(cells[9]) if touch else None, order))
    return entries, ignored


class _Dates:
    """Log cells read as dates, remembered: a long Log holds few distinct dates."""

    def __init__(self, epoch: dt.date):
        self.epoch = epoch
        self.known: dict[tuple[type, Value], dt.date | None] = {}

    def read(self, value: Value) -> dt.date | None:
        key = (type(value), value)  # True == 1, but TRUE is no date
        try:
            return self.known[key]
        except KeyError:
            pass
        except TypeError:  # an unhashable oddity: read it, don't remember it
            return self._read(value)
        day = self.known[key] = self._read(value)
        return day

    def _read(self, value: Value) -> dt.date | None:
        try:
            return read_date(value, self.epoch, None)
        except BadValue:
            return None


# -- per-lead histories ---------------------------------------------------------------------------

@dataclass
class _History:
    """One lead's Log events, read for the follow-up figures."""

    touches: list[_Entry]  # follow-up touches, in order
    answered: list[bool | None]  # per touch: answered, not answered, None = still waiting
    kind: str  # the current stage's kind
    won: bool  # a won lead (see the module docstring)
    touches_to_close: int  # follow-up touches before the first won change (all, if not won)


def _history(events: list[_Entry], kind_of: Callable[[str], str], waiting: bool) -> _History:
    """``waiting``: the lead's next follow-up date is still ahead, so its last touch, if not
    answered yet, may still be."""
    events = sorted(events, key=lambda e: (e.date, e.order))
    touch_at = [i for i, e in enumerate(events) if e.follow_up]
    stage_at = [i for i, e in enumerate(events) if e.kind == "stage"]
    first_won = next((i for i in stage_at if kind_of(events[i].stage) == "won"), None)
    # The latest stage change names the current stage (a touch logged the same day may carry
    # the stage before it); a lead that never changed stage is in the stage of its last event.
    kind = kind_of(events[stage_at[-1] if stage_at else -1].stage)
    won = first_won is not None and kind == "won"
    answered: list[bool | None] = []
    for n, at in enumerate(touch_at):
        until = touch_at[n + 1] if n + 1 < len(touch_at) else len(events)
        got = any(at < s < until for s in stage_at)
        answered.append(None if not got and until == len(events) and waiting else got)
    before = sum(1 for at in touch_at if not won or at < first_won)
    return _History([events[i] for i in touch_at], answered, kind, won, before)


def _kind(stage: str, settings: Settings) -> str:
    return stage_rule(stage, settings).kind


def _kinds(settings: Settings) -> Callable[[str], str]:
    """``_kind``, remembered per stage text: a long Log repeats a few stages."""
    known: dict[str, str] = {}

    def kind_of(stage: str) -> str:
        if stage not in known:
            known[stage] = _kind(stage, settings)
        return known[stage]
    return kind_of


def _waiting(result: LeadResult, today: dt.date) -> bool:
    """Whether the lead is still inside its cadence's wait: its next follow-up is after today.
    Nurture's long repeat does not count: a touch unanswered until nurture is unanswered."""
    outcome = result.outcome
    return (outcome.next_date is not None and outcome.next_date > today
            and not (outcome.cadence is not None and outcome.cadence.repeats))


# -- the figures ----------------------------------------------------------------------------------

def compute_metrics(log_rows: Sequence[Sequence[Value]], results: Sequence[LeadResult],
                    settings: Settings, today: dt.date, epoch: dt.date) -> Metrics:
    """Every Metrics figure from the Log's data rows (plus this sync's, see ``event_rows``) and
    the sync's per-lead results. Junk Log rows are counted and skipped."""
    valid = [r for r in results if r.outcome.status != "INVALID"]
    by_id: dict[str, LeadResult] = {}
    for r in valid:
        by_id.setdefault(r.lead.id, r)
    entries, ignored = _read_log(log_rows, epoch)
    grouped: dict[str, list[_Entry]] = defaultdict(list)
    for e in entries:
        grouped[e.lead_id].append(e)
    kind_of = _kinds(settings)
    histories = {
        lead_id: _history(events, kind_of, lead_id in by_id and _waiting(by_id[lead_id], today))
        for lead_id, events in sorted(grouped.items())}

    overdue = [r for r in valid if r.outcome.status == "OVERDUE"]
    due_today = sum(1 for r in valid if r.outcome.status == "DUE")
    won = {i: h for i, h in histories.items() if h.won}
    # Won leads no longer in the Leads tab count, with no value.
    recovered = [i for i, h in won.items() if h.touches_to_close >= RECOVERED_AFTER]
    return Metrics(
        today=today,
        stages=_stages(valid, settings),
        due_today=Figure(due_today, len(valid), "leads", f"of {_n(len(valid), 'leads')}"),
        overdue=Figure(len(overdue), len(valid), "leads", f"of {_n(len(valid), 'leads')}"),
        value_at_risk=_value_sum(overdue, "overdue"),
        on_time=_on_time(histories.values()),
        responses=_responses(histories.values()),
        touches_to_close=_touches_to_close(won.values()),
        conversion=_conversion(histories.values()),
        revenue_recovered=_value_sum(
            [by_id[i] for i in recovered if i in by_id],
            f"won after {RECOVERED_AFTER} or more follow-ups",
            missing=sum(1 for i in recovered if i not in by_id)),
        events=len(entries),
        ignored_rows=ignored,
    )


def _stages(results: Sequence[LeadResult], settings: Settings) -> tuple[StageLine, ...]:
    """Leads and value per stage, stages compared like the sync does (ignoring case, spaces)."""
    groups: dict[str, list[LeadResult]] = defaultdict(list)
    for r in results:
        groups[normalize_stage(r.lead.stage)].append(r)
    mapped = list(settings.stages)
    lines = []
    for key, members in groups.items():
        # The spelling most leads use, for a stable name however the rows are sorted.
        spellings = Counter(r.lead.stage.strip() for r in members)
        name = min(spellings, key=lambda s: (-spellings[s], s)) or NO_STAGE
        rank = (0, mapped.index(key), "") if key in mapped else (1, 0, name.casefold())
        line = StageLine(name, _kind(members[0].lead.stage, settings), len(members),
                         _money(sum(r.lead.value or 0 for r in members)))
        lines.append((rank, line))
    return tuple(line for _, line in sorted(lines, key=lambda pair: pair[0]))


def _value_sum(results: Sequence[LeadResult], what: str, missing: int = 0) -> Figure:
    """The total Value of some leads (a sum is exact: never "too few data")."""
    count = len(results) + missing
    blanks = sum(1 for r in results if r.lead.value is None) + missing
    detail = f"{_n(count, 'leads')} {what}"
    if blanks:
        detail += f" ({blanks} without a value)"
    return Figure(_money(sum(r.lead.value or 0 for r in results)), count, "leads", detail)


def _on_time(histories: Iterable[_History]) -> Figure:
    """Follow-up touches made on or before the date they answered, of those with such a date."""
    timed = [t for h in histories for t in h.touches if t.due is not None]
    on_time = sum(1 for t in timed if t.date <= t.due)
    return _rate(on_time, len(timed), "touches", "on or before their due date")


def _responses(histories: Iterable[_History]) -> tuple[Figure, ...]:
    """Per touch number, the share of touches followed by a stage change before the next touch.

    Touch N is answered when the lead's stage changed after it and before touch N + 1 (or after
    it at all, for the lead's latest touch). The latest touch of a lead that has not answered yet
    and whose next follow-up date is still ahead is left out: it may yet be answered.
    """
    counts = {label: [0, 0, 0] for label in TOUCH_BUCKETS}  # answered, counted, waiting
    for h in histories:
        for n, answered in enumerate(h.answered, start=1):
            tally = counts[_bucket(n)]
            if answered is None:
                tally[2] += 1
                continue
            tally[0] += answered
            tally[1] += 1
    figures = []
    for answered, counted, waiting in counts.values():
        extra = f"; {waiting} still waiting" if waiting else ""
        figures.append(_rate(answered, counted, "touches", "answered", extra))
    return tuple(figures)


def _bucket(n: int) -> str:
    return str(n) if n < len(TOUCH_BUCKETS) else TOUCH_BUCKETS[-1]


def _touches_to_close(won: Iterable[_History]) -> Figure:
    """The mean number of follow-up touches won leads had before they were won (0 counts)."""
    touches = [h.touches_to_close for h in won]
    if len(touches) < MIN_SAMPLE:
        return _too_few(len(touches), "won leads")
    return Figure(round(sum(touches) / len(touches), 2), len(touches), "won leads",
                  f"{_n(sum(touches), 'touches')} before the win, "
                  f"over {_n(len(touches), 'won leads')}")


def _conversion(histories: Iterable[_History]) -> Figure:
    """Of the leads that had at least one follow-up touch (before their win, for won leads), the
    share that is won now. Leads already won when sheetfollow first saw them are left out."""
    outcomes: Counter[str] = Counter()
    for h in histories:
        if h.touches_to_close < 1 or (h.kind == "won" and not h.won):
            continue
        outcomes[h.kind] += 1
    total = sum(outcomes.values())
    split = (f" ({outcomes['lost']} lost, {outcomes['stop']} stopped, {outcomes['open']} "
             "still open)")
    return _rate(outcomes["won"], total, "leads", "won", split)


def _rate(part: int, whole: int, unit: str, what: str, extra: str = "") -> Figure:
    if whole < MIN_SAMPLE:
        return _too_few(whole, unit, part)
    return Figure(round(part / whole, 3), whole, unit, f"{part} of {_n(whole, unit)} {what}"
                  + extra, part)


def _too_few(sample: int, unit: str, part: int | None = None) -> Figure:
    return Figure(None, sample, unit, f"too few data ({_n(sample, unit)})", part)


def _n(count: int, unit: str) -> str:
    return f"{count} {unit if count != 1 else _UNITS.get(unit, unit)}"


def _money(amount: float) -> float:
    # Rounded so that sums of the same values in any order show the same cents.
    return round(float(amount), 2)


# -- the tab --------------------------------------------------------------------------------------

def metrics_rows(metrics: Metrics) -> list[list[WriteValue]]:
    """The Metrics tab: a header row, then sections separated by a blank row. Rates are
    percentages (numbers, 0 to 100, one decimal); the same metrics always give the same rows."""
    return _layout(metrics)[0]


def chart_series(metrics: Metrics) -> dict[str, ChartSeries]:
    """The data of the tab's two charts: ``responses`` (answered % by touch number) and
    ``pipeline`` (value by stage), with their cells in ``metrics_rows``."""
    return _layout(metrics)[1]


def _layout(metrics: Metrics) -> tuple[list[list[WriteValue]], dict[str, ChartSeries]]:
    """One place lays the rows out, so the chart ranges always match the rows."""
    m = metrics
    log = f"from {_n(m.events, 'Log events')}"
    if m.ignored_rows:
        log += f"; {m.ignored_rows} unreadable Log row{'s' if m.ignored_rows != 1 else ''} " \
               "ignored"
    rows: list[list[WriteValue]] = [["Metric", "Value", "Detail"], ["As of", m.today, log], []]

    rows.append(["Pipeline by stage", "Leads", "Value"])
    first = len(rows) + 1
    rows += [[s.stage, s.leads, s.value] for s in m.stages]
    pipeline = ChartSeries("Pipeline value by stage", tuple(s.stage for s in m.stages),
                           tuple(s.value for s in m.stages), first, len(rows), 1, 3)
    total = m.open_pipeline
    rows += [[total.stage, total.leads, total.value], []]

    rows.append(["Today", "Value", "Detail"])
    rows += [_figure_row("Due today", m.due_today),
             _figure_row("Overdue", m.overdue),
             _figure_row("Value at risk (overdue)", m.value_at_risk), []]

    rows.append(["Follow-up effectiveness", "Value", "Detail"])
    rows += [_figure_row("On-time touches (%)", m.on_time, percent=True),
             _figure_row("Conversion after follow-up (%)", m.conversion, percent=True),
             _figure_row("Average touches to close", m.touches_to_close),
             _figure_row(f"Revenue recovered ({RECOVERED_AFTER}+ follow-ups)",
                         m.revenue_recovered), []]

    rows.append(["Response rate by touch number", "Answered (%)", "Detail"])
    first = len(rows) + 1
    rows += [_figure_row(label, f, percent=True)
             for label, f in zip(TOUCH_BUCKETS, m.responses, strict=True)]
    responses = ChartSeries("Answered (%) by touch number", TOUCH_BUCKETS,
                            tuple(row[1] for row in rows[first - 1:]), first, len(rows), 1, 2)
    return rows, {"responses": responses, "pipeline": pipeline}


def _figure_row(label: str, figure: Figure, percent: bool = False) -> list[WriteValue]:
    value = figure.value
    if percent and value is not None:
        value = round(value * 100, 1)
    return [label, value, figure.detail]


def _a1(first_row: int, last_row: int, col: int) -> str:
    letter = column_letter(col)
    return f"{letter}{first_row}:{letter}{last_row}"
