"""Tool tabs (Due, Log, _sheetfollow...): whole worksheets sheetfollow writes itself.

The rows are built as one string of pre-escaped pieces; the rest of the sheet (views, column
widths, hyperlinks) is a small tree: a fresh one for a new tab, the tab's own for a tab that is
replaced, so whatever else it carries (validations, print settings) stays.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from lxml import etree

from ...model import Link
from .cells import (
    MAX_LINK_CHARS,
    NOT_PLAIN,
    PLAIN_TEXT_LIMIT,
    cell_xml,
    encode,
    letter,
    range_text,
)
from .package import MAIN_NS, REL_NS, STRICT_REL_NS, XML_PARSER, local, serialize
from .sheetxml import locate
from .styles import StyleBook

NEW_SHEET = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<worksheet xmlns="{MAIN_NS}" xmlns:r="{REL_NS}"><dimension ref="A1"/>'
    '<sheetViews><sheetView workbookViewId="0"/></sheetViews>'
    '<sheetFormatPr defaultRowHeight="15"/><sheetData/>'
    '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
    "</worksheet>"
).encode()
# CT_Worksheet children that come after <hyperlinks>, for placing a new one.
_AFTER_HYPERLINKS = {
    "printOptions", "pageMargins", "pageSetup", "headerFooter", "rowBreaks", "colBreaks",
    "customProperties", "cellWatches", "ignoredErrors", "smartTags", "drawing", "legacyDrawing",
    "legacyDrawingHF", "picture", "oleObjects", "controls", "webPublishItems", "tableParts",
    "extLst",
}
_BEFORE_VIEWS = {"sheetPr", "dimension"}
_PLACEHOLDER = re.compile(rb"<([\w.-]+:)?hyperlinks\s*/>")


@dataclass
class RenderedRows:
    """The ``<row>`` elements of a tool tab as byte chunks, and the links its cells carry."""

    chunks: list[bytes]
    height: int
    width: int
    links: list[tuple[str, str]] = field(default_factory=list)  # (cell ref, url)


_ROWS_PER_CHUNK = 2000


def render_rows(rows: list[list], epoch: dt.date, styles: StyleBook, prefix: str = "",
                header: bool = True) -> RenderedRows:
    """Rows as SpreadsheetML, from row 1; row 1 is the header (bold) when ``header``."""
    p = prefix
    chunks: list[bytes] = []
    batch: list[str] = []
    links: list[tuple[str, str]] = []
    width = height = 0
    date_style = link_style = bold_style = None
    for number, row in enumerate(rows, start=1):
        cells = []
        last = 0
        is_header = header and number == 1
        for col, value in enumerate(row, start=1):
            kind = type(value)
            # Plain text and whole numbers, the bulk of a big tab, skip the general path.
            if kind is str and not is_header:
                if not value:
                    continue
                if len(value) <= PLAIN_TEXT_LIMIT and not NOT_PLAIN.search(value):
                    cells.append(f'<{p}c r="{letter(col)}{number}" t="inlineStr"><{p}is><{p}t>'
                                 f"{value}</{p}t></{p}is></{p}c>")
                    last = col
                    continue
            elif kind is int and not is_header:
                cells.append(f'<{p}c r="{letter(col)}{number}"><{p}v>{value}</{p}v></{p}c>')
                last = col
                continue
            elif value is None:
                continue
            encoded = encode(value, epoch, p)
            if not encoded.content:
                continue
            ref = f"{letter(col)}{number}"
            style = None
            if is_header:
                bold_style = bold_style or str(styles.bold_xf())
                style = bold_style
            elif encoded.is_date:
                date_style = date_style or str(styles.date_xf(0))
                style = date_style
            elif isinstance(value, Link) and value.url and len(value.url) <= MAX_LINK_CHARS:
                # Excel refuses longer link targets: such a cell shows its label only.
                link_style = link_style or str(styles.link_xf())
                style = link_style
                links.append((ref, value.url))
            cells.append(cell_xml(p, ref, style, encoded))
            last = col
        if cells:
            batch.append(f'<{p}row r="{number}">{"".join(cells)}</{p}row>')
            width = max(width, last)
            height = number
            if len(batch) >= _ROWS_PER_CHUNK:
                chunks.append("".join(batch).encode())
                batch = []
    if batch:
        chunks.append("".join(batch).encode())
    return RenderedRows(chunks, height, width, links)


def tool_sheet(shell: tuple[bytes, bytes, str] | None, rendered: RenderedRows,
               link_ids: list[str], widths: tuple[float, ...]) -> list[bytes]:
    """The worksheet part of a tool tab, as byte chunks: the tab's old ``shell`` (what its
    part holds around ``<sheetData>``; a fresh sheet when None) with the rows of ``rendered``,
    its hyperlinks set to ``link_ids``, its column widths to ``widths`` (if any) and the header
    row frozen."""
    if shell is None:
        where = locate(NEW_SHEET)
        shell = NEW_SHEET[:where.open_start], NEW_SHEET[where.close_end:], ""
    head, tail, prefix = shell
    root = etree.fromstring(head + f"<{prefix}sheetData/>".encode() + tail, XML_PARSER)
    ns = root.tag[:root.tag.index("}") + 1] if root.tag.startswith("{") else ""
    sheet_data = root.find(ns + "sheetData")
    _set_dimension(root, ns, range_text(1, 1, max(rendered.height, 1), max(rendered.width, 1)))
    if rendered.height >= 2:
        _freeze_header(root, ns)
    if widths:
        for old_cols in root.findall(ns + "cols"):
            root.remove(old_cols)
        cols = etree.Element(ns + "cols")
        for i, w in enumerate(widths, start=1):
            etree.SubElement(cols, ns + "col", min=str(i), max=str(i), width=f"{w:g}",
                             customWidth="1")
        sheet_data.addprevious(cols)
    for old_links in root.findall(ns + "hyperlinks"):
        root.remove(old_links)
    if rendered.links:
        _insert_before(root, etree.Element(ns + "hyperlinks"), _AFTER_HYPERLINKS)
    result = serialize(root)
    where = locate(result)
    p = where.prefix
    after = result[where.close_end:]
    if rendered.links:
        after = _fill_hyperlinks(after, root, rendered.links, link_ids)
    return [result[:where.open_start], f"<{p}sheetData>".encode(), *rendered.chunks,
            f"</{p}sheetData>".encode(), after]


def _set_dimension(root, ns: str, ref: str) -> None:
    dim = root.find(ns + "dimension")
    if dim is None:
        dim = etree.Element(ns + "dimension")
        first = root[0] if len(root) else None
        if first is not None and local(first.tag) == "sheetPr":
            first.addnext(dim)
        else:
            root.insert(0, dim)
    dim.set("ref", ref)


def _freeze_header(root, ns: str) -> None:
    views = root.find(ns + "sheetViews")
    if views is None:
        views = etree.Element(ns + "sheetViews")
        index = 0
        for i, child in enumerate(root):
            if isinstance(child.tag, str) and local(child.tag) in _BEFORE_VIEWS:
                index = i + 1
        root.insert(index, views)
    view = views.find(ns + "sheetView")
    if view is None:
        view = etree.SubElement(views, ns + "sheetView", workbookViewId="0")
    if view.find(ns + "pane") is None:
        pane = etree.Element(ns + "pane", ySplit="1", topLeftCell="A2", activePane="bottomLeft",
                             state="frozen")
        view.insert(0, pane)


def _insert_before(root, el, later: set[str]) -> None:
    for child in root:
        if isinstance(child.tag, str) and local(child.tag) in later:
            child.addprevious(el)
            return
    root.append(el)


def _fill_hyperlinks(xml: bytes, root, links: list[tuple[str, str]], ids: list[str]) -> bytes:
    m = _PLACEHOLDER.search(xml)
    p = (m.group(1) or b"").decode()
    rel_ns = STRICT_REL_NS if STRICT_REL_NS in root.nsmap.values() else REL_NS
    r = next((k for k, v in root.nsmap.items() if v == rel_ns and k), None)
    declare = "" if r else f' xmlns:r="{rel_ns}"'
    r = r or "r"
    items = "".join(f'<{p}hyperlink ref="{ref}" {r}:id="{rid}"/>'
                    for (ref, _), rid in zip(links, ids, strict=True))
    return xml[:m.start()] + f"<{p}hyperlinks{declare}>{items}</{p}hyperlinks>".encode() \
        + xml[m.end():]
