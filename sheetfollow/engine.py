"""The follow-up engine: one lead's next step, date and flag (SPEC 3 and 5).

``follow_up`` is a pure function of (lead row, lead state, rules, today): no clock, no I/O. Run
twice on the same inputs it gives the same answer, which is what makes a second sync a no-op.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from .cadence import FIRST_CONTACT, Cadence, Step
from .layout import NURTURE, REENGAGE
from .schedule import Calendar
from .settings import Settings, StageRule, normalize_stage

# Channels that need a phone number, and which contact detail each channel needs.
PHONE_CHANNELS = ("call", "sms", "whatsapp")


@dataclass(frozen=True)
class LeadRow:
    """One Leads row, read and cleaned. ``problems`` are reasons the row cannot be scheduled."""

    row: int
    id: str
    name: str
    company: str = ""
    email: str = ""
    phone: str = ""
    last_contact: dt.date | None = None
    method: str = ""
    notes: str = ""
    next_date: dt.date | None = None
    next_date_formula: bool = False
    stage: str = ""
    value: float | None = None
    preferred_channel: str = ""
    preferred_day: int | None = None
    dnc: bool = False
    touch_source: str = "sheet"  # "done" when this sync recorded the touch from a Done tick
    problems: tuple[str, ...] = ()


@dataclass
class LeadState:
    """What the sync remembers about a lead between runs (the hidden state tab).

    ``follow_up`` works on its own copy: the state passed in is never changed.
    """

    id: str
    stage: str = ""  # the stage as the user wrote it, seen last
    cadence: str = ""
    step: int = 0  # steps of ``cadence`` done
    last_touch: dt.date | None = None
    touches: int = 0  # all touches ever recorded
    cadence_touches: int = 0  # touches since the cadence (re)started
    written_next: dt.date | None = None  # the Next Date the sync wrote last
    agreed: dt.date | None = None  # a date the user set in Next Date, in force
    first_seen: dt.date | None = None
    last_method: str = ""

    def copy(self) -> LeadState:
        twin = object.__new__(LeadState)
        twin.__dict__.update(self.__dict__)
        return twin


@dataclass(frozen=True)
class Event:
    """A touch or a stage change, for the Log."""

    date: dt.date
    kind: str  # "touch" or "stage"
    lead_id: str
    name: str
    stage: str
    cadence: str
    step: str  # e.g. "2/5"
    channel: str
    source: str  # "sheet", "done", "first seen", or "Contacted → Proposal Sent" for stages
    due: dt.date | None = None  # for a touch: the follow-up date it answered


@dataclass(frozen=True)
class Rules:
    settings: Settings
    cadences: dict[str, Cadence]
    calendar: Calendar
    today: dt.date
    _stages: dict[str, tuple[StageRule, str]] = field(default_factory=dict, init=False,
                                                      repr=False, compare=False)

    def stage(self, stage: str) -> tuple[StageRule, str]:
        """The rule for a stage as written, and the stage normalized: worked out once for all
        the leads at that stage."""
        found = self._stages.get(stage)
        if found is None:
            found = self._stages[stage] = (stage_rule(stage, self.settings),
                                           normalize_stage(stage))
        return found


@dataclass
class Outcome:
    """The engine's answer for one lead."""

    state: LeadState | None  # None: nothing to remember (an unreadable row seen for the first time)
    status: str  # INVALID, DNC, WON, OVERDUE, DUE, AGREED, UPCOMING, SCHEDULED, NURTURE, LOST
    next_date: dt.date | None  # the follow-up date in force (the user's, if agreed)
    write_next: bool  # whether the sync owns the Next Date cell now
    step: Step | None = None  # the pending step (channel already adjusted to the lead)
    cadence: Cadence | None = None
    events: list[Event] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    reason: str = ""  # for INVALID: which cell and why

    @property
    def step_label(self) -> str:
        """The Next Step column: ``3/5 email: share a case study``."""
        if self.step is None:
            return ""
        if self.step is FIRST_CONTACT or self.step.number == 0:
            return f"first contact: {self.step.channel}"
        total = self.cadence.total if self.cadence else self.step.number
        name = f"{self.cadence.name} " if self.cadence and self.cadence.repeats else ""
        return f"{name}{self.step.number}/{total} {self.step.channel}: {self.step.purpose}"


def follow_up(row: LeadRow, state: LeadState | None, rules: Rules) -> Outcome:
    """Compute one lead's next follow-up from its row, what we remembered, and the rules."""
    today = rules.today
    seen_before = state is not None
    st = state.copy() if state else LeadState(id=row.id, first_seen=today)
    if row.problems:
        # Nothing is remembered about a row we cannot read: once fixed, it is seen afresh.
        return Outcome(state, "INVALID", row.next_date, False, reason="; ".join(row.problems))

    events: list[Event] = []
    rule, stage = rules.stage(row.stage)
    cadence = rules.cadences.get(st.cadence) if st.cadence else None

    # The user's own Next Date: set on first sight, or changed since the sync last wrote it
    # (while a date is agreed, the cell shows that one: an emptied cell ends the agreement).
    if not row.next_date_formula:
        shown = st.agreed if st.agreed is not None else st.written_next
        if not seen_before or row.next_date != shown:
            st.agreed = row.next_date

    # A new touch: Last Contact moved forward (or appeared).
    touch = row.last_contact
    if touch is not None and (st.last_touch is None or touch > st.last_touch):
        if not seen_before:
            source, step_done = "first seen", st.step
        else:
            source = row.touch_source
            step_done = st.step + 1 if st.last_touch is not None else 0
        method = row.method
        pending = _pending_step(cadence, st) if seen_before and st.last_touch else None
        label = _step_text(pending, cadence)
        answered = (st.agreed or st.written_next) if seen_before else None
        st.last_touch, st.last_method, st.step = touch, method, step_done
        st.touches += 1
        st.cadence_touches += 1 if seen_before else 0
        if st.agreed is not None and touch >= st.agreed:
            st.agreed = None
        events.append(Event(touch, "touch", row.id, row.name, row.stage,
                            st.cadence or (rule.cadence or ""), label,
                            method or (pending.channel if pending else ""), source, answered))
    elif touch is not None and touch < (st.last_touch or touch):
        st.last_touch = touch  # the user corrected the date backwards
    if st.agreed is not None and st.last_touch is not None and st.agreed <= st.last_touch:
        st.agreed = None  # typed on or before the latest touch: already met, the cadence goes on

    # A stage change restarts the cadence at step 1 (the first sight sets the stage quietly).
    wanted = rule.cadence if rule.kind in ("open", "lost") else None
    if not seen_before or normalize_stage(st.stage) != stage:
        if seen_before:
            events.append(Event(today, "stage", row.id, row.name, row.stage, wanted or "", "",
                                "", f"{_show_stage(st.stage)} → {row.stage or '(empty)'}"))
        st.stage = row.stage
        _restart(st, wanted or "")
    elif wanted and st.cadence not in (wanted, NURTURE):
        _restart(st, wanted)  # the stage map changed

    if row.dnc or rule.kind == "stop":
        return _stopped(st, row, "DNC", events)
    if rule.kind == "won":
        return _stopped(st, row, "WON", events)

    warnings = []
    if rule.kind == "open" and rule.cadence not in rules.cadences:
        warnings.append(f"no cadence '{rule.cadence}'")
        st.cadence = _fallback(rules)
    elif rule.unknown:
        warnings.append(f"unknown stage '{row.stage}'")

    # Where the lead stands in its cadence: first contact, a step, nurture, or finished.
    if st.last_touch is None:
        step, cadence, base = _first_contact(row), None, st.first_seen or today
    else:
        cadence = rules.cadences.get(st.cadence) or rules.cadences[_fallback(rules)]
        cadence = _advance(st, cadence, rule, rules)
        if cadence is None:
            return _stopped(st, row, "LOST", events)
        step = _pending_step(cadence, st)
        base = rules.calendar.place(st.last_touch + dt.timedelta(days=step.wait),
                                    row.preferred_day)
        step = _for_lead(step, row)

    next_date = st.agreed if (st.agreed or row.next_date_formula) else base
    if row.next_date_formula:
        next_date = row.next_date or base
    status = _status(next_date, today, rules.settings, agreed=st.agreed is not None
                     or row.next_date_formula, cadence=cadence, rule=rule)
    write_next = not row.next_date_formula and st.agreed is None
    if write_next:
        st.written_next = next_date
    warnings += _warnings(row, step, cadence)
    return Outcome(st, status, next_date, write_next, step, cadence, events, warnings)


def stage_rule(stage: str, settings: Settings) -> StageRule:
    """The rule for a stage; an empty stage is New, an unknown one follows New with a warning."""
    rule = settings.stage_rule(stage) if stage.strip() else settings.stage_rule("New")
    if rule is None:
        new = settings.stage_rule("New") or StageRule("open", "prospect")
        return StageRule(new.kind, new.cadence, unknown=True)
    return rule


def _fallback(rules: Rules) -> str:
    return "prospect" if "prospect" in rules.cadences else next(iter(rules.cadences))


def _restart(st: LeadState, cadence: str) -> None:
    st.cadence, st.step, st.cadence_touches = cadence, 0, 0


def _advance(st: LeadState, cadence: Cadence, rule: StageRule, rules: Rules) -> Cadence | None:
    """Move a lead whose cadence is exhausted on: open leads to nurture, lost ones to done."""
    max_touches = rules.settings.max_touches
    exhausted = st.step >= cadence.total or (
        max_touches is not None and st.cadence_touches >= max_touches and not cadence.repeats)
    if not exhausted or cadence.repeats:
        return cadence
    if cadence.name == REENGAGE or rule.kind == "lost":
        return None
    _restart(st, NURTURE)
    return rules.cadences[NURTURE]


def _pending_step(cadence: Cadence | None, st: LeadState) -> Step:
    if cadence is None or st.last_touch is None:
        return FIRST_CONTACT
    return cadence.steps[min(st.step, cadence.total - 1)]


def _step_text(step: Step | None, cadence: Cadence | None) -> str:
    if step is None:
        return ""
    if step.number == 0:
        return "first contact"
    return f"{step.number}/{cadence.total if cadence else step.number}"


def _first_contact(row: LeadRow) -> Step:
    return _for_lead(FIRST_CONTACT, row)


def _for_lead(step: Step, row: LeadRow) -> Step:
    """The step with the lead's preferred channel, when the lead can be reached on it."""
    preferred = row.preferred_channel.strip().casefold()
    if preferred and preferred != step.channel and _reachable(preferred, row):
        return replace(step, channel=preferred)
    return step


def _reachable(channel: str, row: LeadRow) -> bool:
    if channel == "email":
        return bool(row.email)
    if channel in PHONE_CHANNELS:
        return bool(row.phone)
    return channel in ("linkedin", "letter")


def _status(next_date, today, settings: Settings, *, agreed: bool, cadence, rule) -> str:
    days = (today - next_date).days
    if days > 0:
        return "OVERDUE"
    if days == 0:
        return "DUE"
    if agreed:
        return "AGREED"
    if -days <= settings.upcoming_days:
        return "UPCOMING"
    if cadence is not None and cadence.repeats:
        return "NURTURE"
    if rule.kind == "lost":
        return "LOST"
    return "SCHEDULED"


def _stopped(st: LeadState, row: LeadRow, status: str, events) -> Outcome:
    """Won, DNC and finished lost leads: no date, no draft, ever."""
    owns = not row.next_date_formula and st.agreed is None
    if owns:
        st.written_next = None
    return Outcome(st, status, None, owns, events=events)


def _warnings(row: LeadRow, step: Step, cadence: Cadence | None) -> list[str]:
    """Advice shown after the flag. A channel the lead prefers but cannot be reached on counts:
    the user meant to call, and has no number to call."""
    wanted = {step.channel, row.preferred_channel}
    warnings = []
    if "email" in wanted and not row.email:
        warnings.append("no email")
    if wanted & set(PHONE_CHANNELS) and not row.phone:
        warnings.append("no phone")
    if not row.notes.strip():
        warnings.append("add notes")
    if (cadence is not None and not cadence.repeats and cadence.name != REENGAGE
            and step.number == cadence.total):
        warnings.append("final touch")
    return warnings


def _show_stage(stage: str) -> str:
    return stage or "(empty)"
