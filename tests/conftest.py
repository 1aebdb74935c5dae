"""Shared fixtures: workbooks on every backend behind one small test-facing interface.

The behaviour tests (tests/test_sync.py) take the ``book`` fixture and run once per backend, so
the Excel and Google backends are held to exactly the same behaviour.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import openpyxl
import pytest
from fakesheets import FakeSheets
from googlebook import GoogleBook
from helpers import Book, require_fixtures, serial
from hypothesis import settings

from sheetfollow import api
from sheetfollow.backends.memory import MemoryBackend
from sheetfollow.layout import READ_TABS
from sheetfollow.planner import Inputs, plan_sync
from sheetfollow.templatefiles import load_template_dir

# CI is a gate: it draws the same examples every run, so a landing never fails on a new random
# case; local runs keep exploring new examples (and hypothesis remembers any failure found).
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")

DATA = Path(__file__).resolve().parent / "data"

# Every workbook sheetfollow writes is read back by LibreOffice at the end of the session.
pytest_plugins = ["lo_record"]


@pytest.fixture(autouse=True, scope="session")
def _private_template_cache(tmp_path_factory):
    """Compiled templates go to a folder of the session's, never the user's own cache."""
    previous = os.environ.get("SHEETFOLLOW_CACHE_DIR")
    os.environ["SHEETFOLLOW_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))
    yield
    if previous is None:
        os.environ.pop("SHEETFOLLOW_CACHE_DIR", None)
    else:
        os.environ["SHEETFOLLOW_CACHE_DIR"] = previous


@pytest.fixture
def fake():
    """A fake Sheets API on loopback; a test fails if the fake itself hit an error."""
    with FakeSheets() as server:
        yield server
        assert server.server_errors == []


@pytest.fixture
def fixture_copy(tmp_path):
    """Copy a file of ../shared/fixtures into tmp_path (the originals are never modified)."""
    def copy(name: str) -> Path:
        target = tmp_path / name
        shutil.copyfile(require_fixtures() / name, target)
        return target
    return copy


class MemoryBook(Book):
    kind = "memory"

    def __init__(self, tabs: dict[str, list[list]], tmp_path: Path):
        self.backend = MemoryBackend(tabs)

    def sync(self, today, dry_run=False, **options):
        data = self.backend.read(READ_TABS)
        plan = plan_sync(data, Inputs(load_template_dir(None)), today)
        applied = None if dry_run else self.backend.apply(plan.changes)
        return api.SyncReport(self.backend.description, plan, applied)

    def rows(self, tab):
        return [list(r) for r in self.backend.tabs[tab]]

    def set(self, tab, row, col, value):
        self.backend._set(tab, row, col, value)

    def tabs(self):
        return list(self.backend.tabs)


class ExcelBook(Book):
    kind = "excel"

    def __init__(self, tabs: dict[str, list[list]], tmp_path: Path):
        self.path = tmp_path / "pipeline.xlsx"
        wb = openpyxl.Workbook()
        wb.remove(wb.active)
        for name, rows in tabs.items():
            ws = wb.create_sheet(name)
            for row in rows:
                ws.append([_to_excel(v) for v in row])
            _keep_text(ws)
        wb.save(self.path)

    def sync(self, today, **options):
        return api.sync(self.path, today, **options)

    def rows(self, tab):
        from sheetfollow.backends.excel import ExcelBackend

        data = ExcelBackend(self.path).read([tab])
        return [list(r) for r in data.grid(tab).rows]

    def set(self, tab, row, col, value):
        wb = openpyxl.load_workbook(self.path)
        wb[tab].cell(row, col).value = _to_excel(value)
        _keep_text(wb[tab])
        wb.save(self.path)

    def tabs(self):
        from sheetfollow.backends.excel import ExcelBackend

        return ExcelBackend(self.path).read([]).tab_names


def _keep_text(ws):
    """openpyxl stores any string starting with '=' as a formula; a user's typed text is text."""
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"


def _to_excel(value):
    if isinstance(value, dt.date):
        return serial(value)  # the tests compare serial numbers, as every backend reads them
    return value


BACKENDS = {"memory": MemoryBook, "excel": ExcelBook, "google": GoogleBook}


@pytest.fixture(params=list(BACKENDS))
def make_book(request, tmp_path):
    """A factory: ``make_book({"Leads": [[header...], [row...]]})`` on each backend in turn."""
    def make(tabs: dict[str, list[list]]) -> Book:
        return BACKENDS[request.param](tabs, tmp_path)
    return make
