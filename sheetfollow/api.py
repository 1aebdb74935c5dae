"""The library: the same operations as the command line, for ``import sheetfollow``.

This is the layer that does I/O around the pure core: it opens the target, reads the clock
when no ``today`` is given, loads template files, and applies the planned change set.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .backends.base import ApplyResult, Backend
from .collector import paused
from .drafts import Draft, TemplateLibrary
from .errors import SheetfollowError
from .layout import READ_TABS, TEMPLATES
from .lock import target_lock
from .model import WorkbookData
from .parallel import fork_start
from .planner import Inputs, LeadResult, SyncPlan, plan_sync
from .progress import Progress
from .settings import read_settings
from .targets import open_backend
from .templatefiles import compiled_templates, load_template_dir


@dataclass
class SyncReport:
    """What a sync did: the plan (leads, due items, change set) and what was written."""

    target: str
    plan: SyncPlan
    applied: ApplyResult | None  # None for a dry run

    @property
    def written(self) -> bool:
        return bool(self.applied and self.applied.written)

    def to_json(self) -> dict:
        plan = self.plan
        return {
            "target": self.target,
            "today": plan.today.isoformat(),
            "dry_run": self.applied is None,
            "written": self.written,
            "leads": len(plan.leads),
            "due": len(plan.due),
            "overdue": sum(1 for d in plan.due if d.days_overdue > 0),
            "upcoming": len(plan.upcoming),
            "new_ids": plan.new_ids,
            "touches_logged": sum(1 for e in plan.events if e.kind == "touch"),
            "stage_changes_logged": sum(1 for e in plan.events if e.kind == "stage"),
            "done_recorded": plan.done,
            "invalid": [{"id": r.lead.id, "row": r.lead.row, "flag": r.flag}
                        for r in plan.leads if r.flag.startswith("INVALID")],
            "problems": plan.problems,
            "changes": plan.changes.counts(),
            "skipped_rows": self.applied.skipped_rows if self.applied else [],
        }


def batch_job():
    """Pause Python's cycle collector while a sync runs (see collector.paused)."""
    return paused()


def sync(target: str | os.PathLike, today: dt.date | None = None, *, dry_run: bool = False,
         templates: str | os.PathLike | None = None, progress: Progress | None = None,
         **options) -> SyncReport:
    """Recompute every lead and write the results into the workbook (unless ``dry_run``).

    One run at a time per target: a second one waits briefly, then raises LockedError.
    """
    progress = progress or Progress(False)
    with target_lock(os.fspath(target)), batch_job(), progress:
        backend = open_backend(target, **options)
        progress.step("reading")
        data = backend.read(READ_TABS)
        progress.step("planning")
        plan = _plan_from(data, backend, today, templates)
        del data  # the cells as read: the plan holds what it needs, the write reuses the memory
        applied = None
        if not dry_run:
            progress.step("writing")
            applied = backend.apply(plan.changes)
    return SyncReport(backend.description, plan, applied)


def plan(target: str | os.PathLike, today: dt.date | None = None, *,
         templates: str | os.PathLike | None = None, **options) -> SyncPlan:
    """What a sync would do, without writing anything (``due``, ``check``, ``preview``)."""
    with batch_job():
        return _plan(open_backend(target, **options), today, templates)


def preview(target: str | os.PathLike, lead: str, today: dt.date | None = None, *,
            templates: str | os.PathLike | None = None, **options) -> tuple[LeadResult, Draft]:
    """The next draft for one lead (by ID or by part of its name), due or not."""
    from .messages import draft_context

    backend = open_backend(target, **options)
    data = backend.read(READ_TABS)
    result_plan = _plan_from(data, backend, today, templates)
    result = find_lead(result_plan.leads, lead)
    outcome = result.outcome
    if outcome.step is None:
        raise SheetfollowError(f"{result.lead.name} ({result.lead.id}) has no next follow-up: "
                               f"it is {result.flag.split(' · ')[0]}")
    if result.draft is not None:
        return result, result.draft
    grid = data.grid(TEMPLATES)
    library = TemplateLibrary(load_template_dir(templates), grid.rows[1:] if grid else (),
                              compiled_templates())
    from .drafts import DraftError

    try:
        draft = library.render(outcome.step.template, outcome.step.channel,
                               *draft_context(result.lead, outcome, result_plan.settings),
                               result_plan.today)
    except DraftError as exc:
        raise SheetfollowError(f"the draft for {result.lead.name} cannot be made: {exc}; "
                               "fix the template and run preview again") from None
    return result, draft


def find_lead(leads: list[LeadResult], wanted: str) -> LeadResult:
    """A lead by exact ID, exact name, or a unique part of its name (case-insensitive)."""
    key = wanted.strip().casefold()
    for test in (lambda r: r.lead.id.casefold() == key,
                 lambda r: r.lead.name.casefold() == key,
                 lambda r: key in r.lead.name.casefold()):
        found = [r for r in leads if test(r)]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            names = ", ".join(f"{r.lead.name} ({r.lead.id})" for r in found[:5])
            raise SheetfollowError(f"'{wanted}' matches several leads: {names}; use the ID")
    raise SheetfollowError(f"no lead matches '{wanted}': give its ID (e.g. L-0007) or its name")


def _plan(backend: Backend, today: dt.date | None, templates) -> SyncPlan:
    return _plan_from(backend.read(READ_TABS), backend, today, templates)


def _plan_from(data: WorkbookData, backend: Backend, today, templates) -> SyncPlan:
    used_width = getattr(backend, "used_width", None)
    leads_name = data.find_tab("Leads")
    inputs = Inputs(load_template_dir(templates),
                    used_width(leads_name) if used_width and leads_name else None,
                    start=fork_start, compiled=compiled_templates())
    return plan_sync(data, inputs, today or today_for(data))


def today_for(data: WorkbookData) -> dt.date:
    """Today in the Settings' time zone, else the spreadsheet's (Google), else this computer's."""
    settings, _ = read_settings(data.grid("Settings"), data.date_epoch)
    zone = settings.time_zone or data.time_zone
    if zone:
        try:
            return dt.datetime.now(ZoneInfo(zone)).date()
        except (ZoneInfoNotFoundError, ValueError):
            pass  # reported by check; the local date is the best guess
    return dt.date.today()


def init(path: str | os.PathLike, *, example: bool = False, today: dt.date | None = None,
         **options) -> str:
    """Create a new workbook with every tab; ``example`` fills it with realistic leads.

    For a Google Sheet (URL or gsheet:KEY) the sheet must exist and be empty: sheetfollow cannot
    create spreadsheets in your Drive, only set up one you shared with it.
    """
    from .newbook import create_excel_workbook, workbook_tabs
    from .targets import is_google

    today = today or dt.date.today()
    if is_google(os.fspath(path)):
        backend = open_backend(path, **options)
        backend.initialize(workbook_tabs(example, today))
        return backend.description
    create_excel_workbook(path, example=example, today=today)
    return os.fspath(path)


@dataclass
class CheckReport:
    """``check``'s findings: errors make it exit 1, warnings are advice."""

    errors: list[str]
    warnings: list[str]

    def to_json(self) -> dict:
        return {"ok": not self.errors, "errors": self.errors, "warnings": self.warnings}


def check(target: str | os.PathLike, today: dt.date | None = None, *,
          templates: str | os.PathLike | None = None, **options) -> CheckReport:
    """Validate columns, data, settings, cadence and templates without writing anything."""
    backend = open_backend(target, **options)
    data = backend.read(READ_TABS)
    try:
        result = _plan_from(data, backend, today, templates)
    except SheetfollowError as exc:
        return CheckReport([str(exc)], [])
    errors = list(result.problems)
    settings = result.settings
    if settings.time_zone:
        try:
            ZoneInfo(settings.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            errors.append(f"Settings (Time Zone): '{settings.time_zone}' is not a time zone; "
                          "use a name such as Europe/London or America/New_York")
    grid = data.grid(TEMPLATES)
    library = TemplateLibrary(load_template_dir(templates), grid.rows[1:] if grid else (),
                              compiled_templates())
    errors += library.check()
    warnings = []
    for r in result.leads:
        if r.flag.startswith("INVALID"):
            errors.append(f"Leads row {r.lead.row} ({r.lead.name or 'no name'}): {r.flag}")
        elif " · " in r.flag:
            warnings.append(f"Leads row {r.lead.row} ({r.lead.name}): "
                            + r.flag.split(" · ", 1)[1])
    return CheckReport(errors, warnings)
