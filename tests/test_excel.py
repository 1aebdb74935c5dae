"""The Excel backend: values read and written, styles, structure, and safe saving (SPEC 9)."""

from __future__ import annotations

import datetime as dt
import errno
import os
import random
import re
import signal
import stat
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
from lxml import etree

from sheetfollow.backends.excel import ExcelBackend, fileio
from sheetfollow.backends.excel import package as package_module
from sheetfollow.changeset import CellWrite, ChangeSet, RowAppend, TabWrite
from sheetfollow.errors import FileBusyError, SheetfollowError, TargetError, WorkbookError
from sheetfollow.model import EPOCH_1900, EPOCH_1904, CellError, Link

try:  # tests/ as a package or as a plain folder on sys.path
    from . import libreoffice
    from .xlsxdiff import XlsxDiff
except ImportError:
    import libreoffice
    from xlsxdiff import XlsxDiff

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
TODAY = dt.date(2026, 11, 25)
STYLES = (
    f'<styleSheet xmlns="{MAIN}"><fonts count="2"><font><sz val="11"/><name val="Calibri"/>'
    '</font><font><i/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    "</styleSheet>"
)


def build_xlsx(path: Path, sheets: dict[str, str], strings: str | None = None,
               workbook_pr: str = "", prefix: str = "", sheet_tail: str = "",
               calc_pr: str = "") -> Path:
    """A small workbook written by hand, for exact control of the XML: ``sheets`` maps tab
    names to the content of their ``<sheetData>``; ``prefix`` writes the main namespace with
    a prefix (``x:``) as some programs do."""
    p = prefix
    xmlns = f'xmlns:{p[:-1]}="{MAIN}"' if p else f'xmlns="{MAIN}"'
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for i in range(1, len(sheets) + 1))
    parts = {
        "[Content_Types].xml":
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/styles.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"'
            f'/>{overrides}</Types>',
        "_rels/.rels":
            f'<Relationships xmlns="{PKG}"><Relationship Id="rId1" Type="{REL}/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml":
            f'<{p}workbook {xmlns} xmlns:r="{REL}">{workbook_pr}<{p}sheets>'
            + "".join(f'<{p}sheet name="{name}" sheetId="{i}" r:id="rId{i}"/>'
                      for i, name in enumerate(sheets, start=1))
            + f"</{p}sheets>{calc_pr}</{p}workbook>",
        "xl/_rels/workbook.xml.rels":
            f'<Relationships xmlns="{PKG}">'
            + "".join(f'<Relationship Id="rId{i}" Type="{REL}/worksheet" '
                      f'Target="worksheets/sheet{i}.xml"/>' for i in range(1, len(sheets) + 1))
            + f'<Relationship Id="rIdS" Type="{REL}/styles" Target="styles.xml"/>'
            + (f'<Relationship Id="rIdT" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>'
               if strings is not None else "")
            + "</Relationships>",
        "xl/styles.xml": STYLES,
    }
    if strings is not None:
        parts["xl/sharedStrings.xml"] = f'<sst xmlns="{MAIN}">{strings}</sst>'
    for i, rows in enumerate(sheets.values(), start=1):
        parts[f"xl/worksheets/sheet{i}.xml"] = (
            f'<{p}worksheet {xmlns} xmlns:r="{REL}"><{p}sheetData>{rows}</{p}sheetData>'
            f"{sheet_tail}</{p}worksheet>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in parts.items():
            z.writestr(name, '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + text)
    return path


def leads_workbook(path: Path, rows: int = 3) -> Path:
    """A plain Leads workbook made with openpyxl, as a user's file might be."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Leads"
    ws.append(["Name", "Email", "Last Contact", "Next Date", "Stage"])
    for i in range(rows):
        ws.append([f"Lead {i + 1}", f"l{i + 1}@x.com", dt.date(2026, 11, 1) + dt.timedelta(i),
                   None, "New"])
        ws.cell(i + 2, 3).number_format = "yyyy-mm-dd"
    wb.save(path)
    return path


def part(path: Path, name: str) -> bytes:
    with zipfile.ZipFile(path) as z:
        return z.read(name)


def sync_cells(path: Path, *cells: CellWrite, **kwargs) -> ExcelBackend:
    backend = ExcelBackend(path, **kwargs)
    backend.read(["Leads"])
    backend.apply(ChangeSet(cells=list(cells)))
    return backend


def leads(path: Path):
    return ExcelBackend(path).read(["Leads"]).grid("Leads")


# --- reading -------------------------------------------------------------------------------------

def test_reads_every_value_type(tmp_path):
    strings = ('<si><t>plain</t></si>'
               '<si><r><t xml:space="preserve">rich </t></r><r><rPr><b/></rPr><t>text</t></r>'
               '<rPh sb="0" eb="1"><t>PHONETIC</t></rPh></si>'
               '<si><t>line_x000D_break</t></si>')
    rows = (
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c>'
        '<c r="C1" t="s"><v>2</v></c><c r="D1" t="inlineStr"><is><t>inline &amp; &lt;x&gt;</t>'
        '</is></c><c r="E1" t="str"><f>A1&amp;""</f><v>plain</v></c></row>'
        '<row r="2"><c r="A2"><v>42</v></c><c r="B2"><v>2.5</v></c><c r="C2"><v>1E3</v></c>'
        '<c r="D2" t="n"><v>-7</v></c><c r="E2" t="b"><v>1</v></c><c r="F2" t="b"><v>0</v></c>'
        '<c r="G2" t="e"><v>#N/A</v></c><c r="H2" t="d"><v>2026-11-25T12:00:00</v></c>'
        '<c r="I2"><f>A2*2</f><v>84</v></c><c r="J2"><f>NOW()</f></c><c r="K2" s="1"/></row>'
        '<row r="4"><c r="C4"><v>1</v></c></row>'
    )
    path = build_xlsx(tmp_path / "types.xlsx", {"Leads": rows, "Other": ""}, strings)
    data = ExcelBackend(path).read(["leads "])
    assert data.tab_names == ["Leads", "Other"]
    assert list(data.grids) == ["Leads"]
    grid = data.grid("Leads")
    assert grid.rows[0] == ["plain", "rich text", "line\rbreak", "inline & <x>", "plain"]
    assert grid.rows[1][:8] == [42, 2.5, 1000, -7, True, False, CellError("#N/A"),
                                (dt.date(2026, 11, 25) - EPOCH_1900).days + 0.5]
    assert isinstance(grid.cell(2, 1), int) and isinstance(grid.cell(2, 2), float)
    assert grid.cell(2, 9) == 84 and grid.cell(2, 10) is None and grid.cell(2, 11) is None
    assert grid.formulas == {(1, 5), (2, 9), (2, 10)}
    assert grid.rows[2] == [] and grid.cell(4, 3) == 1
    assert len(grid.rows[1]) == 11  # an empty formatted cell still counts


def test_reads_cells_and_rows_without_r_and_prefixed_namespace(tmp_path):
    rows = ('<x:row><x:c t="inlineStr"><x:is><x:t>a</x:t></x:is></x:c><x:c><x:v>2</x:v></x:c>'
            '</x:row><x:row r="3"><x:c r="C3"><x:v>3</x:v></x:c><x:c><x:v>4</x:v></x:c></x:row>'
            '<x:row><x:c><x:v>5</x:v></x:c></x:row>')
    path = build_xlsx(tmp_path / "x.xlsx", {"Leads": rows}, prefix="x:")
    grid = leads(path)
    assert grid.rows == [["a", 2], [], [None, None, 3, 4], [5]]


def test_1904_date_system(tmp_path):
    path = build_xlsx(tmp_path / "d.xlsx", {"Leads": '<row r="1"><c r="A1"><v>1</v></c></row>'},
                      workbook_pr='<workbookPr date1904="true"/>')
    backend = ExcelBackend(path)
    assert backend.read(["Leads"]).date_epoch == EPOCH_1904
    backend.apply(ChangeSet(cells=[CellWrite("Leads", 1, 2, TODAY)]))
    assert leads(path).cell(1, 2) == (TODAY - EPOCH_1904).days


# --- writing text --------------------------------------------------------------------------------

TRICKY = ["=SUM(A1)", "+1 555 0100", "-5", "@mention", "tab\there", "cr\r\nlf", "bell\x07",
          "emoji 👋🏽 ok", "مرحبا بالعالم", "  padded  ", "<b>&amp;</b>", "_x0041_ stays",
          "x" * 40_000, "👋" * 20_000]


def test_text_is_always_text(tmp_path):
    """Text never becomes a formula; characters XML cannot hold are dropped; text longer than
    Excel's 32,767-character cell limit (counted in UTF-16 units) is cut to it."""
    path = leads_workbook(tmp_path / "book.xlsx")
    sync_cells(path, *[CellWrite("Leads", 2 + i, 6, text) for i, text in enumerate(TRICKY)])
    grid = leads(path)
    expected = list(TRICKY)
    expected[6] = "bell"
    expected[12] = "x" * 32_767
    expected[13] = "👋" * 16_383
    assert [grid.cell(2 + i, 6) for i in range(len(TRICKY))] == expected
    sheet = part(path, "xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet and b"<f " not in sheet
    assert len(re.findall(rb'<c r="F\d+" t="inlineStr">', sheet)) == len(TRICKY)
    etree.fromstring(sheet)  # well-formed


@pytest.mark.libreoffice
def test_text_stays_text_in_libreoffice(tmp_path):
    libreoffice.soffice()
    path = leads_workbook(tmp_path / "book.xlsx")
    sync_cells(path, *[CellWrite("Leads", 2 + i, 6, text) for i, text in enumerate(TRICKY[:9])],
               CellWrite("Leads", 2, 4, TODAY))
    rows = libreoffice.to_csv([path], tmp_path)[path]["Leads"]
    assert [rows[1 + i][5] for i in range(9)] == [
        "=SUM(A1)", "+1 555 0100", "-5", "@mention", "tab\there", "cr\nlf", "bell",
        "emoji 👋🏽 ok", "مرحبا بالعالم"]
    assert rows[1][3] == "2026-11-25"


# --- writing cells -------------------------------------------------------------------------------

def test_cell_writes_splice_rows_and_keep_everything_else(tmp_path):
    rows = ('<row r="1" spans="1:3"><c r="A1" s="2" t="inlineStr"><is><t>Name</t></is></c>'
            '<c r="C1"><v>1</v></c></row>'
            '<row r="2" spans="1:3" customHeight="1" ht="20"><c r="A2"><v>1</v></c>'
            '<c r="C2" s="2"><v>3</v></c></row>'
            '<row r="5"><c r="A5"><v>5</v></c></row>')
    tail = '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0" footer="0"/>'
    path = build_xlsx(tmp_path / "b.xlsx", {"Leads": rows}, sheet_tail=tail)
    before = tmp_path / "before.xlsx"
    before.write_bytes(path.read_bytes())
    sync_cells(path,
               CellWrite("Leads", 1, 5, "ID", style_from=(1, 1)),  # new header copies A1's look
               CellWrite("Leads", 2, 2, "between"),  # a missing cell between two others
               CellWrite("Leads", 2, 3, None),  # emptied: keeps its format
               CellWrite("Leads", 5, 1, None),  # emptied, no format: the cell goes
               CellWrite("Leads", 3, 2, 7.25),  # a new row, in order
               CellWrite("Leads", 7, 1, True))  # a new row at the end
    diff = XlsxDiff(before, path)
    assert diff.changed == ["xl/worksheets/sheet1.xml"]
    sheet = diff.new("xl/worksheets/sheet1.xml").decode()
    assert ('<row r="1" spans="1:5"><c r="A1" s="2" t="inlineStr"><is><t>Name</t></is></c>'
            '<c r="C1"><v>1</v></c><c r="E1" s="2" t="inlineStr"><is><t>ID</t></is></c></row>'
            ) in sheet
    assert ('<row r="2" spans="1:3" customHeight="1" ht="20"><c r="A2"><v>1</v></c>'
            '<c r="B2" t="inlineStr"><is><t>between</t></is></c><c r="C2" s="2"/></row>'
            '<row r="3"><c r="B3"><v>7.25</v></c></row><row r="5"></row>'
            '<row r="7"><c r="A7" t="b"><v>1</v></c></row></sheetData>' + tail) in sheet
    assert leads(path).rows == [["Name", None, 1, None, "ID"], [1, "between", None], [None, 7.25],
                                [], [], [], [True]]


def test_cells_without_r_get_one_before_an_insert(tmp_path):
    rows = ('<row><c t="inlineStr"><is><t>a</t></is></c><c><v>3</v></c></row>'
            '<row><c><v>1</v></c></row>')
    path = build_xlsx(tmp_path / "b.xlsx", {"Leads": rows})
    sync_cells(path, CellWrite("Leads", 1, 4, "d"), CellWrite("Leads", 3, 1, "new"))
    assert leads(path).rows == [["a", 3, None, "d"], [1], ["new"]]


def test_text_that_looks_like_a_cell_reference_does_not_confuse_the_splice(tmp_path):
    rows = ('<row r="1"><c r="A1" t="inlineStr"><is><t>r="B1" and r="C1"</t></is></c>'
            '<c r="C1"><v>3</v></c></row>')
    path = build_xlsx(tmp_path / "b.xlsx", {"Leads": rows})
    sync_cells(path, CellWrite("Leads", 1, 2, "b"), CellWrite("Leads", 1, 3, "c"))
    assert leads(path).rows == [['r="B1" and r="C1"', "b", "c"]]


def test_prefixed_namespace_is_written_with_the_prefix(tmp_path):
    rows = '<x:row r="1"><x:c r="A1"><x:v>1</x:v></x:c></x:row>'
    path = build_xlsx(tmp_path / "x.xlsx", {"Leads": rows}, prefix="x:")
    sync_cells(path, CellWrite("Leads", 1, 2, "b"), CellWrite("Leads", 2, 1, TODAY))
    sheet = part(path, "xl/worksheets/sheet1.xml")
    assert b'<x:c r="B1" t="inlineStr"><x:is><x:t>b</x:t></x:is></x:c>' in sheet
    assert b'<x:row r="2"><x:c r="A2" s="' in sheet
    assert leads(path).rows == [[1, "b"], [(TODAY - EPOCH_1900).days]]


def test_dimension_grows_with_written_cells(tmp_path):
    path = leads_workbook(tmp_path / "book.xlsx")
    sync_cells(path, CellWrite("Leads", 1, 8, "Next Step"), CellWrite("Leads", 9, 2, "x"))
    dim = etree.fromstring(part(path, "xl/worksheets/sheet1.xml")).find(f"{{{MAIN}}}dimension")
    assert dim.get("ref") == "A1:H9"


def test_formula_cells_are_never_overwritten(tmp_path):
    rows = '<row r="1"><c r="A1"><f>1+1</f><v>2</v></c></row>'
    path = build_xlsx(tmp_path / "f.xlsx", {"Leads": rows})
    before = path.read_bytes()
    with pytest.raises(WorkbookError, match="formula in Leads!A1 .* bug"):
        sync_cells(path, CellWrite("Leads", 1, 1, "text"))
    assert path.read_bytes() == before


def test_full_calc_on_load_only_when_formulas_exist(tmp_path):
    with_formula = build_xlsx(tmp_path / "f.xlsx", {
        "Leads": '<row r="1"><c r="A1"><v>1</v></c></row>',
        "Calc": '<row r="1"><c r="A1"><f>Leads!A1*2</f><v>2</v></c></row>'})
    sync_cells(with_formula, CellWrite("Leads", 1, 1, 5))
    calc = etree.fromstring(part(with_formula, "xl/workbook.xml")).find(f"{{{MAIN}}}calcPr")
    assert calc.get("fullCalcOnLoad") == "1"
    plain = build_xlsx(tmp_path / "p.xlsx", {"Leads": '<row r="1"><c r="A1"><v>1</v></c></row>'})
    before = part(plain, "xl/workbook.xml")
    sync_cells(plain, CellWrite("Leads", 1, 1, 5))
    assert part(plain, "xl/workbook.xml") == before


# --- dates and styles ----------------------------------------------------------------------------

def test_dates_get_a_date_format_and_styles_are_reused(tmp_path):
    rows = ('<row r="1"><c r="A1" s="1"><v>45000</v></c><c r="B1" s="2"><v>1</v></c>'
            '<c r="C1"><v>1</v></c></row>')
    path = build_xlsx(tmp_path / "s.xlsx", {"Leads": rows})
    writes = [CellWrite("Leads", 1, 1, TODAY),  # already a date format: kept
              CellWrite("Leads", 1, 2, TODAY),  # italic: stays italic, gains the date format
              CellWrite("Leads", 1, 3, TODAY),  # General
              CellWrite("Leads", 1, 4, TODAY)]  # a new cell
    sync_cells(path, *writes)
    styles = part(path, "xl/styles.xml")
    sheet = etree.fromstring(part(path, "xl/worksheets/sheet1.xml"))
    s = {c.get("r"): c.get("s") for c in sheet.iter(f"{{{MAIN}}}c")}
    assert s["A1"] == "1"
    root = etree.fromstring(styles)
    xfs = root.find(f"{{{MAIN}}}cellXfs")
    fmt = root.find(f"{{{MAIN}}}numFmts/{{{MAIN}}}numFmt")
    assert fmt.get("formatCode") == "yyyy-mm-dd"
    italic_date = xfs[int(s["B1"])]
    assert italic_date.get("fontId") == "1" and italic_date.get("numFmtId") == fmt.get("numFmtId")
    assert s["C1"] == s["D1"] and xfs[int(s["C1"])].get("fontId") == "0"
    assert xfs.get("count") == str(len(xfs)) == "5"
    # A second sync writing dates again adds nothing.
    sync_cells(path, *[CellWrite("Leads", 1, c, TODAY + dt.timedelta(1)) for c in (2, 3, 5)])
    assert part(path, "xl/styles.xml") == styles
    assert leads(path).rows[0] == [(TODAY - EPOCH_1900).days] * 1 + [
        (TODAY - EPOCH_1900).days + 1] * 2 + [(TODAY - EPOCH_1900).days] + [
        (TODAY - EPOCH_1900).days + 1]


def test_tool_tab_styles_are_reused_across_syncs(tmp_path):
    path = leads_workbook(tmp_path / "book.xlsx")
    due = TabWrite("Due", [["Done", "Due Date", "Open"],
                           [False, TODAY, Link("https://example.com/a", "Open")]])
    for _ in range(2):
        backend = ExcelBackend(path)
        backend.read(["Leads"])
        backend.apply(ChangeSet(tabs=[due]))
        if _ == 0:
            styles = part(path, "xl/styles.xml")
    assert part(path, "xl/styles.xml") == styles


# --- tool tabs -----------------------------------------------------------------------------------

def test_tab_writes_create_and_replace_tool_tabs(tmp_path):
    path = leads_workbook(tmp_path / "book.xlsx")
    long_url = "https://example.com/?q=" + "x" * 2100
    backend = ExcelBackend(path)
    backend.read(["Leads"])
    backend.apply(ChangeSet(tabs=[
        TabWrite("_sheetfollow", [["ID", "Stage"], ["L-1", "New"]], hidden=True),
        TabWrite("Due", [["Open", "Other"], [Link("mailto:a@b.c?subject=Hi%20there", "Email"),
                                             Link(long_url, "Too long")]], widths=(10, 30)),
    ]))
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
    assert "xl/worksheets/sheet2.xml" in names and "xl/worksheets/sheet3.xml" in names
    due = etree.fromstring(part(path, "xl/worksheets/sheet3.xml"))
    links = due.findall(f"{{{MAIN}}}hyperlinks/{{{MAIN}}}hyperlink")
    assert [link.get("ref") for link in links] == ["A2"]  # the too-long link is a label only
    assert due.find(f".//{{{MAIN}}}pane").get("state") == "frozen"
    assert [c.get("width") for c in due.iter(f"{{{MAIN}}}col")] == ["10", "30"]
    rels = part(path, "xl/worksheets/_rels/sheet3.xml.rels")
    assert b'Target="mailto:a@b.c?subject=Hi%20there" TargetMode="External"' in rels
    workbook = etree.fromstring(part(path, "xl/workbook.xml"))
    state = {s.get("name"): s.get("state") for s in workbook.iter(f"{{{MAIN}}}sheet")}
    assert state == {"Leads": "visible", "_sheetfollow": "hidden", "Due": None}
    # Replacing a tool tab keeps its part and drops its old links.
    backend = ExcelBackend(path)
    backend.read(["Due"])
    backend.apply(ChangeSet(tabs=[TabWrite("Due", [["Open"], ["nothing due"]])]))
    with zipfile.ZipFile(path) as z:
        assert z.namelist() == names
    assert b"hyperlink" not in part(path, "xl/worksheets/_rels/sheet3.xml.rels")
    assert b"<hyperlinks" not in part(path, "xl/worksheets/sheet3.xml")
    data = ExcelBackend(path).read(["Due", "_sheetfollow"])
    assert data.grid("Due").rows == [["Open"], ["nothing due"]]
    assert data.grid("_sheetfollow").rows == [["ID", "Stage"], ["L-1", "New"]]


def test_hiding_the_active_tab_activates_a_visible_one(tmp_path):
    path = leads_workbook(tmp_path / "book.xlsx")
    wb = openpyxl.load_workbook(path)
    wb.create_sheet("_sheetfollow").append(["ID"])
    wb.active = 1
    wb.save(path)
    backend = ExcelBackend(path)
    backend.read(["_sheetfollow"])
    backend.apply(ChangeSet(tabs=[TabWrite("_sheetfollow", [["ID"], ["L-1"]], hidden=True)]))
    workbook = etree.fromstring(part(path, "xl/workbook.xml"))
    assert workbook.find(f".//{{{MAIN}}}workbookView").get("activeTab") == "0"
    assert [s.get("state") for s in workbook.iter(f"{{{MAIN}}}sheet")] == ["visible", "hidden"]


def test_appends_go_after_the_last_row_with_values(tmp_path):
    path = leads_workbook(tmp_path / "book.xlsx")
    wb = openpyxl.load_workbook(path)
    log = wb.create_sheet("Log")
    log.append(["Date", "Event"])
    log.append(["2026-11-01", "touch"])
    for r in range(3, 40):  # formatted but empty rows, as LibreOffice leaves them
        log.cell(r, 2).number_format = "@"
    wb.save(path)
    backend = ExcelBackend(path)
    backend.read(["Log"])
    backend.apply(ChangeSet(appends=[
        RowAppend("Log", ["Date", "Event"], [[TODAY, "stage"], ["2026-11-26", "touch"]]),
        RowAppend("Metrics", ["Figure", "Value"], [["due", 3]])]))
    data = ExcelBackend(path).read(["Log", "Metrics"])
    assert data.grid("Log").rows[:4] == [["Date", "Event"], ["2026-11-01", "touch"],
                                         [(TODAY - EPOCH_1900).days, "stage"],
                                         ["2026-11-26", "touch"]]
    assert data.grid("Metrics").rows == [["Figure", "Value"], ["due", 3]]


# --- where new columns go ------------------------------------------------------------------------

def test_used_width_counts_tables_validations_sparklines_and_far_cells(tmp_path):
    rows = '<row r="1"><c r="A1"><v>1</v></c><c r="E1" s="2"/></row>'
    tail = ('<conditionalFormatting sqref="A1:XFD1"><cfRule type="expression" priority="1">'
            '<formula>1</formula></cfRule></conditionalFormatting>'
            '<dataValidations count="1"><dataValidation type="list" sqref="G2:G200">'
            '<formula1>"a,b"</formula1></dataValidation></dataValidations>'
            '<extLst><ext uri="{05C60535-1F16-4fd2-B633-F4F36F0B64E0}" '
            'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
            '<x14:sparklineGroups xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main">'
            '<x14:sparklineGroup><x14:sparklines><x14:sparkline><xm:f>Leads!A1:A9</xm:f>'
            '<xm:sqref>J2</xm:sqref></x14:sparkline></x14:sparklines></x14:sparklineGroup>'
            '</x14:sparklineGroups></ext></extLst>')
    path = build_xlsx(tmp_path / "w.xlsx", {"Leads": rows}, sheet_tail=tail)
    backend = ExcelBackend(path)
    data = backend.read(["Leads"])
    assert len(data.grid("Leads").rows[0]) == 5
    assert backend.used_width("Leads") == 10  # the sparkline in J; A1:XFD1 is "whole row"
    assert backend.used_width("leads") == 10 and backend.used_width("Nope") == 0
    wb_path = tmp_path / "table.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Leads"
    ws.append([f"Column {i}" for i in range(1, 13)])
    ws.append(["a", "b"])
    ws.add_table(openpyxl.worksheet.table.Table(displayName="T", ref="A1:L2"))
    wb.save(wb_path)
    assert ExcelBackend(wb_path).used_width("Leads") == 12


# --- an empty change set -------------------------------------------------------------------------

def test_empty_change_set_touches_nothing(tmp_path):
    path = leads_workbook(tmp_path / "book.xlsx")
    before, mtime = path.read_bytes(), os.stat(path).st_mtime_ns
    backend = ExcelBackend(path)
    backend.read(["Leads"])
    result = backend.apply(ChangeSet())
    assert result.written is False
    assert path.read_bytes() == before and os.stat(path).st_mtime_ns == mtime
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book.xlsx"]


# --- refusing to save ----------------------------------------------------------------------------

@pytest.mark.parametrize("lock, program", [("~$book.xlsx", "Excel"),
                                           (".~lock.book.xlsx#", "LibreOffice")])
def test_refuses_when_open_in_excel_or_libreoffice(tmp_path, lock, program):
    path = leads_workbook(tmp_path / "book.xlsx")
    backend = ExcelBackend(path)
    backend.read(["Leads"])
    (tmp_path / lock).write_text("someone")
    before = path.read_bytes()
    with pytest.raises(FileBusyError) as err:
        backend.apply(ChangeSet(cells=[CellWrite("Leads", 2, 6, "x")]))
    message = str(err.value)
    assert str(path) in message and program in message and "close it" in message
    assert "\n" not in message
    assert path.read_bytes() == before


def test_refuses_when_the_file_changed_since_read(tmp_path):
    path = leads_workbook(tmp_path / "book.xlsx")
    backend = ExcelBackend(path)
    backend.read(["Leads"])
    leads_workbook(path, rows=4)  # the user saved a new version meanwhile
    edited = path.read_bytes()
    with pytest.raises(FileBusyError, match="changed on disk .* run the sync again"):
        backend.apply(ChangeSet(cells=[CellWrite("Leads", 2, 6, "x")]))
    assert path.read_bytes() == edited
    # Same size and time but other bytes: the hash notices.
    backend.read(["Leads"])
    info = os.stat(path)
    data = bytearray(path.read_bytes())
    data[-30] ^= 1
    path.write_bytes(bytes(data))
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))
    with pytest.raises(FileBusyError, match="changed on disk"):
        backend.apply(ChangeSet(cells=[CellWrite("Leads", 2, 6, "x")]))


def test_refuses_read_only_file_and_folder(tmp_path):
    path = leads_workbook(tmp_path / "book.xlsx")
    before = path.read_bytes()
    path.chmod(0o444)
    with pytest.raises(FileBusyError, match="read-only; make it writable"):
        sync_cells(path, CellWrite("Leads", 2, 6, "x"))
    path.chmod(0o644)
    tmp_path.chmod(0o555)
    try:
        with pytest.raises(FileBusyError, match="folder .* is read-only"):
            sync_cells(path, CellWrite("Leads", 2, 6, "x"))
    finally:
        tmp_path.chmod(0o755)
    assert path.read_bytes() == before


# --- saving safely -------------------------------------------------------------------------------

def test_permissions_kept_on_new_file_and_backup(tmp_path):
    path = leads_workbook(tmp_path / "book.xlsx")
    path.chmod(0o640)
    sync_cells(path, CellWrite("Leads", 2, 6, "x"))
    backup = tmp_path / ".sheetfollow-backups" / "book.1.xlsx"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640
    assert stat.S_IMODE(os.stat(backup).st_mode) == 0o640


def test_backups_rotate_and_keep_at_most_n(tmp_path):
    path = leads_workbook(tmp_path / "book.xlsx")
    versions = [path.read_bytes()]
    for i in range(4):
        sync_cells(path, CellWrite("Leads", 2, 6, f"v{i}"), backups=2)
        versions.append(path.read_bytes())
    folder = tmp_path / ".sheetfollow-backups"
    assert sorted(p.name for p in folder.iterdir()) == ["book.1.xlsx", "book.2.xlsx"]
    assert (folder / "book.1.xlsx").read_bytes() == versions[-2]
    assert (folder / "book.2.xlsx").read_bytes() == versions[-3]
    sync_cells(path, CellWrite("Leads", 2, 6, "none kept"), backups=0)
    assert (folder / "book.1.xlsx").read_bytes() == versions[-2]


def test_leftover_temp_files_are_removed(tmp_path):
    path = leads_workbook(tmp_path / "book.xlsx")
    old = tmp_path / ".book.xlsx.sheetfollow-crashed.tmp"
    fresh = tmp_path / ".book.xlsx.sheetfollow-running.tmp"
    other = tmp_path / ".other.xlsx.sheetfollow-crashed.tmp"
    for leftover in (old, fresh, other):
        leftover.write_bytes(b"partial")
    an_hour_ago = time.time() - 3600
    os.utime(old, (an_hour_ago, an_hour_ago))
    os.utime(other, (an_hour_ago, an_hour_ago))
    ExcelBackend(path).read(["Leads"])
    assert not old.exists() and fresh.exists() and other.exists()


def test_failed_write_leaves_the_original_and_no_temp_file(tmp_path, monkeypatch):
    path = leads_workbook(tmp_path / "book.xlsx")
    before, mtime = path.read_bytes(), os.stat(path).st_mtime_ns
    written = []
    real_write = package_module._write

    def failing(out, info, data):
        if written:
            raise OSError(errno.ENOSPC, "No space left on device")
        written.append(info.filename)
        real_write(out, info, data)

    monkeypatch.setattr(package_module, "_write", failing)
    with pytest.raises(SheetfollowError) as err:
        sync_cells(path, CellWrite("Leads", 2, 6, "x"))
    assert "no space left" in str(err.value) and "\n" not in str(err.value)
    assert written  # it failed in the middle of writing
    assert path.read_bytes() == before and os.stat(path).st_mtime_ns == mtime
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book.xlsx"]

    def crash(out, info, data):
        raise RuntimeError("bug")

    monkeypatch.setattr(package_module, "_write", crash)
    with pytest.raises(RuntimeError):
        sync_cells(path, CellWrite("Leads", 2, 6, "x"))
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book.xlsx"]


KILL_SCRIPT = textwrap.dedent("""
    import sys
    from sheetfollow.backends.excel import ExcelBackend
    from sheetfollow.changeset import CellWrite, ChangeSet, TabWrite
    run = sys.argv[2]
    backend = ExcelBackend(sys.argv[1])
    grid = backend.read(["Leads"]).grid("Leads")
    cells = [CellWrite("Leads", r, 6, f"{run}-{r}") for r in range(1, grid.height + 1)]
    state = [[f"{run}-{i}", i, "text " * 5] for i in range(50000)]
    backend.apply(ChangeSet(cells=cells, tabs=[TabWrite("_sheetfollow", state, hidden=True)]))
    print("done", flush=True)
""")


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_killed_sync_never_breaks_the_file(tmp_path):
    """SIGKILL at random moments of a big sync: the file is the old one or a valid new one."""
    path = leads_workbook(tmp_path / "book.xlsx", rows=5000)
    script = tmp_path / "kill.py"
    script.write_text(KILL_SCRIPT)

    def start(run: str) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, str(script), str(path), run],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    began = time.perf_counter()
    assert start("full").wait() == 0
    full = time.perf_counter() - began  # how long a whole run takes on this machine
    previous = path.read_bytes()
    rng = random.Random(7)
    outcomes = []
    for run in range(8):
        proc = start(f"r{run}")
        time.sleep(rng.uniform(0.2, 1.0) * full)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        current = path.read_bytes()
        if current == previous:
            outcomes.append("old")
            continue
        outcomes.append("new")
        with zipfile.ZipFile(path) as z:
            assert z.testzip() is None
        grid = ExcelBackend(path).read(["Leads"]).grid("Leads")
        assert grid.cell(5001, 6) == f"r{run}-5001"
        previous = current
    assert "old" in outcomes  # some kills landed before the new version was in place


# --- files that are not workbooks ----------------------------------------------------------------

def _broken_xml(tmp_path: Path) -> Path:
    path = build_xlsx(tmp_path / "xml.xlsx", {"Leads": '<row r="1"><c r="A1"><v>1</v></c></row>'})
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    parts["xl/worksheets/sheet1.xml"] = parts["xl/worksheets/sheet1.xml"].replace(
        b"</row>", b"")
    with zipfile.ZipFile(path, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return path


def _bad_crc(tmp_path: Path) -> Path:
    path = leads_workbook(tmp_path / "crc.xlsx", rows=50)
    with zipfile.ZipFile(path) as z:
        info = z.getinfo("xl/worksheets/sheet1.xml")
    data = bytearray(path.read_bytes())
    data[info.header_offset + 30 + len(info.filename) + info.compress_size // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    return path


BAD_FILES = {
    "missing": (lambda d: d / "missing.xlsx", "does not exist"),
    "text": (lambda d: _write(d / "notes.xlsx", b"name,email\n"), "not an Excel workbook"),
    "docx": (lambda d: _zip(d / "letter.xlsx", {"word/document.xml": b"<w/>"}),
             "not an Excel workbook"),
    "encrypted": (lambda d: _write(d / "secret.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
                                   + "EncryptedPackage".encode("utf-16-le") + b"\0" * 64),
                  "encrypted .* remove the password"),
    "xls": (lambda d: _write(d / "old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64),
            r"Excel 97-2003 workbook \(\.xls\); .* save it as"),
    "truncated": (lambda d: _write(d / "cut.xlsx", leads_workbook(d / "full.xlsx").read_bytes()
                                   [:-200]), "not an Excel workbook"),
    "bad xml": (_broken_xml, "damaged: its part xl/worksheets/sheet1.xml is not valid XML"),
    "bad crc": (_bad_crc, "damaged: its part xl/worksheets/sheet1.xml cannot be unpacked"),
}


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _zip(path: Path, parts: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return path


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_files_that_cannot_be_read_give_one_line(tmp_path, kind):
    make, message = BAD_FILES[kind]
    path = make(tmp_path)
    before = path.read_bytes() if path.exists() else None
    with pytest.raises(TargetError, match=message) as err:
        ExcelBackend(path).read(["Leads"])
    assert "\n" not in str(err.value) and str(path) in str(err.value)
    assert (path.read_bytes() if path.exists() else None) == before


def test_unreadable_file(tmp_path, monkeypatch):
    path = leads_workbook(tmp_path / "book.xlsx")

    def denied(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(fileio, "open", denied, raising=False)
    with pytest.raises(TargetError, match="cannot read .* permission denied"):
        ExcelBackend(path).read(["Leads"])
