"""init: the new workbook's tabs, dropdowns and formats; the example leads; the bench generator."""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest

from sheetfollow import layout
from sheetfollow.errors import TargetError
from sheetfollow.examples import USER_HEADER, example_leads
from sheetfollow.newbook import (
    DATE_FORMAT,
    STAGE_LIST_COLUMN,
    STAGE_LIST_HEADER,
    VALIDATION_ROWS,
    VALUE_FORMAT,
    create_excel_workbook,
    workbook_tabs,
)

TODAY = dt.date(2025, 6, 4)  # a Wednesday
ROOT = Path(__file__).resolve().parent.parent
TABS = [layout.LEADS, layout.SETTINGS, layout.CADENCE, layout.TEMPLATES]


@pytest.fixture
def book(tmp_path) -> Path:
    path = tmp_path / "leads.xlsx"
    create_excel_workbook(path, today=TODAY)
    return path


@pytest.fixture
def example_book(tmp_path) -> Path:
    path = tmp_path / "example.xlsx"
    create_excel_workbook(path, example=True, today=TODAY)
    return path


def header(ws) -> list:
    return [cell.value for cell in ws[1]]


def column(ws, name: str) -> str:
    """The letter of the column headed ``name``."""
    return next(cell.column_letter for cell in ws[1] if cell.value == name)


def as_date(value):
    return value.date() if isinstance(value, dt.datetime) else value


# The tabs and their contents.

def test_init_creates_the_user_tabs_in_order_with_their_headers(book):
    wb = openpyxl.load_workbook(book)
    assert wb.sheetnames == TABS
    assert header(wb[layout.LEADS]) == list(layout.NEW_LEADS_HEADER)
    assert header(wb[layout.SETTINGS])[:3] == list(layout.SETTINGS_HEADER)
    assert header(wb[layout.CADENCE]) == list(layout.CADENCE_HEADER)
    assert header(wb[layout.TEMPLATES])[:4] == list(layout.TEMPLATES_HEADER)
    for tab in (layout.DUE, layout.LOG, layout.METRICS, layout.STATE):
        assert tab not in wb.sheetnames  # the first sync creates the tool tabs


def test_leads_header_is_bold_frozen_and_filtered(book):
    ws = openpyxl.load_workbook(book)[layout.LEADS]
    assert all(cell.font.bold for cell in ws[1])
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:O{ws.max_row}"
    assert ws.max_row == 1  # no data rows without --example
    assert ws.column_dimensions[column(ws, "Notes")].width > ws.column_dimensions["F"].width


def test_settings_rows_are_the_defaults_then_one_row_per_stage(book):
    ws = openpyxl.load_workbook(book)[layout.SETTINGS]
    rows = [list(r[:3]) for r in ws.iter_rows(min_row=2, values_only=True)]
    n = len(layout.DEFAULT_SETTINGS)
    for (key, value, note), row in zip(layout.DEFAULT_SETTINGS, rows[:n], strict=True):
        assert row[0] == key
        assert row[2] == note
        # Numbers are stored as numbers, as if typed; the rest as text (empty -> no value).
        assert row[1] == (int(value) if value.isdigit() else value or None)
    assert rows[n] == [None, None, None]
    stage_rows = rows[n + 1:]
    assert [(key, kind) for key, kind, _ in stage_rows] == [
        (layout.STAGE_KEY_PREFIX + stage, kind) for stage, kind in layout.DEFAULT_STAGES]
    for _, _, note in stage_rows:
        assert "prospect" in note and "won" in note and "stop" in note


def test_cadence_steps_are_numbered_within_each_cadence(book):
    ws = openpyxl.load_workbook(book)[layout.CADENCE]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert [(c, w, ch, t, p) for c, _, w, ch, t, p in rows] == list(layout.DEFAULT_CADENCE)
    steps = [(c, s) for c, s, *_ in rows]
    assert steps[:6] == [("prospect", 1), ("prospect", 2), ("prospect", 3), ("prospect", 4),
                         ("prospect", 5), ("proposal", 1)]
    assert ("nurture", 1) in steps and ("reengage", 1) in steps


def test_templates_has_a_header_a_note_and_no_rows(book):
    ws = openpyxl.load_workbook(book)[layout.TEMPLATES]
    assert ws.max_row == 1
    assert "Add a row to override a template" in ws["F1"].value
    assert ws["E1"].value is None


# Dropdowns and formats.

def validations(ws) -> dict[str, str]:
    """sqref -> the list source of each dropdown."""
    return {str(dv.sqref): dv.formula1 for dv in ws.data_validations.dataValidation
            if dv.type == "list"}


def test_leads_dropdowns_cover_rows_2_to_5000(book):
    wb = openpyxl.load_workbook(book)
    ws = wb[layout.LEADS]
    found = validations(ws)

    def source(name):
        letter = column(ws, name)
        return found[f"{letter}2:{letter}{VALIDATION_ROWS}"]

    channels = '"' + ",".join(layout.CHANNELS) + '"'
    assert source("Method") == channels
    assert source("Preferred Channel") == channels
    assert source("Do Not Contact") == '"yes,no"'
    # Stage: fed from the Stage list on Settings (so users can extend it), trimmed to its names.
    stage_source = source("Stage")
    assert stage_source.startswith("OFFSET(Settings!$E$2,")
    settings = wb[layout.SETTINGS]
    assert settings.cell(1, STAGE_LIST_COLUMN).value == STAGE_LIST_HEADER
    listed = [settings.cell(r, STAGE_LIST_COLUMN).value for r in range(2, settings.max_row + 1)]
    assert [s for s in listed if s] == [stage for stage, _ in layout.DEFAULT_STAGES]
    assert all(listed[: len(layout.DEFAULT_STAGES)])  # no gap: COUNTA counts them all
    cadence = wb[layout.CADENCE]
    letter = column(cadence, "Channel")
    assert validations(cadence)[f"{letter}2:{letter}{VALIDATION_ROWS}"] == channels


def test_dropdowns_warn_rather_than_block(book):
    ws = openpyxl.load_workbook(book)[layout.LEADS]
    for dv in ws.data_validations.dataValidation:
        assert dv.allow_blank
        assert dv.showErrorMessage and dv.errorStyle == "warning"


def test_date_and_value_columns_carry_number_formats(book):
    ws = openpyxl.load_workbook(book)[layout.LEADS]
    # Column styles: every row of the column, typed later or not, gets the format.
    for name, number_format in (("Last Contact", DATE_FORMAT), ("Next Date", DATE_FORMAT),
                                ("Value", VALUE_FORMAT)):
        assert ws.column_dimensions[column(ws, name)].number_format == number_format
    assert ws.column_dimensions[column(ws, "Name")].number_format == "General"


# The example leads.

def test_example_workbook_holds_the_example_leads(example_book):
    ws = openpyxl.load_workbook(example_book)[layout.LEADS]
    expected = example_leads(TODAY)
    assert len(expected) == 30
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 30
    for lead, row in zip(expected, rows, strict=True):
        got = dict(zip(layout.NEW_LEADS_HEADER, row, strict=True))
        for key, value in lead.items():
            assert as_date(got[key]) == value, (lead["Name"], key)
        assert got["ID"] is None and got["Flag"] is None and got["Next Step"] is None


def test_example_dates_and_values_are_formatted_text_is_kept(example_book):
    ws = openpyxl.load_workbook(example_book)[layout.LEADS]
    last, value = column(ws, "Last Contact"), column(ws, "Value")
    for row in range(2, ws.max_row + 1):
        cell = ws[f"{last}{row}"]
        if isinstance(cell.value, dt.datetime):
            assert cell.number_format == DATE_FORMAT
        if isinstance(ws[f"{value}{row}"].value, int):
            assert ws[f"{value}{row}"].number_format == VALUE_FORMAT
    texts = [ws[f"{last}{r}"].value for r in range(2, ws.max_row + 1)]
    assert "31/02/2025" in texts
    assert "$4,500" in [ws[f"{value}{r}"].value for r in range(2, ws.max_row + 1)]


def test_example_leads_cover_the_cases_a_first_sync_shows():
    leads = example_leads(TODAY)
    assert all(tuple(lead) == USER_HEADER for lead in leads)
    names = " ".join(str(lead["Name"]) for lead in leads)
    for name in ("Zoë", "Łukasz", "Siobhán"):
        assert name in names
    stages = {lead["Stage"] for lead in leads}
    assert stages == {stage for stage, _ in layout.DEFAULT_STAGES} - {"Do Not Contact"}
    emails = [lead["Email"] for lead in leads if lead["Email"]]
    assert len(emails) == len(set(emails)) + 1  # one duplicate
    assert sum(lead["Email"] is None for lead in leads) == 1
    assert any(lead["Phone"] is None and lead["Preferred Channel"] == "call" for lead in leads)
    assert any(lead["Preferred Channel"] == "whatsapp" and lead["Last Contact"] is None
               for lead in leads)
    assert sum(not lead["Notes"] for lead in leads) == 1
    assert any(lead["Do Not Contact"] == "yes" and lead["Stage"] == "Qualified" for lead in leads)
    assert any(lead["Value"] is None for lead in leads)
    assert all(lead["Method"] in (None, *layout.CHANNELS) for lead in leads)
    assert all(lead["Preferred Channel"] in (None, *layout.CHANNELS) for lead in leads)
    assert any("Friday" in str(lead["Notes"]) and lead["Next Date"] for lead in leads)
    for lead in leads:
        if lead["Stage"] == "Won":
            assert isinstance(lead["Value"], int)
        notes = lead["Notes"]
        if notes:
            assert 60 <= len(notes) <= 200


def _first_due(lead: dict, today: dt.date) -> dt.date | None:
    """A first sync's next date for ``lead``, by the rules of SPEC 3 with default settings."""
    kind = dict(layout.DEFAULT_STAGES)[lead["Stage"]]
    if lead["Do Not Contact"] == "yes" or kind in ("won", "stop"):
        return None
    if lead["Next Date"]:
        return lead["Next Date"]
    last = lead["Last Contact"]
    if last is None:
        return today
    cadence = layout.REENGAGE if kind == "lost" else kind
    wait = next(w for c, w, *_ in layout.DEFAULT_CADENCE if c == cadence)
    due = last + dt.timedelta(days=wait)
    while due.weekday() >= 5:
        due += dt.timedelta(days=1)
    return due


@pytest.mark.parametrize("offset", range(7))
def test_documented_example_flags_hold_on_every_weekday(offset):
    today = TODAY + dt.timedelta(days=offset)
    leads = {lead["Name"]: lead for lead in example_leads(today)}

    def days(name):  # due date minus today
        return (_first_due(leads[name], today) - today).days

    for name in ("Zoë Hartmann", "Rafael Souza", "Amélie Laurent", "Siobhan Byrne"):
        assert days(name) == 0
    for name in ("Łukasz Nowak", "Priya Raman", "Björn Lindqvist", "Oluwaseun Adeyemi",
                 "José García", "Emily Carter", "Ana Popescu", "Ravi Patel", "Niamh Kelly",
                 "Sven Johansson", "Noah Fischer"):
        assert days(name) <= -6, name
    for name in ("Siobhán Byrne", "Tomás O'Connor"):
        assert days(name) == (0 if today.weekday() < 5 else 1 if today.weekday() == 6 else 2)
    for name in ("Mei Lin", "Kenji Watanabe", "Hannah Schmidt", "Claire Dubois",
                 "Chloé Martin", "Marcus Webb"):
        assert 1 <= days(name) <= 7, name
    for name in ("Dmitri Volkov", "Fatima El-Amin"):
        assert days(name) > 7
    for name in ("Aisha Khan", "Grace Mitchell", "Ingrid Solberg", "Liam Walsh"):
        assert _first_due(leads[name], today) is None
    assert leads["Marcus Webb"]["Next Date"].weekday() == 4
    assert leads["Jakub Dvořák"]["Last Contact"] == "31/02/2025"


def test_workbook_tabs_is_pure_and_deterministic():
    first = workbook_tabs(True, TODAY)
    assert first == workbook_tabs(True, TODAY)
    assert list(first) == TABS
    later = workbook_tabs(True, dt.date(2031, 3, 3))
    # Only the dates move with today; everything else is the same.
    for tab in TABS:
        for a, b in zip(first[tab], later[tab], strict=True):
            assert [v for v in a if not isinstance(v, dt.date)] == \
                   [v for v in b if not isinstance(v, dt.date)]
    dates = [v for row in later[layout.LEADS] for v in row if isinstance(v, dt.date)]
    assert dates and all(abs((d - dt.date(2031, 3, 3)).days) <= 130 for d in dates)
    plain = workbook_tabs(False, TODAY)
    assert plain[layout.LEADS] == [list(layout.NEW_LEADS_HEADER)]
    assert {k: v for k, v in plain.items() if k != layout.LEADS} == \
           {k: v for k, v in first.items() if k != layout.LEADS}


# Refusals.

def test_init_never_overwrites_a_file(book):
    before = book.read_bytes()
    with pytest.raises(TargetError) as err:
        create_excel_workbook(book, today=TODAY)
    message = str(err.value)
    assert "\n" not in message
    assert str(book) in message and "leads-2.xlsx" in message
    assert book.read_bytes() == before


@pytest.mark.parametrize("name", ["leads.xlsm", "leads.csv", "leads", "LEADS.XLSM"])
def test_init_refuses_other_kinds_of_file(tmp_path, name):
    with pytest.raises(TargetError) as err:
        create_excel_workbook(tmp_path / name, today=TODAY)
    assert "init makes .xlsx files" in str(err.value)
    assert "\n" not in str(err.value)
    assert not (tmp_path / name).exists()


def test_init_refuses_a_missing_folder(tmp_path):
    with pytest.raises(TargetError, match="does not exist"):
        create_excel_workbook(tmp_path / "nope" / "leads.xlsx", today=TODAY)


def test_init_accepts_an_uppercase_suffix_and_a_str_path(tmp_path):
    create_excel_workbook(str(tmp_path / "Leads.XLSX"), today=TODAY)
    assert openpyxl.load_workbook(tmp_path / "Leads.XLSX").sheetnames == TABS


# LibreOffice opens it.

def test_libreoffice_opens_the_new_workbook(example_book, tmp_path):
    soffice = shutil.which("soffice")
    if soffice is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice (soffice) is required on CI to check new workbooks open")
        pytest.skip("LibreOffice (soffice) is not installed")
    out = tmp_path / "csv"
    subprocess.run(
        [soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo-profile",
         "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,"
         "false,-1", "--outdir", str(out), str(example_book)],
        check=True, capture_output=True, timeout=180)
    leads = (out / "example-Leads.csv").read_text(encoding="utf-8").splitlines()
    assert leads[0] == ",".join(layout.NEW_LEADS_HEADER)
    assert leads[1].startswith("Zoë Hartmann,")
    first_contacted = next(line for line in leads if line.startswith("Łukasz"))
    assert (TODAY - dt.timedelta(days=12)).isoformat() in first_contacted  # shown as yyyy-mm-dd
    settings = (out / "example-Settings.csv").read_text(encoding="utf-8").splitlines()
    assert settings[0].startswith(",".join(layout.SETTINGS_HEADER))
    assert settings[-1].startswith(layout.STAGE_KEY_PREFIX + layout.DEFAULT_STAGES[-1][0])
    assert (out / "example-Cadence.csv").exists()


# The benchmark workbook.

def load_generator():
    spec = importlib.util.spec_from_file_location("bench_generate", ROOT / "bench" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bench_generator_writes_500_leads_quickly_and_reproducibly(tmp_path):
    generate = load_generator()
    path = tmp_path / "big.xlsx"
    start = time.perf_counter()
    generate.make_workbook(path, 500, seed=7, today=TODAY)
    assert time.perf_counter() - start < 10
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[:3] == [layout.LEADS, layout.SETTINGS, layout.CADENCE]
    ws = wb[layout.LEADS]
    assert ws.max_row == 501 and ws.max_column == 15
    head = header(ws)
    assert set(USER_HEADER) <= set(head) and {"Owner", "Source"} <= set(head)
    rows = [dict(zip(head, r, strict=True)) for r in ws.iter_rows(min_row=2, values_only=True)]
    stages = {r["Stage"] for r in rows}
    assert {"New", "Contacted", "Proposal Sent", "Won", "Lost", "Nurture"} <= stages
    text_dates = sum(isinstance(r["Last Contact"], str) for r in rows)
    real_dates = sum(isinstance(r["Last Contact"], dt.datetime) for r in rows)
    assert 0 < text_dates < 0.1 * len(rows) and real_dates > 0.7 * len(rows)
    last = column(ws, "Last Contact")
    assert all(ws[f"{last}{r}"].number_format == DATE_FORMAT for r in range(2, 502)
               if isinstance(ws[f"{last}{r}"].value, dt.datetime))
    notes = [r["Notes"] for r in rows if r["Notes"]]
    assert all(60 <= len(n) <= 120 for n in notes)
    assert wb[layout.CADENCE].max_row == len(layout.DEFAULT_CADENCE) + 1

    again = tmp_path / "again.xlsx"
    generate.make_workbook(again, 500, seed=7, today=TODAY)
    other = tmp_path / "other.xlsx"
    generate.make_workbook(other, 500, seed=8, today=TODAY)

    def values(p):
        return list(openpyxl.load_workbook(p)[layout.LEADS].iter_rows(values_only=True))

    assert values(again) == values(path)
    assert values(other) != values(path)


def test_bench_generator_command_line(tmp_path):
    out = tmp_path / "cli.xlsx"
    subprocess.run([sys.executable, str(ROOT / "bench" / "generate.py"), "25", str(out),
                    "--today", "2025-06-04"], check=True, capture_output=True, timeout=120)
    assert openpyxl.load_workbook(out)[layout.LEADS].max_row == 26


# The documented flags, as the real sync computes them (see example_leads' docstring).
EXPECTED_FLAGS = {
    "DUE": ("Zoë Hartmann", "Rafael Souza", "Amélie Laurent", "Siobhan Byrne"),
    "OVERDUE": ("Łukasz Nowak", "Priya Raman", "Björn Lindqvist", "Oluwaseun Adeyemi",
                "José García", "Emily Carter", "Ana Popescu", "Ravi Patel", "Niamh Kelly",
                "Sven Johansson", "Noah Fischer"),
    "UPCOMING": ("Mei Lin", "Kenji Watanabe", "Hannah Schmidt", "Claire Dubois", "Chloé Martin"),
    "AGREED": ("Marcus Webb",),
    "WON": ("Aisha Khan", "Grace Mitchell"),
    "DNC": ("Ingrid Solberg", "Liam Walsh"),
    "INVALID": ("Jakub Dvořák",),
    "LOST": ("Dmitri Volkov",),
    "NURTURE": ("Fatima El-Amin",),
}
WARNINGS = {"José García": "no email", "Emily Carter": "add notes",
            "Siobhan Byrne": "duplicate of"}


@pytest.mark.parametrize("offset", range(7))
def test_a_first_sync_of_the_example_shows_the_documented_flags(tmp_path, offset):
    # sheetfollow.api, not sheetfollow.plan: once the sheetfollow.plan module is imported, that
    # attribute is the module, not the lazily loaded function.
    from sheetfollow.api import plan as plan_target

    today = TODAY + dt.timedelta(days=offset)
    path = tmp_path / "example.xlsx"
    create_excel_workbook(path, example=True, today=today)
    plan = plan_target(path, today=today)
    assert plan.problems == []
    flags = {result.lead.name: result.flag for result in plan.leads}
    weekday = today.weekday() < 5
    expected = {name: word for word, names in EXPECTED_FLAGS.items() for name in names}
    expected["Siobhán Byrne"] = expected["Tomás O'Connor"] = "DUE" if weekday else "UPCOMING"
    assert set(flags) == set(expected)
    for name, word in expected.items():
        assert flags[name].split(" ")[0] == word, (name, flags[name])
    for name, warning in WARNINGS.items():
        assert warning in flags[name]
    assert all(int(flags[n].split()[1].rstrip("d")) >= 6 for n in EXPECTED_FLAGS["OVERDUE"])
    assert sum(" · duplicate" in flag for flag in flags.values()) == 1
