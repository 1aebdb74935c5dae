"""Reading the Leads tab into leads: every field, IDs, and dates read once per serial number."""

from __future__ import annotations

import dataclasses
import datetime as dt

from sheetfollow.engine import LeadRow
from sheetfollow.leads import assign_ids, read_leads
from sheetfollow.model import EPOCH_1900, Grid
from sheetfollow.settings import Settings

HEADER = ["Name", "Company", "Email", "Phone", "Last Contact", "Method", "Notes", "Next Date",
          "Stage", "Value", "Preferred Channel", "Preferred Day", "Do Not Contact", "ID"]


def serial(day: dt.date) -> int:
    return (day - EPOCH_1900).days


def leads(*rows: list, known: set[str] = frozenset(), formulas=()) -> list[LeadRow]:
    grid = Grid("Leads", [HEADER, *map(list, rows)], set(formulas))
    return read_leads(grid, Settings(), EPOCH_1900, set(known)).rows


def test_a_lead_has_every_field_as_its_constructor_gives_it():
    """Leads are made without LeadRow's own __init__ (for speed): each must still be the lead
    that __init__ makes, with every field and its default."""
    [lead] = leads(["  Jo Smith ", "Acme", "jo@acme.example", 442079460000,
                    serial(dt.date(2026, 11, 2)), "Email", "Wants a new site", "2026-12-01",
                    "Proposal Sent", "€1.200,50", "Call", "tue", "yes", "L-0007"])
    expected = LeadRow(row=2, id="L-0007", name="Jo Smith", company="Acme",
                       email="jo@acme.example", phone="442079460000",
                       last_contact=dt.date(2026, 11, 2), method="email",
                       notes="Wants a new site", next_date=dt.date(2026, 12, 1),
                       stage="Proposal Sent", value=1200.5, preferred_channel="call",
                       preferred_day=1, dnc=True)
    assert lead == expected
    assert vars(lead) == vars(expected)
    assert [f.name for f in dataclasses.fields(LeadRow)] == list(vars(lead))
    assert hash(lead) == hash(expected)
    with_formula = leads(["Jo", None, None, None, None, None, None, 46000],
                         formulas={(2, 8)})[0]
    assert with_formula.next_date_formula


def test_the_same_serial_number_gives_the_same_date_and_the_same_problem_on_every_row():
    day = serial(dt.date(2026, 11, 2))
    read = leads(["Ana", None, None, None, day], ["Ben", None, None, None, day],
                 ["Cy", None, None, None, -3], ["Di", None, None, None, -3],
                 ["Ed", None, None, None, 3_000_000])
    assert [r.last_contact for r in read[:2]] == [dt.date(2026, 11, 2)] * 2
    assert read[2].problems == ("Last Contact (E4): the number -3 is not a date",)
    assert read[3].problems == ("Last Contact (E5): the number -3 is not a date",)
    assert read[4].problems[0].startswith("Last Contact (E6): the number 3000000")
    assert read[2].last_contact is None and read[4].last_contact is None


def test_ids_continue_after_the_highest_known_and_copies_get_new_ones():
    ids, new = assign_ids([(2, ""), (3, "L-0004"), (4, "L-0004"), (5, "custom"), (6, "")],
                          {"L-0009"})
    assert ids == ["L-0010", "L-0004", "L-0011", "custom", "L-0012"]
    assert new == {2: "L-0010", 4: "L-0011", 6: "L-0012"}
    read = leads(["Ana"], [None], ["Ben", None, None, None, None, None, None, None, None, None,
                                   None, None, None, "L-0002"], ["Cy"])
    assert [(r.row, r.id) for r in read] == [(2, "L-0003"), (4, "L-0002"), (5, "L-0004")]


def test_big_numbers_in_problems_are_written_out():
    """``{:g}`` wrote 3000000 as 3e+06 in the flag."""
    [lead] = leads(["Ana", None, None, None, 3_000_000, None, None, None, None, -1_200_000.0])
    assert lead.problems == ("Value (J2): a deal value cannot be negative (-1200000)",
                             "Last Contact (E2): the number 3000000 is not a date")
