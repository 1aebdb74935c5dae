"""Requests and bytes a Google Sheets sync sends: ``python bench/google_requests.py [N ...]``.

For each size (default 100, 1,000 and 10,000 leads from bench/generate.py), three syncs run
against the local fake Sheets API (tests/fakesheets): the first sync, an unchanged one the same
day, and the next day's (the steady state: flags and the Due tab change). A sync makes one read
(the whole spreadsheet), a re-read of the Leads and Due tabs when it writes Leads cells, and one
write (split only when over 9 MB). Beside each, the same changes applied to a twin sheet the way
a row-by-row gspread script would: one ``worksheet.update(range, [[...]])`` per changed Leads
row, ``clear`` + ``update`` (+ one update per run of links, as formulas) per rewritten tab,
``append_rows`` for the Log, ``add_worksheet`` per new tab (writes only; its reads are not
counted). Bytes sent are what goes on the wire before headers: the URL's path and query plus the
body; bytes received are the answers' bodies (mostly the read, which holds every tab's cells).
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import os
import random
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))

import fakesheets.cells  # noqa: E402
from fakesheets import FakeSheets  # noqa: E402
from generate import HEADER, _lead  # noqa: E402

from sheetfollow import api, layout  # noqa: E402
from sheetfollow.backends.google.writes import hyperlink_formula  # noqa: E402
from sheetfollow.changeset import ChangeSet, column_letter  # noqa: E402
from sheetfollow.model import EPOCH_1900, Link  # noqa: E402
from sheetfollow.newbook import workbook_tabs  # noqa: E402

TODAY = dt.date(2026, 11, 12)


def _quick_fake_dates() -> None:
    """The fake formats every date cell of each grid-data read, slowly; memoize (same result)."""
    original = fakesheets.cells.format_date

    @functools.cache
    def cached(value, kind, pattern):
        return original(value, {"type": kind, **({"pattern": pattern} if pattern else {})})

    fakesheets.cells.format_date = lambda value, fmt: cached(value, fmt.get("type"),
                                                             fmt.get("pattern"))


def workbook(n: int) -> dict[str, list[list]]:
    rng = random.Random(1)
    emails: list[str] = []
    rows = [list(HEADER)]
    for _ in range(n):
        lead = _lead(rng, TODAY, emails)
        rows.append([lead.get(h) for h in HEADER])
    tabs = workbook_tabs(False, TODAY)
    return {"Leads": rows, layout.SETTINGS: tabs[layout.SETTINGS],
            layout.CADENCE: tabs[layout.CADENCE]}


def traffic(fake: FakeSheets) -> tuple[int, int, int]:
    """(Sheets API requests, bytes of their URLs and bodies, bytes of the answers) since the
    last reset."""
    calls = fake.api_requests
    sent = 0
    for r in calls:
        query = "&".join(f"{k}={v}" for k, vs in r.query.items() for v in vs)
        sent += len(r.raw_path) + len(query) + r.body_bytes
    return len(calls), sent, sum(r.response_bytes for r in calls)


def plain(value):
    """A written value as a row-by-row script would send it (RAW); a link as its label."""
    if isinstance(value, dt.date):
        return (value - EPOCH_1900).days
    if isinstance(value, Link):
        return value.label
    return "" if value is None else value


def row_by_row(fake: FakeSheets, key: str, changes: ChangeSet) -> None:
    """Apply ``changes`` with gspread the naive way (see the module docstring)."""
    gc = fake.gspread_client()
    sheet = gc.open_by_key(key)
    tabs = {ws.title: ws for ws in sheet.worksheets()}
    current = {t: fake.get_values(key, t) for t in tabs}
    fake.reset_requests()
    by_row: dict[tuple[str, int], dict[int, object]] = {}
    for c in changes.cells:
        by_row.setdefault((c.tab, c.row), {})[c.col] = c.value
    for (tab, row), cells in sorted(by_row.items()):
        first, last = min(cells), max(cells)
        old = current[tab][row - 1] if row <= len(current[tab]) else []
        values = [plain(cells[c]) if c in cells else (old[c - 1] if c <= len(old) else "")
                  for c in range(first, last + 1)]
        ws = tabs[tab]
        if last > ws.col_count:
            ws.add_cols(last - ws.col_count)
        ws.update(values=[values], range_name=f"{column_letter(first)}{row}:"
                                              f"{column_letter(last)}{row}", raw=True)
    for t in changes.tabs:
        rows = [[plain(v) for v in r] for r in t.rows]
        ws = tabs.get(t.tab)
        if ws is None:
            ws = tabs[t.tab] = sheet.add_worksheet(t.tab, max(len(rows), 1000), 26)
        else:
            ws.clear()
            if len(rows) > ws.row_count:
                ws.add_rows(len(rows) - ws.row_count)
        ws.update(values=rows, range_name="A1", raw=True)
        _links(ws, t.rows)
    for a in changes.appends:
        if a.tab not in tabs:
            tabs[a.tab] = sheet.add_worksheet(a.tab, 1000, 26)
            tabs[a.tab].append_rows([a.header], value_input_option="RAW")
        tabs[a.tab].append_rows([[plain(v) for v in r] for r in a.rows],
                                value_input_option="RAW")


def _links(ws, rows: list[list]) -> None:
    """Links as HYPERLINK formulas (USER_ENTERED), one update per run of link cells."""
    cells = [(r, c, hyperlink_formula(v)) for r, row in enumerate(rows, start=1)
             for c, v in enumerate(row, start=1) if isinstance(v, Link) and hyperlink_formula(v)]
    run: list[tuple[int, int, str]] = []
    for cell in cells + [(0, 0, "")]:
        if run and (cell[1] != run[-1][1] or cell[0] != run[-1][0] + 1):
            col = column_letter(run[0][1])
            ws.update(values=[[f] for _, _, f in run],
                      range_name=f"{col}{run[0][0]}:{col}{run[-1][0]}", raw=False)
            run = []
        run.append(cell)


def run(sizes: list[int]) -> None:
    _quick_fake_dates()
    print(f"{'leads':>7}  {'sync':<10} {'requests':>8} {'bytes sent':>12} {'received':>12}   "
          f"{'row-by-row gspread':>18} {'bytes sent':>12}")
    with FakeSheets(max_body_bytes=200 * 1024 * 1024) as fake, \
            tempfile.TemporaryDirectory() as tmp:
        key_file = Path(tmp) / "key.json"
        key_file.write_text(json.dumps(fake.service_account_info()))
        os.environ.update(fake.env(), GOOGLE_APPLICATION_CREDENTIALS=str(key_file))
        for n in sizes:
            tabs = workbook(n)
            ours = fake.create_spreadsheet(f"bench {n}", tabs, value_input="RAW")
            twin = fake.create_spreadsheet(f"twin {n}", tabs, value_input="RAW")
            for kind, day in (("first", TODAY), ("unchanged", TODAY),
                              ("next day", TODAY + dt.timedelta(days=1))):
                fake.reset_requests()
                api.sync(f"gsheet:{ours}", day)
                requests, sent, received = traffic(fake)
                changes = api.plan(f"gsheet:{twin}", day).changes
                row_by_row(fake, twin, changes)
                naive, naive_sent, _ = traffic(fake)
                print(f"{n:>7,}  {kind:<10} {requests:>8} {sent:>12,} {received:>12,}   "
                      f"{naive:>18,} {naive_sent:>12,}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[100, 1000, 10_000])
    run(parser.parse_args().sizes)


if __name__ == "__main__":
    main()
