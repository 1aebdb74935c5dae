"""What a sync does to a workbook, run once per backend (see ``make_book`` in conftest)."""

import datetime as dt

import pytest
from helpers import ANA, BEN, CHLOE, HEADER, MON, leads, serial

from sheetfollow.errors import WorkbookError

D = dt.date
WON = ["Dan Won", "D Co", "dan@example.com", "", D(2026, 11, 1), "call", "Signed", None, "Won",
       3000, ""]


def test_first_sync_fills_tool_columns_and_tabs(make_book):
    book = make_book(leads(ANA, BEN, CHLOE, WON))
    report = book.sync(MON)
    assert report.written
    rows = book.rows("Leads")
    assert rows[0][len(HEADER):] == ["ID", "Flag", "Next Step"]
    assert book.column("Leads", "ID") == ["L-0001", "L-0002", "L-0003", "L-0004"]
    flags = book.column("Leads", "Flag")
    assert flags[0] == "OVERDUE 7d"  # proposal step 1: Thu 12 + 2 = Sat 14 -> Mon 16
    assert flags[1] == "DUE"  # Thu 19 + 2 = Sat 21 -> Mon 23
    assert flags[2] == "DUE"  # never contacted: first touch today
    assert flags[3] == "WON"
    assert book.column("Leads", "Next Date")[3] in (None, "")
    assert {"Due", "Log", "_sheetfollow"} <= set(book.tabs())


def test_second_sync_same_day_writes_nothing(make_book):
    book = make_book(leads(ANA, BEN, CHLOE, WON))
    book.sync(MON)
    before = {t: book.rows(t) for t in book.tabs()}
    again = book.sync(MON)
    assert not again.plan.changes and not again.written
    assert {t: book.rows(t) for t in book.tabs()} == before


def test_user_cells_are_untouched(make_book):
    book = make_book(leads(ANA, BEN, CHLOE, WON))
    before = [r[:len(HEADER)] for r in book.rows("Leads")]
    book.sync(MON)
    after = book.rows("Leads")
    for old, new in zip(before, after, strict=True):
        assert [v for i, v in enumerate(old) if i != 7] == \
               [v for i, v in enumerate(new[:len(HEADER)]) if i != 7]


def test_due_tab_lists_due_leads_most_overdue_first(make_book):
    book = make_book(leads(CHLOE, ANA, BEN, WON))
    book.sync(MON)
    due = book.rows("Due")
    assert due[0][:4] == ["Done", "Due Date", "Days Overdue", "Lead"]
    names = [r[3] for r in due[1:] if r and len(r) > 3 and r[2] not in (None, "")]
    assert names[0] == "Ana Souza" and "Chloé Martin" in names
    ana = next(r for r in due if len(r) > 3 and r[3] == "Ana Souza")
    header = due[0]
    assert ana[header.index("Channel")] == "email"
    assert ana[header.index("To")] == "ana@example.com"
    assert ana[header.index("Subject")]
    assert "CRM" in ana[header.index("Message")] or "Ana" in ana[header.index("Message")]
    assert ana[header.index("Why")].startswith("step 1/5, 2 days after the email of 2026-11-12")


def test_done_tick_records_one_touch(make_book):
    book = make_book(leads(ANA))
    book.sync(MON)
    due = book.rows("Due")
    row = next(i for i, r in enumerate(due, 1) if len(r) > 3 and r[3] == "Ana Souza")
    book.set("Due", row, 1, True)
    report = book.sync(MON)
    assert report.plan.done == ["L-0001"]
    assert book.cell("Leads", 2, "Last Contact") == serial(MON)
    assert book.cell("Leads", 2, "Method") == "email"
    log = book.rows("Log")
    touches = [r for r in log[1:] if r[1] == "touch" and r[8] == "done"]
    assert len(touches) == 1 and touches[0][2] == "L-0001"
    assert book.cell("Leads", 2, "Next Step").startswith("2/5 call")
    again = book.sync(MON)
    assert not again.written
    assert len([r for r in book.rows("Log")[1:] if r[1] == "touch"]) == len(log) - 1


def test_bad_row_is_flagged_and_others_sync(make_book):
    bad = list(BEN)
    bad[4] = "31/02/2025"
    book = make_book(leads(ANA, bad, CHLOE))
    book.sync(MON)
    flags = book.column("Leads", "Flag")
    assert flags[1].startswith("INVALID Last Contact (E3): '31/02/2025' is not a real date")
    assert flags[0].startswith("OVERDUE") and flags[2] == "DUE"
    assert book.cell("Leads", 3, "Last Contact") == "31/02/2025"  # never retyped


def test_formula_like_text_stays_text(make_book):
    evil = list(CHLOE)
    evil[6] = "=HYPERLINK(\"http://evil.example\",\"x\") {{ 7*7 }}"
    book = make_book(leads(evil))
    book.sync(MON)
    assert book.cell("Leads", 2, "Notes") == evil[6]
    message = book.cell("Due", 2, "Message")
    assert "{{ 7*7 }}" in message or "49" not in message


def test_users_next_date_is_kept_as_agreed(make_book):
    book = make_book(leads(ANA))
    book.sync(MON)
    book.set("Leads", 2, HEADER.index("Next Date") + 1, serial(D(2026, 11, 27)))
    book.sync(MON)
    assert book.cell("Leads", 2, "Next Date") == serial(D(2026, 11, 27))
    assert book.cell("Leads", 2, "Flag").startswith("AGREED")


def test_rows_keep_their_ids_when_sorted(make_book):
    book = make_book(leads(ANA, BEN, CHLOE))
    book.sync(MON)
    rows = book.rows("Leads")
    for col, value in enumerate(rows[3], start=1):  # swap rows 2 and 4 like a sort would
        book.set("Leads", 2, col, value)
    for col, value in enumerate(rows[1], start=1):
        book.set("Leads", 4, col, value)
    report = book.sync(MON)
    assert not report.written  # nothing about the leads changed
    assert book.column("Leads", "ID")[0] == "L-0003"


def test_stage_change_is_logged_and_restarts_cadence(make_book):
    book = make_book(leads(BEN))
    book.sync(MON)
    book.set("Leads", 2, HEADER.index("Stage") + 1, "Won")
    book.sync(D(2026, 11, 24))
    log = book.rows("Log")
    assert [r[1] for r in log[1:]] == ["touch", "stage"]
    assert log[2][8] == "Negotiation → Won"
    assert book.cell("Leads", 2, "Flag") == "WON"


def test_no_touch_logged_twice_even_without_state(make_book):
    book = make_book(leads(ANA, BEN))
    book.sync(MON)
    book.set("_sheetfollow", 2, 1, "")  # the user wiped a state row
    book.set("_sheetfollow", 3, 1, "")
    book.sync(MON)
    log = book.rows("Log")
    assert len([r for r in log[1:] if r[1] == "touch"]) == 2


def test_dry_run_writes_nothing(make_book):
    book = make_book(leads(ANA))
    before = book.rows("Leads")
    report = book.sync(MON, dry_run=True)
    assert report.plan.changes and report.applied is None
    assert book.rows("Leads") == before and book.tabs() == ["Leads"]


def test_missing_leads_tab_and_name_column_fail_before_writing(make_book):
    book = make_book({"Contacts": [HEADER, ANA]})
    with pytest.raises(WorkbookError, match="no Leads tab"):
        book.sync(MON)
    book = make_book({"Leads": [["Who", "Email"], ["Ana", "a@x.com"]]})
    with pytest.raises(WorkbookError, match="no Name column"):
        book.sync(MON)


def test_log_from_an_older_version_gains_the_due_header(make_book):
    book = make_book({**leads(ANA), "Log": [["Date", "Event", "ID", "Name", "Stage", "Cadence",
                                             "Step", "Channel", "Source"]]})
    book.sync(MON)
    log = book.rows("Log")
    assert log[0][9] == "Due" and len(log) == 2 and log[1][8] == "first seen"


def test_template_reaching_for_python_internals_flags_only_its_leads(make_book):
    evil = "{{ ''.__class__.__mro__[1].__subclasses__() }}{% include '/etc/passwd' %}"
    book = make_book({**leads(ANA, CHLOE),
                      "Templates": [["Template", "Channel", "Subject", "Body"],
                                    ["first_contact", "email", "Hi", evil]]})
    report = book.sync(MON)
    flags = book.column("Leads", "Flag")
    assert flags[1].startswith("INVALID template first_contact")  # Chloé: first contact
    assert flags[0].startswith("OVERDUE")  # Ana's step uses another template and syncs
    messages = " ".join(str(v) for v in book.column("Due", "Message"))
    assert "root:" not in messages and "subclasses" not in messages
    assert report.written


def test_metrics_tab_shows_hand_computed_figures(make_book):
    """Ana: first seen 16 Nov, touched 18 Nov (due the 16th: late), Won on the 20th. Ben: first
    seen with a call on the 16th, touched 20 Nov (due the 19th: late), next step ahead. Cy: never
    contacted, overdue since the 16th."""
    header = ["Name", "Company", "Email", "Phone", "Last Contact", "Method", "Notes",
              "Next Date", "Stage", "Value"]
    book = make_book({"Leads": [
        header,
        ["Ana", "Acme", "ana@x.example", "", D(2026, 11, 12), "email", "Wants CRM", None,
         "Proposal Sent", 4800],
        ["Ben", "B Ltd", "ben@x.example", "+44 20 7946 0000", D(2026, 11, 16), "call", "Budget",
         None, "New", 1000],
        ["Cy", "C Co", "cy@x.example", "", None, "", "Met at fair", None, "New", 500]]})
    book.sync(D(2026, 11, 16))
    book.set("Leads", 2, 5, serial(D(2026, 11, 18)))
    book.sync(D(2026, 11, 18))
    book.set("Leads", 2, 9, "Won")
    book.sync(D(2026, 11, 20))
    book.set("Leads", 3, 5, serial(D(2026, 11, 20)))
    book.sync(MON)
    rows = {str(r[0]): r[1:] for r in book.rows("Metrics") if r and r[0] not in (None, "")}
    assert rows["Metric"][:2] == ["Value", "Detail"]
    assert rows["As of"][0] == serial(MON)
    assert rows["New"][:2] == [2, 1500] and rows["Won"][:2] == [1, 4800]
    assert rows["Open pipeline"][:2] == [2, 1500]
    assert rows["Due today"][0] == 0 and rows["Overdue"][0] == 1
    assert rows["Value at risk (overdue)"][0] == 500
    assert rows["On-time touches (%)"][0] in (None, "")
    assert rows["On-time touches (%)"][1] == "too few data (2 touches)"
    assert rows["Revenue recovered (2+ follow-ups)"][0] == 0
    assert rows["1"][1] == "too few data (1 touch)"  # Ana answered; Ben's is still waiting
    assert len([r for r in book.rows("Log")[1:] if r[1] == "touch"]) == 4


# A first-contact template that fails for leads worth more than 500 (division by zero).
PICKY = [["Template", "Channel", "Subject", "Body"],
         ["first_contact", "email", "Hi",
          "{% if lead.value and lead.value > 500 %}{{ 1 // 0 }}{% endif %}Hello {{ lead.name }}"]]


def picky_pipeline(count: int) -> dict[str, list[list]]:
    rows = [[f"Lead {n}", "", f"lead{n}@example.com", "", None, "", "Met at a fair", None, "New",
             100 * (n % 10)] for n in range(count)]
    return {"Leads": [HEADER[:10]] + rows, "Templates": PICKY}


def _flag_writes(plan) -> dict[int, list]:
    writes: dict[int, list] = {}
    for c in plan.changes.cells:
        if c.tab == "Leads" and c.col == 12 and c.row > 1:  # Flag: added after ID (11)
            writes.setdefault(c.row, []).append(c.value)
    return writes


def test_a_template_failing_for_some_leads_flags_exactly_those():
    """Flags are given before the drafts are made; a failed draft replaces its lead's flag."""
    from sheetfollow.backends.memory import MemoryBackend
    from sheetfollow.layout import READ_TABS
    from sheetfollow.planner import Inputs, plan_sync
    from sheetfollow.templatefiles import load_template_dir

    backend = MemoryBackend(picky_pipeline(40))
    plan = plan_sync(backend.read(READ_TABS), Inputs(load_template_dir(None)), MON)
    writes = _flag_writes(plan)
    assert len(writes) == 40 and all(len(v) == 1 for v in writes.values())
    for row, (flag,) in writes.items():
        worth = 100 * ((row - 2) % 10)
        assert flag.startswith("INVALID template first_contact") == (worth > 500), (row, flag)
    assert len(plan.due) == 40 and sum(1 for d in plan.due if d.message) == 24
    backend.apply(plan.changes)
    again = plan_sync(backend.read(READ_TABS), Inputs(load_template_dir(None)), MON)
    assert _flag_writes(again) == {}  # the failed flags are already there: nothing to write
