"""The invariants of SPEC 11 (and the Due tab of SPEC 7), checked over generated workbooks.

Hypothesis makes Leads tabs with any mix of stages, empty cells, dates as serial numbers, as text
in several formats or as junk, in both date systems, far in the past and the future, with times
of day; user columns and formulas; Settings and Cadence tabs with good and bad values. Each
workbook is synced, Done boxes are ticked, and it is synced again the same day and a later day.
Most examples run on the memory backend (the pure core); a few run on Excel and Google Sheets.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from sheetfollow import api
from sheetfollow.backends.excel import ExcelBackend
from sheetfollow.backends.memory import MemoryBackend
from sheetfollow.columns import map_columns
from sheetfollow.errors import SheetfollowError
from sheetfollow.layout import CHANNELS, DEFAULT_CADENCE, DUE_HEADER, READ_TABS
from sheetfollow.model import EPOCH_1900, EPOCH_1904
from sheetfollow.planner import Inputs, SyncPlan, plan_sync
from sheetfollow.values import read_date

D = dt.date
DAY = dt.timedelta(days=1)

# Small templates for the bulk of the examples: compiling the shipped ones takes most of a
# sync's time, and the invariants are about dates, cells and tabs, not about the wording.
SMALL = ("{% block subject %}About {{ lead.topic or lead.company or 'us' }}{% endblock %}"
         "{% block email %}Hi {{ lead.first_name }}, {{ step.purpose }}.{% endblock %}"
         "{% block call %}Call {{ lead.name }}.{% endblock %}"
         "{% block text %}Hi {{ lead.first_name }}.{% endblock %}")
TEMPLATE_NAMES = sorted({c[3] for c in DEFAULT_CADENCE} | {"first_contact", "custom_step"})
SMALL_TEMPLATES = {name: SMALL for name in TEMPLATE_NAMES}

# --- strategies --------------------------------------------------------------------------------

SAMPLES = ["😀 héllo", "مرحبا بالعالم", "שלום עולם", "=1+1", "'quoted", "  spaced  ", "a\nb",
           "{{ 7*7 }}", "L-0001", "x" * 50]
text = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=12),
    st.sampled_from(SAMPLES),
)
# Control characters: an Excel cell holds them (as _x0007_, which openpyxl cannot write), a
# Google Sheets cell as they are. The memory examples have them.
with_controls = st.one_of(text, st.just("bell\x07 and\x0bvertical tab"))
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")
JUNK_DATES = ["31/02/2025", "next tuesday", "00/00/0000", "asap", "2025-13-01", "03/04/2025",
              "", "  ", "32 March 2025", True, -5, 0, 2958465, 2958464.5, 1e12]


def _date_cell(day: dt.date, form: str, fraction: float, epoch: dt.date):
    serial = (day - epoch).days
    if form == "serial":
        return serial
    if form == "time":
        return serial + fraction
    if form == "iso":
        return day.isoformat()
    if form == "dmy":
        return f"{day.day:02d}/{day.month:02d}/{day.year}"
    if form == "mdy":
        return f"{day.month:02d}/{day.day:02d}/{day.year}"
    if form == "long":
        return f"{day.day} {MONTHS[day.month - 1]} {day.year}"
    return f"{MONTHS[day.month - 1][:3]} {day.day}, {day.year}"


def date_cells(epoch: dt.date, today: dt.date):
    near = st.integers(-45, 45).map(lambda n: today + n * DAY)
    far = st.dates(D(1901, 1, 1), D(2100, 12, 31))
    good = st.builds(_date_cell, st.one_of(near, near, far),
                     st.sampled_from(["serial", "serial", "time", "iso", "dmy", "mdy", "long",
                                      "short"]),
                     st.floats(0, 0.999), st.just(epoch))
    return st.one_of(st.none(), good, good, st.sampled_from(JUNK_DATES))


STAGES = ["New", "Contacted", "Qualified", "Proposal Sent", "Negotiation", "Nurture", "Won",
          "Lost", "Do Not Contact", "Unsubscribed", "", None, "won", " WON ", "Demo", "Paused ??"]
VALUES = [None, 0, 4800, 12.5, -500, "$1,200", "€1.200,50", "(300)", "-500", "1.5k", "abc",
          "1,2,3", True, ""]
YES_NO = [None, "yes", "no", "x", True, False, 1, 0, "maybe", ""]
CHANNEL_CELLS = [*CHANNELS, "", None, "Email", "fax", "CALL"]
WEEKDAY_CELLS = [None, "", "Mon", "tuesday", "Fri", "Sat", "xx"]

FIELDS = {  # header aliases -> the kind of cell
    "name": (["Name", "Full Name", "lead_name"], "name"),
    "company": (["Company", "Organization"], "text"),
    "email": (["Email", "E-mail"], "email"),
    "phone": (["Phone", "Mobile"], "phone"),
    "last_contact": (["Last Contact", "LAST-CONTACTED"], "date"),
    "method": (["Method", "Channel"], "channel"),
    "notes": (["Notes", "Comments"], "text"),
    "next_date": (["Next Date", "Follow-up Date"], "date"),
    "stage": (["Stage", "Status"], "stage"),
    "value": (["Value", "Deal Value"], "value"),
    "preferred_channel": (["Preferred Channel"], "channel"),
    "preferred_day": (["Preferred Day"], "weekday"),
    "dnc": (["Do Not Contact", "DNC"], "yesno"),
    "id": (["ID"], "id"),
    "flag": (["Flag"], "text"),
    "next_step": (["Next Step"], "text"),
}
USER_COLUMNS = ["Owner", "Source", "Region", "Custom 1"]


def cell_strategy(kind: str, epoch: dt.date, today: dt.date, text=text):
    maybe_text = st.one_of(st.none(), text)
    if kind == "name":
        return st.one_of(text.filter(str.strip), text.filter(str.strip), st.none(),
                         st.integers(0, 99))
    if kind == "date":
        return date_cells(epoch, today)
    if kind == "stage":
        return st.sampled_from(STAGES)
    if kind == "value":
        return st.one_of(st.sampled_from(VALUES), st.integers(-10, 10**6))
    if kind == "yesno":
        return st.sampled_from(YES_NO)
    if kind == "channel":
        return st.sampled_from(CHANNEL_CELLS)
    if kind == "weekday":
        return st.sampled_from(WEEKDAY_CELLS)
    if kind == "email":
        return st.one_of(st.none(), st.sampled_from(["ana@example.com", "ben@example.com",
                                                     "not an address", "ANA@example.com "]))
    if kind == "phone":
        return st.one_of(st.none(), st.sampled_from(["+44 20 7946 0000", "0207 946 0000", "12"]),
                         st.integers(10**6, 10**10))
    if kind == "id":
        return st.one_of(st.none(), st.sampled_from(["L-0001", "L-0002", "L-0099", "X", ""]))
    if kind == "user":
        return st.one_of(maybe_text, st.integers(-5, 5), st.floats(-1e6, 1e6), st.booleans())
    return maybe_text


SETTING_ROWS = [
    ("Skip Weekends", "yes"), ("Skip Weekends", "no"), ("Skip Weekends", "maybe"),
    ("Avoid Days", "Mon, Fri"), ("Avoid Days", "Funday"), ("Avoid Days", "Mon,Tue,Wed,Thu,Fri"),
    ("Pause Until", "PAUSE"), ("Pause Until", "soon"), ("Date Order", "day first"),
    ("Date Order", "month first"), ("Date Order", "sideways"), ("Upcoming Days", 7),
    ("Upcoming Days", "-3"), ("Upcoming Days", "abc"), ("Upcoming Days", 0),
    ("Nurture Every Days", 30), ("Nurture Every Days", "0"), ("Reengage After Days", "10"),
    ("Max Touches", "2"), ("Max Touches", "0"), ("Max Touches", "x"), ("Country", "US"),
    ("Country", "GB"), ("Country", "ZZ"), ("Country", "US-XX"), ("Country", "USA"),
    ("Time Zone", "Mars/Olympus"), ("Stage: Demo", "proposal"), ("Stage: Paused ??", "stop"),
    ("Stage: Contacted", "nocadence"), ("Stage: New", "custom"), ("Stage:", ""),
    ("Unknown Key", "x"), ("Email Time", "25:00"), ("Call Blocks", "09:00-08:00"),
    ("Booking Link", "ftp://x"), ("Sender Name", "Sam"),
]


def settings_tab(epoch: dt.date, today: dt.date):
    pause = st.integers(-10, 30).map(lambda n: (today + n * DAY - epoch).days)

    def fill(rows, pause_serial):
        return [["Setting", "Value"]] + [[k, pause_serial if v == "PAUSE" else v]
                                         for k, v in rows]
    return st.one_of(st.none(), st.builds(fill, st.lists(st.sampled_from(SETTING_ROWS),
                                                         max_size=5), pause))


CADENCE_ROW = st.tuples(
    st.sampled_from(["prospect", "proposal", "nurture", "custom", "", "Prospect"]),
    st.sampled_from([1, 2, 3, None, "x", 2.5]),
    st.sampled_from([0, 1, 3, 7, -2, "x", "2.5", None, 90]),
    st.sampled_from([*CHANNELS, "fax", "", "EMAIL"]),
    st.sampled_from(["recap", "custom_step", "", "missing_tpl", "case_study"]),
    st.sampled_from(["", "say hello", "ask"]),
).map(list)
cadence_tab = st.one_of(
    st.none(), st.none(),
    st.lists(CADENCE_ROW, max_size=6).map(
        lambda rows: [["Cadence", "Step", "Wait days", "Channel", "Template", "Purpose"]] + rows))

TEMPLATE_ROWS = [
    ["first_contact", "email", "Hi {{ lead.first_name }}", "About {{ lead.notes }}"],
    ["recap", "email", "Recap", "{{ lead.first_name "],  # a syntax error
    ["case_study", "email", "Case", "{{ lead.nope }}"],  # an undefined field
    ["next_step_call", "call", "", "Call {{ lead.name }}"],
]
templates_tab = st.one_of(
    st.none(), st.none(), st.none(),
    st.lists(st.sampled_from(TEMPLATE_ROWS), min_size=1, max_size=3).map(
        lambda rows: [["Template", "Channel", "Subject", "Body"]] + rows))


@st.composite
def workbooks(draw, *, epochs=(EPOCH_1900, EPOCH_1904), formulas: bool = True,
              max_leads: int = 8, controls: bool = False, broken: bool = False):
    """A workbook as {tab: rows}, plus its formulas, date system and the first sync's today.
    ``broken`` ones may lack a Leads tab or a Name column: the sync must fail before writing."""
    epoch = draw(st.sampled_from(epochs))
    today = draw(st.dates(D(2024, 1, 1), D(2027, 12, 31)))
    fields = ["name"] + draw(st.lists(st.sampled_from([f for f in FIELDS if f != "name"]),
                                      unique=True, max_size=len(FIELDS) - 1))
    columns = [(f, draw(st.sampled_from(FIELDS[f][0])), FIELDS[f][1]) for f in fields]
    users = draw(st.lists(st.sampled_from(USER_COLUMNS), unique=True, max_size=2))
    columns += [(None, u, "user") for u in users]
    if draw(st.booleans()):  # a second Email column: a warning, and the user's own column
        columns.append((None, "Email", "user"))
    columns = draw(st.permutations(columns))
    header = [c[1] for c in columns]
    if broken and draw(st.integers(0, 19)) == 0:
        header[next(i for i, c in enumerate(columns) if c[0] == "name")] = "Who"
    rows = [header]
    for _ in range(draw(st.integers(0, max_leads))):
        if draw(st.integers(0, 9)) == 0:
            rows.append([None] * len(columns))  # a blank row between leads
            continue
        rows.append([draw(cell_strategy(kind, epoch, today, with_controls if controls else text))
                     for _, _, kind in columns])
    tabs = {"Contacts" if broken and draw(st.integers(0, 19)) == 0 else "Leads": rows}
    for name, tab in (("Settings", settings_tab(epoch, today)), ("Cadence", cadence_tab),
                      ("Templates", templates_tab)):
        value = draw(tab)
        if value is not None:
            tabs[name] = value
    if draw(st.booleans()):
        tabs["Notes"] = [["Anything", 1, True], [None, "the user's own tab"]]
    formula_cells: set[tuple[int, int]] = set()
    if formulas and len(rows) > 1 and "Leads" in tabs:
        cells = st.tuples(st.integers(2, len(rows)), st.integers(1, len(header)))
        formula_cells = set(draw(st.lists(cells, max_size=3)))
    return {"tabs": tabs, "formulas": formula_cells, "epoch": epoch, "today": today}


# --- the memory backend ------------------------------------------------------------------------

def memory_sync(backend: MemoryBackend, today: dt.date) -> SyncPlan:
    plan = plan_sync(backend.read(READ_TABS), Inputs(SMALL_TEMPLATES), today)
    backend.apply(plan.changes)
    return plan


def snapshot(tabs: dict[str, list[list]]) -> dict[str, list[list]]:
    return {name: [list(r) for r in rows] for name, rows in tabs.items()}


# --- the invariants ----------------------------------------------------------------------------

def cell(rows: list[list], row: int, col: int):
    if row > len(rows):
        return None
    values = rows[row - 1]
    return values[col - 1] if col <= len(values) else None


def identical(a, b) -> bool:
    """The same value of the same type (1, 1.0 and True differ; a missing cell is None)."""
    return type(a) is type(b) and a == b


def check_user_cells(before: dict, after: dict, plan: SyncPlan, formulas: set) -> None:
    """SPEC 11.1: only tool columns, Next Date cells the tool owns and Last Contact/Method of a
    Done tick change; user tabs stay as they were; formula cells never change."""
    leads_before, leads_after = before["Leads"], after["Leads"]
    cols = map_columns(leads_after[0]).fields
    tool_cols = {cols[f] for f in ("id", "flag", "next_step") if f in cols}
    owned = {(r.lead.row, cols["next_date"]) for r in plan.leads
             if r.outcome.write_next and "next_date" in cols}
    done_rows = {r.lead.row for r in plan.leads if r.lead.id in plan.done}
    done = {(row, cols[f]) for row in done_rows for f in ("last_contact", "method") if f in cols}
    height = max(len(leads_before), len(leads_after))
    width = max(len(r) for r in leads_before + leads_after)
    for row in range(1, height + 1):
        for col in range(1, width + 1):
            old, new = cell(leads_before, row, col), cell(leads_after, row, col)
            if identical(old, new):
                continue
            where = f"Leads row {row} col {col}: {old!r} -> {new!r}"
            assert (row, col) not in formulas, "formula overwritten: " + where
            added_header = row == 1 and old in (None, "")
            assert col in tool_cols or (row, col) in owned or (row, col) in done \
                or added_header, "user cell changed: " + where
    for name, rows in before.items():
        if name in ("Leads", "Due", "Log", "Metrics", "_sheetfollow"):
            continue
        assert after[name] == rows, f"user tab {name} changed"


def check_leads(after: dict, plan: SyncPlan, formulas: set, epoch: dt.date) -> None:
    """Flags, dates and the Due tab agree with each lead's outcome, and with SPEC 3, 5 and 7."""
    today = plan.today
    rows = after["Leads"]
    cols = map_columns(rows[0]).fields
    due_ids, upcoming_ids, all_due_ids = due_tab_ids(after.get("Due"))
    expected_due, expected_upcoming = [], []
    for r in plan.leads:
        lead, out, flag = r.lead, r.outcome, r.flag
        flag_cell = cell(rows, lead.row, cols["flag"])
        if (lead.row, cols["flag"]) not in formulas:
            assert flag_cell == flag, (flag_cell, flag)
        if lead.problems:
            # A row the sync cannot read: the flag names a cell of its row.
            refs = re.findall(r"\(([A-Z]{1,3})(\d+)\)", flag)
            assert flag.startswith("INVALID ") and refs, flag
            assert all(int(n) == lead.row for _, n in refs), flag
            assert lead.id not in all_due_ids
            continue
        drafted = not flag.startswith("INVALID")
        if not drafted:  # the draft failed: the flag names the template, the lead stays due
            assert "template" in flag, flag
        nd = out.next_date
        if out.status in ("DNC", "WON"):
            # No date and no draft, ever; the Next Date cell is empty or the user's own.
            assert nd is None and r.draft is None and r.item is None
            assert lead.id not in all_due_ids
            continue
        if nd is None:
            assert out.status == "LOST" and lead.id not in all_due_ids
            continue
        if lead.last_contact is not None and not lead.next_date_formula:
            assert nd >= lead.last_contact, (lead, out.status, nd)
        primary = flag.split(" · ")[0]
        if drafted:
            if nd < today:
                assert primary == f"OVERDUE {(today - nd).days}d", (flag, nd, today)
            elif nd == today:
                assert primary == "DUE", flag
            else:
                assert primary in ("AGREED", "UPCOMING", "SCHEDULED", "NURTURE", "LOST"), flag
        if not lead.next_date_formula and "next_date" in cols:
            shown = cell(rows, lead.row, cols["next_date"])
            assert read_date(shown, epoch, plan.settings.day_first) == nd, (shown, nd)
        if nd <= today:
            expected_due.append(lead.id)
        elif (nd - today).days <= plan.settings.upcoming_days:
            expected_upcoming.append(lead.id)
    # SPEC 7: Due lists every lead whose next date is today or earlier (once), then the
    # upcoming block.
    assert sorted(due_ids) == sorted(expected_due)
    assert sorted(upcoming_ids) == sorted(expected_upcoming)


def check_stopped_dates(before: dict, after: dict, plan: SyncPlan) -> None:
    """Won and DNC leads: Next Date is empty or what the user had written."""
    cols = map_columns(after["Leads"][0]).fields
    if "next_date" not in cols:
        return
    for r in plan.leads:
        if r.outcome.status in ("DNC", "WON") and not r.lead.problems:
            new = cell(after["Leads"], r.lead.row, cols["next_date"])
            old = cell(before["Leads"], r.lead.row, cols["next_date"])
            assert new in (None, "") or identical(new, old), (old, new)


def due_tab_ids(rows: list[list] | None) -> tuple[list[str], list[str], set[str]]:
    """The IDs of the Due tab's due block and of its upcoming block."""
    if not rows:
        return [], [], set()
    id_col = rows[0].index("ID") + 1
    due, upcoming = [], []
    block = due
    for number in range(2, len(rows) + 1):
        values = rows[number - 1]
        if not any(v not in (None, "") for v in values):
            block = upcoming
            continue
        lead_id = cell(rows, number, id_col)
        if lead_id not in (None, ""):
            block.append(lead_id)
    return due, upcoming, set(due) | set(upcoming)


def check_log(rows: list[list] | None) -> None:
    """SPEC 11.3: no touch logged twice, no stage change logged twice."""
    if not rows:
        return
    keys = []
    for values in rows[1:]:
        date, event, lead_id = values[0], values[1], values[2]
        keys.append((date, event, lead_id, values[8] if event == "stage" else ""))
    assert len(keys) == len(set(keys)), [k for k in keys if keys.count(k) > 1]


def check_all(before: dict, after: dict, plan: SyncPlan, formulas: set, epoch: dt.date) -> None:
    check_user_cells(before, after, plan, formulas)
    check_leads(after, plan, formulas, epoch)
    check_stopped_dates(before, after, plan)
    check_log(after.get("Log"))


DUE_ID = DUE_HEADER.index("ID") + 1


def tick_done(tabs: dict, backend_set, pick: list[bool]) -> None:
    """Tick the Done box of some Due rows, as a user would."""
    rows = tabs.get("Due") or []
    for number in range(2, len(rows) + 1):
        if cell(rows, number, DUE_ID) and pick[number % len(pick)]:
            backend_set("Due", number, 1, True)


# --- the tests ---------------------------------------------------------------------------------

EDITED = ["stage", "last_contact", "next_date", "dnc"]


@settings(max_examples=300, deadline=None)
@given(workbooks(controls=True, broken=True), st.lists(st.booleans(), min_size=1, max_size=5),
       st.integers(1, 40),
       st.lists(st.tuples(st.integers(2, 10), st.sampled_from(EDITED)), max_size=3), st.data())
def test_sync_invariants_on_memory(book, pick, later, edits, data):
    epoch, today, formulas = book["epoch"], book["today"], book["formulas"]
    backend = MemoryBackend(book["tabs"], {"Leads": set(formulas)}, date_epoch=epoch)

    def sync_twice(day: dt.date) -> None:
        before = snapshot(backend.tabs)
        plan = memory_sync(backend, day)
        check_all(before, backend.tabs, plan, formulas, epoch)
        again = memory_sync(backend, day)
        assert not again.changes, again.changes.describe()

    try:
        sync_twice(today)
    except SheetfollowError as error:  # only a workbook without leads to read may fail
        assert "Leads" not in backend.tabs or "Who" in backend.tabs["Leads"][0], error
        assert backend.applied == 0 and backend.tabs == book["tabs"]
        return
    # Done ticks: recorded once, written into Last Contact/Method only.
    tick_done(backend.tabs, backend._set, pick)
    sync_twice(today)
    # A later day, after the user changed stages, recorded touches and agreed dates.
    day = today + later * DAY
    columns = map_columns(backend.tabs["Leads"][0]).fields
    kinds = {"stage": "stage", "last_contact": "date", "next_date": "date", "dnc": "yesno"}
    for row, field in edits:
        col = columns.get(field)
        if col and row <= len(backend.tabs["Leads"]) and (row, col) not in formulas:
            backend._set("Leads", row, col, data.draw(cell_strategy(kinds[field], epoch, day)))
    sync_twice(day)


def book_tabs(book, names) -> dict[str, list[list]]:
    present = set(book.tabs())
    return {name: book.rows(name) for name in names if name in present}


def small_templates(folder: Path) -> Path:
    folder.mkdir(exist_ok=True)
    for name, source in SMALL_TEMPLATES.items():
        (folder / f"{name}.j2").write_text(source)
    return folder


def sync_book(wb, book: dict, pick: list[bool], later: int, templates: Path,
              epoch: dt.date) -> None:
    """The memory test's scenario on a workbook of another backend (without formulas)."""
    names = ["Leads", "Due", "Log", *[t for t in book["tabs"] if t != "Leads"]]

    def sync_twice(day: dt.date) -> None:
        before = book_tabs(wb, names)
        report = wb.sync(day, templates=str(templates))
        check_all(before, book_tabs(wb, names), report.plan, set(), epoch)
        again = wb.sync(day, templates=str(templates))
        assert not again.plan.changes and not again.written, again.plan.changes.describe()

    sync_twice(book["today"])
    tick_done(book_tabs(wb, ["Due"]), wb.set, pick)
    sync_twice(book["today"])
    sync_twice(book["today"] + later * DAY)


BACKEND_EXAMPLES = settings(
    max_examples=15, deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@BACKEND_EXAMPLES
@given(workbooks(epochs=(EPOCH_1900,), formulas=False, max_leads=5),
       st.lists(st.booleans(), min_size=1, max_size=3), st.integers(1, 40))
def test_sync_invariants_on_every_backend(make_book, tmp_path, book, pick, later):
    wb = make_book(book["tabs"])
    if wb.kind == "memory":
        return  # the test above covers it, with many more examples
    sync_book(wb, book, pick, later, small_templates(tmp_path / "templates"), EPOCH_1900)


class Excel1904Book:
    """An Excel workbook in the 1904 date system (conftest's books use the 1900 one)."""

    def __init__(self, tabs: dict[str, list[list]], path: Path):
        self.path = path
        wb = openpyxl.Workbook()
        wb.epoch = CALENDAR_MAC_1904
        wb.remove(wb.active)
        for name, rows in tabs.items():
            ws = wb.create_sheet(name)
            for row in rows:
                ws.append(row)
            for line in ws.iter_rows():  # typed text starting with "=" is text, not a formula
                for c in line:
                    if isinstance(c.value, str) and c.value.startswith("="):
                        c.data_type = "s"
        wb.save(path)

    def sync(self, day: dt.date, **options):
        return api.sync(self.path, day, **options)

    def rows(self, tab: str) -> list[list]:
        return [list(r) for r in ExcelBackend(self.path).read([tab]).grid(tab).rows]

    def set(self, tab: str, row: int, col: int, value) -> None:
        wb = openpyxl.load_workbook(self.path)
        wb[tab].cell(row, col).value = value
        wb.save(self.path)

    def tabs(self) -> list[str]:
        return ExcelBackend(self.path).read([]).tab_names


@BACKEND_EXAMPLES
@given(workbooks(epochs=(EPOCH_1904,), formulas=False, max_leads=5),
       st.lists(st.booleans(), min_size=1, max_size=3), st.integers(1, 40))
def test_sync_invariants_on_excel_in_the_1904_date_system(tmp_path, book, pick, later):
    wb = Excel1904Book(book["tabs"], tmp_path / "mac.xlsx")
    sync_book(wb, book, pick, later, small_templates(tmp_path / "templates"), EPOCH_1904)
