"""The one-line summary of a sync, and the run log: one line appended per run (``--log-file``),
so a scheduled sync leaves a trace a person can read with ``tail``.

A log line is ``ISO timestamp <TAB> target <TAB> summary or "Error: ..."``. It never holds
credentials: the target and the messages are stripped of anything that looks like a key.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from .errors import SheetfollowError

if TYPE_CHECKING:
    from .api import SyncReport

T = TypeVar("T")

# Secrets that could reach a message: a PEM private key (a service account's JSON pasted
# somewhere), its "private_key" field, a password in a URL, a token in a query string.
_SECRETS = (
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(-----END [A-Z ]*PRIVATE KEY-----|$)",
                re.S), "[private key removed]"),
    (re.compile(r'("private_key(?:_id)?"\s*:\s*)"[^"]*"'), r'\1"[removed]"'),
    (re.compile(r"(://)[^/@\s:]+:[^/@\s]+@"), r"\1[removed]@"),
    (re.compile(r"\b(access_token|token|key|client_secret|password)=[^&\s]+", re.I),
     r"\1=[removed]"),
)


def summary_line(report: SyncReport) -> str:
    """What ``sync`` prints: the target, today, the counts, and whether it saved."""
    return f"{report.target}, {summary_body(report)}"


def summary_body(report: SyncReport) -> str:
    """The summary without the target: ``2026-11-23: 30 leads, 5 due today (2 overdue), ...``."""
    plan = report.plan
    overdue = sum(1 for d in plan.due if d.days_overdue > 0)
    invalid = sum(1 for r in plan.leads if r.flag.startswith("INVALID"))
    touches = sum(1 for e in plan.events if e.kind == "touch")
    text = (f"{plan.today}: {len(plan.leads)} leads, {len(plan.due)} due today "
            f"({overdue} overdue), {len(plan.upcoming)} upcoming")
    if invalid:
        text += f", {invalid} to fix (flagged INVALID)"
    if touches:
        text += f"; {touches} new touch{'es' if touches != 1 else ''} logged"
    if report.applied is not None:
        text += "; saved." if report.written else "; nothing changed."
    return text


def log_line(target: str, text: str, when: dt.datetime | None = None) -> str:
    """One line of the run log (without the newline)."""
    stamp = (when or dt.datetime.now().astimezone()).isoformat(timespec="seconds")
    return "\t".join([stamp, _one_line(redact(target)), _one_line(redact(text))])


def append(path: str | os.PathLike, target: str, text: str,
           when: dt.datetime | None = None) -> None:
    """Append one line to the log file at ``path`` (created if missing)."""
    line = log_line(target, text, when) + "\n"
    try:
        # One write of one short line in append mode: lines of runs that end at the same moment
        # do not interleave.
        with open(path, "a", encoding="utf-8") as f:
            f.write(line)
    except OSError as exc:
        raise SheetfollowError(f"cannot write to the log file {os.fspath(path)}: "
                               f"{exc.strerror or exc}; check that its folder exists and that "
                               "you may write there") from exc


def record(path: str | os.PathLike | None, target: str, report: SyncReport | None = None,
           error: BaseException | None = None, when: dt.datetime | None = None) -> None:
    """Log a run's outcome: its summary, or the error that stopped it. No path, no log."""
    if path is None:
        return
    if error is not None:
        text = f"Error: {error}"
    elif report is not None:
        text = summary_body(report) + (" (dry run)" if report.applied is None else "")
    else:
        raise ValueError("record() needs a report or an error")
    append(path, target, text, when)


def logged(path: str | os.PathLike | None, target: str, action: Callable[[], T]) -> T:
    """Run ``action`` (a sync returning a SyncReport) and log how it went; errors are logged,
    then raised again. A sync that worked but cannot be logged raises the log's error."""
    try:
        result = action()
    except SheetfollowError as exc:
        # The sync's own error is the one to report; a broken log shows up on the next run.
        with contextlib.suppress(SheetfollowError):
            record(path, target, error=exc)
        raise
    try:
        record(path, target, report=result)  # type: ignore[arg-type]
    except SheetfollowError as exc:
        raise SheetfollowError(f"the sync ran, but {exc}") from exc
    return result


def redact(text: str) -> str:
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


def _one_line(text: str) -> str:
    return " ".join(text.split()) if ("\n" in text or "\r" in text or "\t" in text) else text
