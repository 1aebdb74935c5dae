"""``watch`` (the loop, with a fake clock, and the command), the run log and the progress line."""

import datetime as dt
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from click.testing import CliRunner

from sheetfollow import api
from sheetfollow.cli import cli
from sheetfollow.cli_daily import watch
from sheetfollow.errors import LockedError, WorkbookError
from sheetfollow.newbook import create_excel_workbook
from sheetfollow.progress import Progress
from sheetfollow.runlog import log_line, logged, record, redact, summary_body, summary_line
from sheetfollow.watch import parse_every
from sheetfollow.watch import watch as loop

TODAY = dt.date(2026, 11, 23)


@pytest.fixture
def workbook(tmp_path):
    path = tmp_path / "leads.xlsx"
    create_excel_workbook(path, example=True, today=TODAY)
    return path


class FakeTime:
    """A monotonic clock that only moves when the loop sleeps (or a sync takes time)."""

    def __init__(self):
        self.now = 1000.0
        self.sleeps = []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(round(seconds, 6))
        self.now += seconds

    def wall(self):
        return dt.datetime(2026, 11, 23, 7, 30) + dt.timedelta(seconds=self.now - 1000.0)


def run_loop(sync, every=60.0, **kwargs):
    fake = FakeTime()
    ticks = []
    count = loop(sync, every, on_tick=ticks.append, sleep=fake.sleep, clock=fake.clock,
                 now=fake.wall, **kwargs)
    return count, ticks, fake


# ---------------------------------------------------------------- intervals

@pytest.mark.parametrize("text, seconds", [
    ("90s", 90), ("30m", 1800), ("2h", 7200), ("1d", 86400), ("1h30m", 5400), (" 45M ", 2700),
    ("1.5h", 5400), ("1m", 60), ("10s", 10), ("1s", 1),
])
def test_intervals(text, seconds):
    assert parse_every(text) == seconds


@pytest.mark.parametrize("text, message", [
    ("30", "is not an interval"), ("", "is not an interval"), ("5x", "is not an interval"),
    ("m", "is not an interval"), ("0s", "too short"), ("0.5m", "too short"),
    ("0.5s", "too short"),
])
def test_bad_intervals(text, message):
    with pytest.raises(ValueError, match=message):
        parse_every(text)


def test_every_option_rejects_bad_interval():
    result = CliRunner().invoke(watch, ["x.xlsx", "--every", "soon"])
    assert result.exit_code == 2 and "'soon' is not an interval" in result.output


# ---------------------------------------------------------------- the loop

def test_ticks_keep_the_rhythm():
    count, ticks, fake = run_loop(lambda: "ok", 60.0, ticks=3)
    assert count == 3 and [t.result for t in ticks] == ["ok"] * 3
    assert fake.sleeps == [60.0, 60.0]  # no sleep after the last tick
    assert [t.started.strftime("%H:%M") for t in ticks] == ["07:30", "07:31", "07:32"]
    assert [t.next_at and t.next_at.strftime("%H:%M") for t in ticks] == ["07:31", "07:32", None]


def test_a_slow_sync_skips_the_slots_it_overran():
    fake_time = {}

    def slow():
        fake_time["fake"].now += 150  # takes two and a half intervals
        return "ok"

    fake = FakeTime()
    fake_time["fake"] = fake
    loop(slow, 60.0, on_tick=lambda t: None, ticks=2, sleep=fake.sleep, clock=fake.clock,
         now=fake.wall)
    assert fake.sleeps == [30.0]  # to the next slot at 180 s, not three syncs in a row


def test_errors_are_reported_and_the_loop_goes_on():
    outcomes = iter([WorkbookError("no Leads tab"), OSError("disk gone"),
                     LockedError("busy"), "ok"])

    def sync():
        outcome = next(outcomes)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    count, ticks, _ = run_loop(sync, ticks=4)
    assert count == 4
    assert [type(t.error).__name__ for t in ticks[:3]] == ["WorkbookError", "OSError",
                                                            "LockedError"]
    assert ticks[3].ok and ticks[3].result == "ok"


def test_a_bug_is_not_swallowed():
    with pytest.raises(ZeroDivisionError):
        run_loop(lambda: 1 / 0, ticks=3)


def test_stop_ends_the_loop_between_ticks():
    stop = threading.Event()
    seen = []

    def on_tick(tick):
        seen.append(tick.number)
        if tick.number == 2:
            stop.set()

    fake = FakeTime()
    count = loop(lambda: None, 60.0, on_tick=on_tick, stop=stop, sleep=fake.sleep,
                 clock=fake.clock)
    assert count == 2 and seen == [1, 2] and fake.sleeps == [60.0]


def test_stop_ends_a_real_wait_at_once():
    stop = threading.Event()
    threading.Timer(0.2, stop.set).start()
    started = time.monotonic()
    count = loop(lambda: None, 3600.0, on_tick=lambda t: None, stop=stop)
    assert count == 1 and time.monotonic() - started < 5


# ---------------------------------------------------------------- the command

def invoke(*args):
    return CliRunner().invoke(watch, [str(a) for a in args], catch_exceptions=False)


def test_watch_prints_one_summary_line_per_tick(workbook):
    result = invoke(workbook, "--ticks", 1)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("[") and f"] Excel workbook {workbook}, " in lines[0]
    assert lines[0].endswith("; saved.")
    assert result.stderr.startswith(f"Watching {workbook}: a sync every 30m; Ctrl-C stops.\n")
    assert result.stderr.endswith("stopped\n")


def test_watch_json_is_one_object_per_line(workbook, tmp_path):
    result = invoke(workbook, "--json", "--ticks", 2, "--every", "1s")
    assert result.exit_code == 0
    ticks = [json.loads(line) for line in result.stdout.splitlines()]
    assert [t["tick"] for t in ticks] == [1, 2]
    assert all(t["ok"] and t["leads"] == 30 for t in ticks)
    assert [t["written"] for t in ticks] == [True, False]  # the second sync changes nothing
    broken = invoke(tmp_path / "missing.xlsx", "--json", "--ticks", 1)
    error = json.loads(broken.stdout)
    assert error["ok"] is False and error["exit_code"] == 1 and "missing.xlsx" in error["error"]
    assert broken.exit_code == 0


def test_watch_quiet_prints_only_failures(workbook, tmp_path):
    quiet = invoke(workbook, "--quiet", "--ticks", 1)
    assert quiet.exit_code == 0 and quiet.output == ""
    failing = invoke(tmp_path / "missing.xlsx", "--quiet", "--ticks", 1)
    assert failing.exit_code == 0 and failing.stdout == ""
    assert failing.stderr.startswith("[") and "] Error: " in failing.stderr
    assert failing.stderr.count("\n") == 1


def test_watch_survives_a_failing_tick(workbook, monkeypatch):
    calls = []
    real = api.sync

    def flaky(target, *args, **kwargs):
        calls.append(target)
        if len(calls) == 1:
            raise LockedError("another sheetfollow run is syncing it")
        return real(target, *args, **kwargs)

    monkeypatch.setattr(api, "sync", flaky)
    result = invoke(workbook, "--ticks", 2, "--every", "1s")
    assert result.exit_code == 0 and len(calls) == 2
    assert "] Error: another sheetfollow run is syncing it (next try at " in result.stderr
    assert result.stdout.strip().endswith("; saved.")


def test_watch_log_file_gets_a_line_per_tick(workbook, tmp_path):
    log = tmp_path / "sync.log"
    invoke(workbook, "--quiet", "--ticks", 1, "--log-file", log)
    invoke(tmp_path / "missing.xlsx", "--quiet", "--ticks", 1, "--log-file", log)
    lines = log.read_text().splitlines()
    assert len(lines) == 2
    first, second = (line.split("\t") for line in lines)
    assert dt.datetime.fromisoformat(first[0]).tzinfo is not None
    assert first[1] == str(workbook) and first[2].endswith("; saved.")
    assert second[2].startswith("Error: ") and "missing.xlsx" in second[2]


def test_watch_registered_in_the_cli_if_wired():
    if "watch" not in cli.commands:
        pytest.skip("cli.py does not register watch yet")
    assert cli.commands["watch"] is watch


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_signal_stops_cleanly(workbook, signum):
    code = ("import sys; from sheetfollow.cli import cli; from sheetfollow.cli_daily import "
            "watch; watch(sys.argv[1:], prog_name='sheetfollow watch')")
    proc = subprocess.Popen([sys.executable, "-c", code, str(workbook), "--every", "1h"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = proc.stdout.readline()  # the first tick is done: now it waits an hour
        assert first.endswith("; saved.\n")
        started = time.monotonic()
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert time.monotonic() - started < 10
    assert err.endswith("stopped\n") and "Traceback" not in err


# ---------------------------------------------------------------- run log

def test_summary_line_is_what_sync_prints(workbook, tmp_path):
    twin = tmp_path / "twin" / "leads.xlsx"
    twin.parent.mkdir()
    twin.write_bytes(workbook.read_bytes())
    printed = CliRunner().invoke(cli, ["sync", str(workbook), "--today", TODAY.isoformat()])
    report = api.sync(twin, TODAY)
    assert printed.stdout == summary_line(report).replace(str(twin), str(workbook)) + "\n"


def test_logged_records_success_and_error(workbook, tmp_path):
    log = tmp_path / "runs.log"
    report = logged(log, "leads.xlsx", lambda: api.sync(workbook, TODAY, dry_run=True))
    with pytest.raises(WorkbookError):
        logged(log, "leads.xlsx", lambda: (_ for _ in ()).throw(WorkbookError("no Leads tab")))
    ok, bad = log.read_text().splitlines()
    assert ok.split("\t")[1:] == ["leads.xlsx", summary_body(report) + " (dry run)"]
    assert summary_line(report) == f"{report.target}, {summary_body(report)}"
    assert bad.split("\t")[1:] == ["leads.xlsx", "Error: no Leads tab"]
    assert logged(None, "x", lambda: 7) == 7  # no log file: just runs


def test_log_line_never_holds_secrets_or_breaks_lines():
    when = dt.datetime(2026, 11, 23, 7, 30, tzinfo=dt.timezone.utc)
    key = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----\n"
    line = log_line("https://user:hunter2@example.com/x?token=abc&gid=0",
                    f'bad key {{"private_key": "{key}"}}\nsecond line', when)
    assert line.startswith("2026-11-23T07:30:00+00:00\thttps://[removed]@example.com/x?"
                           "token=[removed]&gid=0\t")
    assert "hunter2" not in line and "MIIEvQ" not in line and "\n" not in line
    assert redact("plain text") == "plain text"


def test_log_file_that_cannot_be_written(workbook, tmp_path):
    from sheetfollow.errors import SheetfollowError

    with pytest.raises(SheetfollowError, match="cannot write to the log file"):
        record(tmp_path / "no" / "such" / "dir.log", "x", error=WorkbookError("e"))
    with pytest.raises(SheetfollowError, match="^the sync ran, but cannot write"):
        logged(tmp_path / "no" / "x.log", "x", lambda: api.sync(workbook, TODAY, dry_run=True))
    with pytest.raises(WorkbookError):  # the sync's own error wins over the log's
        logged(tmp_path / "no" / "x.log", "x",
               lambda: (_ for _ in ()).throw(WorkbookError("no Leads tab")))


# ---------------------------------------------------------------- progress

class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_only_on_a_terminal():
    assert not Progress.for_terminal(stream=io.StringIO()).enabled
    assert not Progress.for_terminal(quiet=True, stream=Terminal()).enabled
    assert not Progress.for_terminal(as_json=True, stream=Terminal()).enabled
    screen = Terminal()
    with Progress.for_terminal(stream=screen) as progress:
        progress.step("reading")
        progress.step("planning")
    assert screen.getvalue() == "\rreading...\rplanning...\r" + " " * 11 + "\r"
    silent = io.StringIO()
    Progress(False, silent).step("reading")
    assert silent.getvalue() == ""


def test_progress_pads_over_a_longer_step():
    screen = Terminal()
    progress = Progress(True, screen)
    progress.step("planning")
    progress.step("read")
    assert screen.getvalue() == "\rplanning...\rread...    "


@pytest.mark.skipif(os.name == "nt", reason="POSIX signals")
def test_signal_handlers_are_restored():
    from sheetfollow.watch import stop_on_signals

    before = signal.getsignal(signal.SIGTERM)
    with stop_on_signals(threading.Event()):
        assert signal.getsignal(signal.SIGTERM) is not before
    assert signal.getsignal(signal.SIGTERM) is before
