"""The Due tab: who to contact today, how and with what words (SPEC 7), and its Done ticks."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .columns import normalize_header
from .layout import DUE_HEADER, UPCOMING_TITLE
from .model import Grid, Link, WriteValue
from .values import as_text, read_yes


@dataclass(frozen=True)
class DueItem:
    """One follow-up to do: a row of the Due tab."""

    lead_id: str
    name: str
    company: str
    due: dt.date
    days_overdue: int
    channel: str
    step: str  # "3/5", "first contact", "nurture"
    to: str
    subject: str
    message: str
    link: Link | None
    value: float | None
    flag: str
    why: str

    def row(self, upcoming: bool) -> list[WriteValue]:
        return [False, self.due, None if upcoming else self.days_overdue, self.name,
                self.company, self.channel, self.step, self.to, self.subject, self.message,
                self.link, self.value, self.flag, self.why, self.lead_id]


def due_order(item: DueItem) -> tuple:
    """Most overdue first, then the most valuable, then by name."""
    return (-item.days_overdue, -(item.value or 0), item.name.casefold(), item.lead_id)


def upcoming_order(item: DueItem) -> tuple:
    return (item.due, -(item.value or 0), item.name.casefold(), item.lead_id)


def due_rows(due: list[DueItem], upcoming: list[DueItem], upcoming_days: int):
    """The tab: header, today's and overdue follow-ups, a blank row, then the upcoming block."""
    rows: list[list[WriteValue]] = [list(DUE_HEADER)]
    rows += [item.row(upcoming=False) for item in sorted(due, key=due_order)]
    if upcoming:
        rows.append([None] * len(DUE_HEADER))
        title = f"{UPCOMING_TITLE} (next {upcoming_days} days)"
        rows.append([None, title] + [None] * (len(DUE_HEADER) - 2))
        rows += [item.row(upcoming=True) for item in sorted(upcoming, key=upcoming_order)]
    return rows


def done_ticks(grid: Grid | None) -> dict[str, str]:
    """Lead ID -> channel, for every Due row whose Done box the user ticked."""
    if grid is None or not grid.rows:
        return {}
    header = {normalize_header(v): i for i, v in enumerate(grid.rows[0], start=1) if v}
    done_col, id_col = header.get("done"), header.get("id")
    channel_col = header.get("channel")
    if not done_col or not id_col:
        return {}
    ticks = {}
    for number in range(2, grid.height + 1):
        lead_id = as_text(grid.cell(number, id_col))
        if lead_id and read_yes(grid.cell(number, done_col)):
            ticks[lead_id] = as_text(grid.cell(number, channel_col)) if channel_col else ""
    return ticks
