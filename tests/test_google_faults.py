"""A Google Sheets sync disturbed half-way (issue 5): the network failing at each of its requests,
a write whose answer is lost, and people editing the sheet between the read and the write.

Each disturbed sheet is compared with an undisturbed twin synced the same way: a failed sync leaves
the sheet exactly as it was (or, for a write Google applied although the client gave up, fully
written), and after the next sync the two are the same, cell for cell (fake snapshots, tab IDs
aside). Nothing here touches the network (SPEC 11.7).
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
from unittest import mock

import pytest
from click.testing import CliRunner
from fakesheets import FakeSheets
from googlebook import ANA, BEN, CHLOE, HEADER, MON, TUE, GoogleBook, comparable, leads, names_to

from sheetfollow.backends.google import GoogleBackend
from sheetfollow.cli import cli
from sheetfollow.layout import LOG_HEADER

WED = TUE + dt.timedelta(days=1)
TIMEOUT = 0.3  # seconds the backend waits for an answer in these tests
LATE = 1.0  # seconds the fake takes to answer a request that "times out"
TRIES = 5  # attempts per request (RetryPolicy)
# How each request of a sync shows in the fake's "path?query": the read (the whole spreadsheet),
# the re-read of Leads and Due just before writing (the only request with ranges), the write.
STEPS = {"read": "fields=properties", "re-read": "ranges=", "write": ":batchUpdate"}
STAGE = HEADER.index("Stage") + 1


@pytest.fixture
def fake():
    with FakeSheets() as server:
        yield server
        assert server.server_errors == []


@pytest.fixture(scope="module")
def monday(tmp_path_factory):
    """A sheet synced on Monday, in a fake server the module's tests share."""
    with FakeSheets() as server:
        book = GoogleBook(leads(ANA, BEN, CHLOE), tmp_path_factory.mktemp("monday"), server)
        assert book.sync(MON).written
        yield book


@pytest.fixture
def pair(monday, tmp_path, monkeypatch):
    """Two copies of the Monday sheet: one to disturb on Tuesday, and its twin. The product
    runs with a short timeout and retries without pausing."""
    for name in ("SHEETFOLLOW_SERVICE_ACCOUNT_JSON", "SHEETFOLLOW_OAUTH_CLIENT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    monkeypatch.setattr(GoogleBackend, "__init__",
                        functools.partialmethod(GoogleBackend.__init__, timeout=TIMEOUT))
    yield [monday.copy(), monday.copy()]
    fake = monday.fake
    fake.wait_idle()
    fake.clear_faults()
    assert fake.server_errors == []


def sync(book: GoogleBook, day: dt.date):
    """``sheetfollow sync`` on the book, as cron runs it; returns once the fake is idle (a
    request the client gave up on may still be landing)."""
    with mock.patch.dict(os.environ, book.env()):
        result = CliRunner().invoke(cli, ["sync", book.target, "--today", day.isoformat()])
    book.fake.wait_idle()
    return result


def inject(fake: FakeSheets, fault: str, step: str, times: int) -> None:
    where = STEPS[step]
    if fault == "drop":
        fake.drop_next(times, where)
    elif fault == "timeout":
        fake.delay_next(times, LATE, where)
    else:
        fake.fail_next(times, 500, path_contains=where)


def assert_one_line_error(result, *needles: str) -> None:
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in result.stderr, result.stderr


def ticked_touches(book: GoogleBook, lead_id: str) -> list[list]:
    """The lead's touches the Log got from a Done tick."""
    event, id_at, source = (LOG_HEADER.index(h) for h in ("Event", "ID", "Source"))
    return [r for r in book.rows("Log")[1:]
            if r[event] == "touch" and r[id_at] == lead_id and r[source] == "done"]


def tick(book: GoogleBook, name: str) -> None:
    """Tick Done on the lead's row of the Due tab."""
    row = next(i for i, r in enumerate(book.rows("Due"), 1) if r[3] == name)
    book.set("Due", row, 1, True)


def test_an_undisturbed_tuesday_sync_makes_all_three_requests(pair):
    """The premise of the tests below: each step they disturb happens."""
    book, _ = pair
    book.fake.reset_requests()
    assert sync(book, TUE).exit_code == 0
    read, reread, write = book.fake.api_requests
    assert read.query["fields"][0].startswith("properties") and "ranges" not in read.query
    assert "ranges" in reread.query
    assert write.method == "POST" and write.path.endswith(STEPS["write"])


# ---------------------------------------------------------------- the network fails


@pytest.mark.parametrize("fault", ["drop", "timeout", "500"])
@pytest.mark.parametrize("step", list(STEPS))
def test_a_fault_outlasting_the_retries_is_one_line_and_the_next_sync_converges(
        pair, step, fault):
    book, twin = pair
    fake = book.fake
    assert sync(twin, TUE).exit_code == 0
    before = fake.snapshot(book.key)
    inject(fake, fault, step, TRIES)
    result = sync(book, TUE)
    if fault == "500":
        assert_one_line_error(result, "Google Sheets kept answering 500 Internal Server Error "
                                      f"after {TRIES} tries")
    else:
        assert_one_line_error(result, "could not reach Google Sheets", f"after {TRIES} tries")
    if step == "write":
        assert "the changes may or may not be saved (never half)" in result.stderr
    if (step, fault) == ("write", "timeout"):
        # Google went on and applied the write after the client gave up: all of it.
        assert comparable(fake, book.key) == comparable(fake, twin.key)
    else:
        assert fake.snapshot(book.key) == before
    assert sync(book, TUE).exit_code == 0
    assert comparable(fake, book.key) == comparable(fake, twin.key)


@pytest.mark.parametrize("fault", ["drop", "timeout", "500"])
@pytest.mark.parametrize("step", list(STEPS))
def test_a_fault_the_retry_gets_past_leaves_the_sheet_fully_written(pair, step, fault):
    book, twin = pair
    fake = book.fake
    assert sync(twin, TUE).exit_code == 0
    inject(fake, fault, step, 1)
    result = sync(book, TUE)
    assert result.exit_code == 0, result.output
    assert comparable(fake, book.key) == comparable(fake, twin.key)
    assert not book.sync(TUE).written


# ---------------------------------------------------------------- a write whose answer is lost

LOST = {  # the write is applied, then the client sees...
    "dropped": lambda fake, n: fake.drop_next(n, ":batchUpdate", apply_first=True),
    "timed out": lambda fake, n: fake.delay_next(n, LATE, ":batchUpdate", apply_first=True),
    "504": lambda fake, n: fake.fail_next(n, 504, path_contains=":batchUpdate",
                                          apply_first=True),
}


@pytest.mark.parametrize("lost", list(LOST))
@pytest.mark.parametrize("times", [1, TRIES])
def test_a_touch_whose_write_lost_its_answer_is_logged_once(pair, lost, times):
    book, twin = pair
    fake = book.fake
    for b in pair:
        tick(b, "Ana Souza")
    assert sync(twin, TUE).exit_code == 0
    LOST[lost](fake, times)
    result = sync(book, TUE)
    assert result.exit_code == (0 if times == 1 else 1), result.output
    assert len(ticked_touches(book, "L-0001")) == 1
    assert comparable(fake, book.key) == comparable(fake, twin.key)
    for day in (TUE, WED):
        assert sync(book, day).exit_code == 0 and sync(twin, day).exit_code == 0
        assert len(ticked_touches(book, "L-0001")) == 1
        assert comparable(fake, book.key) == comparable(fake, twin.key)


@pytest.mark.parametrize("lost", ["dropped", "504"])  # timed out: see test_google.py
def test_a_first_sync_whose_answer_was_lost_succeeds_once(fake, tmp_path, lost):
    """The first write adds tabs: retried after it was applied, Google refuses it ("already
    exists"), which proves it was applied."""
    book, twin = (GoogleBook(leads(ANA, BEN), tmp_path, fake) for _ in range(2))
    twin.sync(MON)
    LOST[lost](fake, 1)
    report = book.sync(MON, timeout=TIMEOUT)
    fake.wait_idle()
    assert report.written
    assert book.tabs() == ["Leads", "Due", "_sheetfollow", "Metrics", "Log"]
    assert comparable(fake, book.key) == comparable(fake, twin.key)


# ---------------------------------------------------------------- people edit during the sync


def _ben_deleted(book: GoogleBook) -> bool:
    return "Ben Okafor" not in names_to(book, "ID") and \
        "Ben Okafor" not in [r[3] for r in book.rows("Due")]


EDITS = {  # name: (the edit, "the edit is still there", what the next sync must have done)
    "delete a lead's row": (
        lambda book: book.fake.delete_rows(book.key, "Leads", 2),  # Ben's
        lambda book: "Ben Okafor" not in names_to(book, "ID"),
        _ben_deleted),
    "edit a stage": (
        lambda book: book.set("Leads", 3, STAGE, "Won"),  # Ben's
        lambda book: names_to(book, "Stage")["Ben Okafor"] == ("Won",),
        lambda book: names_to(book, "Flag")["Ben Okafor"] == ("WON",)),
    "tick Done": (
        lambda book: tick(book, "Ana Souza"),
        lambda book: [r[0] for r in book.rows("Due") if r[3] == "Ana Souza"] == [True],
        lambda book: len(ticked_touches(book, "L-0001")) == 1),
    "rename a header": (
        lambda book: book.set("Leads", 1, STAGE, "Deal Stage"),
        lambda book: book.rows("Leads")[0][STAGE - 1] == "Deal Stage",
        lambda book: names_to(book, "Deal Stage", "Flag")["Ben Okafor"][1] == "OVERDUE 1d"),
}


@pytest.mark.parametrize("edit", list(EDITS))
def test_an_edit_during_the_sync_is_kept_and_the_next_sync_converges(pair, edit):
    """The user edits the sheet after the sync read it (the time it takes to draft every
    message): their edit stays, each lead's row gets that lead's values (or is left as it was
    and reported), and the next sync ends where a sync after the edit would have."""
    book, twin = pair
    change, kept, done = EDITS[edit]
    monday = names_to(book, "ID", "Flag", "Next Step")
    change(twin)
    assert sync(twin, TUE).exit_code == 0
    book.fake.after_next_read(lambda key: change(book), STEPS["read"])
    report = book.sync(TUE, timeout=TIMEOUT)
    assert kept(book)
    left_alone = set(re.findall(r"\((L-\d{4})\)", " ".join(report.applied.skipped_rows)))
    planned = {r.lead.id: (r.flag, r.outcome.step_label or None) for r in report.plan.leads}
    for name, (lead_id, *values) in names_to(book, "ID", "Flag", "Next Step").items():
        assert lead_id == monday[name][0]
        assert tuple(values) == (monday[name][1:] if lead_id in left_alone else planned[lead_id])
    assert book.sync(TUE).written
    assert kept(book) or edit == "tick Done"  # a tick is recorded, then the Due tab moves on
    assert done(book) and done(twin)
    assert comparable(book.fake, book.key) == comparable(book.fake, twin.key)
    assert not book.sync(TUE).written


def test_a_merge_made_during_the_sync_hides_no_written_value(pair):
    """Cells merged after the read hide all but their top-left cell: the sync does not write
    what nobody would see (and the next sync says which merge is in the way), as on Excel."""
    book, _ = pair
    flag = f"{chr(64 + len(HEADER) + 2)}3"  # Ben's Flag, right of his ID
    book.fake.after_next_read(
        lambda key: book.fake.merge_cells(key, "Leads", f"{chr(64 + len(HEADER) + 1)}3:{flag}"),
        STEPS["read"])
    assert book.sync(TUE, timeout=TIMEOUT).written
    assert book.fake.get_values(book.key, "Leads", flag) == []
    problems = book.sync(TUE).plan.problems
    assert any(p.startswith(f"Leads!{flag} (Flag) is hidden under the merged cells")
               for p in problems)


def test_a_tick_in_the_instant_before_the_write_never_goes_to_another_lead(pair):
    """A Done box ticked after the re-read, as the write is on its way: the Sheets API has no
    conditional write, so the sync cannot see it. When the new Due tab gives that row to
    another lead, the tick must not stay there and log a touch the user never made."""
    book, _ = pair
    book.set("Leads", 2, HEADER.index("Last Contact") + 1, TUE)  # Ana leaves the Due tab
    assert [r[3] for r in book.rows("Due")[1:4]] == ["Ana Souza", "Ben Okafor", "Chloé Martin"]
    book.fake.before_next_write(lambda key: tick(book, "Ben Okafor"))  # row 3, for now
    assert book.sync(TUE, timeout=TIMEOUT).written
    assert [r[3] for r in book.rows("Due")[1:3]] == ["Ben Okafor", "Chloé Martin"]
    assert book.sync(TUE).plan.done == []
    assert ticked_touches(book, "L-0003") == []
