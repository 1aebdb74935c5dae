"""A corpus of bad inputs: each gives a clear message naming the cell (or the file), and nothing
the user made is lost. Workbooks are built in tmp_path by the tests themselves; the tests that
take ``make_book`` run on the memory, Excel and Google Sheets backends."""

from __future__ import annotations

import datetime as dt
import errno
import os
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from helpers import serial

from sheetfollow import api
from sheetfollow.backends.excel import ExcelBackend
from sheetfollow.backends.memory import MemoryBackend
from sheetfollow.cli import cli
from sheetfollow.errors import WorkbookError
from sheetfollow.layout import READ_TABS
from sheetfollow.model import EPOCH_1900, EPOCH_1904
from sheetfollow.planner import Inputs, plan_sync
from sheetfollow.templatefiles import load_template_dir

D = dt.date
MON = D(2026, 11, 23)  # a Monday
TEMPLATES = load_template_dir(None)
HEADER = ["Name", "Email", "Last Contact", "Stage", "Value", "Notes", "Owner"]
ANA = ["Ana Souza", "ana@example.com", serial(D(2026, 11, 12)), "Proposal Sent", 4800,
       "Wants CRM setup before Q2", "me"]
BEN = ["Ben Okafor", "ben@example.com", serial(D(2026, 11, 19)), "Negotiation", "$12,000",
       "Budget approval pending", "you"]
CHLOE = ["Chloé Martin", "chloe@example.com", None, "New", 900, "Met at trade fair", ""]
EXCEL_CELL_LIMIT = 32767


def memory_sync(backend: MemoryBackend, today: dt.date = MON):
    plan = plan_sync(backend.read(READ_TABS), Inputs(TEMPLATES), today)
    backend.apply(plan.changes)
    return plan


def everything(book):
    """What a failed sync must leave as it was: the file's bytes (Excel) or every tab's cells."""
    if book.kind == "excel":
        return book.path.read_bytes()
    return {tab: book.rows(tab) for tab in book.tabs()}


def user_part(rows: list[list], width: int) -> list[list]:
    """The first ``width`` columns of every row, padded, "" as None (openpyxl and the memory
    backend keep an empty string, Google Sheets does not): the user's columns of a tab."""
    return [[None if v == "" else v for v in (list(r) + [None] * width)[:width]] for r in rows]


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def assert_one_line_error(result, *needles: str) -> None:
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in result.stderr, result.stderr


def xlsx(path: Path, tabs: dict[str, list[list]], merges: dict[str, list[str]] | None = None
         ) -> Path:
    """A workbook made with openpyxl, as a spreadsheet program would save it."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in tabs.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
        for ref in (merges or {}).get(name, []):
            ws.merge_cells(ref)
    wb.save(path)
    return path


# --- the workbook's shape ----------------------------------------------------------------------

def test_missing_leads_tab(make_book):
    book = make_book({"Contacts": [HEADER, ANA]})
    before = everything(book)
    with pytest.raises(WorkbookError, match="the workbook has no Leads tab: rename the tab"):
        book.sync(MON)
    assert everything(book) == before


def test_missing_name_column(make_book):
    book = make_book({"Leads": [["Who", "Email"], ["Ana", "ana@example.com"]]})
    before = everything(book)
    with pytest.raises(WorkbookError, match="the Leads tab has no Name column: put a header "
                                            "such as Name, Lead"):
        book.sync(MON)
    assert everything(book) == before


def test_duplicate_headers_warn_naming_both_columns_and_use_the_first(make_book):
    header = ["Name", "Email", "Notes", "Email"]
    book = make_book({"Leads": [header, ["Ana", "first@example.com", "Wants a CRM",
                                         "second@example.com"]]})
    report = book.sync(MON)
    assert ("Leads: columns B and D are both Email; sheetfollow uses B. Rename or delete one "
            "of them.") in report.plan.problems
    assert book.cell("Due", 2, "To") == "first@example.com"
    assert user_part(book.rows("Leads"), 4)[1] == ["Ana", "first@example.com", "Wants a CRM",
                                                    "second@example.com"]


def test_blank_rows_in_the_middle_stay_blank(make_book):
    book = make_book({"Leads": [HEADER, ANA, [None] * 7, [""] * 7, BEN]})
    book.sync(MON)
    rows = book.rows("Leads")
    assert book.column("Leads", "ID") == ["L-0001", None, None, "L-0002"]
    assert all(v in (None, "") for v in rows[2] + rows[3])
    assert book.column("Leads", "Flag")[3] == "DUE"
    assert user_part(rows, 7) == user_part([HEADER, ANA, [None] * 7, [None] * 7, BEN], 7)


def test_long_notes_sync_and_nothing_written_is_longer_than_a_cell_holds(make_book):
    """100,000 characters of notes: kept as they are, and a template that quotes them gives a
    Due message cut to 32,767 characters (Excel's cell limit; Google Sheets refuses a cell
    over 50,000)."""
    notes = ("Wants a CRM before Q2; call after the board meeting. " * 2000)[:100_000]
    lead = ["Ana Souza", "ana@example.com", None, "New", 4800, notes, "me"]
    book = make_book({"Leads": [HEADER, lead],
                      "Templates": [["Template", "Channel", "Subject", "Body"],
                                    ["first_contact", "email", "Hi {{ lead.first_name }}",
                                     "Your notes: {{ lead.notes }}"]]})
    kept = book.cell("Leads", 2, "Notes")  # openpyxl, which made the Excel file, cuts it too
    assert kept == (notes[:EXCEL_CELL_LIMIT] if book.kind == "excel" else notes)
    report = book.sync(MON)
    assert report.written
    assert book.cell("Leads", 2, "Notes") == kept
    message = book.cell("Due", 2, "Message")
    assert message.startswith("Your notes: Wants a CRM") and len(message) == EXCEL_CELL_LIMIT
    for tab in set(book.tabs()) - {"Leads", "Templates"}:
        for row in book.rows(tab):
            assert all(len(str(v)) <= EXCEL_CELL_LIMIT for v in row if v is not None), tab
    assert not book.sync(MON).written


def test_emoji_and_right_to_left_text_round_trip(make_book):
    lead = ["Zoë 😀 Ünal", "zoe@example.com", None, "New", 900,
            "שלום — wants a 🚀 launch site", "مرحبا بالعالم"]
    book = make_book({"Leads": [HEADER, lead]})
    book.sync(MON)
    assert user_part(book.rows("Leads"), 7)[1] == lead
    assert book.cell("Due", 2, "Lead") == "Zoë 😀 Ünal"
    assert "Zoë" in book.cell("Due", 2, "Message")
    assert not book.sync(MON).written


def test_currency_text_is_read_and_a_negative_value_is_flagged(make_book):
    ana, ben = list(ANA), list(BEN)
    ana[4], ben[4] = "$1,200", "-500"
    book = make_book({"Leads": [HEADER, ana, ben]})
    report = book.sync(MON)
    assert report.plan.leads[0].lead.value == 1200
    assert book.cell("Due", 2, "Value") == 1200
    assert book.column("Leads", "Flag")[1] == \
        "INVALID Value (E3): a deal value cannot be negative (-500)"
    assert user_part(book.rows("Leads"), 7) == user_part([HEADER, ana, ben], 7)


@pytest.mark.parametrize("text, reason", [
    ("31/02/2025", "'31/02/2025' is not a real date"),
    ("next tuesday", "'next tuesday' is not a date; type it as YYYY-MM-DD"),
    ("00/00/0000", "'00/00/0000' is not a real date"),
])
def test_impossible_dates_are_flagged_naming_the_cell_and_kept(make_book, text, reason):
    ana = list(ANA)
    ana[2] = text
    book = make_book({"Leads": [HEADER, ana, BEN]})
    book.sync(MON)
    assert book.column("Leads", "Flag")[0] == f"INVALID Last Contact (C2): {reason}"
    assert book.column("Leads", "Flag")[1] == "DUE"
    assert book.cell("Leads", 2, "Last Contact") == text
    assert user_part(book.rows("Leads"), 7) == user_part([HEADER, ana, BEN], 7)


# --- Settings, Cadence and Templates -------------------------------------------------------------

def test_settings_value_of_the_wrong_type_is_named_and_the_default_used(make_book):
    settings = [["Setting", "Value"], ["Upcoming Days", "soon"], ["Skip Weekends", 42]]
    book = make_book({"Leads": [HEADER, ANA], "Settings": settings})
    report = book.sync(MON)
    problems = report.plan.problems
    assert ("Settings row 2 (Upcoming Days): 'soon' is not a whole number from 0 to 60. Using "
            "the default.") in problems
    assert "Settings row 3 (Skip Weekends): '42' is not yes or no. Using the default." \
        in problems
    assert report.plan.settings.upcoming_days == 7 and report.plan.settings.skip_weekends
    assert book.rows("Settings") == [["Setting", "Value"], ["Upcoming Days", "soon"],
                                     ["Skip Weekends", 42]]
    if book.kind == "excel":
        checked = api.check(book.path, MON)
        assert any(e.startswith("Settings row 2 (Upcoming Days): 'soon'")
                   for e in checked.errors)
        result = run("check", book.path, "--today", MON)
        assert result.exit_code == 1 and "Settings row 2 (Upcoming Days)" in result.output


def test_cadence_step_with_a_negative_wait_or_an_unknown_channel_is_named_and_ignored(
        make_book):
    cadence = [["Cadence", "Step", "Wait days", "Channel", "Template", "Purpose"],
               ["prospect", 1, 3, "email", "recap", "recap the call"],
               ["prospect", 2, -2, "call", "next_step_call", "call them"],
               ["prospect", 3, 4, "fax", "linkedin_note", "send a fax"],
               ["prospect", 4, 7, "email", "case_study", "share a case study"]]
    lead = ["Dan Lee", "dan@example.com", serial(D(2026, 11, 18)), "New", 100, "Wants SEO", ""]
    book = make_book({"Leads": [HEADER, lead], "Cadence": cadence})
    report = book.sync(MON)
    assert ("Cadence row 3: Wait days '-2' must be a whole number of days from 0 to 3650. "
            "Step ignored.") in report.plan.problems
    assert any(p.startswith("Cadence row 4: channel 'fax' is not one of email, call")
               for p in report.plan.problems)
    assert book.cell("Leads", 2, "Next Step") == "1/2 email: recap the call"
    assert book.rows("Cadence") == cadence


def test_template_with_a_syntax_error_flags_only_its_leads(make_book):
    book = make_book({"Leads": [HEADER, ANA, CHLOE],
                      "Templates": [["Template", "Channel", "Subject", "Body"],
                                    ["first_contact", "email", "Hi", "Hi {{ lead.first_name "]]})
    report = book.sync(MON)
    flags = book.column("Leads", "Flag")
    assert flags[1].startswith("INVALID template first_contact (email, Templates row 2): ")
    assert flags[0].startswith("OVERDUE")  # Ana's step uses another template
    assert report.written and book.cell("Due", 2, "Lead") == "Ana Souza"



# --- merged cells (Excel and Google Sheets) ----------------------------------------------------

def merge(book, tab: str, *refs: str) -> None:
    """Merge cells as a user would, in the workbook's own program."""
    if book.kind == "memory":
        pytest.skip("an in-memory workbook has no merged cells")
    if book.kind == "google":
        book.merge(tab, *refs)
        return
    wb = openpyxl.load_workbook(book.path)
    for ref in refs:
        wb[tab].merge_cells(ref)
    wb.save(book.path)


def merges(book, tab: str) -> list[str]:
    if book.kind == "google":
        return book.merges(tab)
    return sorted(str(r) for r in openpyxl.load_workbook(book.path)[tab].merged_cells.ranges)


def test_merged_cells_survive_and_nothing_is_written_under_them(make_book):
    """Merges across the header and the data are kept; a tool cell hidden under a merge (here
    the Flag of rows 3 and 4) is not written, and the sync says which merge is in the way."""
    header = ["Name", "Email", "Notes", None, "Flag", "Owner"]
    rows = [header,
            ["Ana Souza", "ana@example.com", "Wants a CRM", "(more notes)", None, "me"],
            ["Ben Okafor", "ben@example.com", "Budget approval pending", None, None, "you"],
            ["— Europe —", None, None, None, None, None]]
    book = make_book({"Leads": rows})
    merge(book, "Leads", "C1:D1", "D3:E3", "A4:F4")
    before = book.rows("Leads")
    report = book.sync(MON)
    assert report.written
    assert ("Leads!E3 (Flag) is hidden under the merged cells D3:E3, so sheetfollow does not "
            "write it; unmerge them to see it") in report.plan.problems
    assert any("Leads!E4 (Flag)" in p and "A4:F4" in p for p in report.plan.problems)
    assert merges(book, "Leads") == ["A4:F4", "C1:D1", "D3:E3"]
    flags = book.column("Leads", "Flag")
    assert flags[0].startswith(("OVERDUE", "DUE")) and flags[1:] == [None, None]
    kept = user_part(book.rows("Leads"), 6)
    kept[1][4] = None  # Ana's Flag, the one tool cell in these columns
    assert kept == user_part(before, 6)
    if book.kind == "excel":
        with zipfile.ZipFile(book.path) as z:
            assert z.read("xl/worksheets/sheet1.xml").count(b"<mergeCell ") == 3
    assert not book.sync(MON).written


# --- files that cannot be synced: one line, exit 1, not a byte changed --------------------------

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _workbook_bytes(tmp_path: Path) -> bytes:
    return xlsx(tmp_path / "real.xlsx", {"Leads": [HEADER, ANA, BEN]}).read_bytes()


BAD_FILES = {
    # A password-protected .xlsx is an OLE compound file, not a zip.
    "password": (lambda d: OLE_MAGIC + b"\0" * 504, "password"),
    "encrypted": (lambda d: OLE_MAGIC + b"\0" * 64 + "EncryptedPackage".encode("utf-16-le")
                  + b"\0" * 64, "is encrypted (password-protected)"),
    "corrupted": (lambda d: _workbook_bytes(d)[:-300], "is not an Excel workbook"),
    "text": (lambda d: b"Name,Email\nAna,ana@example.com\n", "is not an Excel workbook"),
}


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_a_file_that_cannot_be_read_fails_with_one_line_and_is_untouched(tmp_path, kind):
    make, needle = BAD_FILES[kind]
    path = tmp_path / "leads.xlsx"
    path.write_bytes(make(tmp_path))
    before = path.read_bytes()
    result = run("sync", path, "--today", MON)
    assert_one_line_error(result, str(path), needle)
    assert path.read_bytes() == before


def test_a_read_only_file_fails_with_one_line_and_is_untouched(tmp_path):
    """chmod 444. Root may write anyway, but a file its owner marked read-only stays read-only
    for sheetfollow too, so this holds when the tests run as root."""
    path = xlsx(tmp_path / "leads.xlsx", {"Leads": [HEADER, ANA]})
    os.chmod(path, 0o444)
    try:
        before = path.read_bytes()
        result = run("sync", path, "--today", MON)
        assert_one_line_error(result, f"{path} is read-only; make it writable")
        assert path.read_bytes() == before
    finally:
        os.chmod(path, 0o644)


def test_a_read_only_folder_fails_with_one_line_and_is_untouched(tmp_path):
    folder = tmp_path / "shared"
    folder.mkdir()
    path = xlsx(folder / "leads.xlsx", {"Leads": [HEADER, ANA]})
    assert run("sync", path, "--today", MON).exit_code == 0  # makes the lock's folder
    before = path.read_bytes()
    os.chmod(folder, 0o555)
    try:
        result = run("sync", path, "--today", MON + dt.timedelta(days=3))
        assert_one_line_error(result, f"the folder {folder} is read-only")
        assert path.read_bytes() == before
    finally:
        os.chmod(folder, 0o755)


def test_a_full_disk_during_save_fails_with_one_line_and_leaves_the_original(tmp_path,
                                                                            monkeypatch):
    path = xlsx(tmp_path / "leads.xlsx", {"Leads": [HEADER, ANA, BEN, CHLOE]})
    before = path.read_bytes()
    real_fdopen = os.fdopen

    class FullDisk:
        """The temp file being written: the disk fills up after a few kilobytes."""

        def __init__(self, raw):
            self.raw, self.written = raw, 0

        def write(self, data):
            self.written += len(data)
            if self.written > 4096:
                raise OSError(errno.ENOSPC, "No space left on device")
            return self.raw.write(data)

        def __getattr__(self, name):
            return getattr(self.raw, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.raw.close()

    def fdopen(fd, *args, **kwargs):
        return FullDisk(real_fdopen(fd, *args, **kwargs))

    monkeypatch.setattr(os, "fdopen", fdopen)
    result = run("sync", path, "--today", MON)
    assert_one_line_error(result, f"no space left on the disk of {path}",
                          "the workbook was not changed")
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".tmp"] == []
    assert sorted(p.name for p in tmp_path.iterdir()) == [".sheetfollow-backups", "leads.xlsx"]


# --- found by the property tests ---------------------------------------------------------------

def test_formula_in_the_id_column_without_a_usable_id_is_flagged_and_stable():
    """A formula the user put in the ID column is theirs and is never overwritten; when it gives
    no ID (or another row's), the lead cannot be told apart between syncs: it is flagged, and a
    second sync writes nothing (it used to hand out a new ID, and state, on every sync)."""
    backend = MemoryBackend({"Leads": [["Name", "ID"], ["Ana", None], ["Ben", "L-0001"],
                                       ["Cy", "L-0001"]]},
                            {"Leads": {(2, 2), (4, 2)}})
    plan = memory_sync(backend)
    flags = {r.lead.name: r.flag for r in plan.leads}
    assert flags["Ana"].startswith("INVALID ID (B2) holds a formula")
    assert flags["Cy"].startswith("INVALID ID (B4) holds a formula")
    assert not flags["Ben"].startswith("INVALID")
    assert backend.tabs["Leads"][1][1] is None and backend.tabs["Leads"][3][1] == "L-0001"
    assert not memory_sync(backend).changes


def test_a_duplicate_of_a_lead_whose_id_cannot_be_written_names_its_row():
    """The lead with a formula for an ID gets a passing ID at each sync, written nowhere:
    another lead's "duplicate of L-0003" named an ID the user could not find, and a new one at
    the next sync (every sync rewrote that flag)."""
    backend = MemoryBackend({"Leads": [["Name", "Phone", "ID"], ["Ana", "+44 20 7946 0000", None],
                                       ["Ben", "+44 20 7946 0000", None]]},
                            {"Leads": {(2, 3)}})
    plan = memory_sync(backend)
    flags = {r.lead.name: r.flag for r in plan.leads}
    assert flags["Ana"].startswith("INVALID ID (C2) holds a formula")
    assert flags["Ben"].endswith("duplicate of the lead in row 2")
    assert not memory_sync(backend).changes


def test_dates_at_the_end_of_the_calendar_are_flagged_not_a_crash():
    """9999-12-31 is the last date a spreadsheet shows. As a Last Contact it left no room for the
    next step (OverflowError); in the 1904 date system the same serial number is beyond it."""
    last = (D(9999, 12, 31) - EPOCH_1900).days
    backend = MemoryBackend({"Leads": [["Name", "Last Contact"], ["Ana", last],
                                       ["Ben", "9999-12-30"], ["Cy", 45000]]})
    plan = memory_sync(backend)
    flags = [r.flag for r in plan.leads]
    assert flags[0].startswith("INVALID Last Contact (B2): ") and "9999-12-31" in flags[0]
    assert flags[1].startswith("INVALID Last Contact (B3): ")
    assert flags[2].startswith("OVERDUE")
    backend = MemoryBackend({"Leads": [["Name", "Last Contact"], ["Ana", last]]},
                            date_epoch=EPOCH_1904)
    assert memory_sync(backend).leads[0].flag.startswith("INVALID Last Contact (B2): ")


def test_a_wait_of_millions_of_days_is_a_bad_step_not_a_crash():
    backend = MemoryBackend({
        "Leads": [["Name", "Last Contact", "Stage"], ["Ana", 45000, "New"]],
        "Cadence": [["Cadence", "Step", "Wait days", "Channel", "Template", "Purpose"],
                    ["prospect", 1, 99999999, "email", "recap", "recap"],
                    ["prospect", 2, 3, "call", "next_step_call", "call"]]})
    plan = memory_sync(backend)
    assert any("Cadence row 2" in p and "99999999" in p for p in plan.problems), plan.problems
    assert plan.leads[0].outcome.step.channel == "call"


def test_pause_until_the_last_day_of_the_calendar_is_not_a_crash():
    backend = MemoryBackend({
        "Leads": [["Name", "Last Contact"], ["Ana", 45000]],
        "Settings": [["Setting", "Value"], ["Pause Until", "9999-12-31"],
                     ["Avoid Days", "Fri"]]})
    plan = memory_sync(backend)
    assert plan.leads[0].outcome.next_date == D(9999, 12, 31)


def test_a_row_copied_with_its_id_gets_a_new_id_on_every_backend(make_book):
    """Duplicating a lead's row copies its ID too. The copy gets a new ID (SPEC 2); on Google
    Sheets both rows used to be skipped at every sync ("its ID is in 2 rows now")."""
    header = ["Name", "Email", "ID"]
    book = make_book({"Leads": [header, ["Ana", "ana@example.com", "L-0007"],
                                ["Ana", "ana@example.com", "L-0007"], ["Ben", "", None]]})
    report = book.sync(MON)
    assert report.applied.skipped_rows == []
    assert book.column("Leads", "ID") == ["L-0007", "L-0008", "L-0009"]
    assert all(book.column("Leads", "Flag"))
    assert not book.sync(MON).written


def test_a_date_before_the_workbooks_first_date_is_flagged():
    """A 1904-system workbook cannot hold 1903-04-04 as a date: written to the Log or to Next
    Date it became a negative number, read back as no date, so the touch was logged again at
    every sync and the lead turned INVALID on the next one. It is flagged, naming the cell."""
    backend = MemoryBackend({"Leads": [["Name", "Last Contact"], ["Ana", "Apr 4, 1903"],
                                       ["Ben", "1904-01-02"]]}, date_epoch=EPOCH_1904)
    plan = memory_sync(backend)
    flag = plan.leads[0].flag
    assert flag.startswith("INVALID Last Contact (B2): 'Apr 4, 1903'") and "1904-01-02" in flag
    assert not plan.leads[1].flag.startswith("INVALID")
    assert backend.tabs["Leads"][1][1] == "Apr 4, 1903"
    assert not memory_sync(backend).changes


def test_control_characters_in_an_excel_cell_do_not_make_every_sync_rewrite_the_file(
        tmp_path):
    """Excel stores a character XML cannot hold (a vertical tab pasted with some text) as
    ``_x000B_``. The Excel backend leaves such characters out of what it writes, so the Due tab
    read back never matched the one planned, and every sync rewrote the file. The user's cells
    keep them; the tool's text leaves them out on every backend."""
    path = xlsx(tmp_path / "leads.xlsx", {"Leads": [["Name", "Email", "Notes"],
                                                    ["Ana_x000B_Souza", "ana@example.com",
                                                     "First_x0001_call"]]})
    assert api.sync(path, MON).written
    data = ExcelBackend(path).read(["Leads", "Due"])
    assert data.grid("Due").cell(2, 4) == "AnaSouza"
    assert data.grid("Leads").cell(2, 1) == "Ana\x0bSouza"
    assert not api.sync(path, MON).written


def test_a_next_date_typed_before_the_last_touch_does_not_schedule_into_the_past():
    """A Next Date the user types on or before the latest recorded touch is already met (SPEC 2:
    the user's date holds "until a touch on or after it is recorded"): the cadence goes on from
    the touch instead of showing the lead overdue since before it was last contacted."""
    backend = MemoryBackend({"Leads": [["Name", "Email", "Last Contact", "Next Date"],
                                       ["Ana", "ana@example.com", serial(D(2026, 11, 20)), None]]})
    memory_sync(backend)
    backend._set("Leads", 2, 4, serial(D(2026, 11, 18)))  # typed a day before the touch
    plan = memory_sync(backend, D(2026, 11, 24))
    outcome = plan.leads[0].outcome
    assert outcome.next_date >= D(2026, 11, 20) and outcome.status != "AGREED"
    assert backend.tabs["Leads"][1][3] == serial(outcome.next_date)
    assert not memory_sync(backend, D(2026, 11, 24)).changes


def test_clearing_an_agreed_next_date_resumes_the_cadence():
    """A Next Date the user wrote is kept as agreed; once they clear the cell, the cadence
    resumes and the sync writes its own date. The cleared cell used to go unnoticed (it looked
    like the empty date the sync had "written"), so the lead stayed due on the deleted date."""
    backend = MemoryBackend({"Leads": [["Name", "Email", "Next Date"],
                                       ["Ana", "ana@example.com", serial(D(2026, 11, 27))]]})
    assert memory_sync(backend).leads[0].flag.startswith("AGREED")
    backend._set("Leads", 2, 3, None)
    plan = memory_sync(backend, D(2026, 11, 24))
    outcome = plan.leads[0].outcome
    assert outcome.status != "AGREED" and outcome.write_next
    assert backend.tabs["Leads"][1][2] == serial(outcome.next_date)
    assert plan.leads[0].item.why != "the date in Next Date (agreed with the lead)"
    assert not memory_sync(backend, D(2026, 11, 24)).changes
