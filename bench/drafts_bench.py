"""Time the drafting path of a sync per draft: ``python bench/drafts_bench.py [--drafts N]``.

The leads are bench/generate.py's (varied names, notes of 60 to 120 characters, every stage) and
go through the real engine, so the mix of templates and channels is what the default cadences
produce on a first sync. Only what ``planner._result`` does per draft is timed:
``draft_context`` + ``TemplateLibrary.render`` + ``open_link``, warm, median of several runs.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import HEADER, _lead  # noqa: E402

from sheetfollow import layout  # noqa: E402
from sheetfollow.cadence import read_cadences  # noqa: E402
from sheetfollow.drafts import DraftError, TemplateLibrary, open_link  # noqa: E402
from sheetfollow.engine import Rules, follow_up  # noqa: E402
from sheetfollow.leads import read_leads  # noqa: E402
from sheetfollow.messages import draft_context  # noqa: E402
from sheetfollow.model import EPOCH_1900, Grid  # noqa: E402
from sheetfollow.newbook import workbook_tabs  # noqa: E402
from sheetfollow.schedule import Calendar  # noqa: E402
from sheetfollow.settings import read_settings  # noqa: E402
from sheetfollow.templatefiles import load_template_dir  # noqa: E402

TODAY = dt.date(2026, 11, 12)
SENDER = {"Sender Name": "Sam Rivera", "Sender Company": "Rivera Studio",
          "Signature": "Rivera Studio · 020 7946 0000",
          "Booking Link": "https://cal.example.com/sam-rivera/20min"}


def _cell(value: object) -> object:
    """A generated value as a spreadsheet gives it back: dates are serial numbers."""
    return (value - EPOCH_1900).days if isinstance(value, dt.date) else value


def cases(count: int, seed: int = 1):
    """``count`` (row, outcome) pairs the sync would draft, and the library and settings."""
    tabs = workbook_tabs(False, TODAY)
    settings_rows = [[row[0], SENDER[row[0]], *row[2:]] if row and row[0] in SENDER else row
                     for row in tabs[layout.SETTINGS]]
    settings, _ = read_settings(Grid(layout.SETTINGS, settings_rows))
    cadences, _ = read_cadences(Grid(layout.CADENCE, tabs[layout.CADENCE]), settings)
    rules = Rules(settings, cadences, Calendar(settings), TODAY)
    library = TemplateLibrary(load_template_dir())
    rng, emails = random.Random(seed), []
    found = []
    while len(found) < count:
        rows = [list(HEADER)] + [[_cell(lead[h]) for h in HEADER]
                                 for lead in (_lead(rng, TODAY, emails) for _ in range(2000))]
        leads = read_leads(Grid(layout.LEADS, rows), settings, EPOCH_1900, set())
        for row in leads.rows:
            outcome = follow_up(row, None, rules)
            # The same test as planner._result: a pending step due within the upcoming days.
            if (outcome.status != "INVALID" and outcome.step is not None
                    and outcome.next_date is not None
                    and (outcome.next_date - TODAY).days <= settings.upcoming_days):
                found.append((row, outcome))
    return found[:count], library, settings


def draft_all(found, library: TemplateLibrary, settings) -> list:
    """What planner._result does for each draft: context, render, open link."""
    out = []
    for row, outcome in found:
        step = outcome.step
        try:
            draft = library.render(step.template, step.channel,
                                   *draft_context(row, outcome, settings), TODAY)
        except DraftError as error:
            out.append(str(error))
            continue
        to = row.email if step.channel == "email" else (
            row.phone if step.channel in ("call", "sms", "whatsapp") else "")
        out.append((draft, open_link(step.channel, to, draft) if to else None))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drafts", type=int, default=7000, help="drafts per run (default 7000)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs (default 5)")
    args = parser.parse_args(argv)
    found, library, settings = cases(args.drafts)
    mix = collections.Counter((o.step.template, o.step.channel) for _, o in found)
    print(f"{len(found)} drafts, {len(mix)} template/channel pairs; most common: "
          + ", ".join(f"{t}/{c} {n}" for (t, c), n in mix.most_common(4)))
    draft_all(found, library, settings)  # warm: compile every template used
    wall, cpu = [], []
    for _ in range(args.runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        draft_all(found, library, settings)
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    per_draft = 1e6 / len(found)
    # CPU time is the steadier figure on a busy machine; wall time is what a user waits.
    print(f"median of {args.runs}: {statistics.median(wall):.3f} s, "
          f"{statistics.median(wall) * per_draft:.1f} µs/draft wall "
          f"(min {min(wall) * per_draft:.1f}), {statistics.median(cpu) * per_draft:.1f} µs/draft "
          f"CPU (min {min(cpu) * per_draft:.1f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
