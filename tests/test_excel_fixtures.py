"""A sync on copies of real workbooks made by other programs (shared/fixtures) changes only
the cells and tabs sheetfollow owns: every other part, element and attribute stays identical."""

from __future__ import annotations

import datetime as dt
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from lxml import etree

from sheetfollow import layout
from sheetfollow.backends.excel import ExcelBackend
from sheetfollow.changeset import (
    CellWrite,
    ChangeSet,
    RowAppend,
    TabWrite,
    column_index,
    column_letter,
)
from sheetfollow.model import EPOCH_1900, EPOCH_1904, Link, WorkbookData

try:  # tests/ as a package or as a plain folder on sys.path
    from . import libreoffice
    from .xlsxdiff import XlsxDiff, cell_refs
except ImportError:
    import libreoffice
    from xlsxdiff import XlsxDiff, cell_refs

from helpers import FIXTURES, require_fixtures  # noqa: E402

NAMES = sorted(p.name for p in FIXTURES.glob("*.xls[xm]"))
TODAY = dt.date(2026, 11, 25)
LEADS_PART = "xl/worksheets/sheet1.xml"
# Parts a sync may rewrite (besides the Leads sheet); everything else must be byte-identical.
STRUCTURE_PARTS = {"xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml",
                   "xl/styles.xml"}


@pytest.fixture(autouse=True)
def _fixtures_present():
    require_fixtures()


def test_fixtures_are_there():
    assert {"features.xlsx", "lo_features.xlsx", "macro.xlsm", "d1904.xlsx"} <= set(NAMES)


@dataclass
class Synced:
    """A fixture before and after one sync, and what the sync wrote into Leads."""

    before: Path
    after: Path
    data: WorkbookData  # as read before the sync
    written: dict[str, object]  # Leads cell ref -> value written
    date_ref: str  # the Leads cell that got today's date
    due_link: str


def copy_fixture(name: str, folder: Path, stem: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / ((stem + Path(name).suffix) if stem else name)
    shutil.copyfile(FIXTURES / name, target)
    target.chmod(0o644)
    return target


def header_index(data: WorkbookData, *names: str) -> int | None:
    header = [str(v or "").strip().lower().replace("_", " ") for v in data.grid("Leads").rows[0]]
    for name in names:
        if name in header:
            return header.index(name) + 1
    return None


def sync(name: str, folder: Path) -> Synced:
    """Copy a fixture, then apply a realistic hand-built change set to the copy."""
    before = copy_fixture(name, folder / "before")
    after = copy_fixture(name, folder / "after")
    backend = ExcelBackend(after)
    data = backend.read(layout.READ_TABS)
    leads = data.grid("Leads")
    width = backend.used_width("Leads")
    written: dict[str, object] = {}
    cells = []

    def write(row: int, col: int, value, style_from=None):
        cells.append(CellWrite("Leads", row, col, value, old=leads.cell(row, col),
                               style_from=style_from))
        written[f"{column_letter(col)}{row}"] = value

    for offset, title in enumerate(("ID", "Flag", "Next Step")):
        write(1, width + 1 + offset, title, style_from=(1, 1))
    lead_rows = [r for r in range(2, leads.height + 1) if leads.cell(r, 1) not in (None, "")]
    for n, row in enumerate(lead_rows, start=1):
        write(row, width + 1, f"L-{n:04d}")
        write(row, width + 2, "OVERDUE 3d" if n % 2 else "DUE")
        write(row, width + 3, f"{n}/5 email: recap & next <step>")
    next_col = header_index(data, "next date")
    free = [r for r in lead_rows if not leads.is_formula(r, next_col) and leads.cell(r, next_col)
            is None]
    if free:  # the computed next date, where the user has none and no formula
        date_row, date_col = free[0], next_col
    else:  # every Next Date is a formula: record a Done tick instead (Last Contact + Method)
        date_row, date_col = lead_rows[1], header_index(data, "last contact")
        write(date_row, header_index(data, "method"), "call")
    write(date_row, date_col, TODAY)
    link = "mailto:l1@x.com?subject=Quick%20question&body=Hi%20Ana%2C%0A%0Aa%20%26%20b"
    due = [list(layout.DUE_HEADER),
           [False, TODAY, 3, "Lead 1", "Acme", "email", "1/5", "l1@x.com", "Quick question",
            "Hi Ana,\n\nFollowing up on our call.", Link(link, "Open"), 1200, "OVERDUE 3d",
            "step 1/5, 3 days after the call of 2026-11-20", "L-0001"]]
    state = [list(layout.STATE_HEADER)] + [
        [f"L-{n:04d}", "New", "prospect", 1, TODAY, 1, 1, TODAY, None, TODAY, "email"]
        for n in range(1, len(lead_rows) + 1)]
    changes = ChangeSet(
        cells=cells,
        tabs=[TabWrite(layout.STATE, state, hidden=True),
              TabWrite(layout.DUE, due, widths=(6, 12, 8))],
        appends=[RowAppend(layout.LOG, list(layout.LOG_HEADER),
                           [[TODAY, "touch", "L-0001", "Lead 1", "New", "prospect", 1, "call",
                             "done"]])],
    )
    assert backend.apply(changes).written
    return Synced(before, after, data, written, f"{column_letter(date_col)}{date_row}", link)


@pytest.fixture(scope="module", params=NAMES)
def synced(request, tmp_path_factory) -> Synced:
    return sync(request.param, tmp_path_factory.mktemp(Path(request.param).stem))


def new_sheet_parts(diff: XlsxDiff) -> list[str]:
    return [p for p in diff.added if p.startswith("xl/worksheets/sheet")]


def test_only_owned_parts_change(synced):
    diff = XlsxDiff(synced.before, synced.after)
    assert diff.removed == []
    assert diff.same_order
    assert LEADS_PART in diff.changed
    assert set(diff.changed) - {LEADS_PART} <= STRUCTURE_PARTS
    sheets = new_sheet_parts(diff)
    assert len(sheets) == 3
    rels = [p for p in diff.added if p not in sheets]
    assert rels == [f"xl/worksheets/_rels/{Path(sheets[1]).name}.rels"]  # Due has the link
    with zipfile.ZipFile(synced.before) as z:
        untouched = [n for n in z.namelist() if n not in diff.changed]
    for part in untouched:  # drawings, charts, images, comments, tables, VBA, sharedStrings...
        assert diff.old(part) == diff.new(part), part
    for kept in ("xl/sharedStrings.xml", "xl/theme/theme1.xml", "docProps/app.xml",
                 "docProps/core.xml", "xl/drawings/drawing1.xml", "xl/charts/chart1.xml",
                 "xl/comments1.xml", "xl/tables/table1.xml", "xl/media/image1.png",
                 "xl/vbaProject.bin", "xl/drawings/vmlDrawing1.vml"):
        if kept in untouched or kept in diff.changed:
            assert kept in untouched, kept


def test_leads_sheet_changes_only_written_cells(synced):
    diff = XlsxDiff(synced.before, synced.after)
    old_ref = etree.fromstring(diff.old(LEADS_PART)).find("{*}dimension").get("ref")
    first, last = old_ref.split(":")
    right = max(column_index(last.rstrip("0123456789")),
                *(column_index(ref.rstrip("0123456789")) for ref in synced.written))
    new_ref = f"{first}:{column_letter(right)}{last[len(last.rstrip('0123456789')):]}"
    assert diff.element_changes(LEADS_PART, skip=("sheetData",)) == [
        f"/worksheet/dimension[1]/@ref: {old_ref} -> {new_ref}"]
    assert set(diff.cell_changes(LEADS_PART)) == set(synced.written)
    assert diff.row_attribute_changes(LEADS_PART) == []
    # The sheet keeps its sparklines, x14 formats, validations, hyperlinks, table parts...
    old, new = diff.old(LEADS_PART), diff.new(LEADS_PART)
    tail = old[old.index(b"</sheetData>"):] if b"</sheetData>" in old else b""
    assert tail and new.endswith(tail)


def test_features_sync_writes_exactly_the_tool_columns_and_the_done_tick(tmp_path):
    run = sync("features.xlsx", tmp_path)
    diff = XlsxDiff(run.before, run.after)
    # L30 holds a formula and a table covers A:H, so the tool columns start at M.
    assert set(diff.cell_changes(LEADS_PART)) == cell_refs("M1", "O21") | {"C3", "D3"}
    assert diff.element_changes(LEADS_PART, skip=("sheetData",)) == [
        "/worksheet/dimension[1]/@ref: A1:L30 -> A1:O30"]


def test_formulas_and_cached_values_kept(synced):
    new = zipfile.ZipFile(synced.after).read(LEADS_PART)
    if synced.before.name in ("features.xlsx",):
        assert b'<c r="F2" s="1"><f>C2+14</f><v>45306</v></c>' in new
        assert b'<c r="L30"><f>[1]Sheet1!A1</f><v>5</v></c>' in new
    if synced.before.name == "lo_features.xlsx":
        assert b'<f aca="false">C2+14</f><v>45306</v>' in new
    after = ExcelBackend(synced.after).read(["Leads"]).grid("Leads")
    assert after.formulas == synced.data.grid("Leads").formulas


def test_workbook_structure_changes_are_additions(synced):
    diff = XlsxDiff(synced.before, synced.after)
    n = len(synced.data.tab_names)
    workbook = diff.element_changes("xl/workbook.xml")
    assert workbook[:3] == [f"/workbook/sheets[1]/sheet[{n + i}]: added" for i in (1, 2, 3)]
    assert set(workbook[3:]) <= {"/workbook/calcPr[1]/@fullCalcOnLoad: None -> 1"}
    for part in ("[Content_Types].xml", "xl/_rels/workbook.xml.rels"):
        assert all(c.endswith(": added") for c in diff.element_changes(part)), part
    if "xl/styles.xml" in diff.changed:
        for change in diff.element_changes("xl/styles.xml"):
            assert change.endswith(": added") or "/@count: " in change, change
    root = etree.fromstring(diff.new("xl/workbook.xml"))
    sheets = {s.get("name"): s for s in root.iter("{*}sheet")}
    assert sheets[layout.STATE].get("state") == "hidden"
    assert sheets[layout.DUE].get("state") is None
    ids = [s.get("sheetId") for s in sheets.values()]
    assert len(set(ids)) == len(ids)


def test_macro_workbook_stays_macro_enabled(tmp_path):
    synced = sync("macro.xlsm", tmp_path)
    diff = XlsxDiff(synced.before, synced.after)
    assert diff.old("xl/vbaProject.bin") == diff.new("xl/vbaProject.bin")
    types = diff.new("[Content_Types].xml")
    assert b'PartName="/xl/workbook.xml" ContentType="application/vnd.ms-excel.sheet.macroEnabled' \
        b'.main+xml"' in types
    assert b"vbaProject" in diff.new("xl/_rels/workbook.xml.rels")


def test_round_trip_values(synced):
    before = synced.data
    after = ExcelBackend(synced.after).read(layout.READ_TABS)
    assert after.tab_names == before.tab_names + [layout.STATE, layout.DUE, layout.LOG]
    assert after.date_epoch == before.date_epoch
    old, new = before.grid("Leads"), after.grid("Leads")
    for r in range(1, max(old.height, new.height) + 1):
        for c in range(1, max(len(old.rows[r - 1]) if r <= old.height else 0,
                              len(new.rows[r - 1]) if r <= new.height else 0) + 1):
            ref = f"{column_letter(c)}{r}"
            if ref in synced.written:
                value = synced.written[ref]
                if isinstance(value, dt.date):
                    value = (value - after.date_epoch).days
                assert new.cell(r, c) == value, ref
            else:
                assert new.cell(r, c) == old.cell(r, c), ref
    due = after.grid(layout.DUE)
    assert due.rows[0] == list(layout.DUE_HEADER)
    assert due.cell(2, 2) == (TODAY - after.date_epoch).days
    assert due.cell(2, 11) == "Open"
    assert due.cell(2, 10) == "Hi Ana,\n\nFollowing up on our call."
    log = after.grid(layout.LOG)
    assert log.rows[0] == list(layout.LOG_HEADER)
    assert log.cell(2, 3) == "L-0001"
    state = after.grid(layout.STATE)
    assert state.cell(2, 1) == "L-0001"


def test_due_link_is_a_real_hyperlink(synced):
    diff = XlsxDiff(synced.before, synced.after)
    due_part = new_sheet_parts(diff)[1]
    sheet = etree.fromstring(diff.new(due_part))
    links = sheet.findall("{*}hyperlinks/{*}hyperlink")
    assert [link.get("ref") for link in links] == ["K2"]
    rel_id = next(v for k, v in links[0].attrib.items() if k.endswith("}id"))
    rels = etree.fromstring(diff.new(f"xl/worksheets/_rels/{Path(due_part).name}.rels"))
    (rel,) = [r for r in rels if r.get("Id") == rel_id]
    assert rel.get("Target") == synced.due_link
    assert rel.get("TargetMode") == "External"


def test_1904_workbook():
    data = ExcelBackend(FIXTURES / "d1904.xlsx").read(["Leads"])
    assert data.date_epoch == EPOCH_1904
    # The same last contact as macro.xlsm's 45356 (2024-03-05), counted from 1904.
    assert data.grid("Leads").cell(2, 3) == 43894
    assert EPOCH_1904 + dt.timedelta(days=43894) == dt.date(2024, 3, 5)
    assert ExcelBackend(FIXTURES / "features.xlsx").read([]).date_epoch == EPOCH_1900


def test_fixture_values_as_read():
    data = ExcelBackend(FIXTURES / "features.xlsx").read(["Leads", "Table"])
    leads = data.grid("Leads")
    assert leads.rows[0][:3] == ["name", "email", "last_contact"]
    assert leads.cell(3, 5) == "plain bold part tail"  # rich text runs joined
    assert leads.cell(2, 6) == 45306 and leads.is_formula(2, 6)  # cached value of =C2+14
    assert leads.cell(22, 3) == "2024-03-05"  # a date typed as text stays text
    assert leads.cell(30, 12) == 5 and leads.is_formula(30, 12)
    assert data.grid("Table").cell(2, 3) == 0 and data.grid("Table").is_formula(2, 3)
    lo = ExcelBackend(FIXTURES / "lo_features.xlsx").read(["Table"]).grid("Table")
    assert str(lo.cell(2, 3)) == "#N/A"


@pytest.mark.libreoffice
def test_libreoffice_reads_synced_workbooks(tmp_path):
    libreoffice.soffice()
    runs = {name: sync(name, tmp_path / Path(name).stem) for name in NAMES}
    originals = [copy_fixture(name, tmp_path / "orig", stem="orig_" + Path(name).stem)
                 for name in NAMES]
    files = [r.after for r in runs.values()] + originals
    sheets = libreoffice.to_csv(files, tmp_path)
    for name, run, original in zip(NAMES, runs.values(), originals, strict=True):
        got, was = sheets[run.after], sheets[original]
        assert set(got) == set(run.data.tab_names) | {layout.STATE, layout.DUE, layout.LOG}
        leads, old = got["Leads"], was["Leads"]
        formulas = run.data.grid("Leads").formulas
        for r, row in enumerate(old, start=1):
            for c, text in enumerate(row, start=1):
                ref = f"{column_letter(c)}{r}"
                if ref not in run.written and (r, c) not in formulas:
                    assert libreoffice.cell(leads, ref) == text, (name, ref)
        for ref, value in run.written.items():
            shown = TODAY.isoformat() if isinstance(value, dt.date) else value
            assert libreoffice.cell(leads, ref) == shown, (name, ref)
        due = got[layout.DUE]
        assert due[0] == list(layout.DUE_HEADER)
        assert libreoffice.cell(due, "B2") == "2026-11-25"
        assert libreoffice.cell(due, "K2") == "Open"
        assert libreoffice.cell(got[layout.LOG], "A2") == "2026-11-25"
        assert libreoffice.cell(got[layout.STATE], "E2") == "2026-11-25"
