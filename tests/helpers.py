"""Small helpers the test modules share (fixtures live in conftest.py)."""

import datetime as dt
import os
from pathlib import Path

import pytest

from sheetfollow.model import EPOCH_1900

# The real workbooks made by other programs: CI has ../shared beside the clone; a clone on its own
# (a user running the tests) may not.
FIXTURES = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures"


def require_fixtures() -> Path:
    """The shared fixture folder; skips the test when it is not beside this clone (fails on CI,
    where it must be)."""
    if FIXTURES.is_dir() and any(FIXTURES.glob("*.xls[xm]")):
        return FIXTURES
    if os.environ.get("CI"):
        pytest.fail(f"the shared fixture workbooks are missing: expected them in {FIXTURES}")
    pytest.skip("the shared fixture workbooks (../shared/fixtures) are not beside this clone")


def serial(day: dt.date) -> int:
    """A date as the serial number spreadsheets store (1900 date system)."""
    return (day - EPOCH_1900).days


class Book:
    """A workbook on some backend, seen the way a test wants to see it (see conftest.make_book).

    Backends subclass it with ``sync``, ``rows``, ``set`` and ``tabs``.
    """

    kind = ""

    def sync(self, today: dt.date, **options): ...
    def rows(self, tab: str) -> list[list]: ...
    def set(self, tab: str, row: int, col: int, value) -> None: ...
    def tabs(self) -> list[str]: ...

    def column(self, tab: str, header: str) -> list:
        rows = self.rows(tab)
        col = rows[0].index(header)
        return [r[col] if col < len(r) else None for r in rows[1:]]

    def cell(self, tab: str, row: int, header: str):
        rows = self.rows(tab)
        col = rows[0].index(header)
        values = rows[row - 1]
        return values[col] if col < len(values) else None
