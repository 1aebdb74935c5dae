"""Reading values: shared strings and worksheets, plus the extent a sheet uses, so new columns
go beyond everything the user made.

Parts are scanned by the fast path (fastread) when it recognises everything in them; otherwise
they are streamed with ``iterparse`` (never a whole tree of a big sheet), the general reader.
"""

from __future__ import annotations

import datetime as dt
import io
import re

from lxml import etree

from ...errors import TargetError
from ...model import EPOCH_1900, EPOCH_1904, Grid, Value
from .cells import MAX_COLUMN, column_of, decode_value, decode_xstring, number_value, parse_range
from .fastread import Cells, read_cells, read_strings, store_row
from .package import DAMAGED_FIX, RT_SHARED_STRINGS, RT_TABLE, Package, local
from .sheetshell import shell


def workbook_epoch(pkg: Package) -> dt.date:
    """EPOCH_1904 when workbook.xml's ``workbookPr date1904`` is on, else EPOCH_1900."""
    for el in pkg.xml(pkg.workbook_part).iter("{*}workbookPr"):
        if el.get("date1904", "").strip().lower() in ("1", "true"):
            return EPOCH_1904
    return EPOCH_1900


def shared_strings(pkg: Package, fast: bool = True) -> list[str]:
    """The shared string table: rich text runs joined, phonetic hints (``rPh``) left out.
    ``fast=False`` always uses the general reader (the tests compare the two)."""
    part = next((r.target for r in pkg.relationships(pkg.workbook_part)
                 if r.type == RT_SHARED_STRINGS or r.type.endswith("/sharedStrings")), None)
    if part is None or not pkg.has(part):
        return []
    data = pkg.read(part)
    strings = read_strings(data) if fast else None
    if strings is not None:
        return strings
    strings = []
    try:
        for _, si in etree.iterparse(io.BytesIO(data), events=("end",), tag="{*}si",
                                     resolve_entities=False, huge_tree=True):
            strings.append(decode_xstring(_rich_text(si)))
            si.clear()
            while si.getprevious() is not None:
                del si.getparent()[0]
    except etree.XMLSyntaxError as exc:
        raise _damaged(pkg, part, exc) from exc
    return strings


def _rich_text(el) -> str:
    """The text of an ``<si>`` or ``<is>``: its ``<t>``, or its runs' ``<t>``s, never ``<rPh>``."""
    if len(el) == 1 and (el[0].tag == "t" or el[0].tag.endswith("}t")):
        return el[0].text or ""
    parts = []
    for child in el:
        name = local(child.tag)
        if name == "t":
            parts.append(child.text or "")
        elif name == "r":
            for sub in child:
                if local(sub.tag) == "t":
                    parts.append(sub.text or "")
    return parts[0] if len(parts) == 1 else "".join(parts)


def read_grid(pkg: Package, part: str, name: str, strings: list[str],
              epoch: dt.date, fast: bool = True) -> Grid:
    """Every cell of one worksheet; formula cells hold their cached value. ``fast=False``
    always uses the general reader (the tests compare the two)."""
    data = pkg.read(part)
    cells = read_cells(data, strings, epoch) if fast else None
    if cells is None:
        cells = _iterparse_cells(io.BytesIO(data), pkg, part, strings, epoch)
    return Grid(name, *cells)


def _iterparse_cells(stream, pkg: Package, part: str, strings: list[str],
                     epoch: dt.date) -> Cells:
    """The general reader: any well-formed worksheet, streamed; damage in the cells is an
    error."""
    rows: list[list[Value]] = []
    formulas: set[tuple[int, int]] = set()
    merged: list[tuple[int, int, int, int]] = []
    row_number = 0
    tags = None
    rows_done = False
    try:
        for _, row in etree.iterparse(stream, events=("end",),
                                      tag=("{*}row", "{*}sheetData", "{*}mergeCell"),
                                      resolve_entities=False, huge_tree=True):
            if tags is None:
                ns = row.tag[:row.tag.index("}") + 1] if row.tag[0] == "{" else ""
                tags = (ns + "row", ns + "c", ns + "v", ns + "f", ns + "is")
            if row.tag != tags[0]:
                # </sheetData>: no more values; the merged cells follow it.
                rows_done = True
                bounds = parse_range(row.get("ref", "")) if local(row.tag) == "mergeCell" \
                    else None
                if bounds is not None and bounds[:2] != bounds[2:]:
                    merged.append(bounds)
                continue
            r = row.get("r")
            row_number = int(r) if r else row_number + 1
            store_row(rows, row_number, _read_row(row, tags, strings, epoch, row_number,
                                                  formulas))
            row.clear()
            while row.getprevious() is not None:
                del row.getparent()[0]
    except etree.XMLSyntaxError as exc:
        if not rows_done:  # damage after the cells is not worth refusing the file for
            raise _damaged(pkg, part, exc) from exc
    return rows, formulas, merged


def _read_row(row, tags, strings, epoch, row_number, formulas) -> list[Value]:
    _, c_tag, v_tag, f_tag, is_tag = tags
    values: list[Value] = []
    col = 0
    for c in row:
        if c.tag != c_tag:
            continue
        ref = c.get("r")
        col = column_of(ref) if ref else col + 1
        text = inline = None
        for child in c:
            tag = child.tag
            if tag == v_tag:
                text = child.text
            elif tag == f_tag:
                formulas.add((row_number, col))
            elif tag == is_tag:
                inline = child
        kind = c.get("t")
        # The common kinds inline: this loop runs for every cell of the sheet.
        if kind is None or kind == "n":
            if text:
                try:
                    value = int(text)
                except ValueError:
                    value = number_value(text)
            else:
                value = None
        elif kind == "s":
            try:
                value = strings[int(text)]
            except (TypeError, ValueError, IndexError):
                value = None
        elif kind == "inlineStr" and inline is not None:
            value = decode_xstring(_rich_text(inline))
        else:
            value = decode_value(kind, text, epoch)
        if col > len(values):
            if col > len(values) + 1:
                values.extend([None] * (col - len(values) - 1))
            values.append(value)
        else:
            values[col - 1] = value
    return values


def _damaged(pkg: Package, part: str, exc: Exception) -> TargetError:
    return TargetError(
        f"{pkg.label} is damaged: its part {part} is not valid XML ({exc}); " + DAMAGED_FIX
    )


# --- the extent a sheet uses, beyond its cells -------------------------------------------------

_REF_ATTR = re.compile(rb"""\b(?:sqref|ref)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_SQREF_ELEMENT = re.compile(rb"<(?:[\w.-]+:)?sqref>([^<]*)<")


def used_columns(pkg: Package, part: str) -> int:
    """The rightmost column the sheet's structure reaches outside its cells: the dimension,
    merged cells, hyperlinks, conditional formats, validations, sparklines (x14 sqref), filters
    and the tables on it. Ranges that span whole rows (ending at column XFD) are ignored."""
    with pkg.open(part) as stream:
        try:
            head, tail, _ = shell(stream)
            outside = head + tail
        except ValueError:
            outside = b""
    refs: list[str] = []
    for m in _REF_ATTR.finditer(outside):
        refs.append((m.group(1) or m.group(2) or b"").decode("utf-8", "replace"))
    for m in _SQREF_ELEMENT.finditer(outside):
        refs.append(m.group(1).decode("utf-8", "replace"))
    for rel in pkg.relationships(part):
        if (rel.type == RT_TABLE or rel.type.endswith("/table")) and not rel.external \
                and pkg.has(rel.target):
            refs.append(pkg.xml(rel.target).get("ref", ""))
    return max((_max_column(ref) for ref in refs), default=0)


def _max_column(refs: str) -> int:
    best = 0
    for item in refs.replace(",", " ").split():
        for ref in item.split(":"):
            ref = ref.rsplit("!", 1)[-1].replace("$", "")
            letters = ref.rstrip("0123456789")
            if not letters or not letters.isalpha() or not letters.isascii() or len(letters) > 3:
                continue  # a whole-row reference such as 2:2
            col = column_of(letters)
            if col < MAX_COLUMN:
                best = max(best, col)
    return best
