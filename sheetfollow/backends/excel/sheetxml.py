"""Editing a user's worksheet in place, at the row level, as bytes.

Rows that are not written are copied as their original bytes; a written row is rebuilt from its
own cells (untouched cells verbatim) plus the new ones, in column order. Nothing else in the part
changes except the ``<dimension>`` ref when the written range grows.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass

from .cells import Encoded, cell_xml, column_of, letter, parse_range, range_text
from .package import batched
from .sheetshell import ATTRS, HAS_FORMULA, NAME, PREFIX, locate

_ROW_OPEN = re.compile(rb"<(" + NAME + rb":)?row(?=[\s/>])" + ATTRS + rb"(/?)>")
_ROW_CLOSE = re.compile(rb"</" + PREFIX + rb"row\s*>")
_CELL = re.compile(rb"<" + PREFIX + rb"c(?=[\s/>])" + ATTRS
                   + rb"(?:/>|>(.*?)</" + PREFIX + rb"c\s*>)", re.S)
_CELL_TAG = re.compile(rb"<" + PREFIX + rb"c(?=[\s/>])")
_R_ATTR = re.compile(rb"""(?:^|\s)r\s*=\s*["']([^"']*)["']""")
_ATTR = re.compile(rb"""(""" + NAME + rb"""(?::[\w.-]+)?)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_DIMENSION = re.compile(rb"<" + PREFIX + rb"dimension(?=[\s/>])" + ATTRS + rb"/?>")
_REF_VALUE = re.compile(rb"""(\sref\s*=\s*)(?:"([^"]*)"|'([^']*)')""")
_SPANS_VALUE = re.compile(rb"""(\sspans\s*=\s*)(?:"([^"]*)"|'([^']*)')""")
_HAS_VALUE = re.compile(rb"<" + PREFIX + rb"(?:v|is|f)(?=[\s/>])")
# Attributes of a replaced cell that describe its old value, so they go with it.
_VALUE_ATTRS = {b"r", b"s", b"t", b"cm", b"vm"}


class _Unusual(Exception):
    """A row the quick search cannot handle safely."""


class FormulaCellError(Exception):
    """A write aimed at a cell that holds a formula (the core never sends one: a bug)."""

    def __init__(self, ref: str):
        super().__init__(ref)
        self.ref = ref


def attributes(raw: bytes) -> dict[bytes, bytes]:
    return {m.group(1): m.group(2) if m.group(2) is not None else m.group(3)
            for m in _ATTR.finditer(raw)}


@dataclass(slots=True)
class Row:
    """Where one ``<row>`` sits in the sheet's bytes (offsets: the sheet is not copied)."""

    xml: bytes
    number: int
    start: int
    end: int
    attrs: bytes  # the start tag's attribute text
    content_start: int
    content_end: int  # == content_start for <row/>
    has_r: bool

    @property
    def content(self) -> bytes:
        return self.xml[self.content_start:self.content_end]


# Called for each written cell with the style (``s``) it has now; returns its new style and value.
CellMaker = Callable[[int, int, "str | None"], "tuple[str | None, Encoded]"]


class SheetEditor:
    """One worksheet's bytes, indexed by row, ready to be written into."""

    def __init__(self, xml: bytes):
        self.xml = xml
        self.where = locate(xml)
        self.prefix = self.where.prefix
        self.rows: list[Row] = []
        number = 0
        pos, stop = self.where.open_end, self.where.close_start
        while (m := _ROW_OPEN.search(xml, pos, stop)) is not None:
            attrs = m.group(2)
            r = _R_ATTR.search(attrs)
            number = int(r.group(1)) if r else number + 1
            if m.group(3):  # <row/>
                end = content_end = m.end()
            else:
                close = f"</{(m.group(1) or b'').decode()}row>".encode()
                content_end = xml.find(close, m.end(), stop)
                if content_end >= 0:
                    end = content_end + len(close)
                else:  # an unusual closing tag (</row >): let the regex find it
                    closing = _ROW_CLOSE.search(xml, m.end(), stop)
                    if closing is None:
                        raise ValueError(f"row {number} is not closed")
                    content_end, end = closing.start(), closing.end()
            self.rows.append(Row(xml, number, m.start(), end, attrs, m.end(), content_end,
                                 r is not None))
            pos = end
        self.by_number = {row.number: row for row in self.rows}
        self._shapes: dict[int, tuple[int, int] | bool] = {}  # see _shape
        self.all_have_r = all(row.has_r for row in self.rows)

    def cells(self, row: Row, content: bytes | None = None) -> list[tuple[int, re.Match, bool]]:
        """The ``<c>`` matches of a row (in ``content``, the row's content unless given) with
        their 1-based columns and whether they have ``r``."""
        content = row.content if content is None else content
        found, col = [], 0
        for m in _CELL.finditer(content):
            r = _R_ATTR.search(m.group(1))
            col = column_of(r.group(1).decode()) if r else col + 1
            found.append((col, m, r is not None))
        return found

    def style_of(self, row_number: int, col: int) -> str | None:
        """The ``s`` (format) of a cell, None when it has none or does not exist."""
        return self.styles_of(row_number, [col]).get(col)

    def styles_of(self, row_number: int, cols: Collection[int]) -> dict[int, str | None]:
        """The ``s`` of the cells at ``cols`` of a row ({col: s}, None for none), found in one
        search of the row."""
        row = self.by_number.get(row_number)
        if row is None:
            return {}
        found = {}
        for _, _, col, old in self._edits(row, row.content or b"", sorted(cols)):
            if col is not None:
                s = attributes(old.group(1)).get(b"s") if old is not None else None
                found[col] = s.decode() if s is not None else None
        return found

    def last_value_row(self) -> int:
        """The last row that holds a value or a formula (formatted empty rows do not count)."""
        for row in reversed(self.rows):
            if row.content and _HAS_VALUE.search(row.content):
                return row.number
        return 0

    def render(self, writes: dict[int, Collection[int]], make: CellMaker) -> Iterator[bytes]:
        """The worksheet, as byte chunks made while they are consumed, with the cells
        ``writes`` names ({row: {col}}) set through ``make``. Untouched stretches are views of
        the original bytes, not copies."""
        return batched(self._pieces(writes, make))

    def _pieces(self, writes: dict[int, Collection[int]], make: CellMaker) -> Iterator:
        xml, where, p = self.xml, self.where, self.prefix
        view = memoryview(xml)
        yield self._grow_dimension(xml[:where.open_start], writes)
        if where.empty_tag:
            yield f"<{p}sheetData>".encode()
            pos = where.close_end
        else:
            yield view[where.open_start:where.open_end]
            pos = where.open_end
        pending = sorted(writes)
        i = 0
        for row in self.rows:
            if i < len(pending) and pending[i] < row.number:
                yield view[pos:row.start]
                pos = row.start
                while i < len(pending) and pending[i] < row.number:
                    yield self._new_row(pending[i], writes[pending[i]], make)
                    i += 1
            if i < len(pending) and pending[i] == row.number:
                yield view[pos:row.start]
                yield self._rebuild(row, writes[row.number], make)
                pos = row.end
                i += 1
            elif not self.all_have_r and not row.has_r:
                # Rows without r are numbered by position: give them r before any is inserted.
                yield view[pos:row.start]
                tag_end = row.start + len(f"<{p}row")
                yield xml[row.start:tag_end] + f' r="{row.number}"'.encode()
                yield view[tag_end:row.end]
                pos = row.end
        if not where.empty_tag:
            yield view[pos:where.close_start]
        while i < len(pending):
            yield self._new_row(pending[i], writes[pending[i]], make)
            i += 1
        if where.empty_tag:
            yield f"</{p}sheetData>".encode()
            yield view[where.close_end:]
        else:
            yield view[where.close_start:]

    def _new_row(self, number: int, cols: Collection[int], make: CellMaker) -> bytes:
        p = self.prefix
        cells = []
        for col in sorted(cols):
            style, encoded = make(number, col, None)
            if encoded.content or style:
                cells.append(cell_xml(p, f"{letter(col)}{number}", style, encoded))
        if not cells:
            return b""
        return f'<{p}row r="{number}">{"".join(cells)}</{p}row>'.encode()

    def _rebuild(self, row: Row, cols: Collection[int], make: CellMaker) -> bytes:
        p = self.prefix
        todo = sorted(cols)
        content = row.content or b""
        edits = self._edits(row, content, todo)
        pieces, pos = [], 0
        for start, end, col, old in edits:
            pieces.append(content[pos:start])
            if col is None:
                pieces.append(old)  # a cell given the r it lacked
            else:
                pieces.append(self._cell(row.number, col, old, make))
            pos = end
        pieces.append(content[pos:])
        attrs = row.attrs
        for col in todo:
            attrs = _update_spans(attrs, col)
        if not row.has_r:
            attrs = f' r="{row.number}"'.encode() + attrs
        return b"".join([f"<{p}row".encode(), attrs, b">", *pieces, f"</{p}row>".encode()])

    def _edits(self, row: Row, content: bytes, todo: list[int]) -> list:
        """(start, end, col, old cell match) for each written column: where in the row's
        content its cell goes (start == end: inserted) and the cell it replaces, if any."""
        try:
            edits = self._quick_edits(row, content, todo)
        except _Unusual:
            edits = None
        return edits if edits is not None else self._full_edits(row, content, todo)

    def _quick_edits(self, row: Row, content: bytes, todo: list[int]) -> list | None:
        """Where each written cell goes, found by searching for cell references instead of
        parsing every cell of the row. Only for rows whose every cell starts ``<c r="`` (what
        Excel, LibreOffice and openpyxl write); None when the row needs the full parse."""
        if not content:
            return [(0, 0, col, None) for col in todo]
        shape = self._shapes.get(row.number)
        if shape is None:
            shape = self._shapes[row.number] = self._shape(content)
        if not shape:
            return None
        last_col, last_end = shape
        edits = []
        for col in todo:
            if col > last_col:
                edits.append((last_end, last_end, col, None))
                continue
            m = self._find(content, col, row.number)
            if m is not None:
                edits.append((m.start(), m.end(), col, m))
                continue
            for later in range(col + 1, last_col + 1):  # insert before the next cell there is
                m = self._find(content, later, row.number)
                if m is not None:
                    edits.append((m.start(), m.start(), col, None))
                    break
        edits.sort(key=lambda e: (e[0], e[2]))
        return edits

    def _shape(self, content: bytes) -> tuple[int, int] | bool:
        """(column, end) of a row's last cell when the quick search suits the row; False when
        a cell lacks ``r="..."`` or something follows the last cell (an extLst)."""
        p = self.prefix.encode()
        if len(_CELL_TAG.findall(content)) != content.count(b"<" + p + b'c r="'):
            return False
        last = _CELL.match(content, content.rfind(b"<" + p + b'c r="'))
        if last is None or last.end() != len(content.rstrip()):
            return False
        return column_of(_R_ATTR.search(last.group(1)).group(1).decode()), last.end()

    @staticmethod
    def _find(content: bytes, col: int, row: int) -> re.Match | None:
        """The cell at ``col`` of the row, or None if it has none. A reference that turns out
        not to be a cell's (text that happens to read r="B2") means the row is unusual: the
        caller falls back to the full parse, through the exception."""
        ref = f"{letter(col)}{row}".encode()
        at = content.find(b'r="' + ref + b'"')
        if at < 0:
            return None
        m = _CELL.match(content, content.rfind(b"<", 0, at))
        r = _R_ATTR.search(m.group(1)) if m is not None else None
        if r is None or r.group(1) != ref or m.end() <= at or r.start(1) + m.start(1) != at + 3:
            raise _Unusual
        return m

    def _full_edits(self, row: Row, content: bytes, todo: list[int]) -> list:
        p = self.prefix
        existing = self.cells(row, content)
        edits = []
        i = 0
        for col, m, has_r in existing:
            while i < len(todo) and todo[i] < col:
                edits.append((m.start(), m.start(), todo[i], None))
                i += 1
            if i < len(todo) and todo[i] == col:
                edits.append((m.start(), m.end(), col, m))
                i += 1
            elif not has_r:
                edits.append((m.start(), m.end(), None,
                              _with_ref(m.group(0), p, f"{letter(col)}{row.number}")))
        end = existing[-1][1].end() if existing else 0
        edits.extend((end, end, col, None) for col in todo[i:])
        return edits

    def _cell(self, row: int, col: int, old: re.Match | None, make: CellMaker) -> bytes:
        ref = f"{letter(col)}{row}"
        extra = ""
        style = None
        if old is not None:
            if old.group(2) and HAS_FORMULA.search(old.group(2)):
                raise FormulaCellError(ref)
            attrs = attributes(old.group(1))
            s = attrs.get(b"s")
            style = s.decode() if s is not None else None
            extra = "".join(f' {k.decode()}="{v.decode().replace(chr(34), "&quot;")}"'
                            for k, v in attrs.items() if k not in _VALUE_ATTRS)
        new_style, encoded = make(row, col, style)
        if not encoded.content and not new_style and not extra:
            return b""  # an emptied cell without a format disappears
        return cell_xml(self.prefix, ref, new_style, encoded, extra).encode()

    def _grow_dimension(self, head: bytes, writes: dict[int, Collection[int]]) -> bytes:
        """Widen ``<dimension ref>`` to cover the written cells."""
        m = _DIMENSION.search(head)
        if m is None or not writes:
            return head
        ref = _REF_VALUE.search(m.group(0))
        if ref is None:
            return head
        old = (ref.group(2) if ref.group(2) is not None else ref.group(3)).decode()
        bounds = parse_range(old)
        top, bottom = min(writes), max(writes)
        left = min(min(c) for c in writes.values() if c)
        right = max(max(c) for c in writes.values() if c)
        if bounds is not None:
            top, left = min(top, bounds[0]), min(left, bounds[1])
            bottom, right = max(bottom, bounds[2]), max(right, bounds[3])
        new = range_text(top, left, bottom, right)
        if new == old:
            return head
        tag = m.group(0)
        tag = tag[:ref.start()] + ref.group(1) + b'"' + new.encode() + b'"' + tag[ref.end():]
        return head[:m.start()] + tag + head[m.end():]


def _with_ref(cell: bytes, prefix: str, ref: str) -> bytes:
    """A cell that had no ``r`` (placed by position) with its reference written out."""
    cut = len(f"<{prefix}c")
    return cell[:cut] + f' r="{ref}"'.encode() + cell[cut:]


def _update_spans(attrs: bytes, col: int) -> bytes:
    """Keep a row's ``spans`` hint consistent: one of its ranges reaches ``col``."""
    m = _SPANS_VALUE.search(attrs)
    if m is None:
        return attrs
    value = (m.group(2) if m.group(2) is not None else m.group(3)).decode()
    try:
        ranges = [[int(x) for x in item.split(":")] for item in value.split()]
    except ValueError:
        return attrs
    if not ranges or any(len(r) != 2 for r in ranges) or any(a <= col <= b for a, b in ranges):
        return attrs
    if col < ranges[0][0]:
        ranges[0][0] = col
    else:  # beyond the last range, or in a gap: stretch the range before it
        before = [r for r in ranges if r[1] < col][-1]
        before[1] = col
    new = " ".join(f"{a}:{b}" for a, b in ranges)
    return attrs[:m.start()] + m.group(1) + f'"{new}"'.encode() + attrs[m.end():]
