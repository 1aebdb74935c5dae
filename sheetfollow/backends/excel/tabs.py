"""Tool tabs (Due, Log, _sheetfollow...): whole worksheets sheetfollow writes itself.

The rows are built as one string of pre-escaped pieces; the rest of the sheet (views, column
widths, hyperlinks) is a small tree: a fresh one for a new tab, the tab's own for a tab that is
replaced, so whatever else it carries (validations, print settings) stays.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from lxml import etree

from ...model import Link
from .cells import (
    LETTERS,
    MAX_LINK_CHARS,
    cell_xml,
    encode,
    is_plain,
    letter,
    range_text,
)
from .package import MAIN_NS, REL_NS, STRICT_REL_NS, XML_PARSER, local, serialize
from .parts import DEFLATE_BYTE, TOOL_CELL, Part
from .sheetshell import locate
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
# CT_Worksheet children that come after <drawing>.
_AFTER_DRAWING = {"legacyDrawing", "legacyDrawingHF", "drawingHF", "picture", "oleObjects",
                  "controls", "webPublishItems", "tableParts", "extLst"}
_BEFORE_VIEWS = {"sheetPr", "dimension"}
_PLACEHOLDER = re.compile(rb"<([\w.-]+:)?hyperlinks\s*/>")


@dataclass
class RenderedRows:
    """The ``<row>`` elements of a tool tab, made while the file is written (a big tab is never
    held whole) in units of ``_ROWS_PER_UNIT`` rows: ``make(first, stop)`` gives the chunks of
    units ``first`` to ``stop``, ``costs`` estimates each unit's time. What must be known before
    is known: its extent, and the links its cells carry."""

    make: Callable[[int, int], Iterable[bytes]]
    costs: list[float]
    size: int  # estimated bytes
    height: int
    width: int
    links: list[tuple[str, str]] = field(default_factory=list)  # (cell ref, url)


_ROWS_PER_CHUNK = 2000
_ROWS_PER_UNIT = 500
# Estimated bytes of a cell's markup, besides its text; rows whose text is measured.
_CELL_BYTES = 40
_TEXT_SAMPLE = 8
# Values that need no format and carry no link.
_PLAIN_KINDS = frozenset({str, int, float, bool, type(None)})


def _is_link(value) -> bool:
    # Excel refuses longer link targets: such a cell shows its label only.
    return isinstance(value, Link) and bool(value.url) and len(value.url) <= MAX_LINK_CHARS


def render_rows(rows: list[list], epoch: dt.date, styles: StyleBook, prefix: str = "",
                header: bool = True) -> RenderedRows:
    """Rows as SpreadsheetML, from row 1; row 1 is the header (bold) when ``header``.

    A first pass finds the extent, the links and the formats the cells need (so styles.xml
    and the sheet's relationships are complete before anything is written) and estimates the
    work of each unit of rows; the XML itself comes later, from ``_row_chunks``.
    """
    height = width = 0
    links: list[tuple[str, str]] = []
    has_dates = False
    costs: list[float] = []
    cells = text = size = 0
    # A row at a time rather than a cell at a time (this pass runs before the work is shared):
    # its last value found from the end, its kinds of values as a set.
    for number, row in enumerate(rows, start=1):
        last = len(row)
        while last and (row[last - 1] is None or row[last - 1] == ""):
            last -= 1
        if last:
            height = number
            width = max(width, last)
            cells += last
            if number % _TEXT_SAMPLE == 0:  # the length of text, estimated from a sample
                text += _TEXT_SAMPLE * sum([len(v) for v in row if type(v) is str])
            if not (header and number == 1):
                for kind in set(map(type, row)) - _PLAIN_KINDS:
                    if issubclass(kind, dt.date):
                        has_dates = True
                    elif issubclass(kind, Link):
                        links += [(f"{letter(col)}{number}", value.url)
                                  for col, value in enumerate(row, start=1)
                                  if type(value) is kind and _is_link(value)]
        if number % _ROWS_PER_UNIT == 0 or number == len(rows):
            unit_bytes = text + _CELL_BYTES * cells
            costs.append(TOOL_CELL * cells + DEFLATE_BYTE * unit_bytes)
            size += unit_bytes
            cells = text = 0
    formats = (str(styles.bold_xf()) if header and height else None,
               str(styles.date_xf(0)) if has_dates else None,
               str(styles.link_xf()) if links else None)
    letter(width)  # fill the column letter cache

    def make(first: int, stop: int) -> Iterator[bytes]:
        return _row_chunks(rows, epoch, prefix, header, formats,
                           first * _ROWS_PER_UNIT, stop * _ROWS_PER_UNIT)
    return RenderedRows(make, costs or [0.0], size, height, width, links)


def _row_chunks(rows: list[list], epoch: dt.date, p: str, header: bool,
                formats: tuple[str | None, str | None, str | None], first: int,
                stop: int) -> Iterator[bytes]:
    """The XML of ``rows[first:stop]``."""
    bold_style, date_style, link_style = formats
    letters = LETTERS
    batch: list[str] = []
    # Text -> the rest of its cell after the reference ("" for none): the same texts (stages,
    # channels, subjects) come back row after row.
    texts: dict[str, str] = {}
    for number, row in enumerate(itertools.islice(rows, first, stop), start=first + 1):
        cells = []
        is_header = header and number == 1
        for col, value in enumerate(row, start=1):
            kind = type(value)
            # Plain text, whole numbers and dates, the bulk of a big tab, skip the general path.
            if kind is str and not is_header:
                if not value:
                    continue
                rest = texts.get(value)
                if rest is None:
                    rest = texts[value] = _text_rest(value, epoch, p)
                if rest:
                    cells.append(f'<{p}c r="{letters[col]}{number}{rest}')
                continue
            elif kind is int and not is_header:
                cells.append(f'<{p}c r="{letters[col]}{number}"><{p}v>{value}</{p}v></{p}c>')
                continue
            elif kind is dt.date and not is_header:
                cells.append(f'<{p}c r="{letters[col]}{number}" s="{date_style}"><{p}v>'
                             f"{(value - epoch).days}</{p}v></{p}c>")
                continue
            elif kind is bool and not is_header:
                cells.append(f'<{p}c r="{letters[col]}{number}" t="b"><{p}v>{int(value)}</{p}v>'
                             f"</{p}c>")
                continue
            elif kind is Link and not is_header and type(value.label) is str:
                label = value.label  # a link shows its label, in the link format
                if not label:
                    continue
                rest = texts.get(label)
                if rest is None:
                    rest = texts[label] = _text_rest(label, epoch, p)
                if rest:
                    style = link_style if _is_link(value) else None
                    s = f' s="{style}"' if style and style != "0" else ""
                    cells.append(f'<{p}c r="{letters[col]}{number}"{s}{rest[1:]}')
                continue
            elif value is None:
                continue
            encoded = encode(value, epoch, p)
            if not encoded.content:
                continue
            style = None
            if is_header:
                style = bold_style
            elif encoded.is_date:
                style = date_style
            elif _is_link(value):
                style = link_style
            cells.append(cell_xml(p, f"{letters[col]}{number}", style, encoded))
        if cells:
            batch.append(f'<{p}row r="{number}">{"".join(cells)}</{p}row>')
            if len(batch) >= _ROWS_PER_CHUNK:
                yield "".join(batch).encode()
                batch = []
    if batch:
        yield "".join(batch).encode()


def _text_rest(value: str, epoch: dt.date, p: str) -> str:
    """What follows the reference in the cell of a text (as ``cell_xml`` writes it without a
    style); "" when the text leaves nothing to write."""
    if is_plain(value):
        return f'" t="inlineStr"><{p}is><{p}t>{value}</{p}t></{p}is></{p}c>'
    encoded = encode(value, epoch, p)
    if not encoded.content:
        return ""
    return cell_xml(p, "", None, encoded)[len(f'<{p}c r="'):]


def tool_sheet(shell: tuple[bytes, bytes, str] | None, rendered: RenderedRows,
               link_ids: list[str], widths: tuple[float, ...],
               drawing_id: str | None = None) -> Part:
    """The worksheet part of a tool tab, made while the file is written: the tab's old
    ``shell`` (what its part holds around ``<sheetData>``; a fresh sheet when None) with the
    rows of ``rendered``, its hyperlinks set to ``link_ids``, its column widths to ``widths``
    (if any), its ``<drawing>`` to the relationship ``drawing_id`` (if given) and the header
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
    if drawing_id is not None:
        _set_drawing(root, ns, drawing_id)
    result = serialize(root)
    where = locate(result)
    p = where.prefix
    after = result[where.close_end:]
    if rendered.links:
        after = _fill_hyperlinks(after, root, rendered.links, link_ids)
    head = result[:where.open_start] + f"<{p}sheetData>".encode()
    tail = f"</{p}sheetData>".encode() + after
    units = len(rendered.costs)
    rows = rendered.make  # not ``rendered``: its links are not needed any more

    def make(first: int, stop: int) -> Iterable[bytes]:
        return itertools.chain([head] if first == 0 else [], rows(first, stop),
                               [tail] if stop == units else [])
    costs = list(rendered.costs)
    costs[0] += DEFLATE_BYTE * len(head)
    costs[-1] += DEFLATE_BYTE * len(tail)
    return Part(make, costs, rendered.size + len(head) + len(tail))


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


def _set_drawing(root, ns: str, rel_id: str) -> None:
    """The sheet's one ``<drawing>`` element, naming the relationship ``rel_id``."""
    for old in root.findall(ns + "drawing"):
        root.remove(old)
    rel_ns = STRICT_REL_NS if STRICT_REL_NS in root.nsmap.values() else REL_NS
    prefix = next((k for k, v in root.nsmap.items() if v == rel_ns and k), None)
    el = etree.Element(ns + "drawing", nsmap=None if prefix else {"r": rel_ns})
    el.set(f"{{{rel_ns}}}id", rel_id)
    _insert_before(root, el, _AFTER_DRAWING)


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
