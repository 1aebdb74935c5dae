"""Editing a user's worksheet in place, at the row level, as bytes.

Rows that are not written are copied as their original bytes; a written row is rebuilt from its
own cells (untouched cells verbatim) plus the new ones, in column order. Nothing else in the part
changes except the ``<dimension>`` ref when the written range grows.
"""

from __future__ import annotations

import bisect
import itertools
import operator
import re
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass

from .cells import Encoded, cell_xml, column_of, letter, parse_range, range_text
from .package import batched
from .parts import DEFLATE_BYTE, WRITTEN_CELL, Part
from .sheetshell import ATTRS, HAS_FORMULA, NAME, PREFIX, has_formulas, locate

_ROW_OPEN = re.compile(rb"<(" + NAME + rb":)?row(?=[\s/>])" + ATTRS + rb"(/?)>")
_ROW_CLOSE = re.compile(rb"</" + PREFIX + rb"row\s*>")
_CELL = re.compile(rb"<" + PREFIX + rb"c(?=[\s/>])" + ATTRS
                   + rb"(?:/>|>(.*?)</" + PREFIX + rb"c\s*>)", re.S)
_R_ATTR = re.compile(rb"""(?:^|\s)r\s*=\s*["']([^"']*)["']""")
_ATTR = re.compile(rb"""(""" + NAME + rb"""(?::[\w.-]+)?)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_DIMENSION = re.compile(rb"<" + PREFIX + rb"dimension(?=[\s/>])" + ATTRS + rb"/?>")
_REF_VALUE = re.compile(rb"""(\sref\s*=\s*)(?:"([^"]*)"|'([^']*)')""")
_SPANS_VALUE = re.compile(rb"""(\sspans\s*=\s*)(?:"([^"]*)"|'([^']*)')""")
_HAS_VALUE = re.compile(rb"<" + PREFIX + rb"(?:v|is|f)(?=[\s/>])")
# Edits in the order they apply: by place, then column (two inserted at one place).
_BY_PLACE = operator.itemgetter(0, 2)
# Rows of a sheet per unit of its making (see Part): fine enough to share it evenly.
_ROWS_PER_UNIT = 250
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
        search, find, add = _ROW_OPEN.search, xml.find, self.rows.append
        closes: dict[bytes | None, bytes] = {}  # the end tag of a row, by its prefix
        while (m := search(xml, pos, stop)) is not None:
            prefix, attrs, empty = m.groups()
            start, open_end = m.span()
            if attrs.startswith(b' r="') and (quote := attrs.find(b'"', 4)) > 4:
                number, has_r = int(attrs[4:quote]), True  # the usual form, without the regex
            else:
                r = _R_ATTR.search(attrs)
                number, has_r = (int(r.group(1)), True) if r else (number + 1, False)
            if empty:  # <row/>
                end = content_end = open_end
            else:
                close = closes.get(prefix)
                if close is None:
                    close = closes[prefix] = b"</" + (prefix or b"") + b"row>"
                content_end = find(close, open_end, stop)
                if content_end >= 0:
                    end = content_end + len(close)
                else:  # an unusual closing tag (</row >): let the regex find it
                    closing = _ROW_CLOSE.search(xml, open_end, stop)
                    if closing is None:
                        raise ValueError(f"row {number} is not closed")
                    content_end, end = closing.start(), closing.end()
            add(Row(xml, number, start, end, attrs, open_end, content_end, has_r))
            pos = end
        self.by_number = {row.number: row for row in self.rows}
        self.all_have_r = all(row.has_r for row in self.rows)
        self._cell_tag = f"<{self.prefix}c".encode()
        self._cell_close = f"</{self.prefix}c>".encode()
        self._row_tags = f"<{self.prefix}row".encode(), f"</{self.prefix}row>".encode()
        self._refs_everywhere: bool | None = None  # see _row_has_refs
        self._has_colons: bool | None = None  # see _colons
        self.ascending = all(a.number < b.number
                             for a, b in itertools.pairwise(self.rows))

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
        row = self.by_number.get(row_number)
        for _, _, found, old in self._edits(row, row.content or b"", [col]) if row else ():
            if found == col and old is not None:
                s = attributes(old.group(1)).get(b"s")
                return s.decode() if s is not None else None
        return None

    def cell_style(self, row_number: int, col: int) -> str | None:
        """``style_of`` by a quicker search, for looking up many cells: when every ``<c`` of
        the row starts ``<c r="`` (what Excel, LibreOffice and openpyxl write, told by
        counting), the cell is where its reference is, or nowhere. Anything else (rich text,
        cells without ``r``, other prefixes) takes ``style_of``."""
        row = self.by_number.get(row_number)
        if row is None or row.content_start == row.content_end:
            return None
        xml, start, end = row.xml, row.content_start, row.content_end
        if not self._row_has_refs(xml, start, end):
            return self.style_of(row_number, col)
        ref = f"{letter(col)}{row_number}".encode()
        at = xml.find(b'r="' + ref + b'"', start, end)
        if at < 0:
            return None
        m = _CELL.match(xml, xml.rfind(b"<", start, at), end)
        if m is None or m.start(1) + 1 != at or m.end() <= at:  # not this cell's reference
            return self.style_of(row_number, col)
        s = attributes(m.group(1)).get(b"s")
        return s.decode() if s is not None else None

    def _row_has_refs(self, content: bytes, start: int, end: int) -> bool:
        """``_all_have_ref`` for one row, answered for all rows at once when the whole of
        ``<sheetData>`` passes (it usually does, and counting it once is quicker)."""
        if self._refs_everywhere is None:
            self._refs_everywhere = self._all_have_ref(self.xml, self.where.open_end,
                                                       self.where.close_start)
        return self._refs_everywhere or self._all_have_ref(content, start, end)

    def _all_have_ref(self, xml: bytes, start: int, end: int) -> bool:
        """Whether every ``<c`` in ``xml[start:end]`` (a row's content) starts ``<c r="``, and no
        other prefix is used: then each cell is found by its reference. Byte counts, several
        times quicker than a pattern; anything unusual (rich text, whitespace other than one
        space, a ``:c`` in text) only sends the row to the full parse."""
        tag = self._cell_tag
        tags = xml.count(tag, start, end)
        if tags != xml.count(tag + b' r="', start, end):
            return False
        if not self.prefix:
            if xml is self.xml and start == self.where.open_end and end == self.where.close_start:
                return not self._colons()
            return xml.count(b":c", start, end) == 0
        return xml.count(b":c", start, end) == tags + xml.count(self._cell_close, start, end)

    def _colons(self) -> bool:
        """Whether ``<sheetData>`` holds a colon at all (a prefixed element, or text): when it
        holds none, no cell uses another prefix and no formula is ``x:f``. One count of one
        byte, the quickest search there is; kept."""
        if self._has_colons is None:
            self._has_colons = self.xml.count(b":", self.where.open_end,
                                              self.where.close_start) > 0
        return self._has_colons

    def has_formulas(self) -> bool:
        """Whether any cell of the sheet holds a formula."""
        return has_formulas(self.xml, self.where, self._colons())

    def last_value_row(self) -> int:
        """The last row that holds a value or a formula (formatted empty rows do not count)."""
        for row in reversed(self.rows):
            if row.content and _HAS_VALUE.search(row.content):
                return row.number
        return 0

    def render(self, writes: dict[int, Collection[int]], make: CellMaker) -> Part:
        """The worksheet with the cells ``writes`` names ({row: {col}}) set through ``make``,
        as a ``Part`` made while the file is written, in blocks of rows (so that two processes
        can share a big sheet). Untouched stretches are views of the original bytes."""
        pending = sorted(writes)
        rows = self.rows
        block = _ROWS_PER_UNIT
        if not self.ascending:
            block = max(len(rows), 1)  # rows out of order: made in one go, as they come
        units = max(1, -(-len(rows) // block))
        costs = []
        for u in range(units):
            start = rows[u * block].start if u else 0
            end = rows[(u + 1) * block].start if u + 1 < units else len(self.xml)
            costs.append(DEFLATE_BYTE * (end - start))
        # Written cells cost their row's rebuilding: counted in the block of their row.
        firsts = [rows[u * block].number for u in range(1, units)]
        for number in pending:
            costs[bisect.bisect_right(firsts, number)] += WRITTEN_CELL * len(writes[number])
        size = len(self.xml) + sum(100 * len(c) for c in writes.values())

        def chunks(first: int, stop: int) -> Iterator[bytes]:
            return batched(self._pieces(writes, pending, make, first * block,
                                        min(stop * block, len(rows)), stop == units))
        return Part(chunks, costs, size)

    def _pieces(self, writes: dict[int, Collection[int]], pending: list[int], make: CellMaker,
                first: int, stop: int, last: bool) -> Iterator:
        """The bytes from row ``first`` (of ``self.rows``; 0: the start of the part) up to row
        ``stop`` (or to the end of the part when ``last``), written rows rebuilt, new rows
        placed before the first row past them."""
        xml, where, p = self.xml, self.where, self.prefix
        view = memoryview(xml)
        if first == 0:
            yield self._grow_dimension(xml[:where.open_start], writes)
            if where.empty_tag:
                yield f"<{p}sheetData>".encode()
                pos = where.close_end
            else:
                yield view[where.open_start:where.open_end]
                pos = where.open_end
            i = 0
        else:
            pos = self.rows[first].start
            i = bisect.bisect_left(pending, self.rows[first].number)
        for row in self.rows[first:stop]:
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
        if not last:  # up to the next block's first row, and the new rows before it
            after = self.rows[stop]
            yield view[pos:after.start]
            while i < len(pending) and pending[i] < after.number:
                yield self._new_row(pending[i], writes[pending[i]], make)
                i += 1
            return
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
        todo = sorted(cols)
        content = row.content or b""
        edits = self._edits(row, content, todo)
        number, p = row.number, self.prefix
        pieces, pos = [self._row_tags[0], row.attrs, b">"], 0
        for start, end, col, old in edits:
            if start > pos:
                pieces.append(content[pos:start])
            if col is None:
                pieces.append(old)  # a cell given the r it lacked
            elif old is None:  # a new cell (as _cell makes it, without its checks)
                style, encoded = make(number, col, None)
                if encoded.content or style:
                    pieces.append(cell_xml(p, f"{letter(col)}{number}", style, encoded).encode())
            else:
                pieces.append(self._cell(number, col, old, make))
            pos = end
        pieces.append(content[pos:])
        pieces.append(self._row_tags[1])
        attrs = row.attrs
        if b"spans" in attrs:
            for col in todo:
                attrs = _update_spans(attrs, col)
        if not row.has_r:
            attrs = f' r="{row.number}"'.encode() + attrs
        pieces[1] = attrs
        return b"".join(pieces)

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
        shape = self._shape(content)  # not kept: each row is rebuilt once
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
                start = self._start_of(content, later, row.number)
                if start >= 0:
                    edits.append((start, start, col, None))
                    break
        edits.sort(key=_BY_PLACE)
        return edits

    def _shape(self, content: bytes) -> tuple[int, int] | bool:
        """(column, end) of a row's last cell when the quick search suits the row; False when
        a cell lacks ``r="..."`` or something follows the last cell (an extLst). Told by
        counting (``_all_have_ref``)."""
        if not self._row_has_refs(content, 0, len(content)):
            return False
        lead = self._cell_tag + b' r="'
        at = content.rfind(lead)
        end = len(content) if content[-1:] == b">" else len(content.rstrip())
        if at >= 0 and content.endswith(self._cell_close, 0, end):
            # The last <c ... ends the row: no other <c follows to open a cell it could close.
            quote = content.find(b'"', at + len(lead))
            return column_of(content[at + len(lead):quote].decode()), end
        last = _CELL.match(content, at)
        if last is None or last.end() != len(content.rstrip()):
            return False
        return column_of(_R_ATTR.search(last.group(1)).group(1).decode()), last.end()

    def _start_of(self, content: bytes, col: int, row: int) -> int:
        """Where the cell at ``col`` of the row starts, -1 if it has none (in a row where every
        ``<c`` starts ``<c r="``: a reference right after one is a cell's). A reference
        elsewhere (in text) raises ``_Unusual``, as in ``_find``."""
        at = content.find(f'r="{letter(col)}{row}"'.encode())
        if at < 0:
            return -1
        lead = self._cell_tag + b" "
        if not content.startswith(lead, at - len(lead)):
            raise _Unusual
        return at - len(lead)

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
