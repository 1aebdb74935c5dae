"""Rebuild sample_pipeline.xlsx: the example leads after four weeks of real use.

It creates the example workbook as of Tuesday 2026-10-27, then plays a salesperson's weekdays up to
Friday 2026-11-20: each morning a sync, then touches recorded on most of the leads the Due tab
lists (Last Contact and Method typed in, as people do), a few stage changes, a date agreed with a
lead, and on the last day one Done box ticked after the sync. The README's demo then syncs a copy
on Monday 2026-11-23. Deterministic: running it twice gives the same leads, dates and tabs.

    python scripts/make_sample.py [OUT.xlsx]
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sys
from pathlib import Path

import openpyxl

import sheetfollow
from sheetfollow.newbook import create_excel_workbook

START = dt.date(2026, 10, 27)
LAST_SYNC = dt.date(2026, 11, 20)
ROOT = Path(__file__).resolve().parents[1]

SETTINGS = {"Sender Name": "Maya Patel", "Sender Company": "Brightpath Studio",
            "Signature": "Brightpath Studio · +44 20 7946 0321",
            "Booking Link": "https://cal.example.com/maya", "Country": "GB",
            "Date Order": "day first", "Upcoming Days": 5}
TEMPLATE_ROW = ("first_contact", "whatsapp",  "",
                "Hi {{ lead.first_name }}, it's {{ sender.name or 'us' }} from "
                "{{ sender.company or 'the studio' }}. {% if lead.topic %}You mentioned "
                "{{ lead.topic }}: {% endif %}could we find 15 minutes this week to talk it "
                "through?")
# (day, lead name, new stage): decisions the leads made during those weeks.
STAGE_CHANGES = (
    (dt.date(2026, 11, 4), "Mei Lin", "Qualified"),
    (dt.date(2026, 11, 6), "Kenji Watanabe", "Proposal Sent"),
    (dt.date(2026, 11, 11), "Hannah Schmidt", "Won"),
    (dt.date(2026, 11, 13), "Claire Dubois", "Lost"),
    (dt.date(2026, 11, 18), "Björn Lindqvist", "Negotiation"),
)
# (day, lead name, date): "call me then", typed into Next Date.
AGREED = ((dt.date(2026, 11, 19), "Tomás O'Connor", dt.date(2026, 11, 27)),)


def chance(*parts: object) -> float:
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return digest[0] / 255


def edit(path: Path, day: dt.date, plan) -> None:
    """The salesperson's day: contact most due leads, record it on their rows, move stages."""
    wb = openpyxl.load_workbook(path)
    leads = wb["Leads"]
    header = [c.value for c in leads[1]]
    col = {name: header.index(name) + 1 for name in header if name}
    rows = {leads.cell(r, col["ID"]).value: r for r in range(2, leads.max_row + 1)}
    names = {leads.cell(r, col["Name"]).value: r for r in range(2, leads.max_row + 1)}
    for item in plan.due:
        row = rows.get(item.lead_id)
        # Most follow-ups get done the day they are due; some slip; a few leads are neglected.
        if row is None or chance("neglect", item.lead_id) < 0.1 or chance(item.lead_id, day) < 0.3:
            continue
        leads.cell(row, col["Last Contact"]).value = day
        leads.cell(row, col["Last Contact"]).number_format = "yyyy-mm-dd"
        leads.cell(row, col["Method"]).value = item.channel
    for when, name, stage in STAGE_CHANGES:
        if when == day:
            leads.cell(names[name], col["Stage"]).value = stage
    for when, name, agreed in AGREED:
        if when == day:
            leads.cell(names[name], col["Next Date"]).value = agreed
            leads.cell(names[name], col["Next Date"]).number_format = "yyyy-mm-dd"
    wb.save(path)


def tick_done(path: Path, plan) -> None:
    """After the last sync, the salesperson ticks Done on the first follow-up of the list."""
    wb = openpyxl.load_workbook(path)
    due = wb["Due"]
    first = min(plan.due, key=lambda item: -item.days_overdue).lead_id
    header = [c.value for c in due[1]]
    for row in range(2, due.max_row + 1):
        if due.cell(row, header.index("ID") + 1).value == first:
            due.cell(row, header.index("Done") + 1).value = True
    wb.save(path)


def build(out: Path) -> None:
    if out.exists():
        out.unlink()
    create_excel_workbook(out, example=True, today=START)
    wb = openpyxl.load_workbook(out)
    settings = wb["Settings"]
    for row in range(2, settings.max_row + 1):
        key = settings.cell(row, 1).value
        if key in SETTINGS:
            settings.cell(row, 2).value = SETTINGS[key]
    wb["Templates"].append(list(TEMPLATE_ROW))
    wb.save(out)
    day = START
    while day <= LAST_SYNC:
        if day.weekday() < 5:
            report = sheetfollow.sync(out, day)
            if day < LAST_SYNC:
                edit(out, day, report.plan)
            else:
                tick_done(out, report.plan)
        day += dt.timedelta(days=1)
    backups = out.parent / ".sheetfollow-backups"
    for stale in backups.glob(f"{out.stem}.*{out.suffix}"):
        stale.unlink()
    if backups.exists() and not any(backups.iterdir()):
        backups.rmdir()


if __name__ == "__main__":
    build(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "sample_pipeline.xlsx")
