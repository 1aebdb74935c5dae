"""Small helpers the test modules share (fixtures live in conftest.py)."""

import datetime as dt
import os
from pathlib import Path

import pytest

from sheetfollow.model import EPOCH_1900

# The real workbooks made by other programs: CI has ../shared beside the clone; a clone on its own
# (a user running the tests) may not.
# A small pipeline shared by the behaviour tests: typed values, text that looks like a number
# (Ben's value), a lead never contacted (Chloé) and a column of the user's own (Owner).
MON = dt.date(2026, 11, 23)  # a Monday
TUE = dt.date(2026, 11, 24)
HEADER = ["Name", "Company", "Email", "Phone", "Last Contact", "Method", "Notes", "Next Date",
          "Stage", "Value", "Owner"]
ANA = ["Ana Souza", "Acme", "ana@example.com", "", dt.date(2026, 11, 12), "email",
       "Wants CRM setup before Q2", None, "Proposal Sent", 4800, "me"]
BEN = ["Ben Okafor", "Okafor Ltd", "ben@example.com", "+44 20 7946 0000", dt.date(2026, 11, 19),
       "call", "Budget approval pending", None, "Negotiation", "$12,000", "you"]
CHLOE = ["Chloé Martin", "", "chloe@example.com", "", None, "", "Met at trade fair", None, "New",
         900, ""]


def leads(*rows) -> dict[str, list[list]]:
    """A workbook of just a Leads tab with HEADER and ``rows``."""
    return {"Leads": [HEADER] + [list(r) for r in rows]}


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
