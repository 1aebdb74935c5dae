"""A workbook on the Google Sheets backend, behind the test-facing interface of conftest's Book.

The sheet lives in a FakeSheets server (real gspread and google-auth over loopback HTTP); the sync
runs through ``api.sync("gsheet:KEY")`` with SHEETFOLLOW_SHEETS_API and a service account key
file pointing at the fake, so the whole product path, authentication included, is exercised.
Also the small pipeline the Google tests share, and ``comparable`` to compare two spreadsheets.
"""

from __future__ import annotations

import atexit
import copy
import datetime as dt
import json
import os
from pathlib import Path
from unittest import mock

from fakesheets import FakeSheets
from helpers import ANA, BEN, CHLOE, HEADER, MON, TUE, Book, leads  # noqa: F401 (re-exported)

from sheetfollow import api
from sheetfollow.changeset import column_letter

_shared: FakeSheets | None = None




def names_to(book: GoogleBook, *headers: str) -> dict:
    """Lead name -> the values of ``headers`` on its row."""
    rows = book.rows("Leads")
    cols = [rows[0].index(h) for h in headers]
    return {r[0]: tuple(r[c] for c in cols) for r in rows[1:] if r[0]}


def comparable(fake: FakeSheets, key: str) -> dict:
    """Everything about a spreadsheet, with what legitimately differs between two spreadsheets
    synced the same way left out: tab IDs (random for the tabs a sync adds) become the tabs'
    titles wherever they appear (properties, merges, chart ranges)."""
    snapshot = fake.snapshot(key)
    titles = {s["properties"]["sheetId"]: s["properties"]["title"] for s in snapshot["sheets"]}

    def named(value):
        if isinstance(value, dict):
            return {k: titles.get(v, v) if k == "sheetId" else named(v) for k, v in value.items()}
        if isinstance(value, list):
            return [named(v) for v in value]
        return value

    return named(snapshot)


def shared_fake() -> FakeSheets:
    """One fake server for the whole test run (each book gets its own spreadsheet in it)."""
    global _shared
    if _shared is None:
        _shared = FakeSheets().start()
        atexit.register(_shared.stop)
    return _shared


class GoogleBook(Book):
    kind = "google"

    def __init__(self, tabs: dict[str, list[list]], tmp_path: Path,
                 fake: FakeSheets | None = None):
        self.fake = fake or shared_fake()
        # RAW: text stays text ("$12,000", "+44 ..."), as in the Excel books; dates get a format.
        self.key = self.fake.create_spreadsheet("Pipeline", tabs, value_input="RAW")
        self.credentials = tmp_path / "service-account.json"
        self.credentials.write_text(json.dumps(self.fake.service_account_info()))

    def copy(self) -> GoogleBook:
        """The same sheet as a new spreadsheet in the same fake, as "Make a copy" gives."""
        twin = copy.copy(self)
        twin.key = self.fake.copy_spreadsheet(self.key)
        return twin

    @property
    def target(self) -> str:
        return f"gsheet:{self.key}"

    def env(self) -> dict[str, str]:
        return {**self.fake.env(), "GOOGLE_APPLICATION_CREDENTIALS": str(self.credentials)}

    def sync(self, today: dt.date, **options) -> api.SyncReport:
        options.setdefault("sleep", lambda seconds: None)
        with mock.patch.dict(os.environ, self.env()):
            try:
                return api.sync(self.target, today, **options)
            finally:
                assert self.fake.server_errors == []

    def rows(self, tab: str) -> list[list]:
        """Values as UNFORMATTED_VALUE reads them (dates as numbers, a link as its label), ""
        as None, and every row padded to the tab's width (the API drops trailing empties)."""
        rows = [[None if v == "" else v for v in r] for r in self.fake.get_values(self.key, tab)]
        width = max((len(r) for r in rows), default=0)
        return [r + [None] * (width - len(r)) for r in rows]

    def set(self, tab: str, row: int, col: int, value) -> None:
        """Type a value into one cell, as a user would (None or "" empties it)."""
        self.fake.set_values(self.key, tab, [["" if value is None else value]],
                             f"{column_letter(col)}{row}", value_input="RAW")

    def tabs(self) -> list[str]:
        return [p["title"] for p in self.fake.sheet_properties(self.key)]

    def merge(self, tab: str, *refs: str) -> None:
        """Merge cells (``"C1:D1"``), as a user would."""
        for ref in refs:
            self.fake.merge_cells(self.key, tab, ref)

    def merges(self, tab: str) -> list[str]:
        return sorted(self.fake.merges(self.key, tab))
