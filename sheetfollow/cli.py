"""The ``sheetfollow`` command: parses options, calls the library, prints results."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from typing import NoReturn

import click

from . import __version__, api, runlog
from .cli_daily import calendar, log_file_option, watch
from .cli_google import doctor, google_options
from .cli_metrics import metrics
from .errors import SheetfollowError
from .progress import Progress

CONTEXT = {"help_option_names": ["-h", "--help"]}


class _Date(click.ParamType):
    name = "YYYY-MM-DD"

    def convert(self, value, param, ctx):
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            self.fail(f"'{value}' is not a date; use YYYY-MM-DD, e.g. 2026-11-23", param, ctx)


DATE = _Date()
today_option = click.option("--today", type=DATE, default=None,
                            help="Pretend today is this date (default: today in the Settings' "
                                 "time zone).")
templates_option = click.option("--templates", "templates", metavar="DIR", default=None,
                                type=click.Path(file_okay=False),
                                help="A folder of .j2 templates overriding the shipped ones.")
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for machines.")


def google(credentials, oauth_client) -> dict:
    """The Google options a command was given (Excel targets take none)."""
    return {k: v for k, v in (("credentials", credentials), ("oauth_client", oauth_client)) if v}


def run(action):
    """Turn the library's errors into one-line messages and the right exit status."""
    try:
        return action()
    except SheetfollowError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(exc.exit_code)


@click.group(context_settings=CONTEXT)
@click.version_option(__version__, "--version", prog_name="sheetfollow")
def cli():
    """Follow up on every lead in your spreadsheet: next dates, flags, drafts and a Due tab.

    TARGET is an Excel workbook (.xlsx, .xlsm), a Google Sheets URL, or gsheet:KEY.
    """


@cli.command(context_settings=CONTEXT)
@click.argument("path")
@click.option("--example", is_flag=True, help="Fill the new workbook with example leads.")
@today_option
@google_options
def init(path, example, today, credentials, oauth_client):
    """Create a new workbook (PATH.xlsx), or set up an empty Google Sheet (its URL or gsheet:KEY),
    with every tab, dropdowns and date formats."""
    created = run(lambda: api.init(path, example=example, today=today,
                                   credentials=credentials, oauth_client=oauth_client))
    click.echo(f"Created {created}. Add your leads to the Leads tab, then run: "
               f"sheetfollow sync {created}")


@cli.command(context_settings=CONTEXT)
@click.argument("target")
@today_option
@click.option("--dry-run", is_flag=True, help="Print the changes instead of writing them.")
@json_option
@click.option("--quiet", "-q", is_flag=True, help="Print nothing unless something failed.")
@templates_option
@google_options
@log_file_option
def sync(target, today, dry_run, as_json, quiet, templates, credentials, oauth_client, log_file):
    """Recompute next dates, flags and drafts, and write them and the Due tab."""
    progress = Progress.for_terminal(quiet=quiet, as_json=as_json)
    report = run(lambda: runlog.logged(log_file, target, lambda: api.sync(
        target, today, dry_run=dry_run, templates=templates, progress=progress,
        **google(credentials, oauth_client))))
    plan = report.plan
    if as_json:
        data = report.to_json()
        if dry_run:
            data["change_set"] = plan.changes.to_json()
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    if dry_run:
        lines = plan.changes.describe()
        for line in lines:
            click.echo(line)
        click.echo(f"Dry run: {len(lines)} changes, nothing written." if lines
                   else "Dry run: nothing to change.")
    for problem in plan.problems:
        click.echo(f"Warning: {problem}", err=True)
    _keep(report)
    if quiet:
        return
    click.echo(runlog.summary_line(report))


@cli.command(context_settings=CONTEXT)
@click.argument("target")
@today_option
@click.option("--week", is_flag=True, help="Also list the follow-ups of the coming days.")
@json_option
@templates_option
@google_options
def due(target, today, week, as_json, templates, credentials, oauth_client):
    """Print today's follow-ups (read only)."""
    plan = run(lambda: api.plan(target, today, templates=templates,
                                **google(credentials, oauth_client)))
    items = plan.due + (plan.upcoming if week else [])
    if as_json:
        from .changeset import json_value

        click.echo(json.dumps([{k: json_value(v) for k, v in vars(i).items()} for i in items],
                              indent=2, ensure_ascii=False))
        return
    if not items:
        click.echo(f"Nothing due on {plan.today}. " + (
            f"{len(plan.upcoming)} follow-ups in the next {plan.settings.upcoming_days} days "
            "(--week lists them)." if plan.upcoming and not week else ""))
        return
    for item in items:
        when = (f"{item.days_overdue}d overdue" if item.days_overdue else
                "today" if item.due == plan.today else item.due.isoformat())
        company = f" ({item.company})" if item.company else ""
        click.echo(click.style(f"{when:>12}  {item.name}{company}", bold=True)
                   + f"  {item.channel} {item.to}  [{item.step}] {item.lead_id}")
        if item.subject:
            click.echo(f"{'':14}Subject: {item.subject}")
        for line in item.message.splitlines():
            click.echo(f"{'':14}{line}")
        click.echo()


@cli.command(context_settings=CONTEXT)
@click.argument("target")
@today_option
@json_option
@templates_option
@google_options
def check(target, today, as_json, templates, credentials, oauth_client):
    """Validate columns, data, settings, cadence and templates; exit 1 on errors."""
    report = run(lambda: api.check(target, today, templates=templates,
                                   **google(credentials, oauth_client)))
    if as_json:
        click.echo(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
    else:
        for error in report.errors:
            click.echo(f"Error: {error}")
        for warning in report.warnings:
            click.echo(f"Warning: {warning}")
        click.echo("OK: ready to sync." if not report.errors else
                   f"{len(report.errors)} error(s) to fix.")
    if report.errors:
        sys.exit(1)


@cli.command(context_settings=CONTEXT)
@click.argument("target")
@click.argument("lead")
@today_option
@templates_option
@google_options
def preview(target, lead, today, templates, credentials, oauth_client):
    """Show the next draft for one LEAD (its ID or part of its name)."""
    result, draft = run(lambda: api.preview(target, lead, today, templates=templates,
                                            **google(credentials, oauth_client)))
    outcome = result.outcome
    click.echo(f"{result.lead.name} ({result.lead.id}): {result.flag}")
    click.echo(f"Next: {outcome.step_label} on {outcome.next_date}")
    click.echo()
    if draft.subject:
        click.echo(f"Subject: {draft.subject}")
        click.echo()
    click.echo(draft.body)


cli.add_command(doctor)
cli.add_command(watch)
cli.add_command(calendar)
cli.add_command(metrics)


# What commands made, kept from being freed when the program ends (see ``main``); None when the
# commands are run some other way (tests run ``cli`` itself).
_made: list | None = None


def _keep(result) -> None:
    if _made is not None:
        _made.append(result)


def main() -> NoReturn:
    """The ``sheetfollow`` program (and ``python -m sheetfollow``): ``cli``, then the process ends
    at once. Python would otherwise free, object by object, all that a sync made and still
    holds, then its own modules: a tenth of a second after 10,000 leads, for nothing. Every
    file a command writes is saved and closed before it returns; the output is flushed here,
    and the exit status is the command's."""
    global _made
    _made = []
    try:
        cli(prog_name="sheetfollow")
        status = 0
    except SystemExit as exc:  # how click ends, whatever happened
        status = exc.code
    if status is None:
        status = 0
    elif not isinstance(status, int):
        print(status, file=sys.stderr)
        status = 1
    if "logging" in sys.modules:  # (a library's log files; sheetfollow has none)
        sys.modules["logging"].shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: as Python itself reports it at exit
            status = status or 120
    os._exit(status)
