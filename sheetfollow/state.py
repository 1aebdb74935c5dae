"""The hidden ``_sheetfollow`` tab: what the sync remembers about each lead between runs."""

from __future__ import annotations

import datetime as dt

from .engine import LeadState
from .layout import STATE_HEADER
from .model import Grid, Value, WriteValue
from .values import BadValue, as_text, read_date


def read_state(grid: Grid | None, epoch: dt.date) -> dict[str, LeadState]:
    """Lead ID -> state. Unreadable rows are dropped: the lead is then seen afresh."""
    states: dict[str, LeadState] = {}
    if grid is None:
        return states
    for row in grid.rows[1:]:
        cells = list(row) + [None] * (len(STATE_HEADER) - len(row))
        lead_id = as_text(cells[0])
        if not lead_id:
            continue
        try:
            states[lead_id] = LeadState(
                id=lead_id,
                stage=as_text(cells[1]),
                cadence=as_text(cells[2]),
                step=_int(cells[3]),
                last_touch=_date(cells[4], epoch),
                touches=_int(cells[5]),
                cadence_touches=_int(cells[6]),
                written_next=_date(cells[7], epoch),
                agreed=_date(cells[8], epoch),
                first_seen=_date(cells[9], epoch),
                last_method=as_text(cells[10]),
            )
        except (BadValue, ValueError):
            continue
    return states


def state_rows(states: dict[str, LeadState]) -> list[list[WriteValue]]:
    """The tab's rows, header first, sorted by ID so sorting the Leads tab changes nothing here."""
    rows: list[list[WriteValue]] = [list(STATE_HEADER)]
    for lead_id in sorted(states):
        s = states[lead_id]
        rows.append([s.id, s.stage, s.cadence, s.step, s.last_touch, s.touches,
                     s.cadence_touches, s.written_next, s.agreed, s.first_seen, s.last_method])
    return rows


def _int(value: Value) -> int:
    text = as_text(value)
    return int(float(text)) if text else 0


def _date(value: Value, epoch: dt.date) -> dt.date | None:
    return read_date(value, epoch, None)
