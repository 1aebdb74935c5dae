"""Editing a user's worksheet in place, at the row level, as bytes.

Rows that are not written are copied as their original bytes; a written row is rebuilt from its
own cells (untouched cells verbatim) plus the new ones, in column order. Nothing else in the part
changes except the ``<dimension>`` ref when the written range grows.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from .cells import Encoded, cell_xml, column_of, letter, parse_range, range_text

_NAME = rb"[A-Za-z_][\w.-]*"
_PFX = rb"(?:" + _NAME + rb":)?"
_ATTRS = rb"""((?:[^>"']|"[^"]*"|'[^']*')*?)"""
_SHEET_DATA_OPEN = re.compile(rb"<(" + _NAME + rb":)?sheetData(?=[\s/>])" + _ATTRS + rb"(/?)>")
_ROW_OPEN = re.compile(rb"<(" + _NAME + rb":)?row(?=[\s/>])" + _ATTRS + rb"(/?)>")
_ROW_CLOSE = re.compile(rb"</" + _PFX + rb"row\s*>")
_CELL = re.compile(rb"<" + _PFX + rb"c(?=[\s/>])" + _ATTRS
                   + rb"(?:/>|>(.*?)</" + _PFX + rb"c\s*>)", re.S)
_R_ATTR = re.compile(rb"""(?:^|\s)r\s*=\s*["']([^"']*)["']""")
_ATTR = re.compile(rb"""(""" + _NAME + rb"""(?::[\w.-]+)?)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_DIMENSION = re.compile(rb"<" + _PFX + rb"dimension(?=[\s/>])" + _ATTRS + rb"/?>")
_REF_VALUE = re.compile(rb"""(\sref\s*=\s*)(?:"([^"]*)"|'([^']*)')""")
_SPANS_VALUE = re.compile(rb"""(\sspans\s*=\s*)(?:"([^"]*)"|'([^']*)')""")
_HAS_VALUE = re.compile(rb"<" + _PFX + rb"(?:v|is|f)(?=[\s/>])")
_HAS_FORMULA = re.compile(rb"<" + _PFX + rb"f(?=[\s/>])")
_CELL_FORMULA = re.compile(rb"<(?:(?!xm:)" + _NAME + rb":)?f(?=[\s/>])")
# Attributes of a replaced cell that describe its old value, so they go with it.
_VALUE_ATTRS = {b"r", b"s", b"t", b"cm", b"vm"}


class FormulaCellError(Exception):
    """A write aimed at a cell that holds a formula (the core never sends one: a bug)."""

    def __init__(self, ref: str):
        super().__init__(ref)
        self.ref = ref


@dataclass
class SheetData:
    """Where ``<sheetData>`` sits in a worksheet part, and its namespace prefix."""

    open_start: int
    open_end: int
    close_start: int
    close_end: int
    prefix: str  # "" or "x:"
    empty_tag: bool  # written as <sheetData/>


def locate(xml: bytes) -> SheetData:
    m = _SHEET_DATA_OPEN.search(xml)
    if m is None:
        raise ValueError("no <sheetData> element")
    prefix = (m.group(1) or b"").decode()
    if m.group(3):
        return SheetData(m.start(), m.end(), m.end(), m.end(), prefix, True)
    close = re.compile(rb"</" + re.escape(prefix.encode()) + rb"sheetData\s*>")
    end = close.search(xml, m.end())
    if end is None:
        raise ValueError("<sheetData> is not closed")
    return SheetData(m.start(), m.end(), end.start(), end.end(), prefix, False)


class Chunks:
    """Output gathered as a few large byte chunks: small pieces are joined in batches, big
    views of the original are kept as they are."""

    BATCH = 1 << 18

    def __init__(self):
        self.chunks: list = []
        self.batch: list = []
        self.size = 0

    def add(self, piece) -> None:
        if len(piece) >= self.BATCH:
            self._flush()
            self.chunks.append(piece)
        elif piece:
            self.batch.append(piece)
            self.size += len(piece)
            if self.size >= self.BATCH:
                self._flush()

    def _flush(self) -> None:
        if self.batch:
            self.chunks.append(b"".join(self.batch))
            self.batch, self.size = [], 0

    def done(self) -> list:
        self._flush()
        return self.chunks


def shell(stream, chunk: int = 1 << 20) -> tuple[bytes, bytes, str]:
    """The bytes of a worksheet before and after its ``<sheetData>`` element, and the element's
    prefix, read from a stream: the rows in between are never held in memory."""
    head = b""
    while True:
        data = stream.read(chunk)
        head += data
        m = _SHEET_DATA_OPEN.search(head)
        if m is not None:
            break
        if not data:
            raise ValueError("no <sheetData> element")
    prefix = (m.group(1) or b"").decode()
    before, rest = head[:m.start()], head[m.end():]
    if m.group(3):
        return before, rest + stream.read(), prefix
    close = re.compile(rb"</" + re.escape(prefix.encode()) + rb"sheetData\s*>")
    window = rest
    while True:
        end = close.search(window)
        if end is not None:
            return before, window[end.end():] + stream.read(), prefix
        data = stream.read(chunk)
        if not data:
            raise ValueError("<sheetData> is not closed")
        window = window[-64:] + data


def has_formulas(xml: bytes) -> bool:
    """Whether any cell of the worksheet holds a formula."""
    try:
        where = locate(xml)
    except ValueError:
        return False
    return _HAS_FORMULA.search(xml, where.open_end, where.close_start) is not None


def stream_has_formulas(stream, chunk: int = 1 << 20) -> bool:
    """``has_formulas`` for a sheet read as a stream (sparkline and x14 validation formulas,
    ``xm:f``, do not count)."""
    window = b""
    while data := stream.read(chunk):
        window = window[-32:] + data
        if _CELL_FORMULA.search(window):
            return True
    return False


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
        self.all_have_r = all(row.has_r for row in self.rows)

    def cells(self, row: Row) -> list[tuple[int, re.Match, bool]]:
        """The ``<c>`` matches of a row with their 1-based columns and whether they have ``r``."""
        if not row.content:
            return []
        found, col = [], 0
        for m in _CELL.finditer(row.content):
            r = _R_ATTR.search(m.group(1))
            col = column_of(r.group(1).decode()) if r else col + 1
            found.append((col, m, r is not None))
        return found

    def style_of(self, row_number: int, col: int) -> str | None:
        row = self.by_number.get(row_number)
        for c, m, _ in self.cells(row) if row else []:
            if c == col:
                s = attributes(m.group(1)).get(b"s")
                return s.decode() if s is not None else None
        return None

    def last_value_row(self) -> int:
        """The last row that holds a value or a formula (formatted empty rows do not count)."""
        for row in reversed(self.rows):
            if row.content and _HAS_VALUE.search(row.content):
                return row.number
        return 0

    def render(self, writes: dict[int, set[int]], make: CellMaker) -> list:
        """The worksheet, as byte chunks, with the cells ``writes`` names ({row: {col}}) set
        through ``make``. Untouched stretches are views of the original bytes, not copies."""
        xml, where, p = self.xml, self.where, self.prefix
        view = memoryview(xml)
        out = Chunks()
        out.add(self._grow_dimension(xml[:where.open_start], writes))
        if where.empty_tag:
            out.add(f"<{p}sheetData>".encode())
            pos = where.close_end
        else:
            out.add(view[where.open_start:where.open_end])
            pos = where.open_end
        pending = sorted(writes)
        i = 0
        for row in self.rows:
            if i < len(pending) and pending[i] < row.number:
                out.add(view[pos:row.start])
                pos = row.start
                while i < len(pending) and pending[i] < row.number:
                    out.add(self._new_row(pending[i], writes[pending[i]], make))
                    i += 1
            if i < len(pending) and pending[i] == row.number:
                out.add(view[pos:row.start])
                out.add(self._rebuild(row, writes[row.number], make))
                pos = row.end
                i += 1
            elif not self.all_have_r and not row.has_r:
                # Rows without r are numbered by position: give them r before any is inserted.
                out.add(view[pos:row.start])
                tag_end = row.start + len(f"<{p}row")
                out.add(xml[row.start:tag_end] + f' r="{row.number}"'.encode())
                out.add(view[tag_end:row.end])
                pos = row.end
        if not where.empty_tag:
            out.add(view[pos:where.close_start])
        while i < len(pending):
            out.add(self._new_row(pending[i], writes[pending[i]], make))
            i += 1
        if where.empty_tag:
            out.add(f"</{p}sheetData>".encode())
            out.add(view[where.close_end:])
        else:
            out.add(view[where.close_start:])
        return out.done()

    def _new_row(self, number: int, cols: set[int], make: CellMaker) -> bytes:
        p = self.prefix
        cells = []
        for col in sorted(cols):
            style, encoded = make(number, col, None)
            if encoded.content or style:
                cells.append(cell_xml(p, f"{letter(col)}{number}", style, encoded))
        if not cells:
            return b""
        return f'<{p}row r="{number}">{"".join(cells)}</{p}row>'.encode()

    def _rebuild(self, row: Row, cols: set[int], make: CellMaker) -> bytes:
        p = self.prefix
        todo = sorted(cols)
        content = row.content or b""
        edits = self._quick_edits(row, todo)
        if edits is None:
            edits = self._full_edits(row, todo)
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

    def _quick_edits(self, row: Row, todo: list[int]) -> list | None:
        """Where each written cell goes, found without parsing every cell of the row: new
        columns right of the last cell, existing cells by their reference. None when the row
        needs the full parse (cells without r, a cell to insert between others)."""
        content = row.content
        if not content:
            return [(0, 0, col, None) for col in todo]
        start = content.rfind(f"<{self.prefix}c ".encode())
        last = _CELL.match(content, start) if start >= 0 else None
        if last is None or last.end() != len(content.rstrip()):
            return None
        last_r = _R_ATTR.search(last.group(1))
        if last_r is None:
            return None
        last_col = column_of(last_r.group(1).decode())
        edits = []
        for col in todo:
            if col > last_col:
                edits.append((last.end(), last.end(), col, None))
                continue
            ref = f"{letter(col)}{row.number}".encode()
            at = content.find(b'r="' + ref + b'"')
            if at < 0:
                return None
            m = _CELL.match(content, content.rfind(b"<", 0, at))
            r = _R_ATTR.search(m.group(1)) if m is not None else None
            if r is None or r.group(1) != ref or m.end() <= at:
                return None
            edits.append((m.start(), m.end(), col, m))
        return edits

    def _full_edits(self, row: Row, todo: list[int]) -> list:
        p = self.prefix
        existing = self.cells(row)
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
            if old.group(2) and _HAS_FORMULA.search(old.group(2)):
                raise FormulaCellError(ref)
            attrs = attributes(old.group(1))
            s = attrs.get(b"s")
            style = s.decode() if s is not None else None
            extra = "".join(f' {k.decode()}="{v.decode()}"' for k, v in attrs.items()
                            if k not in _VALUE_ATTRS)
        new_style, encoded = make(row, col, style)
        if not encoded.content and not new_style and not extra:
            return b""  # an emptied cell without a format disappears
        return cell_xml(self.prefix, ref, new_style, encoded, extra).encode()

    def _grow_dimension(self, head: bytes, writes: dict[int, set[int]]) -> bytes:
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
