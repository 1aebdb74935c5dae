"""Command-line pieces for running every day: ``watch``, ``calendar`` and ``--log-file``.

cli.py registers the commands (``cli.add_command(watch)``) and puts ``log_file_option`` on
``sync``, so it imports this module; this module therefore never imports cli.py at import time
(only inside the commands, once both are loaded), and defines its own ``--today`` and
``--templates`` with the same meaning as cli.py's.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import sys
import tempfile
import threading
from pathlib import Path

import click

from . import api, runlog
from .cli_google import google_options
from .errors import SheetfollowError
from .ics import calendar_text, resolve_zone, select
from .layout import READ_TABS, SETTINGS
from .model import Grid, WorkbookData
from .planner import SyncPlan
from .progress import Progress
from .targets import open_backend
from .watch import parse_every, stop_on_signals
from .watch import watch as watch_loop

CONTEXT = {"help_option_names": ["-h", "--help"]}

log_file_option = click.option(
    "--log-file", metavar="PATH", default=None, envvar="SHEETFOLLOW_LOG_FILE",
    type=click.Path(dir_okay=False),
    help="Append one line per run to this file: the time, the target and the summary or the "
         "error (default: $SHEETFOLLOW_LOG_FILE).")


def _run(action):
    from .cli import run  # cli.py's: library errors become one-line messages and exit codes

    return run(action)


def _google(credentials, oauth_client) -> dict:
    from .cli import google

    return google(credentials, oauth_client)


class _Day(click.ParamType):
    """cli.py's YYYY-MM-DD type, looked up when a value comes (cli.py imports this module)."""

    name = "YYYY-MM-DD"

    def convert(self, value, param, ctx):
        from .cli import DATE

        return DATE.convert(value, param, ctx)


today_option = click.option("--today", type=_Day(), default=None,
                            help="Pretend today is this date (default: today in the Settings' "
                                 "time zone).")
templates_option = click.option("--templates", "templates", metavar="DIR", default=None,
                                type=click.Path(file_okay=False),
                                help="A folder of .j2 templates overriding the shipped ones.")


class _Interval(click.ParamType):
    name = "INTERVAL"

    def convert(self, value, param, ctx):
        if isinstance(value, (int, float)):
            return float(value)
        try:
            return parse_every(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


@click.command(context_settings=CONTEXT)
@click.argument("target")
@click.option("--every", type=_Interval(), default="30m", show_default=True,
              help="How often to sync: 30m, 2h, 1d... (at least 1m).")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object per line for each sync, for machines.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing unless something failed.")
@log_file_option
@templates_option
@google_options
@click.option("--ticks", type=click.IntRange(min=1), default=None, hidden=True,
              help="Stop after this many syncs (tests).")
def watch(target, every, as_json, quiet, log_file, templates, credentials, oauth_client, ticks):
    """Sync on an interval, for machines without a scheduler.

    Syncs TARGET now and then every --every until Ctrl-C (or SIGTERM). A sync that fails is
    reported on stderr and tried again at the next tick.
    """
    options = _google(credentials, oauth_client)
    last_problems: list[str] | None = None

    def sync_once():
        return runlog.logged(log_file, target,
                             lambda: api.sync(target, templates=templates, **options))

    def on_tick(tick):
        nonlocal last_problems
        stamp = f"[{tick.started:%Y-%m-%d %H:%M:%S}]"
        if not tick.ok:
            retry = f" (next try at {tick.next_at:%H:%M:%S})" if tick.next_at else ""
            click.echo(f"{stamp} Error: {tick.error}{retry}", err=True)
            if as_json:
                click.echo(json.dumps({
                    "tick": tick.number, "time": tick.started.isoformat(timespec="seconds"),
                    "ok": False, "target": target, "error": str(tick.error),
                    "exit_code": getattr(tick.error, "exit_code", 1)}, ensure_ascii=False))
            return
        report = tick.result
        problems = report.plan.problems
        if problems != last_problems:  # said once, not at every tick
            for problem in problems:
                click.echo(f"{stamp} Warning: {problem}", err=True)
            last_problems = problems
        if as_json:
            click.echo(json.dumps({"tick": tick.number,
                                   "time": tick.started.isoformat(timespec="seconds"),
                                   "ok": True, **report.to_json()}, ensure_ascii=False))
        elif not quiet:
            click.echo(f"{stamp} {runlog.summary_line(report)}")

    if not quiet:
        click.echo(f"Watching {target}: a sync every {_interval_text(every)}; "
                   "Ctrl-C stops.", err=True)
    stop = threading.Event()
    with stop_on_signals(stop):
        try:
            watch_loop(sync_once, every, on_tick=on_tick, stop=stop, ticks=ticks)
        except KeyboardInterrupt:  # a second Ctrl-C: stop at once
            click.echo("stopped (interrupted)", err=True)
            sys.exit(130)
    if not quiet:
        click.echo("stopped", err=True)


def _interval_text(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


@click.command(context_settings=CONTEXT)
@click.argument("target")
@click.option("-o", "--output", metavar="FILE.ics", required=True,
              type=click.Path(dir_okay=False, allow_dash=True),
              help="The calendar file to write (- for standard output).")
@today_option
@click.option("--days", metavar="N", type=click.IntRange(0, 60), default=None,
              help="Include the follow-ups of the next N days, 0 to 60 (default: the "
                   "Settings' Upcoming Days).")
@templates_option
@google_options
def calendar(target, output, today, days, templates, credentials, oauth_client):
    """Write the coming follow-ups as calendar events (.ics), for time-blocking.

    Emails start at the Settings' Email Time, calls fill the Call Blocks; overdue follow-ups
    are placed today. Import a newer file later: the events are updated, not duplicated.
    """
    progress = Progress.for_terminal()
    with progress:
        plan, sheet_zone = _run(lambda: calendar_plan(
            target, today, days, templates=templates, progress=progress,
            **_google(credentials, oauth_client)))
        zone, zone_problems = resolve_zone(plan.settings.time_zone, sheet_zone)
        items = select(plan.due, plan.upcoming, plan.today, plan.settings.upcoming_days)
        text = calendar_text(items, plan.settings, plan.today, zone)
        progress.step("writing")
        if output == "-":
            sys.stdout.flush()
            sys.stdout.buffer.write(text.encode("utf-8"))  # bytes: CRLF line ends kept as is
            sys.stdout.buffer.flush()
        else:
            _run(lambda: write_file(Path(output), text.encode("utf-8")))
    for problem in plan.problems + zone_problems:
        click.echo(f"Warning: {problem}", err=True)
    last = max((i.due for i in items), default=plan.today)
    where = f"in {zone.key} time" if zone else "in local time"
    message = (f"{len(items)} follow-up{'s' if len(items) != 1 else ''} "
               f"({len(plan.due)} due or overdue, placed today) from {plan.today} to {last}, "
               f"{where}")
    if output == "-":
        click.echo(f"Wrote {message}.", err=True)
    else:
        click.echo(f"Wrote {output}: {message}. Import it into your calendar; importing a newer "
                   "one updates the same events.")


def calendar_plan(target: str, today, days: int | None, *, templates=None,
                  progress: Progress | None = None, **options) -> tuple[SyncPlan, str | None]:
    """The plan a calendar is made from, looking ``days`` ahead (default: Upcoming Days), and
    the spreadsheet's own time zone (Google Sheets; None for Excel)."""
    progress = progress or Progress(False)
    with api.batch_job():
        backend = open_backend(target, **options)
        progress.step("reading")
        data = backend.read(READ_TABS)
        if days is not None:
            data = with_upcoming_days(data, days)
        progress.step("planning")
        # api's own planning step, so the calendar shows exactly what a sync would write.
        return api._plan_from(data, backend, today, templates), data.time_zone


def with_upcoming_days(data: WorkbookData, days: int) -> WorkbookData:
    """The workbook as read, with Upcoming Days set to ``days`` (a last Settings row wins):
    the planner drafts only the follow-ups within Upcoming Days."""
    grid = data.grid(SETTINGS)
    rows = [list(r) for r in grid.rows] if grid else []
    rows.append(["Upcoming Days", str(days)])
    name = grid.name if grid else SETTINGS
    grids = {**data.grids, name: Grid(name, rows, set(grid.formulas) if grid else set())}
    tabs = data.tab_names if grid else [*data.tab_names, name]
    return dataclasses.replace(data, tab_names=list(tabs), grids=grids)


def write_file(path: Path, data: bytes) -> None:
    """Replace ``path`` atomically: a calendar app watching the file never reads half of it."""
    try:
        mode = path.stat().st_mode & 0o777
    except OSError:
        mode = 0o666 & ~_umask()  # what open() would give a new file
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise SheetfollowError(f"cannot write {path}: {exc.strerror or exc}; check that its "
                               "folder exists and that you may write there") from exc
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        with contextlib.suppress(OSError):
            os.chmod(temp, mode)
        os.replace(temp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise SheetfollowError(f"cannot write {path}: {exc.strerror or exc}") from exc


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
