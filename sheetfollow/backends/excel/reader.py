"""Reading values: shared strings and worksheets, streamed with ``iterparse`` (never a whole tree
of a big sheet), plus the extent a sheet uses, so new columns go beyond everything the user made.
"""

from __future__ import annotations

import datetime as dt
import re

from lxml import etree

from ...errors import TargetError
from ...model import EPOCH_1900, EPOCH_1904, CellError, Grid, Value
from .cells import MAX_COLUMN, column_of, decode_xstring, parse_range
from .package import DAMAGED_FIX, RT_SHARED_STRINGS, RT_TABLE, Package, local
from .sheetshell import shell


def workbook_epoch(pkg: Package) -> dt.date:
    """EPOCH_1904 when workbook.xml's ``workbookPr date1904`` is on, else EPOCH_1900."""
    for el in pkg.xml(pkg.workbook_part).iter("{*}workbookPr"):
        if el.get("date1904", "").strip().lower() in ("1", "true"):
            return EPOCH_1904
    return EPOCH_1900


def shared_strings(pkg: Package) -> list[str]:
    """The shared string table: rich text runs joined, phonetic hints (``rPh``) left out."""
    part = next((r.target for r in pkg.relationships(pkg.workbook_part)
                 if r.type == RT_SHARED_STRINGS or r.type.endswith("/sharedStrings")), None)
    if part is None or not pkg.has(part):
        return []
    strings: list[str] = []
    with pkg.open(part) as stream:
        try:
            for _, si in etree.iterparse(stream, events=("end",), tag="{*}si",
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
              epoch: dt.date) -> Grid:
    """Every cell of one worksheet; formula cells hold their cached value."""
    rows: list[list[Value]] = []
    formulas: set[tuple[int, int]] = set()
    merged: list[tuple[int, int, int, int]] = []
    row_number = 0
    tags = None
    rows_done = False
    with pkg.open(part) as stream:
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
                values = _read_row(row, tags, strings, epoch, row_number, formulas)
                while len(rows) < row_number:
                    rows.append([])
                if rows[row_number - 1]:  # a repeated row number: merge, never drop
                    _merge(rows[row_number - 1], values)
                else:
                    rows[row_number - 1] = values
                row.clear()
                while row.getprevious() is not None:
                    del row.getparent()[0]
        except etree.XMLSyntaxError as exc:
            if not rows_done:  # damage after the cells is not worth refusing the file for
                raise _damaged(pkg, part, exc) from exc
    return Grid(name, rows, formulas, merged)


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
                    value = _number(text)
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
            value = _value(kind, text, strings, epoch)
        if col > len(values):
            if col > len(values) + 1:
                values.extend([None] * (col - len(values) - 1))
            values.append(value)
        else:
            values[col - 1] = value
    return values


def _value(kind, text, strings, epoch) -> Value:
    if kind in ("str", "inlineStr"):
        return decode_xstring(text) if text is not None else None
    if kind == "b":
        return text.strip().lower() in ("1", "true") if text else None
    if kind == "e":
        return CellError(text.strip()) if text else None
    if kind == "d":
        return _iso_serial(text, epoch) if text else None
    return text


def _number(text: str) -> int | float | None:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        return None
    if number.is_integer() and abs(number) < 2**53:
        return int(number)
    return number


def _iso_serial(text: str, epoch: dt.date) -> float | None:
    """An ISO 8601 ``t="d"`` value as a serial number in the workbook's date system."""
    try:
        moment = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    delta = moment.replace(tzinfo=None) - dt.datetime.combine(epoch, dt.time())
    return delta.days + (delta.seconds + delta.microseconds / 1e6) / 86400


def _merge(into: list[Value], values: list[Value]) -> None:
    if len(values) > len(into):
        into.extend([None] * (len(values) - len(into)))
    for i, value in enumerate(values):
        if value is not None:
            into[i] = value


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
