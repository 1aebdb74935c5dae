"""Placing a follow-up on a day people work: weekends, holidays, avoided days, pauses (SPEC 3)."""

from __future__ import annotations

import datetime as dt

from .settings import Settings

_ONE_DAY = dt.timedelta(days=1)
_SEARCH_DAYS = 800  # more than two years of closed days in a row would be a settings mistake


class Calendar:
    """Which days are open for follow-ups, and the first open day on or after a date."""

    def __init__(self, settings: Settings):
        self.closed_weekdays = set(settings.avoid_days)
        if settings.skip_weekends:
            self.closed_weekdays |= {5, 6}
        self.pause_until = settings.pause_until
        self.problems: list[str] = []
        self._placed: dict[tuple[dt.date, int | None], dt.date] = {}  # see ``place``
        self.holidays = None
        if settings.country:
            import holidays  # only a workbook with a Country needs it (a slow import)

            country, _, region = settings.country.partition("-")
            try:
                self.holidays = holidays.country_holidays(country, subdiv=region or None)
            except NotImplementedError:
                self.problems.append(
                    f"Settings (Country): no holiday calendar for '{settings.country}'; use a "
                    "two-letter country code such as US, GB, DE, FR (optionally with a region, "
                    "e.g. US-CA). Holidays are not skipped.")

    def is_open(self, day: dt.date) -> bool:
        if day.weekday() in self.closed_weekdays:
            return False
        return self.holidays is None or day not in self.holidays

    def place(self, day: dt.date, preferred_weekday: int | None = None) -> dt.date:
        """The first open day on or after ``day`` (and after any pause), on the lead's
        preferred weekday when that weekday is ever open. (Many leads wait for the same day:
        each answer is worked out once.)"""
        key = (day, preferred_weekday)
        placed = self._placed.get(key)
        if placed is None:
            placed = self._placed[key] = self._place(day, preferred_weekday)
        return placed

    def _place(self, day: dt.date, preferred_weekday: int | None) -> dt.date:
        if self.pause_until is not None and day < self.pause_until:
            day = self.pause_until
        if preferred_weekday in self.closed_weekdays:
            preferred_weekday = None
        candidate = day
        for _ in range(_SEARCH_DAYS):
            if self.is_open(candidate) and preferred_weekday in (None, candidate.weekday()):
                return candidate
            if candidate == dt.date.max:  # a Pause Until at the end of the calendar
                break
            candidate += _ONE_DAY
        return day
