"""The fast path of reading: a worksheet's cells and the shared strings scanned with compiled
regular expressions instead of an XML parser, three to four times faster on big sheets.

A tokenizer must account for every character of ``<sheetData>`` (or ``<sst>``). Cells and rows
in the forms spreadsheet programs write match short patterns with few steps (the regular
expression engine's time goes to loops and alternatives); any other well-formed cell is checked
against a general pattern (a part mostly in such forms is left to lxml, quicker for them).
Anything else (a comment, CDATA, a namespace declaration, an element out of place, text it
cannot prove well-formed) makes the scan give up, and the caller reads the part with the
general lxml reader, the reference: both give exactly the same values. Everything
outside the element (prolog, namespaces, merged cells) is parsed by lxml with the cells cut out,
so damage there is still found by the parser. The patterns themselves are in ``scanpatterns``.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterator

from lxml import etree

from ...collector import paused
from ...model import Value
from ...parallel import Background, can_fork
from .cells import column_of, decode_value, decode_xstring, number_value, parse_range
from .package import XML_PARSER, local
from .scanpatterns import (
    EQ,
    NAME,
    S,
    cell_token,
    general_cell,
    general_row,
    general_string,
    rich_parts,
    string_token,
)

Cells = tuple[list[list[Value]], set[tuple[int, int]], list[tuple[int, int, int, int]]]

# A scan goes through a part this many bytes at a time (split before a <row> or <si>): the text
# of one chunk and its tokens are in memory at once, never those of a whole big sheet. Small
# chunks stay in the processor's cache.
CHUNK = 1 << 18

# Inline text up to this length is shared between equal cells (longer text rarely repeats).
_SHARED_LENGTH = 40


class _Unrecognised(Exception):
    """Something the scan does not handle: the general reader takes over."""


def read_cells(data: bytes, strings: list[str], epoch: dt.date) -> Cells | None:
    """The rows, formula cells and merged ranges of a worksheet part, as the general reader
    gives them; None when the part holds anything the scan does not recognise."""
    span = _span(data, "sheetData")
    outside = _outside(data, span, "sheetData", "row") if span else None
    if outside is None:
        return None
    merged, prefixes = outside
    try:
        with paused():
            second = _second_half(data, span)
            if second is None:
                rows, formulas = _scan(data, span, prefixes, strings, epoch)
            else:  # the second half scanned by a copy of this process meanwhile
                theirs = Background(lambda: _scan_tail(data, second, prefixes, strings, epoch))
                try:
                    rows, formulas = _scan(data, span[:2] + (second[1],) + span[3:], prefixes,
                                           strings, epoch)
                    height, first, tail, their_formulas = theirs.result()
                finally:
                    theirs.cancel()
                for number, values in enumerate(tail, start=first):
                    store_row(rows, number, values)
                rows.extend([] for _ in range(height - len(rows)))
                formulas |= their_formulas
    except (_Unrecognised, ValueError, IndexError, OverflowError):
        return None
    return rows, formulas, merged


# A sheet with more cells than this (in bytes of XML) is scanned by two processes, when the
# machine has two cores: each half of its rows by one.
SPLIT = 1 << 21


def _second_half(data: bytes, span: tuple) -> tuple | None:
    """The span of the second half of a big ``<sheetData>``, from the first row after its
    middle; None when the sheet is scanned in one go (small, one core, or that row has no
    ``r``, so its number depends on the rows before it)."""
    start, end, prefix = span[1], span[2], span[4]
    if end - start < SPLIT or not can_fork():
        return None
    at = data.find(f"<{prefix}row ".encode(), (start + end) // 2, end)
    if at < 0 or not data.startswith(f'<{prefix}row r="'.encode(), at):
        return None
    return span[:1] + (at,) + span[2:]


def _scan(data: bytes, span: tuple, prefixes: tuple[str, ...], strings: list[str],
          epoch: dt.date) -> tuple[list[list[Value]], set[tuple[int, int]]]:
    scan = _RowScan(span[4], prefixes, strings, epoch)
    for text in _chunks(data, span, "row"):
        scan.feed(text)
    return scan.rows, scan.formulas


def _scan_tail(data: bytes, span: tuple, prefixes: tuple[str, ...], strings: list[str],
               epoch: dt.date) -> tuple[int, int, list[list[Value]], set[tuple[int, int]]]:
    """The rows of a sheet's second half as (the height they give the sheet, the number of
    the first row that holds anything, the rows from there on, the formula cells)."""
    rows, formulas = _scan(data, span, prefixes, strings, epoch)
    first = next((i for i, values in enumerate(rows) if values), len(rows))
    return len(rows), first + 1, rows[first:], formulas


def read_strings(data: bytes) -> list[str] | None:
    """The shared string table as the general reader gives it; None when the part holds
    anything the scan does not recognise."""
    span = _span(data, "sst")
    outside = _outside(data, span, "sst", "si") if span else None
    if outside is None:
        return None
    prefix, prefixes = span[4], outside[1]
    token, rich = string_token(prefix), rich_parts(prefix)
    strings: list[str] = []
    append = strings.append
    checked = others = 0
    try:
        with paused():
            for text in _chunks(data, span, "si"):
                tokens = token.findall(text)
                checked += len(tokens)
                for plain, other, space, bad in tokens:
                    if other:
                        others += 1
                        plain = _string_text(*_checked(general_string(prefix, prefixes),
                                                       other).groups(""), rich)
                    elif space:
                        continue
                    elif bad:
                        raise _Unrecognised
                    elif "&" in plain:
                        plain = _unescape(plain)
                    append(plain if "_x" not in plain else decode_xstring(plain))
                _check_share(others, checked)
    except (_Unrecognised, ValueError, OverflowError):
        return None
    return strings


def store_row(rows: list[list[Value]], row_number: int, values: list[Value]) -> None:
    """Put a row's values at its place; a row number met again merges into the first, so no
    value is dropped (shared by both readers)."""
    while len(rows) < row_number:
        rows.append([])
    into = rows[row_number - 1]
    if not into:
        rows[row_number - 1] = values
        return
    if len(values) > len(into):
        into.extend([None] * (len(values) - len(into)))
    for i, value in enumerate(values):
        if value is not None:
            into[i] = value


def _check_share(others: int, tokens: int) -> None:
    """Give up when many elements need the general pattern (written with extra whitespace,
    single quotes, attributes in another order, rich text): lxml reads those twice as fast.
    Checked after each chunk, so such a part is given up on its first, small one."""
    if others > 200 and 3 * others > tokens:
        raise _Unrecognised


# --- the scan -----------------------------------------------------------------------------------

class _RowScan:
    """Rows read from the chunks of one ``<sheetData>``, in order."""

    def __init__(self, prefix: str, prefixes: tuple[str, ...], strings: list[str],
                 epoch: dt.date):
        self.prefix, self.prefixes = prefix, prefixes
        self.token, self.rich = cell_token(prefix, prefixes), rich_parts(prefix)
        self.strings, self.epoch = strings, epoch
        self.rows: list[list[Value]] = []
        self.formulas: set[tuple[int, int]] = set()
        self.row_number = 0
        self.tokens = self.others = 0
        # Values seen in this sheet: tool tabs write text inline (not shared), so the same
        # stage, channel or date would otherwise be a new object in every cell.
        self.texts: dict[str, str] = {}
        self.numbers: dict[str, int] = {}

    def feed(self, text: str) -> None:
        """Read the rows of one chunk (whole rows only)."""
        columns, strings, epoch, rows = _COLUMNS, self.strings, self.epoch, self.rows
        texts, numbers = self.texts, self.numbers
        formulas, row_number = self.formulas, self.row_number
        values: list[Value] | None = None
        col = others = 0
        tokens = self.token.findall(text)
        # One tuple per token: a cell in a form programs write (c is set), any other cell,
        # a row's start (with the previous row's end, ended) in either way, a row's end,
        # whitespace, or a character that starts nothing known (bad). This loop runs for
        # every cell of the sheet: the common kinds are decoded inline.
        for (c, ref, istr, kind, plain, f, v, other, ended, r, row, other_row, end,
             bad) in tokens:
            if c:
                if not ref:
                    col += 1
                else:
                    try:
                        col = columns[ref]
                    except KeyError:
                        col = _column(ref)
                if istr:
                    if "&" in plain:
                        plain = _unescape(plain)
                    value = plain if "_x" not in plain else decode_xstring(plain)
                    if len(value) <= _SHARED_LENGTH:  # one object for all the cells alike
                        value = texts.setdefault(value, value)
                elif not kind or kind == "n":
                    if v.isdecimal():  # what int() reads, without an exception to catch
                        value = numbers.get(v)
                        if value is None:  # dates repeat down a column: one int each
                            value = numbers[v] = int(v)
                    else:
                        value = number_value(_unescape(v) if "&" in v else v) if v else None
                elif kind == "s":
                    try:
                        value = strings[int(v)]
                    except (ValueError, IndexError):
                        value = _shared(v, strings)
                else:
                    value = decode_value(kind, (_unescape(v) if "&" in v else v) or None, epoch)
            elif other:
                others += 1
                cell = _checked(general_cell(self.prefix, self.prefixes), other)
                ref, kind, f, v, inline, plain, runs = cell.groups("")
                col = (columns.get(ref) or _column(ref)) if ref else col + 1
                value = _cell_value(kind, v, inline, plain, runs, self.rich, strings, epoch)
            elif row or other_row:
                if ended:
                    if values is None:
                        raise _Unrecognised
                    store_row(rows, row_number, values)
                    values = None
                if other_row:
                    r, row = _checked(general_row(self.prefix, self.prefixes),
                                      other_row).groups("")
                if values is not None:
                    raise _Unrecognised  # a row inside a row
                row_number = int(r) if r else row_number + 1
                values = []
                col = 0
                if row == "/>":
                    store_row(rows, row_number, values)
                    values = None
                continue
            elif end:
                if values is None:
                    raise _Unrecognised
                store_row(rows, row_number, values)
                values = None
                continue
            elif bad:
                raise _Unrecognised
            else:
                continue  # whitespace
            if values is None:
                raise _Unrecognised  # a cell outside a row
            if f:
                formulas.add((row_number, col))
            n = len(values)
            if col > n:
                if col > n + 1:
                    values.extend([None] * (col - n - 1))
                values.append(value)
            else:
                values[col - 1] = value
        if values is not None:
            raise _Unrecognised  # a row not closed in its chunk
        self.row_number = row_number
        self.tokens += len(tokens)
        self.others += others
        _check_share(self.others, self.tokens)


_COLUMNS: dict[str, int] = {}


def _column(letters: str) -> int:
    col = _COLUMNS[letters] = column_of(letters)
    return col


def _cell_value(kind: str, v: str, inline: str, plain: str, runs: str, rich: re.Pattern,
                strings: list[str], epoch: dt.date) -> Value:
    """The value of a cell in any form, from its parts as the general cell pattern finds
    them (entities still escaped; "" for what is missing)."""
    text = (_unescape(v) if "&" in v else v) or None  # <v></v> holds None, as in lxml
    if not kind or kind == "n":
        return number_value(text) if text else None
    if kind == "s":
        try:
            return strings[int(text)]
        except (TypeError, ValueError, IndexError):
            return None
    if kind == "inlineStr" and inline:
        return decode_xstring(_string_text(plain, runs, rich))
    return decode_value(kind, text, epoch)


def _string_text(plain: str, runs: str, rich: re.Pattern) -> str:
    """The text of an ``<is>`` or ``<si>`` (one ``<t>``, or rich text), unescaped."""
    if runs:
        plain = "".join(rich.findall(runs))
    return _unescape(plain) if "&" in plain else plain


def _shared(v: str, strings: list[str]) -> Value:
    """A shared string whose index is not plain digits: an entity in it, or unreadable."""
    if "&" in v:
        try:
            return strings[int(_unescape(v))]
        except (ValueError, IndexError):
            pass
    return None


# --- what the patterns cannot see ---------------------------------------------------------------

_ENTITY_REFERENCE = re.compile("&(?:(amp|lt|gt|quot|apos|#[0-9]+|#x[0-9A-Fa-f]+);)?")
_CHARACTERS = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
_CHARACTER_REFERENCE = re.compile("&#(x?)([0-9A-Fa-f]+);")
_VALUE = "(?:\"[^\"]*\"|'[^']*')"
_ANY_ATTRIBUTE = f"{S}+[^ \t\r\n=]+{EQ}{_VALUE}"
# A start tag with two attributes of one local name (two prefixes may stand for one namespace).
_REPEATED_ATTRIBUTE = re.compile(
    f"<[^ \t\r\n/>!?]+(?:{_ANY_ATTRIBUTE})*?{S}+(?:[^ \t\r\n=:]+:)?([^ \t\r\n=:]+){EQ}"
    f"{_VALUE}(?:{_ANY_ATTRIBUTE})*?{S}+(?:[^ \t\r\n=:]+:)?\\1{EQ}")


def _unescape(text: str) -> str:
    """Text with its entities replaced; a "&" that starts none is refused, as lxml does."""
    return _ENTITY_REFERENCE.sub(_entity, text)


def _entity(m: re.Match) -> str:
    name = m.group(1)
    if name is None:
        raise _Unrecognised
    if name[0] != "#":
        return _CHARACTERS[name]
    code = int(name[2:], 16) if name[1] == "x" else int(name[1:])
    if not _legal(code):
        raise _Unrecognised
    return chr(code)


def _legal(code: int) -> bool:
    """Whether XML 1.0 allows the character (a reference to any other is an error)."""
    return (code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD
            or 0x10000 <= code <= 0x10FFFF)


def _checked(pattern: re.Pattern, text: str) -> re.Match:
    """An element the tokenizer took loosely, matched in full by its general pattern; with
    what a pattern cannot see checked too: repeated attributes, and references to characters
    XML forbids (even where the scan never decodes them, in a formula or a phonetic run)."""
    m = pattern.fullmatch(text)
    if m is None or _REPEATED_ATTRIBUTE.search(text):
        raise _Unrecognised
    if "&#" in text:
        for ref in _CHARACTER_REFERENCE.finditer(text):
            if not _legal(int(ref.group(2), 16 if ref.group(1) else 10)):
                raise _Unrecognised
    return m


# The bytes XML allows in UTF-8 text: all but most control characters.
_XML_BYTES = bytes(b for b in range(256) if b >= 32 or b in b"\t\n\r")


def _chunks(data: bytes, span: tuple, child: str) -> Iterator[str]:
    """The content of the element at ``span`` as text, in pieces that each start at a
    ``child`` element (or the start), with line ends as an XML parser sees them."""
    start, end, prefix = span[1], span[2], span[4]
    # "]]>" is not allowed in text. Most sheets hold no "]" at all, and looking for one byte
    # is much faster than for three.
    at = data.find(b"]]", start, end) if data.find(b"]", start, end) >= 0 else -1
    while at >= 0:
        if data.startswith(b"]]>", at):
            raise _Unrecognised
        at = data.find(b"]]", at + 1, end)
    returns = data.find(b"\r", start, end) >= 0
    split = re.compile(f"<{re.escape(prefix)}{child}[ \t\r\n/>]".encode())
    size = CHUNK // 8  # a small first piece: a part better left to lxml shows at once
    while start < end:
        m = split.search(data, start + size, end) if start + size < end else None
        stop = m.start() if m else end
        size = CHUNK
        piece = data[start:stop]
        start = stop
        if piece.translate(None, _XML_BYTES):
            raise _Unrecognised  # a control character XML forbids
        text = piece.decode("utf-8")
        if "\ufffe" in text or "\uffff" in text:  # at once when the text is all Latin-1
            raise _Unrecognised
        if returns:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        yield text


# --- what surrounds the scanned element ---------------------------------------------------------

@functools.lru_cache(maxsize=4)
def _opening(name: str) -> re.Pattern:
    return re.compile(
        f"<({NAME}:)?{name}(?=[ \t\r\n/>])((?:[^>\"']|\"[^\"]*\"|'[^']*')*?)(/?)>".encode())


def _span(data: bytes, name: str) -> tuple[int, int, int, int, str] | None:
    """Where element ``name`` starts, its content starts and ends, and it ends, and its prefix;
    None when it is missing or not closed."""
    m = _opening(name).search(data)
    if m is None:
        return None
    prefix = (m.group(1) or b"").decode()
    if m.group(3):
        return m.start(), m.end(), m.end(), m.end(), prefix
    # The last closing tag, looked for from the end (close to it): if it is not the element's
    # own, the scan meets the other one and gives up.
    closing = f"</{prefix}{name}".encode()
    where = data.rfind(closing, m.end())
    close = _CLOSE_END.match(data, where + len(closing)) if where >= 0 else None
    if close is None:
        return None
    return m.start(), m.end(), where, close.end(), prefix


_CLOSE_END = re.compile(f"{S}*>".encode())


def _outside(data: bytes, span: tuple, name: str, inner: str
             ) -> tuple[list[tuple[int, int, int, int]], tuple[str, ...]] | None:
    """The part without the element's content, parsed by lxml: the merged cells it holds and
    the namespace prefixes declared where the element is. None when it cannot be parsed
    (the general reader then says why), declares a DTD or another encoding, or holds elements
    the general reader would also read (``inner``) elsewhere."""
    head = data[:span[1]]
    if b"<!DOCTYPE" in head:
        return None
    try:
        root = etree.fromstring(head + data[span[2]:], XML_PARSER)
    except etree.XMLSyntaxError:
        return None
    if (root.getroottree().docinfo.encoding or "utf-8").lower().replace("-", "") != "utf8":
        return None
    element = None
    merged = []
    for el in root.iter(f"{{*}}{name}", "{*}mergeCell", f"{{*}}{inner}"):
        tag = local(el.tag)
        if tag == name:
            element = element if element is not None else el
        elif tag == inner or element is None or len(el):
            # Such an element outside the scanned one, or a merge before the cells (the
            # general reader's order of events would differ): leave it all to that reader.
            return None
        else:
            bounds = parse_range(el.get("ref", ""))
            if bounds is not None and bounds[:2] != bounds[2:]:
                merged.append(bounds)
    if element is None:
        return None
    return merged, tuple(sorted(p for p in element.nsmap if p)) + ("xml",)
