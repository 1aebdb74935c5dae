"""The Metrics tab's native charts (SPEC 8): responses by touch number and pipeline value by
stage, drawn from the tab's own cells, on both backends, recomputed every sync.

Excel: a drawing part and chart parts of the tool tab, read back here independently of the
backend; nothing else of the workbook changes, a second sync writes nothing and later syncs reuse
the same parts; LibreOffice opens the file, charts included. Google: the fake Sheets API holds
the charts, and they cost no request of their own.
"""

from __future__ import annotations

import datetime as dt
import posixpath
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from fakesheets import FakeSheets
from googlebook import GoogleBook
from libreoffice import soffice, to_csv
from lxml import etree
from xlsxdiff import XlsxDiff

from sheetfollow import api
from sheetfollow.backends.excel import ExcelBackend
from sheetfollow.backends.google.charts import chart_requests, chart_spec
from sheetfollow.changeset import ChangeSet, Chart, TabWrite, column_index
from sheetfollow.layout import METRICS, READ_TABS
from sheetfollow.metrics import ChartSeries
from sheetfollow.planner import metrics_charts

DAY = dt.date(2026, 11, 23)
NEXT_DAY = dt.date(2026, 11, 24)
C = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"
A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
XDR = "{http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing}"
R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
CONTENT_TYPES = {
    "drawing": "application/vnd.openxmlformats-officedocument.drawing+xml",
    "chart": "application/vnd.openxmlformats-officedocument.drawingml.chart+xml",
}


# ---------------------------------------------------------------- reading charts back (Excel)


def _rels(z: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """A part's relationships: id -> (type, target part)."""
    folder, name = posixpath.split(part)
    rels = posixpath.join(folder, "_rels", name + ".rels")
    if rels not in z.namelist():
        return {}
    out = {}
    for el in etree.fromstring(z.read(rels)):
        target = el.get("Target")
        target = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
            posixpath.join(folder, target))
        out[el.get("Id")] = (el.get("Type").rsplit("/", 1)[1], target)
    return out


def sheet_part(z: zipfile.ZipFile, tab: str) -> str:
    book = etree.fromstring(z.read("xl/workbook.xml"))
    rel_id = next(s.get(R + "id") for s in book.iter("{*}sheet") if s.get("name") == tab)
    return _rels(z, "xl/workbook.xml")[rel_id][1]


def excel_charts(path: Path, tab: str = METRICS) -> dict:
    """The tab's drawing and its charts, as the file holds them."""
    with zipfile.ZipFile(path) as z:
        sheet = sheet_part(z, tab)
        root = etree.fromstring(z.read(sheet))
        elements = [el.tag.rpartition("}")[2] for el in root]
        drawings = root.findall("{*}drawing")
        sheet_rels = _rels(z, sheet)
        drawing_rels = [rid for rid, (kind, _) in sheet_rels.items() if kind == "drawing"]
        assert len(drawings) == 1 and drawing_rels == [drawings[0].get(R + "id")]
        drawing = sheet_rels[drawing_rels[0]][1]
        chart_rels = _rels(z, drawing)
        charts = []
        for anchor in etree.fromstring(z.read(drawing)).iter(XDR + "twoCellAnchor"):
            ref = anchor.find(f".//{C}chart").get(R + "id")
            kind, part = chart_rels[ref]
            assert kind == "chart"
            space = etree.fromstring(z.read(part))
            ser = space.find(f".//{C}ser")
            charts.append({
                "part": part,
                "anchor": (int(anchor.find(f"{XDR}from/{XDR}col").text),
                           int(anchor.find(f"{XDR}from/{XDR}row").text)),
                "title": "".join(t.text for t in space.iter(A + "t")),
                "dir": space.find(f".//{C}barDir").get("val"),
                "legend": space.find(f".//{C}legend") is not None,
                "axes": len(space.findall(f".//{C}plotArea/{C}catAx"))
                + len(space.findall(f".//{C}plotArea/{C}valAx")),
                "name": ser.find(f"{C}tx/{C}v").text,
                "cat_f": ser.find(f"{C}cat/{C}strRef/{C}f").text,
                "val_f": ser.find(f"{C}val/{C}numRef/{C}f").text,
                "labels": _cache(ser.find(f"{C}cat/{C}strRef/{C}strCache")),
                "values": [None if v is None else float(v)
                           for v in _cache(ser.find(f"{C}val/{C}numRef/{C}numCache"))],
            })
        types = etree.fromstring(z.read("[Content_Types].xml"))
        overrides = {el.get("PartName").lstrip("/"): el.get("ContentType") for el in types
                     if el.get("PartName")}
        names = z.namelist()
    return {"sheet": sheet, "elements": elements, "drawing": drawing, "charts": charts,
            "overrides": overrides, "names": names}


def _cache(el) -> list:
    points = [None] * int(el.find(f"{C}ptCount").get("val"))
    for pt in el.findall(f"{C}pt"):
        points[int(pt.get("idx"))] = pt.find(f"{C}v").text
    return points


def cells(rows: list[list], formula: str) -> list:
    """The values of the cells a chart formula ('Metrics'!$A$5:$A$9) names."""
    m = re.fullmatch(r"'Metrics'!\$([A-Z]+)\$(\d+):\$([A-Z]+)\$(\d+)", formula)
    assert m, formula
    col, first, last = column_index(m.group(1)), int(m.group(2)), int(m.group(4))
    assert m.group(1) == m.group(3)
    return [rows[r - 1][col - 1] if col <= len(rows[r - 1]) else None
            for r in range(first, last + 1)]


def metrics_rows(path: Path) -> list[list]:
    return ExcelBackend(path).read([METRICS]).grid(METRICS).rows


def assert_charts_show_the_cells(path: Path) -> dict:
    found = excel_charts(path)
    rows = metrics_rows(path)
    for chart in found["charts"]:
        assert chart["labels"] == [str(v) for v in cells(rows, chart["cat_f"])]
        assert chart["values"] == [None if v is None else float(v)
                                   for v in cells(rows, chart["val_f"])]
    return found


@pytest.fixture
def features(fixture_copy, tmp_path):
    """(original, copy synced on DAY, report): features.xlsx holds a drawing with a chart."""
    path = fixture_copy("features.xlsx")
    original = tmp_path / "original-features.xlsx"
    shutil.copyfile(path, original)
    return original, path, api.sync(path, DAY)


# ---------------------------------------------------------------- Excel


def test_the_metrics_tab_gets_two_charts_of_its_own_cells(features):
    _, path, report = features
    metrics = next(t for t in report.plan.changes.tabs if t.tab == METRICS)
    assert [c.title for c in metrics.charts] == ["Answered (%) by touch number",
                                                 "Pipeline value by stage"]
    found = assert_charts_show_the_cells(path)
    charts = found["charts"]
    assert [(c["title"], c["dir"], c["name"]) for c in charts] == [
        ("Answered (%) by touch number", "col", "Answered (%)"),
        ("Pipeline value by stage", "bar", "Value")]
    assert all(not c["legend"] and c["axes"] == 2 for c in charts)
    assert [c["anchor"] for c in charts] == [(4, 1), (13, 1)]  # E2 and N2: right of the figures
    rows = metrics_rows(path)
    responses, pipeline = charts
    assert responses["labels"] == ["1", "2", "3", "4", "5", "6+"]
    assert rows[cells_row(responses["cat_f"]) - 2][:2] == ["Response rate by touch number",
                                                          "Answered (%)"]
    assert rows[cells_row(pipeline["cat_f"]) - 2] == ["Pipeline by stage", "Leads", "Value"]
    assert pipeline["labels"] and all(pipeline["labels"])
    # The parts are registered, and <drawing> sits where the schema wants it.
    assert found["overrides"][found["drawing"]] == CONTENT_TYPES["drawing"]
    assert all(found["overrides"][c["part"]] == CONTENT_TYPES["chart"] for c in charts)
    elements = found["elements"]
    assert elements.index("drawing") > elements.index("pageMargins")
    assert elements[-1] == "drawing" or elements[elements.index("drawing") + 1] in (
        "legacyDrawing", "tableParts", "extLst")


def cells_row(formula: str) -> int:
    return int(re.search(r"\$(\d+):", formula).group(1))


def test_the_users_drawings_and_charts_are_untouched(features):
    original, path, _ = features
    diff = XlsxDiff(original, path)
    assert diff.removed == [] and diff.same_order
    mine = {"xl/drawings/drawing1.xml", "xl/drawings/_rels/drawing1.xml.rels",
            "xl/charts/chart1.xml", "xl/worksheets/sheet1.xml",
            "xl/worksheets/_rels/sheet1.xml.rels", "xl/media/image1.png"}
    assert not mine & set(diff.added)
    assert not ({"xl/drawings/drawing1.xml", "xl/drawings/_rels/drawing1.xml.rels",
                 "xl/charts/chart1.xml", "xl/media/image1.png"} & set(diff.changed))
    found = excel_charts(path)
    assert found["drawing"] == "xl/drawings/drawing2.xml"
    assert [c["part"] for c in found["charts"]] == ["xl/charts/chart2.xml",
                                                    "xl/charts/chart3.xml"]
    assert {"xl/drawings/drawing2.xml", "xl/drawings/_rels/drawing2.xml.rels",
            "xl/charts/chart2.xml", "xl/charts/chart3.xml"} <= set(diff.added)
    # The content types only gained entries.
    changes = diff.element_changes("[Content_Types].xml")
    assert changes and all(c.endswith(": added") for c in changes), changes


def test_a_second_sync_the_same_day_writes_nothing(features):
    _, path, _ = features
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    again = api.sync(path, DAY)
    assert not again.plan.changes and not again.written
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before


def test_later_syncs_reuse_the_tabs_chart_parts(features, tmp_path):
    _, path, _ = features
    first = excel_charts(path)
    day_one = tmp_path / "day-one.xlsx"
    shutil.copyfile(path, day_one)
    report = api.sync(path, NEXT_DAY)
    assert any(t.tab == METRICS for t in report.plan.changes.tabs)
    assert metrics_rows(path) != metrics_rows(day_one)  # the figures changed
    found = assert_charts_show_the_cells(path)
    assert [c["part"] for c in found["charts"]] == [c["part"] for c in first["charts"]]
    assert found["drawing"] == first["drawing"] and found["names"] == first["names"]
    assert found["overrides"] == first["overrides"]
    diff = XlsxDiff(day_one, path)
    assert diff.added == [] and diff.removed == []
    assert "xl/drawings/drawing1.xml" not in diff.changed
    assert "xl/charts/chart1.xml" not in diff.changed


def test_fewer_charts_remove_the_parts_no_longer_used(features):
    _, path, _ = features
    first = excel_charts(path)
    kept, dropped = (c["part"] for c in first["charts"])
    backend = ExcelBackend(path)
    backend.read(READ_TABS)
    rows = [["Figure", "Value"], ["a", 1], ["b", 2]]
    one = (Chart("One", "column", "A2:A3", "B2:B3", "E2", "Value"),)
    backend.apply(ChangeSet(tabs=[TabWrite(METRICS, rows, charts=one)]))
    found = assert_charts_show_the_cells(path)
    assert [c["part"] for c in found["charts"]] == [kept]
    assert found["charts"][0]["values"] == [1.0, 2.0]
    assert dropped not in found["names"] and dropped not in found["overrides"]
    assert "xl/charts/chart1.xml" in found["names"]  # the user's chart stays
    # And back to two: a new part, not the user's.
    backend.read(READ_TABS)
    two = one + (Chart("Two", "bar", "A2:A3", "B2:B3", "N2", "Value"),)
    backend.apply(ChangeSet(tabs=[TabWrite(METRICS, rows + [["c", 3]], charts=two)]))
    found = assert_charts_show_the_cells(path)
    assert len(found["charts"]) == 2 and found["charts"][0]["part"] == kept
    assert found["charts"][1]["part"] not in {"xl/charts/chart1.xml", kept}


def test_an_empty_pipeline_gets_no_chart():
    responses = ChartSeries("R", ("1", "2"), (None, 50.0), 20, 21, 1, 2)
    empty = ChartSeries("P", (), (), 5, 4, 1, 3)
    charts = metrics_charts({"responses": responses, "pipeline": empty})
    assert [(c.title, c.categories, c.values, c.anchor) for c in charts] == [
        ("R", "A20:A21", "B20:B21", "E2")]


@pytest.mark.libreoffice
def test_libreoffice_opens_the_charts(features, tmp_path):
    _, path, report = features
    program = soffice()
    shown = to_csv([path], tmp_path)[path]
    assert shown[METRICS][0][:2] == ["Metric", "Value"]
    profile = (tmp_path / "lo-profile").resolve().as_uri()
    for target, folder in (("pdf", "pdf"), ("xlsx:Calc MS Excel 2007 XML", "resaved")):
        subprocess.run([program, "--headless", "--norestore", f"-env:UserInstallation={profile}",
                        "--convert-to", target, "--outdir", str(tmp_path / folder), str(path)],
                       capture_output=True, timeout=300, check=False)
    pdf = tmp_path / "pdf" / (path.stem + ".pdf")
    assert pdf.exists() and pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 10_000
    # LibreOffice read the charts: saving the file again, it writes them back, same ranges.
    resaved = tmp_path / "resaved" / path.name
    with zipfile.ZipFile(resaved) as z:
        formulas = set()
        for name in z.namelist():
            if name.startswith("xl/charts/chart"):
                formulas |= set(re.findall(r"<c:f>([^<]*)</c:f>", z.read(name).decode()))
    for chart in excel_charts(path)["charts"]:
        assert {chart["cat_f"].replace("'", ""), chart["val_f"].replace("'", "")} <= formulas


# ---------------------------------------------------------------- Google

HEADER = ["Name", "Company", "Email", "Phone", "Last Contact", "Method", "Notes", "Next Date",
          "Stage", "Value", "Owner"]
LEADS = [["Ana Souza", "Acme", "ana@example.com", "", dt.date(2026, 11, 12), "email", "", None,
          "Proposal Sent", 4800, ""],
         ["Ben Okafor", "Okafor Ltd", "ben@example.com", "", dt.date(2026, 11, 19), "call", "",
          None, "Negotiation", 12000, ""],
         ["Chloé Martin", "", "chloe@example.com", "", None, "", "", None, "New", 900, ""]]


@pytest.fixture
def fake():
    with FakeSheets() as server:
        yield server
        assert server.server_errors == []


def calls(fake) -> list[str]:
    """The API calls made: "read" (the whole spreadsheet), "re-read" (before writing), "write"."""
    return ["write" if r.method == "POST" else ("re-read" if "ranges" in r.query else "read")
            for r in fake.api_requests]


def chart_kinds(fake) -> list[str]:
    """The chart requests of the batchUpdates the fake received."""
    return [kind for r in fake.api_requests if r.method == "POST"
            for request in r.json()["requests"] for kind in request
            if "Chart" in kind or "Embedded" in kind]


def sheet_id(fake, key: str, tab: str) -> int:
    return fake.sheet_properties(key, tab)["sheetId"]


def google_charts(fake, book: GoogleBook, report) -> list[tuple[dict, list, list]]:
    """The Metrics charts the fake holds, each with the labels and values of the cells its
    source ranges name; their specs are those the plan's charts ask for."""
    charts = fake.charts(book.key, METRICS)
    wanted = next(t for t in report.plan.changes.tabs if t.tab == METRICS).charts
    sid = sheet_id(fake, book.key, METRICS)
    assert [c["spec"] for c in charts] == [chart_spec(w, sid) for w in wanted]
    rows = book.rows(METRICS)
    out = []
    for chart in charts:
        basic = chart["spec"]["basicChart"]
        domain = basic["domains"][0]["domain"]["sourceRange"]["sources"][0]
        series = basic["series"][0]["series"]["sourceRange"]["sources"][0]
        assert domain["sheetId"] == series["sheetId"] == sid
        assert domain["endColumnIndex"] - domain["startColumnIndex"] == 1
        labels = [r[domain["startColumnIndex"]]
                  for r in rows[domain["startRowIndex"]:domain["endRowIndex"]]]
        values = [r[series["startColumnIndex"]]
                  for r in rows[series["startRowIndex"]:series["endRowIndex"]]]
        anchor = chart["position"]["overlayPosition"]["anchorCell"]
        assert anchor["sheetId"] == sid and anchor["rowIndex"] == 1
        out.append((chart, labels, values))
    return out


def test_google_first_sync_adds_the_charts_in_its_one_write(fake, tmp_path):
    book = GoogleBook({"Leads": [HEADER, *LEADS]}, tmp_path, fake)
    fake.reset_requests()
    report = book.sync(DAY)
    assert calls(fake) == ["read", "re-read", "write"]  # as without charts
    assert chart_kinds(fake) == ["addChart", "addChart"]
    (responses, touches, rates), (pipeline, stages, values) = google_charts(fake, book, report)
    assert [c["spec"]["basicChart"]["chartType"] for c in (responses, pipeline)] == ["COLUMN",
                                                                                     "BAR"]
    assert touches == ["1", "2", "3", "4", "5", "6+"] and len(rates) == 6
    assert sorted(zip(stages, values, strict=True)) == [("Negotiation", 12000),
                                                        ("New", 900), ("Proposal Sent", 4800)]
    charts = [responses, pipeline]

    fake.reset_requests()
    again = book.sync(DAY)
    assert not again.written and calls(fake) == ["read"]
    assert len(fake.charts(book.key, METRICS)) == 2

    fake.reset_requests()
    later = book.sync(NEXT_DAY)  # new figures in the same cells: the charts follow them
    assert later.written and "write" in calls(fake) and chart_kinds(fake) == []
    assert fake.charts(book.key, METRICS) == charts


def test_google_charts_follow_a_new_stage(fake, tmp_path):
    book = GoogleBook({"Leads": [HEADER, *LEADS]}, tmp_path, fake)
    book.sync(DAY)
    ids = [c["chartId"] for c in fake.charts(book.key, METRICS)]
    book.set("Leads", 5, 1, "Dan Ito")
    book.set("Leads", 5, 9, "Qualified")
    fake.reset_requests()
    report = book.sync(DAY)
    assert calls(fake).count("write") == 1
    assert chart_kinds(fake) == ["updateChartSpec", "updateChartSpec"]  # both ranges moved
    charts = google_charts(fake, book, report)
    assert [c["chartId"] for c, _, _ in charts] == ids
    assert "Qualified" in charts[1][1] and charts[0][1] == ["1", "2", "3", "4", "5", "6+"]


def test_google_chart_requests_pair_by_title_and_drop_the_rest():
    wanted = (Chart("R", "column", "A20:A25", "B20:B25", "E2", "Answered (%)"),)
    as_read = {"chartId": 7, "spec": {"title": "R", "basicChart": {
        "chartType": "COLUMN",
        "domains": [{"domain": {"sourceRange": {"sources": [{
            "sheetId": 3, "startRowIndex": 19, "endRowIndex": 25, "endColumnIndex": 1}]}}}],
        "series": [{"series": {"sourceRange": {"sources": [{
            "sheetId": 3, "startRowIndex": 19, "endRowIndex": 25, "startColumnIndex": 1,
            "endColumnIndex": 2}]}}}]}}}
    other = {"chartId": 9, "spec": {"title": "Old"}}
    assert chart_requests(3, [other, as_read], wanted) == [
        {"deleteEmbeddedObject": {"objectId": 9}}]
    moved = (Chart("R", "column", "A21:A26", "B21:B26", "E2", "Answered (%)"),)
    assert chart_requests(3, [as_read], moved) == [
        {"updateChartSpec": {"chartId": 7, "spec": chart_spec(moved[0], 3)}}]
    renamed = (Chart("New title", "column", "A20:A25", "B20:B25", "E2", "Answered (%)"),)
    assert [list(r) for r in chart_requests(3, [as_read], renamed)] == [["updateChartSpec"]]
