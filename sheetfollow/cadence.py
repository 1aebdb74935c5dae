"""Cadences: ordered follow-up steps (SPEC 3), read from the Cadence tab or the defaults."""

from __future__ import annotations

from dataclasses import dataclass

from .layout import CHANNELS, DEFAULT_CADENCE, FIRST_CONTACT_TEMPLATE, NURTURE, REENGAGE
from .model import Grid
from .settings import Settings
from .values import as_text


@dataclass(frozen=True)
class Step:
    """Wait ``wait`` days after the previous touch, then touch the lead on ``channel``."""

    number: int
    wait: int
    channel: str
    template: str
    purpose: str


@dataclass(frozen=True)
class Cadence:
    name: str
    steps: tuple[Step, ...]
    repeats: bool = False  # nurture: the last step comes back every ``wait`` days

    @property
    def total(self) -> int:
        return len(self.steps)


# The longest wait a step may ask for (ten years, as for Nurture Every Days): dates stay far
# from the end of the calendar, and a typo such as 30000 is reported instead of obeyed.
MAX_WAIT = 3650

FIRST_CONTACT = Step(0, 0, "email", FIRST_CONTACT_TEMPLATE, "first contact")


def default_cadences(settings: Settings) -> dict[str, Cadence]:
    rows = [(c, str(i), w, ch, t, p) for i, (c, w, ch, t, p) in enumerate(DEFAULT_CADENCE)]
    return _build(rows, settings, apply_settings=True)[0]


def read_cadences(grid: Grid | None, settings: Settings) -> tuple[dict[str, Cadence], list[str]]:
    """The Cadence tab's cadences (defaults when the tab is absent or empty) and its problems.

    Nurture Every Days and Reengage After Days apply to the default cadences; a Cadence tab that
    defines nurture or reengage itself wins, and ``check`` reports a disagreement.
    """
    if grid is None or not any(any(v not in (None, "") for v in r) for r in grid.rows[1:]):
        return default_cadences(settings), []
    problems: list[str] = []
    rows = []
    for number, row in enumerate(grid.rows[1:], start=2):
        cells = [as_text(v) for v in row[:6]] + [""] * (6 - len(row[:6]))
        if not any(cells):
            continue
        rows.append((cells[0], cells[1], cells[2], cells[3], cells[4], cells[5], number))
    cadences, problems = _build(rows, settings, apply_settings=False, tab=grid.name)
    defaults = default_cadences(settings)
    for name in (NURTURE, REENGAGE):
        cadences.setdefault(name, defaults[name])
    return cadences, problems


def _build(rows, settings: Settings, *, apply_settings: bool, tab: str = "Cadence"):
    problems: list[str] = []
    steps: dict[str, list[tuple[float, Step]]] = {}
    for row in rows:
        name, order, wait, channel, template, purpose = (str(x).strip() for x in row[:6])
        where = f"{tab} row {row[6]}" if len(row) > 6 else tab
        name = name.casefold()
        channel = channel.casefold()
        try:
            wait_days = float(wait)
            if not wait_days.is_integer() or not 0 <= wait_days <= MAX_WAIT:
                raise ValueError
        except ValueError:
            problems.append(f"{where}: Wait days '{wait}' must be a whole number of days from 0 "
                            f"to {MAX_WAIT}. Step ignored.")
            continue
        if not name:
            problems.append(f"{where}: the Cadence column is empty. Step ignored.")
            continue
        if channel not in CHANNELS:
            problems.append(f"{where}: channel '{channel}' is not one of {', '.join(CHANNELS)}. "
                            "Step ignored.")
            continue
        if not template:
            problems.append(f"{where}: the Template column is empty. Step ignored.")
            continue
        try:
            position = float(order) if order else float(len(steps.get(name, [])) + 1)
        except ValueError:
            position = float(len(steps.get(name, [])) + 1)
        steps.setdefault(name, []).append(
            (position, Step(0, int(wait_days), channel, template, purpose or template)))
    cadences = {}
    for name, items in steps.items():
        ordered = [s for _, s in sorted(items, key=lambda item: item[0])]
        if apply_settings and name == NURTURE:
            ordered = [_with_wait(s, settings.nurture_every) for s in ordered]
        if apply_settings and name == REENGAGE:
            ordered = [_with_wait(s, settings.reengage_after) for s in ordered]
        numbered = tuple(
            Step(i, s.wait, s.channel, s.template, s.purpose) for i, s in enumerate(ordered, 1))
        cadences[name] = Cadence(name, numbered, repeats=name == NURTURE)
    return cadences, problems


def _with_wait(step: Step, wait: int) -> Step:
    return Step(step.number, wait, step.channel, step.template, step.purpose)
