"""The fast reader (fastread) against the general lxml reader: the same grids and shared strings
on real and generated workbooks, no fallback on what spreadsheet programs write, a fallback on
anything else, and the same one-line error for damaged XML."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import zipfile
from pathlib import Path
from unittest import mock

import openpyxl
import pytest
from helpers import require_fixtures
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont

from sheetfollow import api, parallel
from sheetfollow.backends.excel import ExcelBackend, fastread
from sheetfollow.backends.excel.package import Package
from sheetfollow.backends.excel.reader import read_grid, shared_strings, workbook_epoch
from sheetfollow.errors import TargetError
from sheetfollow.model import EPOCH_1900, CellError, Grid

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
X14AC = "http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac"
TODAY = dt.date(2026, 11, 23)


# --- workbooks built here ------------------------------------------------------------------------

SHEET = "xl/worksheets/sheet1.xml"
STRINGS = "xl/sharedStrings.xml"


def sheet(rows: str | bytes, prefix: str = "", tail: str = "") -> bytes:
    """A worksheet part whose ``<sheetData>`` holds ``rows``."""
    p = prefix
    xmlns = f'xmlns:{p[:-1]}="{MAIN}"' if p else f'xmlns="{MAIN}"'
    head = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<{p}worksheet {xmlns} '
            f'xmlns:r="{REL}" xmlns:mc="{MC}" xmlns:x14ac="{X14AC}" mc:Ignorable="x14ac">'
            f'<{p}dimension ref="A1"/><{p}sheetData>').encode()
    rows = rows.encode() if isinstance(rows, str) else rows
    return head + rows + f"</{p}sheetData>{tail}</{p}worksheet>".encode()


def strings(items: list[str], prefix: str = "") -> bytes:
    """A shared string table holding the ``<si>`` elements ``items``."""
    p = prefix
    xmlns = f'xmlns:{p[:-1]}="{MAIN}"' if p else f'xmlns="{MAIN}"'
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<{p}sst {xmlns} count="{len(items)}">{"".join(items)}</{p}sst>').encode()


def package_bytes(sheet_part: bytes, strings_part: bytes | None = None,
                  date1904: bool = False) -> bytes:
    """A workbook with one tab, Leads, in memory."""
    parts = {
        "[Content_Types].xml":
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/></Types>',
        "_rels/.rels":
            f'<Relationships xmlns="{PKG}"><Relationship Id="rId1" Type="{REL}/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml":
            f'<workbook xmlns="{MAIN}" xmlns:r="{REL}">'
            + ('<workbookPr date1904="1"/>' if date1904 else "")
            + '<sheets><sheet name="Leads" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels":
            f'<Relationships xmlns="{PKG}"><Relationship Id="rId1" Type="{REL}/worksheet" '
            'Target="worksheets/sheet1.xml"/><Relationship Id="rId2" '
            f'Type="{REL}/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
        SHEET: sheet_part,
    }
    if strings_part is not None:
        parts[STRINGS] = strings_part
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return out.getvalue()


def package(sheet_part: bytes, strings_part: bytes | None = None,
            date1904: bool = False) -> Package:
    return Package(package_bytes(sheet_part, strings_part, date1904), "generated.xlsx")


# --- comparing the two readers -------------------------------------------------------------------

def same(fast: Grid, general: Grid) -> None:
    """The same cells, types included (1, 1.0 and True are equal in Python, not in a sheet)."""
    assert repr(fast.rows) == repr(general.rows)
    assert fast.formulas == general.formulas
    assert fast.merged == general.merged


def compare_workbook(path: Path) -> list[str]:
    """Read every worksheet of ``path`` both ways and check they agree; the parts the fast
    reader gave up on."""
    pkg = Package(path.read_bytes(), str(path))
    epoch = workbook_epoch(pkg)
    strings = shared_strings(pkg, fast=False)
    assert shared_strings(pkg) == strings
    fallbacks = []
    sst = next((r.target for r in pkg.relationships(pkg.workbook_part)
                if r.type.endswith("/sharedStrings")), None)
    if sst is not None and pkg.has(sst) and fastread.read_strings(pkg.read(sst)) is None:
        fallbacks.append(sst)
    for sheet in pkg.sheets():
        if not sheet.is_worksheet:
            continue
        same(read_grid(pkg, sheet.part, sheet.name, strings, epoch),
             read_grid(pkg, sheet.part, sheet.name, strings, epoch, fast=False))
        if fastread.read_cells(pkg.read(sheet.part), strings, epoch) is None:
            fallbacks.append(sheet.part)
    return fallbacks


def test_fixtures_read_the_same_and_never_fall_back(tmp_path):
    """Files written by Excel's way (XlsxWriter) and by LibreOffice."""
    folder = require_fixtures()
    names = sorted(p.name for p in folder.glob("*.xls[xm]"))
    assert len(names) >= 4
    for name in names:
        path = tmp_path / name
        shutil.copyfile(folder / name, path)
        assert compare_workbook(path) == [], name


def every_value_kind(path: Path) -> Path:
    """A workbook openpyxl writes, with every kind of value, formulas and merged cells."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Leads"
    ws.append(["text", "A & B <c> \"q\" 'a'", "_x0041_ escaped", "line\nbreak", "tab\there",
               "  padded  ", "Zoë Łukasz 👋🏽 مرحبا", "x" * 5000, ""])
    ws.append([0, -7, 42, 2**53 + 1, 2.5, 1e-300, 1e300, 12345678901234567890, 0.1])
    ws.append([True, False, dt.date(2026, 11, 25), dt.datetime(2026, 11, 25, 13, 30),
               dt.time(9, 15), "#N/A", "#DIV/0!", None, "=SUM(B2:C2)"])
    ws.append(["=A1&\" & \"&B1", "=IF(B2<0,\"neg\",\"pos\")", "=NOW()"])
    ws["A5"] = CellRichText(["plain ", TextBlock(InlineFont(b=True), "bold"), " & more"])
    ws["B5"].value = "#REF!"
    ws["B5"].data_type = "e"
    ws.merge_cells("C6:E8")
    ws.merge_cells("A9:A10")
    for i in range(11, 400):  # more than one chunk
        ws.append([f"Lead {i} — O'Connor & Sons", i, i / 7, dt.date(2026, 1, 1)
                   + dt.timedelta(i), f"=B{i}*2", None, "", "<note>"])
    wb.create_sheet("Empty")
    other = wb.create_sheet("Formulas")
    other.append([1, 2, 3])
    other.append(["=A1+1", "=B1+1", "=C1+1"])
    wb.save(path)
    return path


def test_openpyxl_workbook_with_every_value_kind(tmp_path):
    path = every_value_kind(tmp_path / "kinds.xlsx")
    assert compare_workbook(path) == []
    grid = ExcelBackend(path).read(["Leads"]).grid("Leads")
    assert grid.cell(1, 2) == "A & B <c> \"q\" 'a'" and grid.cell(1, 7) == "Zoë Łukasz 👋🏽 مرحبا"
    assert grid.cell(2, 3) == 42 and isinstance(grid.cell(2, 5), float)
    assert grid.cell(3, 1) is True and grid.cell(3, 6) == CellError("#N/A")
    assert grid.cell(5, 1) == "plain bold & more"
    assert (3, 9) in grid.formulas and (4, 1) in grid.formulas
    assert (6, 3, 8, 5) in grid.merged


def test_workbooks_sheetfollow_synced(tmp_path):
    """A new workbook with example leads and a user's workbook, each synced on two days: every
    tab sheetfollow writes (Due, Log, state, Metrics) reads the same both ways."""
    example = tmp_path / "example.xlsx"
    api.init(example, example=True, today=TODAY)
    user = tmp_path / "user.xlsx"
    wb = openpyxl.Workbook()
    leads = wb.active
    leads.title = "Leads"
    leads.append(["Name", "Email", "Last Contact", "Stage", "Notes", "Value"])
    for i in range(300):  # more than one chunk
        leads.append([f"Zoë O'Connor & Sons <{i}>", f"l{i}@x.com" if i % 7 else None,
                      dt.date(2026, 11, 1) + dt.timedelta(i % 40), ["New", "Won"][i % 2],
                      f"line one\nline two _x0041_ 👋 {i}", i * 2.5 if i % 3 else i])
        leads.cell(i + 2, 3).number_format = "yyyy-mm-dd"
    leads.merge_cells("H2:I3")
    wb.save(user)
    for path in (example, user):
        for day in (TODAY, TODAY + dt.timedelta(days=9)):
            api.sync(path, day)
            assert compare_workbook(path) == []
        tabs = ExcelBackend(path).read([]).tab_names
        assert {"Due", "Log"} <= set(tabs)


def test_equal_short_values_are_one_object(tmp_path):
    """Tool tabs hold text inline, not shared: equal stages, channels and dates down a column
    are read as one object each (memory), long text is not looked up."""
    path = tmp_path / "example.xlsx"
    api.init(path, example=True, today=TODAY)
    api.sync(path, TODAY)
    pkg = Package(path.read_bytes(), str(path))
    sheet = next(s for s in pkg.sheets() if s.name == "Log")
    grid = read_grid(pkg, sheet.part, "Log", shared_strings(pkg), workbook_epoch(pkg))
    for col in (1, 2):  # Date, Event
        column = [row[col - 1] for row in grid.rows[1:]]
        assert len(column) > 5 and len(set(column)) < len(column)
        assert len({id(value) for value in column}) == len(set(column))


def test_unrecognised_construct_falls_back_with_the_same_values(tmp_path):
    """A comment, a CDATA section and a cell child the scan does not know: the general reader
    reads the sheet."""
    rows = ('<row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c><!-- a note -->'
            '<c r="B1" t="str"><v><![CDATA[x < y]]></v></c>'
            '<c r="C1"><v>3</v><extLst><ext uri="u"/></extLst></c></row>'
            '<row r="2"><c r="A2"><v>4</v></c></row>')
    pkg = package(sheet(rows))
    assert fastread.read_cells(pkg.read(SHEET), [], EPOCH_1900) is None
    grid = read_grid(pkg, SHEET, "Leads", [], EPOCH_1900)
    assert grid.rows == [["a", "x < y", 3], [4]]


def test_parts_mostly_in_other_forms_are_left_to_lxml():
    """Cells written with single quotes, strings all rich text: the general patterns would be
    slower than lxml, so the scan gives up on its first chunk; the values are the same."""
    rows = "".join(f"<row r='{i}'><c r='A{i}' t='inlineStr'><is><t>x{i}</t></is></c>"
                   f"<c r='B{i}' t='s'><v>{i % 300}</v></c></row>" for i in range(1, 600))
    items = [f"<si><r><rPr><b/></rPr><t>bold {i}</t></r><r><t> plain</t></r></si>"
             for i in range(600)]
    pkg = package(sheet(rows), strings(items))
    assert fastread.read_cells(pkg.read(SHEET), [], EPOCH_1900) is None
    assert fastread.read_strings(pkg.read(STRINGS)) is None
    assert outcome(pkg, fast=True) == outcome(pkg, fast=False)
    grid = read_grid(pkg, SHEET, "Leads", shared_strings(pkg), EPOCH_1900)
    assert grid.rows[-1] == ["x599", "bold 299 plain"]


DAMAGED_ROWS = {
    "unclosed row": '<row r="1"><c r="A1"><v>1</v></c>',
    "unknown entity": '<row r="1"><c r="A1" t="inlineStr"><is><t>&nbsp;</t></is></c></row>',
    "bare ampersand": '<row r="1"><c r="A1" t="inlineStr"><is><t>A & B</t></is></c></row>',
    "control character": '<row r="1"><c r="A1" t="str"><v>a\x01b</v></c></row>',
    "reference to NUL": '<row r="1"><c r="A1"><f>"&#0;"</f><v>1</v></c></row>',
    "end of CDATA in text": '<row r="1"><c r="A1" t="str"><v>a]]>b</v></c></row>',
    "mismatched tag": '<row r="1"><c r="A1"><v>1</f></c></row>',
    "truncated cell": '<row r="1"><c r="A1"><v>1</v></row>',
}


@pytest.mark.parametrize("kind", sorted(DAMAGED_ROWS))
def test_damaged_cells_give_the_one_line_error(tmp_path, kind):
    path = tmp_path / "damaged.xlsx"
    path.write_bytes(package_bytes(sheet(DAMAGED_ROWS[kind])))
    assert fastread.read_cells(Package(path.read_bytes(), "x").read(SHEET), [], EPOCH_1900) \
        is None
    with pytest.raises(TargetError, match=f"damaged: its part {SHEET} is not valid XML") as err:
        ExcelBackend(path).read(["Leads"])
    assert "\n" not in str(err.value) and str(path) in str(err.value)


def test_invalid_utf8_and_damaged_shared_strings_give_the_one_line_error(tmp_path):
    path = tmp_path / "utf8.xlsx"
    path.write_bytes(package_bytes(sheet('<row r="1"><c r="A1" t="str"><v>\xff</v></c></row>'
                                        .encode("latin-1"))))
    with pytest.raises(TargetError, match=f"damaged: its part {SHEET} is not valid XML"):
        ExcelBackend(path).read(["Leads"])
    path.write_bytes(package_bytes(sheet('<row r="1"><c r="A1" t="s"><v>0</v></c></row>'),
                                   strings(["<si><t>a</t></si><si><t>b &x; c</t></si>"])))
    with pytest.raises(TargetError, match="its part xl/sharedStrings.xml is not valid XML"):
        ExcelBackend(path).read(["Leads"])


# --- generated sheets ----------------------------------------------------------------------------

def outcome(pkg: Package, fast: bool):
    """What a reader makes of the package: its strings and grid, or its error."""
    try:
        found = shared_strings(pkg, fast=fast)
        grid = read_grid(pkg, SHEET, "Leads", found, workbook_epoch(pkg), fast=fast)
    except Exception as exc:  # the two readers must fail alike, whatever the failure
        return type(exc).__name__, str(exc)
    return repr(found), repr(grid.rows), sorted(grid.formulas), grid.merged


WS = st.sampled_from(["", "", "", " ", "\n", "\r\n", "\t", "  \n "])
SPACE = st.sampled_from([" ", " ", " ", "\n", "\r\n", "\t", " \n  "])
QUOTE = st.sampled_from(['"', '"', "'"])
# Characters for text: markup, entities' own characters, Excel's escapes, line ends, non-ASCII.
CHARS = st.sampled_from(list("ab Z09_x.-") + ["&", "<", ">", '"', "'", "_x0041_", "_x000D_",
                                               "\n", "\r", "\r\n", "\t", "é", "Ł", "👋", "€",
                                               "]]", "  "])


@st.composite
def xml_text(draw, max_size: int = 6) -> str:
    """Text as element content, each character escaped in one of the ways XML allows."""
    out = ""
    for piece in draw(st.lists(CHARS, max_size=max_size)):
        for ch in [piece] if len(piece) > 1 and piece.isascii() else list(piece):
            choices = {"&": ["&amp;", "&#38;", "&#x26;"], "<": ["&lt;", "&#60;"],
                       ">": [">", "&gt;"], '"': ['"', "&quot;"], "'": ["'", "&apos;"]}.get(ch)
            if ch == ">" and out.endswith("]"):
                choices = ["&gt;"]  # "]]>" cannot be written as it is
            elif choices is None and not ch.isascii():
                choices = [ch, f"&#{ord(ch)};", f"&#x{ord(ch):X};"]
            out += draw(st.sampled_from(choices)) if choices else ch
    return out


@st.composite
def attribute(draw, name: str, value: str) -> str:
    q = draw(QUOTE)
    value = value.replace(q, "&quot;" if q == '"' else "&apos;")
    return f"{draw(SPACE)}{name}{draw(WS)}={draw(WS)}{q}{value}{q}"


@st.composite
def attributes(draw, pairs: list[tuple[str, str]]) -> str:
    """Attributes in any order, either quote, with odd whitespace."""
    order = draw(st.permutations(pairs))
    return "".join(draw(attribute(name, value)) for name, value in order) + draw(WS)


def tag(p: str, name: str, attrs: str, content: str | None) -> str:
    if content is None:
        return f"<{p}{name}{attrs}/>"
    return f"<{p}{name}{attrs}>{content}</{p}{name}>"


@st.composite
def rich_text(draw, p: str) -> str:
    """The content of an ``<is>`` or ``<si>``: one ``<t>``, runs, phonetic runs."""
    def t() -> str:
        space = draw(st.sampled_from([[], [("xml:space", "preserve")]]))
        text = draw(st.one_of(st.none(), xml_text()))
        return tag(p, "t", draw(attributes(space)), text)

    kind = draw(st.sampled_from(["t", "t", "empty", "runs"]))
    if kind == "t":
        return draw(WS) + t() + draw(WS)
    if kind == "empty":
        return draw(WS)
    items = []
    for item in draw(st.lists(st.sampled_from(["run", "run", "t", "rPh", "phoneticPr"]),
                              min_size=1, max_size=4)):
        if item == "run":
            props = ""
            if draw(st.booleans()):
                inner = "".join(tag(p, name, draw(attributes(attrs)), None) for name, attrs in
                                draw(st.lists(st.sampled_from(
                                    [("b", []), ("sz", [("val", "11")]),
                                     ("rFont", [("val", "Calibri")])]), max_size=3)))
                props = tag(p, "rPr", draw(attributes([])), inner)
            texts = "".join(t() for _ in range(draw(st.integers(0, 2))))
            items.append(tag(p, "r", draw(attributes([])), draw(WS) + props + draw(WS) + texts))
        elif item == "t":
            items.append(t())
        elif item == "rPh":
            items.append(tag(p, "rPh", draw(attributes([("sb", "0"), ("eb", "1")])), t()))
        else:
            items.append(tag(p, "phoneticPr", draw(attributes([("fontId", "1")])), None))
    return draw(WS).join(items) + draw(WS)


VALUES = {
    None: st.sampled_from(["42", "-7", "2.5", "1E3", " 5 ", "0.1", "1_000", "abc", "",
                           "9007199254740993", "1e400", "4&#50;"]),
    "n": st.sampled_from(["1", "3.25", "-0", "x"]),
    "s": st.sampled_from(["0", "1", "2", "3", "9", "-1", "x", "&#49;"]),
    "str": xml_text(),
    "b": st.sampled_from(["1", "0", "true", "FALSE", " 1 ", "x"]),
    "e": st.sampled_from(["#N/A", " #DIV/0! ", "#REF!"]),
    "d": st.sampled_from(["2026-11-25T12:00:00", "2026-11-25", "2026-11-25T06:00:00Z", "bad"]),
    "inlineStr": xml_text(),
    "foo": xml_text(),
}
FORMULAS = [("", [], xml_text(4)), ("shared child", [("t", "shared"), ("si", "0")], None),
            ("shared", [("t", "shared"), ("ref", "A1:A3"), ("si", "0")], xml_text(4)),
            ("aca", [("aca", "false")], st.just("C2+14"))]


@st.composite
def cell(draw, p: str, row: int | None) -> str:
    pairs = []
    if draw(st.integers(0, 4)):  # usually with r (its row part is not read)
        letters = draw(st.sampled_from(["A", "B", "C", "D", "F", "AA"]))
        pairs.append(("r", f"{letters}{row or draw(st.integers(1, 9))}"))
    if draw(st.booleans()):
        pairs.append(("s", draw(st.sampled_from(["0", "1", "12"]))))
    kind = draw(st.sampled_from(list(VALUES)))
    if kind is not None:
        pairs.append(("t", kind))
    pairs += draw(st.lists(st.sampled_from([("cm", "1"), ("vm", "1"), ("ph", "1")]),
                           max_size=1))
    children = []
    if draw(st.integers(0, 4)) == 0:
        _, attrs, text = draw(st.sampled_from(FORMULAS))
        children.append(tag(p, "f", draw(attributes(attrs)),
                            draw(text) if text is not None else None))
    form = draw(st.sampled_from(["v", "v", "empty v", "no v", "is", "is"]))
    if form == "v":
        children.append(tag(p, "v", draw(attributes([])), draw(VALUES[kind])))
    elif form == "empty v":
        children.append(draw(st.sampled_from([f"<{p}v/>", f"<{p}v></{p}v>", f"<{p}v />"])))
    elif form == "is" and not children:
        children.append(tag(p, "is", draw(attributes([])), draw(rich_text(p))))
    attrs = draw(attributes(pairs))
    if not children and draw(st.booleans()):
        return tag(p, "c", attrs, None)
    return tag(p, "c", attrs, draw(WS) + draw(WS).join(children) + draw(WS))


@st.composite
def sheet_data(draw, p: str) -> str:
    """Rows with and without r (repeated numbers too), in any attribute order and quoting,
    with cells of every kind and form."""
    out = []
    for _ in range(draw(st.integers(0, 6))):
        number = draw(st.one_of(st.none(), st.integers(1, 8)))
        pairs = [("r", str(number))] if number is not None else []
        pairs += draw(st.lists(st.sampled_from(
            [("spans", "1:4"), ("ht", "15"), ("customHeight", "1"),
             ("x14ac:dyDescent", "0.25")]), max_size=2, unique=True))
        cells = [draw(cell(p, number)) for _ in range(draw(st.integers(0, 5)))]
        attrs = draw(attributes(pairs))
        if not cells and draw(st.booleans()):
            out.append(tag(p, "row", attrs, None))
        else:
            out.append(tag(p, "row", attrs, draw(WS) + draw(WS).join(cells) + draw(WS)))
    return draw(WS) + draw(WS).join(out) + draw(WS)


@st.composite
def merges(draw, p: str) -> str:
    refs = draw(st.lists(st.sampled_from(["A1:B2", "C3", "B2:D9", "A1:A1", "ZZ", "$A$1:$C$2"]),
                         max_size=3))
    if not refs:
        return ""
    items = "".join(f'<{p}mergeCell ref="{ref}"/>' for ref in refs)
    return f'<{p}mergeCells count="{len(refs)}">{items}</{p}mergeCells>'


@st.composite
def shared_items(draw, p: str) -> list[str]:
    items = []
    for _ in range(draw(st.integers(0, 4))):
        if draw(st.integers(0, 5)) == 0:
            items.append(draw(WS) + f"<{p}si/>")
        else:
            items.append(draw(WS) + tag(p, "si", draw(attributes([])), draw(rich_text(p))))
    return items


@st.composite
def workbooks(draw):
    p = draw(st.sampled_from(["", "", "x:"]))
    rows = draw(sheet_data(p))
    items = draw(st.one_of(st.none(), shared_items(p)))
    date1904 = draw(st.booleans())
    return p, rows, draw(merges(p)), items, date1904


GENERATED = settings(max_examples=250, deadline=None,
                     suppress_health_check=[HealthCheck.too_slow])


@GENERATED
@given(workbooks(), st.sampled_from([64, 300, fastread.CHUNK]))
def test_generated_sheets_read_the_same_without_fallback(book, chunk):
    """Every construct programs write (and more: entities, rich text, missing r, repeated rows,
    odd whitespace and quotes, self-closing cells, formulas with and without text, prefixes):
    the fast reader handles it and agrees with the general one, in chunks of any size."""
    p, rows, tail, items, date1904 = book
    pkg = package(sheet(rows, p, tail), strings(items, p) if items is not None else None,
                  date1904)
    with mock.patch.object(fastread, "CHUNK", chunk):
        assert outcome(pkg, fast=True) == outcome(pkg, fast=False)
        found = shared_strings(pkg, fast=False)
        assert fastread.read_cells(pkg.read(SHEET), found, EPOCH_1900) is not None, rows
        if items is not None:
            assert fastread.read_strings(pkg.read(STRINGS)) is not None, items


ODD = ["<!-- note -->", "<?pi x?>", "<![CDATA[1]]>", "<c r='a1'><v>1</v></c>",
       '<c r="$A$1"><v>1</v></c>', '<c r=""><v>2</v></c>', '<c t=""><v>3</v></c>',
       "<c><v>1</v><f>A1</f></c>", "<c><v>1</v><v>2</v></c>", "<x:c><x:v>1</x:v></x:c>",
       '<c xmlns="urn:other"><v>1</v></c>', '<c r="B1" s="&#49;"><v>1</v></c>',
       "<c><is><t>a</t></is><v>1</v></c>", "<row/>", "</row>", "<c/>", "&amp;", "x",
       "<v>9</v>", '<c r="B1"><f>"&#0;"</f></c>', '<c r="A1" r="B1"/>', "\x01", "\xff",
       '<c foo:bar="1"/>', "]]>", "&bogus;", "<", ">", '"', '<row r="2" ht="1" ht="2"/>']


@GENERATED
@given(workbooks(), st.lists(st.tuples(st.integers(0, 10**6), st.sampled_from([0, 0, 0, 1, 3]),
                                       st.sampled_from(ODD)), min_size=1, max_size=3))
def test_odd_and_damaged_sheets_read_the_same_or_fail_the_same(book, edits):
    """Constructs the scan does not know, and damage (bytes cut out, stray markup, bad
    characters), put before any tag: the fast reader falls back, and the result, or the error,
    is the general reader's."""
    p, rows, tail, items, date1904 = book
    data = sheet(rows, p, tail)
    for at, cut, insert in edits:
        tags = [i for i, byte in enumerate(data) if byte == ord("<")]
        at = tags[at % len(tags)]
        data = data[:at] + insert.encode("latin-1" if insert == "\xff" else "utf-8") \
            + data[at + cut:]
    pkg = package(data, strings(items, p) if items is not None else None, date1904)
    with mock.patch.object(fastread, "CHUNK", 128):
        assert outcome(pkg, fast=True) == outcome(pkg, fast=False)


# --- big sheets, read by two processes -----------------------------------------------------------

needs_fork = pytest.mark.skipif(not parallel.can_fork(), reason="needs fork and two cores")


@needs_fork
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(workbooks(), st.sampled_from([1, 40, 200]))
def test_sheets_split_between_two_processes_read_the_same(book, split):
    """A big sheet's second half is scanned by a forked copy (from its first row after the
    middle, when that row has r): the same rows as one scan, repeated and unnumbered rows
    included, or the same fallback."""
    p, rows, tail, items, date1904 = book
    pkg = package(sheet(rows, p, tail), strings(items, p) if items is not None else None,
                  date1904)
    with mock.patch.object(fastread, "SPLIT", split), mock.patch.object(fastread, "CHUNK", 300):
        assert outcome(pkg, fast=True) == outcome(pkg, fast=False)


@needs_fork
def test_a_split_sheet_is_read_by_a_copy(monkeypatch):
    rows = "".join(f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>lead {n}</t></is></c>'
                   f'<c r="B{n}"><f>1+1</f><v>{n}</v></c></row>' for n in range(1, 400))
    rows += '<row r="5"><c r="C5"><v>7</v></c></row><row r="900"/>'  # out of order; empty
    data = sheet(rows)
    monkeypatch.setattr(fastread, "SPLIT", 1000)
    started = []
    real = parallel.Background.__init__

    def record(self, fn, **kwargs):
        started.append(fn)
        real(self, fn, **kwargs)

    monkeypatch.setattr(parallel.Background, "__init__", record)
    found = fastread.read_cells(data, [], EPOCH_1900)
    assert len(started) == 1
    monkeypatch.setattr(fastread, "SPLIT", len(data))
    assert found == fastread.read_cells(data, [], EPOCH_1900)
    grid, formulas, _ = found
    assert len(grid) == 900 and grid[4] == ["lead 5", 5, 7] and (399, 2) in formulas
    assert len(started) == 1


@needs_fork
def test_a_split_sheet_whose_second_half_is_empty_rows_keeps_its_height(monkeypatch):
    rows = "".join(f'<row r="{n}"><c r="A{n}"><v>{n}</v></c></row>' for n in range(1, 50))
    rows += "".join(f'<row r="{n}" ht="20" customHeight="1"/>' for n in range(50, 400))
    data = sheet(rows)
    monkeypatch.setattr(fastread, "SPLIT", 1000)
    grid, _, _ = fastread.read_cells(data, [], EPOCH_1900)
    assert len(grid) == 399 and grid[48] == [49] and grid[398] == []
