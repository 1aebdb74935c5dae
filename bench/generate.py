"""Write a big, realistic Leads workbook for benchmarks: ``python bench/generate.py N OUT.xlsx``.

The workbook is what a user brings to a first sync: a Leads tab with the new-workbook columns
(without the tool-owned ID, Flag and Next Step) plus three columns of the user's own (Owner,
Source, Created), and the default Settings and Cadence tabs. Rows mix every stage, real dates with
a date format, about 5% of dates typed as text (some unreadable), missing emails, duplicate
emails, currency text in Value and notes of 60 to 120 characters. The same seed and today give
the same rows; openpyxl's write-only mode keeps 50,000 leads to seconds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import unicodedata
from pathlib import Path

from sheetfollow import layout
from sheetfollow.examples import USER_HEADER
from sheetfollow.newbook import DATE_FORMAT, VALUE_FORMAT, workbook_tabs

# The user's own columns, placed among the known ones (columns are found by header, not place).
USER_COLUMNS = {"Owner": "Stage", "Source": "Notes", "Created": "Do Not Contact"}
HEADER = tuple(h for known in USER_HEADER
               for h in (known, *(c for c, after in USER_COLUMNS.items() if after == known)))

FIRST = ("Zoë", "Łukasz", "Siobhán", "José", "Amélie", "Björn", "Priya", "Mei", "Oluwaseun",
         "Tomás", "Hannah", "Marcus", "Aisha", "Dmitri", "Chloé", "Kenji", "Fatima", "Grace",
         "Rafael", "Ingrid", "Noah", "Emily", "Sven", "Ana", "Liam", "Sofia", "Ravi", "Claire",
         "Jakub", "Niamh", "Mateo", "Olivia", "Ahmed", "Lucía", "Finn", "Yuki", "Søren", "Nadia")
LAST = ("Hartmann", "Nowak", "Byrne", "García", "Laurent", "Lindqvist", "Raman", "Lin",
        "Adeyemi", "O'Connor", "Schmidt", "Webb", "Khan", "Volkov", "Martin", "Watanabe",
        "El-Amin", "Mitchell", "Souza", "Solberg", "Fischer", "Carter", "Johansson", "Popescu",
        "Walsh", "Rossi", "Patel", "Dubois", "Dvořák", "Kelly", "Müller", "Novák", "Smith")
TRADES = ("Physio", "Dental", "Joinery", "Bakery", "Logistics", "Accountants", "Florists",
          "Solicitors", "Motors", "Opticians", "Cleaning", "Plumbing", "Yoga Studio", "Print",
          "Brewing", "Vets", "Architects", "Cafe", "Home Care", "Bikes", "Lettings", "Salon")
PHONES = ("+44 20 7946 {:04d}", "+1 202 555 {:04d}", "+353 87 {:03d} 4567", "+49 30 9018 {:04d}",
          "+33 6 12 34 {:04d}", "+61 491 570 {:03d}", "+34 612 345 {:03d}", "+48 512 345 {:03d}")
STAGES = ("New", "Contacted", "Qualified", "Proposal Sent", "Negotiation", "Nurture", "Won",
          "Lost", "Do Not Contact", "Unsubscribed")
STAGE_WEIGHTS = (20, 20, 12, 10, 5, 10, 8, 10, 2, 3)
OWNERS = ("Sam", "Alex", "Jo", "Priya", "Tom")
SOURCES = ("Referral", "Website form", "Trade fair", "LinkedIn", "Cold call", "Google Ads",
           "Networking breakfast")
PROBLEMS = ("booking form breaks on phones", "no backups of the office PCs",
            "site is eight years old", "wants online orders before the busy season",
            "email keeps landing in spam", "needs a client portal for documents",
            "Wi-Fi drops in the back office", "wants a menu they can update themselves",
            "quotes are typed by hand in Word", "staff rota lives on a whiteboard")
DETAILS = ("Budget about £{}k, the owner decides.", "Partner must agree; budget around €{}k.",
           "Wants it live within {} weeks.", "Finance director signs off; about ${}k approved.",
           "Comparing us with {} other quotes.", "Asked for two examples from similar firms.",
           "Decides at the next partners' meeting.", "Prefers a call after {} pm.")
TEXT_DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d %b %Y", "%d.%m.%Y")
UNREADABLE_DATES = ("31/02/2025", "last week", "mid June", "?")


def _notes(rng: random.Random) -> str:
    """60 to 120 characters: the problem, then a detail about budget, timing or who decides."""
    problem = rng.choice(PROBLEMS)
    text = f"{problem[0].upper()}{problem[1:]}. {rng.choice(DETAILS).format(rng.randint(2, 9))}"
    while len(text) < 60:
        text += " " + rng.choice(DETAILS).format(rng.randint(2, 9))
    return text[:120]


def _ascii(text: str) -> str:
    """``Łukasz`` -> ``lukasz``, ``O'Connor Bikes`` -> ``oconnorbikes``: for email addresses."""
    plain = unicodedata.normalize("NFKD", text.replace("Ł", "L").replace("ł", "l"))
    return "".join(c for c in plain.lower() if c.isascii() and (c.isalnum() or c == "-"))


def _date_cell(rng: random.Random, day: dt.date) -> object:
    """The date itself, or (about 5%) text as a user might type it, a few of them unreadable."""
    roll = rng.random()
    if roll < 0.04:
        return day.strftime(rng.choice(TEXT_DATE_FORMATS))
    if roll < 0.05:
        return rng.choice(UNREADABLE_DATES)
    return day


def _lead(rng: random.Random, today: dt.date, emails: list[str]) -> dict[str, object]:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    company = f"{rng.choice(LAST)} {rng.choice(TRADES)}"
    stage = rng.choices(STAGES, STAGE_WEIGHTS)[0]
    never = stage == "New" and rng.random() < 0.6
    # Most touches are recent, a long tail is months old (lost and nurtured leads the oldest).
    mean_age = 90 if stage in ("Lost", "Nurture", "Won") else 12
    age = min(int(rng.expovariate(1 / mean_age)), 400)
    last_day = None if never else today - dt.timedelta(days=age)
    created = (last_day or today) - dt.timedelta(days=rng.randint(0, 60))
    roll = rng.random()
    if roll < 0.03:
        email = None
    elif roll < 0.04 and emails:
        email = rng.choice(emails)  # the same person entered twice
    else:
        email = f"{_ascii(first)}.{len(emails)}@{_ascii(company)}.example"
        emails.append(email)
    value_roll = rng.random()
    value: object = rng.randint(10, 1000) * 50
    if value_roll < 0.1:
        value = None
    elif value_roll < 0.13:
        value = f"${value:,}"
    lead = {
        "Name": f"{first} {last}",
        "Company": company,
        "Email": email,
        "Phone": None if rng.random() < 0.05 else rng.choice(PHONES).format(rng.randint(0, 999)),
        "Last Contact": None if last_day is None else _date_cell(rng, last_day),
        "Method": None if last_day is None else rng.choice(layout.CHANNELS[:3]),
        "Notes": None if rng.random() < 0.04 else _notes(rng),
        "Next Date": (today + dt.timedelta(days=rng.randint(1, 20))
                      if not never and rng.random() < 0.08 else None),
        "Stage": stage,
        "Value": value,
        "Preferred Channel": rng.choice(layout.CHANNELS) if rng.random() < 0.1 else None,
        "Do Not Contact": "yes" if rng.random() < 0.02 else None,
        "Owner": rng.choice(OWNERS),
        "Source": rng.choice(SOURCES),
        "Created": created,
    }
    return lead


def make_workbook(path: str | Path, n_leads: int, seed: int = 1,
                  today: dt.date | None = None) -> None:
    """Write ``n_leads`` generated leads to ``path`` (overwritten); same seed and today, same rows.

    ``today`` defaults to the current date, so the leads' flags look like a real pipeline today.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    today = today or dt.date.today()
    rng = random.Random(seed)
    wb = Workbook(write_only=True)
    bold = Font(bold=True)
    formats = {"Last Contact": DATE_FORMAT, "Next Date": DATE_FORMAT, "Created": DATE_FORMAT,
               "Value": VALUE_FORMAT}

    def header(ws, names) -> list:
        cells = []
        for name in names:
            cell = WriteOnlyCell(ws, value=name)
            cell.font = bold
            cells.append(cell)
        return cells

    leads = wb.create_sheet(layout.LEADS)
    leads.freeze_panes = "A2"
    leads.append(header(leads, HEADER))
    # One styled cell per format, reused: write-only cells are serialized as they are appended.
    styled = {name: WriteOnlyCell(leads) for name in formats}
    for name, cell in styled.items():
        cell.number_format = formats[name]
    emails: list[str] = []
    for _ in range(n_leads):
        lead = _lead(rng, today, emails)
        row = []
        for name in HEADER:
            value = lead[name]
            if name in styled and value is not None and not isinstance(value, str):
                cell = styled[name]
                cell.value = value
                value = cell
            row.append(value)
        leads.append(row)

    tabs = workbook_tabs(False, today)
    for name in (layout.SETTINGS, layout.CADENCE):
        ws = wb.create_sheet(name)
        rows = tabs[name]
        ws.append(header(ws, rows[0]))
        for row in rows[1:]:
            ws.append(row)
    wb.save(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n_leads", type=int, help="how many leads to write")
    parser.add_argument("out", type=Path, help="the .xlsx file to write (overwritten)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--today", type=dt.date.fromisoformat, default=None,
                        help="date the leads are relative to, YYYY-MM-DD (default: today)")
    args = parser.parse_args(argv)
    make_workbook(args.out, args.n_leads, seed=args.seed, today=args.today)
    return 0


if __name__ == "__main__":
    sys.exit(main())
