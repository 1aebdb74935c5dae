"""Cells at the text level: references, and values encoded as SpreadsheetML, both ways.

New XML is built as strings from pre-escaped pieces (much faster than element trees for sheets of
tens of thousands of rows); these helpers are the only place that escaping happens.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import NamedTuple

from ...changeset import column_index, column_letter
from ...model import MAX_CELL_CHARS, UNWRITABLE, CellError, Link, Value, fit_text

_DIGITS = "0123456789"
_COLUMNS: dict[str, int] = {}
LETTERS: list[str] = [""]  # column letters by number, filled by letter()
MAX_COLUMN = 16384  # XFD
# Excel rejects hyperlinks longer than this.
MAX_LINK_CHARS = 2079

# XML 1.0 forbids these characters outright: they are dropped.
_ILLEGAL = UNWRITABLE
# What needs escaping in element text: markup, CR (an XML parser turns a raw CR into LF) and
# text that Excel would read as one of its _xHHHH_ escapes.
_SPECIAL = re.compile("[&<>\r]|_x[0-9A-Fa-f]{4}_")
_XESCAPE = re.compile("_(x[0-9A-Fa-f]{4}_)")
_XSTRING = re.compile(r"_x([0-9A-Fa-f]{4})_")
_NEEDS_PRESERVE = re.compile(r"^\s|\s$|[\n\r\t]|  ")
# Up to this length a str cannot exceed the cell limit, whatever its characters.
PLAIN_TEXT_LIMIT = MAX_CELL_CHARS // 2
# Characters that rule out the plain path: markup, control characters, surrogates, non-characters.
_NOT_PLAIN_CHARS = re.compile("[\x00-\x1f&<>\ud800-\udfff\ufffe\uffff]")


def is_plain(text: str) -> bool:
    """Whether non-empty ``text`` goes into a cell as it is: nothing to escape, clean or mark
    ``xml:space``. Cheap substring tests come first (one regex with every case in it costs
    several times more, and this runs for every text cell of a new tab)."""
    return not ("_x" in text or "  " in text or text[0].isspace() or text[-1].isspace()
                or len(text) > PLAIN_TEXT_LIMIT or _NOT_PLAIN_CHARS.search(text))


def column_of(ref: str) -> int:
    """The 1-based column of a cell reference such as ``AB12`` (``$`` signs allowed)."""
    letters = ref.rstrip(_DIGITS)
    col = _COLUMNS.get(letters)
    if col is None:
        col = _COLUMNS[letters] = column_index(letters.replace("$", ""))
    return col


def row_of(ref: str) -> int:
    digits = ref[len(ref.rstrip(_DIGITS)):]
    return int(digits) if digits else 0


def letter(col: int) -> str:
    """The column letters of ``col``, cached: new sheets ask for them once per cell."""
    while len(LETTERS) <= col:
        LETTERS.append(column_letter(len(LETTERS)))
    return LETTERS[col]


def decode_xstring(text: str) -> str:
    """Undo Excel's ``_xHHHH_`` escapes in stored text."""
    if "_x" not in text:
        return text
    return _XSTRING.sub(lambda m: chr(int(m.group(1), 16)), text)


def decode_value(kind: str, text: str | None, epoch: dt.date) -> Value:
    """The value of a cell of type ``kind`` (``t``) whose ``<v>`` holds ``text``, for the kinds
    other than numbers, shared strings and inline strings with an ``<is>``."""
    if kind in ("str", "inlineStr"):
        return decode_xstring(text) if text is not None else None
    if kind == "b":
        return text.strip().lower() in ("1", "true") if text else None
    if kind == "e":
        return CellError(text.strip()) if text else None
    if kind == "d":
        return iso_serial(text, epoch) if text else None
    return text


def number_value(text: str) -> int | float | None:
    """A stored number: an int when it is integral (and exact as a float), None when unreadable."""
    if "." not in text:  # int() refuses any text with a ".": no exception to catch for those
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


def iso_serial(text: str, epoch: dt.date) -> float | None:
    """An ISO 8601 ``t="d"`` value as a serial number in the workbook's date system."""
    try:
        moment = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    delta = moment.replace(tzinfo=None) - dt.datetime.combine(epoch, dt.time())
    return delta.days + (delta.seconds + delta.microseconds / 1e6) / 86400


def clean_text(text: str) -> str:
    """Text as a cell can hold it: characters illegal in XML dropped, at most 32,767 UTF-16
    units (Excel's cell limit; longer text is cut, as Excel itself would refuse it). The core
    fits what it writes the same way (``model.fit_text``), so a sync reads back what it wrote."""
    return fit_text(text)


def escape_text(text: str) -> str:
    """Text escaped for element content (call ``clean_text`` first)."""
    if _SPECIAL.search(text):
        text = _XESCAPE.sub(r"_x005F_\1", text)
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        text = text.replace("\r", "&#13;")
    return text


def strip_illegal(text: str) -> str:
    """``text`` without the characters XML 1.0 cannot hold."""
    return _ILLEGAL.sub("", text) if _ILLEGAL.search(text) else text


def number_text(value: int | float) -> str:
    if isinstance(value, int):
        return str(value)
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def serial(value: dt.date, epoch: dt.date) -> int | float:
    """A date (or date and time) as a serial number of the workbook's date system."""
    if isinstance(value, dt.datetime):
        delta = value.replace(tzinfo=None) - dt.datetime.combine(epoch, dt.time())
        number = delta.days + (delta.seconds + delta.microseconds / 1e6) / 86400
        return int(number) if float(number).is_integer() else number
    return (value - epoch).days


class Encoded(NamedTuple):
    """A value ready for a ``<c>``: its ``t`` attribute (or ""), its content, and whether it
    needs a date format. (A named tuple: one is made for every cell written.)"""

    kind: str
    content: str
    is_date: bool = False


EMPTY = Encoded("", "")


def encode(value, epoch: dt.date, prefix: str = "") -> Encoded:
    """The ``t`` and content of a cell holding ``value``. Text is always an inline string, so it
    can never become a formula; a Link shows its label (the caller writes the hyperlink)."""
    if type(value) is str:  # the common case, kept short: new tabs hold many thousands
        if not value:
            return EMPTY
        if is_plain(value):
            return Encoded("inlineStr", f"<{prefix}is><{prefix}t>{value}</{prefix}t></{prefix}is>")
        return _text(value, prefix)
    if value is None:
        return EMPTY
    if isinstance(value, Link):
        return encode(value.label, epoch, prefix)
    if isinstance(value, str):
        return encode(str.__str__(value), epoch, prefix)
    if isinstance(value, bool):
        return Encoded("b", f"<{prefix}v>{int(value)}</{prefix}v>")
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            return encode(str(value), epoch, prefix)
        return Encoded("", f"<{prefix}v>{number_text(value)}</{prefix}v>")
    if isinstance(value, dt.date):
        return Encoded("", f"<{prefix}v>{number_text(serial(value, epoch))}</{prefix}v>", True)
    return encode(str(value), epoch, prefix)


def _text(value: str, prefix: str) -> Encoded:
    text = clean_text(value)
    if not text:
        return EMPTY
    space = ' xml:space="preserve"' if _NEEDS_PRESERVE.search(text) else ""
    text = escape_text(text)
    return Encoded("inlineStr", f"<{prefix}is><{prefix}t{space}>{text}</{prefix}t></{prefix}is>")


def cell_xml(prefix: str, ref: str, style: str | None, encoded: Encoded, extra: str = "") -> str:
    """One ``<c>`` element. ``extra`` holds attributes kept from the cell it replaces."""
    s = f' s="{style}"' if style and style != "0" else ""
    if not encoded.content:
        return f"<{prefix}c r=\"{ref}\"{s}{extra}/>"
    t = f' t="{encoded.kind}"' if encoded.kind else ""
    return f"<{prefix}c r=\"{ref}\"{s}{t}{extra}>{encoded.content}</{prefix}c>"


# --- ranges ------------------------------------------------------------------------------------

def parse_range(ref: str) -> tuple[int, int, int, int] | None:
    """``A1:O30`` -> (min_row, min_col, max_row, max_col); None when it cannot be read."""
    ends = ref.replace("$", "").split(":")
    try:
        cells = [(row_of(e), column_of(e)) for e in ends if e]
    except (ValueError, KeyError):
        return None
    if not cells or any(r == 0 or c == 0 for r, c in cells):
        return None
    rows = [r for r, _ in cells]
    cols = [c for _, c in cells]
    return min(rows), min(cols), max(rows), max(cols)


def range_text(min_row: int, min_col: int, max_row: int, max_col: int) -> str:
    first = f"{letter(min_col)}{min_row}"
    last = f"{letter(max_col)}{max_row}"
    return first if first == last else f"{first}:{last}"
