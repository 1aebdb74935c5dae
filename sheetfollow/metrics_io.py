"""The Metrics figures of a workbook, read from its target: the I/O around ``metrics``."""

from __future__ import annotations

import datetime as dt
import os

from . import api
from .layout import LOG, READ_TABS
from .metrics import Metrics, compute_metrics, event_rows
from .planner import Inputs, plan_sync
from .targets import open_backend
from .templatefiles import load_template_dir


def metrics_for_target(target: str | os.PathLike, today: dt.date | None = None,
                       **options) -> Metrics:
    """The metrics as a sync on ``today`` would write them, without writing anything.

    The Log's rows are those in the workbook plus the events this sync would append, so the
    figures match the Metrics tab the sync writes.
    """
    with api.batch_job():
        backend = open_backend(target, **options)
        data = backend.read(READ_TABS)
        plan = plan_sync(data, Inputs(load_template_dir(None), None),
                         today or api.today_for(data))
        log = data.grid(LOG)
        rows = (log.rows[1:] if log else []) + event_rows(plan.events)
        return compute_metrics(rows, plan.leads, plan.settings, plan.today, data.date_epoch)
