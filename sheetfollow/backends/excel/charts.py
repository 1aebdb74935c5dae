"""Native charts on a tool tab (the Metrics charts): a drawing part anchoring one chart part per
``Chart``, each a bar chart of one series drawn from the tab's own cells.

The parts belong to the tool tab: a later write of the tab overwrites its drawing and reuses its
chart parts rather than adding new ones, and never touches the drawings and charts of other tabs.
Each chart carries a cache of the cells it draws (what Excel and LibreOffice show until they
recalculate), taken from the rows being written, so the cache always matches the cells.
"""

from __future__ import annotations

import posixpath

from ...changeset import CHART_COLUMNS, CHART_ROWS, Chart
from .cells import letter, number_text, parse_range, strip_illegal
from .package import REL_NS, XML_DECLARATION, Package
from .structure import Structure

RT_DRAWING = REL_NS + "/drawing"
RT_CHART = REL_NS + "/chart"
CT_DRAWING = "application/vnd.openxmlformats-officedocument.drawing+xml"
CT_CHART = "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"
C_NS = "http://schemas.openxmlformats.org/drawingml/2006/chart"
A_NS = "http://schemas.openxmlformats.org/drawingml/2006/main"
XDR_NS = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"
_CAT_AXIS, _VAL_AXIS = 500000001, 500000002


def chart_parts(pkg: Package, structure: Structure, sheet_part: str, tab: str,
                charts: tuple[Chart, ...], rows: list[list]) -> tuple[str, list[tuple[str, bytes]]]:
    """The relationship id the sheet's ``<drawing>`` names, and the drawing and chart parts to
    write for ``charts`` on the tab ``tab`` (whose part is ``sheet_part``) holding ``rows``.

    Relationships and content types are registered in ``structure``; chart parts the tab had
    beyond those needed now are removed."""
    folder = posixpath.dirname(pkg.workbook_part)
    found = next(((rel_id, target) for rel_id, kind, target in structure.relationships_of(
        sheet_part) if kind.endswith("/drawing") and pkg.has(target)), None)
    if found is not None:
        rel_id, drawing = found
        old_charts = [target for _, kind, target in structure.relationships_of(drawing)
                      if kind.endswith("/chart") and pkg.has(target)]
    else:
        drawing = structure.new_part(posixpath.join(folder, "drawings/drawing{}.xml"))
        rel_id = structure.add_relationship(sheet_part, RT_DRAWING, drawing)
        old_charts = []
    structure.add_override(drawing, CT_DRAWING)
    names = [pkg.actual(name) for name in old_charts[:len(charts)]]
    names += [structure.new_part(posixpath.join(folder, "charts/chart{}.xml"))
              for _ in range(len(charts) - len(names))]
    for name in names:
        structure.add_override(name, CT_CHART)
    ids = structure.set_relationships(drawing, RT_CHART, names)
    for surplus in old_charts[len(charts):]:
        structure.remove_part(surplus)
    parts = [(drawing, drawing_xml(charts, ids))]
    parts += [(name, chart_xml(chart, tab, rows)) for name, chart in zip(names, charts,
                                                                        strict=True)]
    return rel_id, parts


def drawing_xml(charts: tuple[Chart, ...], rel_ids: list[str]) -> bytes:
    """A spreadsheet drawing with one graphic frame per chart, from its anchor cell."""
    anchors = []
    for number, (chart, rel_id) in enumerate(zip(charts, rel_ids, strict=True), start=1):
        bounds = parse_range(chart.anchor)
        row, col = (bounds[0] - 1, bounds[1] - 1) if bounds else (0, 0)
        anchors.append(
            "<xdr:twoCellAnchor>"
            f"{_marker('from', col, row)}"
            f"{_marker('to', col + CHART_COLUMNS, row + CHART_ROWS)}"
            '<xdr:graphicFrame macro=""><xdr:nvGraphicFramePr>'
            f'<xdr:cNvPr id="{number + 1}" name="Chart {number}" descr={_attr(chart.title)}/>'
            "<xdr:cNvGraphicFramePr/></xdr:nvGraphicFramePr>"
            '<xdr:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/></xdr:xfrm>'
            f'<a:graphic><a:graphicData uri="{C_NS}">'
            f'<c:chart xmlns:c="{C_NS}" xmlns:r="{REL_NS}" r:id="{rel_id}"/>'
            "</a:graphicData></a:graphic></xdr:graphicFrame><xdr:clientData/>"
            "</xdr:twoCellAnchor>")
    return (XML_DECLARATION + f'<xdr:wsDr xmlns:xdr="{XDR_NS}" xmlns:a="{A_NS}">'
            f'{"".join(anchors)}</xdr:wsDr>'.encode())


def _marker(tag: str, col: int, row: int) -> str:
    return (f"<xdr:{tag}><xdr:col>{col}</xdr:col><xdr:colOff>0</xdr:colOff>"
            f"<xdr:row>{row}</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:{tag}>")


def chart_xml(chart: Chart, tab: str, rows: list[list]) -> bytes:
    """A clustered bar chart (``barDir`` col or bar) of one series, titled, without a legend,
    whose categories and values are references to cells of ``tab`` with their cached values."""
    column = chart.kind == "column"
    cat_pos, val_pos = ("b", "l") if column else ("l", "b")
    labels = _cells(rows, chart.categories)
    values = _cells(rows, chart.values)
    label_points = "".join(f'<c:pt idx="{i}"><c:v>{_text(str(v))}</c:v></c:pt>'
                           for i, v in enumerate(labels) if v is not None and v != "")
    value_points = "".join(f'<c:pt idx="{i}"><c:v>{number_text(v)}</c:v></c:pt>'
                           for i, v in enumerate(values)
                           if isinstance(v, (int, float)) and not isinstance(v, bool))
    xml = (
        f'<c:chartSpace xmlns:c="{C_NS}" xmlns:a="{A_NS}" xmlns:r="{REL_NS}">'
        '<c:roundedCorners val="0"/><c:chart>'
        "<c:title><c:tx><c:rich><a:bodyPr/><a:lstStyle/><a:p><a:pPr><a:defRPr/></a:pPr>"
        f"<a:r><a:t>{_text(chart.title)}</a:t></a:r></a:p></c:rich></c:tx>"
        '<c:overlay val="0"/></c:title><c:autoTitleDeleted val="0"/>'
        "<c:plotArea><c:layout/><c:barChart>"
        f'<c:barDir val="{"col" if column else "bar"}"/><c:grouping val="clustered"/>'
        '<c:varyColors val="0"/>'
        '<c:ser><c:idx val="0"/><c:order val="0"/>'
        f"<c:tx><c:v>{_text(chart.series_name)}</c:v></c:tx>"
        '<c:invertIfNegative val="0"/>'
        f"<c:cat><c:strRef><c:f>{_text(_reference(tab, chart.categories))}</c:f>"
        f'<c:strCache><c:ptCount val="{len(labels)}"/>{label_points}</c:strCache>'
        "</c:strRef></c:cat>"
        f"<c:val><c:numRef><c:f>{_text(_reference(tab, chart.values))}</c:f>"
        f'<c:numCache><c:formatCode>General</c:formatCode><c:ptCount val="{len(values)}"/>'
        f"{value_points}</c:numCache></c:numRef></c:val>"
        "</c:ser>"
        f'<c:gapWidth val="80"/><c:axId val="{_CAT_AXIS}"/><c:axId val="{_VAL_AXIS}"/>'
        "</c:barChart>"
        f'<c:catAx><c:axId val="{_CAT_AXIS}"/><c:scaling><c:orientation val="minMax"/>'
        f'</c:scaling><c:delete val="0"/><c:axPos val="{cat_pos}"/>'
        '<c:numFmt formatCode="General" sourceLinked="1"/><c:tickLblPos val="nextTo"/>'
        f'<c:crossAx val="{_VAL_AXIS}"/><c:crosses val="autoZero"/><c:auto val="1"/>'
        '<c:lblAlgn val="ctr"/><c:lblOffset val="100"/></c:catAx>'
        f'<c:valAx><c:axId val="{_VAL_AXIS}"/><c:scaling><c:orientation val="minMax"/>'
        f'</c:scaling><c:delete val="0"/><c:axPos val="{val_pos}"/><c:majorGridlines/>'
        '<c:numFmt formatCode="General" sourceLinked="1"/><c:tickLblPos val="nextTo"/>'
        f'<c:crossAx val="{_CAT_AXIS}"/><c:crosses val="autoZero"/>'
        '<c:crossBetween val="between"/></c:valAx>'
        "</c:plotArea>"  # no <c:legend>: one series, named by the title
        '<c:plotVisOnly val="1"/><c:dispBlanksAs val="gap"/></c:chart></c:chartSpace>'
    )
    return XML_DECLARATION + xml.encode()


def _cells(rows: list[list], ref: str) -> list:
    """The values of the cells in ``ref`` (one column or one row), row by row."""
    bounds = parse_range(ref)
    if bounds is None:
        return []
    top, left, bottom, right = bounds
    out = []
    for r in range(top, bottom + 1):
        row = rows[r - 1] if r <= len(rows) else []
        out.extend(row[c - 1] if c <= len(row) else None for c in range(left, right + 1))
    return out


def _reference(tab: str, ref: str) -> str:
    """``'Metrics'!$A$26:$A$31``: an absolute reference to ``ref`` on ``tab``."""
    bounds = parse_range(ref)
    if bounds is None:
        raise ValueError(f"not a cell range: {ref!r}")
    top, left, bottom, right = bounds
    quoted = "'" + tab.replace("'", "''") + "'"
    return f"{quoted}!${letter(left)}${top}:${letter(right)}${bottom}"


def _text(text: str) -> str:
    # Not xml.sax.saxutils.escape: importing it imports urllib and http, a good part of the time
    # a small sync takes to start.
    text = strip_illegal(text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _attr(text: str) -> str:
    return '"' + _text(text).replace('"', "&quot;").replace("\n", "&#10;") + '"'
