"""A real sync on a copy of every workbook in ../shared/fixtures: nothing of the user's is lost.

Each copy is synced, then compared with the original part by part and element by element: only
sheetfollow's cells (its columns and the Next Date cells it owns) and its own tabs may differ.
LibreOffice then opens every synced file and must show the dates and flags the sync computed.
"""

import datetime as dt
import shutil

import pytest
from helpers import serial
from libreoffice import to_csv
from xlsxdiff import XlsxDiff

from sheetfollow import api
from sheetfollow.backends.excel import ExcelBackend
from sheetfollow.changeset import column_letter

TODAY = dt.date(2026, 11, 23)
FIXTURES = ["features.xlsx", "lo_features.xlsx", "macro.xlsm", "d1904.xlsx"]
# Parts a sync may rewrite: the Leads sheet (its cells), the workbook's list of sheets (new tool
# tabs), their relationships and content types, and styles (a date format, a bold header).
MAY_CHANGE = {"xl/workbook.xml", "[Content_Types].xml", "xl/_rels/workbook.xml.rels",
              "xl/styles.xml"}


def leads_part(path):
    import zipfile

    from lxml import etree

    with zipfile.ZipFile(path) as z:
        book = etree.fromstring(z.read("xl/workbook.xml"))
        rels = etree.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    ns = {"m": book.nsmap[None],
          "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships"}
    rid = book.xpath("//m:sheet[@name='Leads']/@r:id", namespaces=ns)[0]
    target = next(r.get("Target") for r in rels if r.get("Id") == rid)
    return target.lstrip("/") if target.startswith("/") else "xl/" + target


@pytest.fixture
def synced(fixture_copy, tmp_path):
    """{fixture: (original copy, synced copy, report)}, every fixture synced once."""
    out = {}
    for name in FIXTURES:
        path = fixture_copy(name)
        original = tmp_path / f"original-{name}"
        shutil.copyfile(path, original)
        out[name] = (original, path, api.sync(path, TODAY))
    return out


@pytest.mark.parametrize("name", FIXTURES)
def test_only_sheetfollow_cells_and_tabs_change(synced, name):
    original, path, report = synced[name]
    assert report.written
    diff = XlsxDiff(original, path)
    leads = leads_part(original)
    assert diff.removed == [] and diff.same_order
    assert set(diff.changed) <= MAY_CHANGE | {leads}, diff.changed
    # New tool tabs, and the drawing and charts of the Metrics tab (see test_charts.py).
    assert all(p.startswith(("xl/worksheets/", "xl/drawings/", "xl/charts/"))
               for p in diff.added), diff.added
    # In Leads, only the tool's columns and the Next Date cells it owns changed...
    plan = report.plan
    grid = ExcelBackend(original).read(["Leads"]).grid("Leads")
    header = [str(v).strip().casefold().replace("_", " ") if v else "" for v in grid.rows[0]]
    next_col = header.index("next date") + 1 if "next date" in header else None
    tool_cols = {c.col for c in plan.changes.cells if c.tab == "Leads"}
    assert all(c.col >= len(header) + 1 or c.col == next_col for c in plan.changes.cells
               if c.tab == "Leads"), "a user column was written"
    letters = {column_letter(c) for c in tool_cols}
    for ref in diff.cell_changes(leads):
        assert ref.rstrip("0123456789") in letters, f"cell {ref} changed"
    # ...no formula cell among them, and every other element of the sheet is as it was.
    for (row, col) in grid.formulas:
        assert f"{column_letter(col)}{row}" not in diff.cell_changes(leads)
    others = diff.element_changes(leads, skip=("sheetData",))
    assert all("dimension" in change for change in others), others
    assert diff.row_attribute_changes(leads) == []
    for part in ("xl/workbook.xml", "[Content_Types].xml", "xl/_rels/workbook.xml.rels"):
        if part in diff.changed:
            # New tabs are added; a workbook with formulas is told to recalculate on opening,
            # so formulas that read a cell the sync wrote show fresh values.
            changes = [c for c in diff.element_changes(part)
                       if c != "/workbook/calcPr[1]/@fullCalcOnLoad: None -> 1"]
            assert all(c.endswith(": added") for c in changes), changes


@pytest.mark.parametrize("name", FIXTURES)
def test_second_sync_leaves_the_file_byte_identical_and_unrewritten(synced, name):
    _, path, _ = synced[name]
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    again = api.sync(path, TODAY)
    assert not again.plan.changes and not again.written
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before


def test_fixture_values_read_as_the_user_wrote_them(synced):
    plan = synced["d1904.xlsx"][2].plan
    ana = next(r for r in plan.leads if r.lead.name == "Ana Souza")
    assert ana.lead.last_contact == dt.date(2024, 3, 5)  # 1904 system: four years later
    ben = next(r for r in plan.leads if r.lead.name == "Ben Okafor")
    assert ben.outcome.status == "OVERDUE" and ben.outcome.next_date == dt.date(2024, 3, 12)
    assert ben.flag.startswith("OVERDUE") and ben.outcome.write_next is False  # the user's date
    features = synced["features.xlsx"][2].plan
    first = features.leads[0]
    assert first.lead.next_date_formula and first.lead.next_date == dt.date(2024, 1, 15)


@pytest.mark.libreoffice
def test_libreoffice_opens_every_synced_file_and_shows_the_results(synced, tmp_path):
    files = [synced[name][1] for name in FIXTURES]
    sheets = to_csv(files, tmp_path)
    for name in FIXTURES:
        _, path, report = synced[name]
        shown = sheets[path]
        assert {"Leads", "Due", "Log"} <= set(shown), f"{name}: {sorted(shown)}"
        leads = shown["Leads"]
        header = leads[0]
        flag_col = header.index("Flag")
        for result in report.plan.leads:
            row = leads[result.lead.row - 1]
            assert row[flag_col] == result.flag, (name, result.lead.row)
            if result.outcome.write_next and result.outcome.next_date:
                next_col = [h.strip().casefold().replace("_", " ") for h in header].index(
                    "next date")
                assert row[next_col] == result.outcome.next_date.isoformat(), (name, row)
        assert "_sheetfollow" not in shown or shown["_sheetfollow"][0][0] == "ID"
        assert serial(TODAY)  # the helper module is importable here too
