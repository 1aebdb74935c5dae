"""Where the parts of a worksheet sit, found in its bytes: the ``<sheetData>`` element, what
surrounds it (read as a stream, without the rows), and whether any cell holds a formula."""

from __future__ import annotations

import re
from dataclasses import dataclass

NAME = rb"[A-Za-z_][\w.-]*"
PREFIX = rb"(?:" + NAME + rb":)?"
ATTRS = rb"""((?:[^>"']|"[^"]*"|'[^']*')*?)"""
_SHEET_DATA_OPEN = re.compile(rb"<(" + NAME + rb":)?sheetData(?=[\s/>])" + ATTRS + rb"(/?)>")
HAS_FORMULA = re.compile(rb"<" + PREFIX + rb"f(?=[\s/>])")
# Cell formulas, not the xm:f of sparklines and x14 validations.
_CELL_FORMULA = re.compile(rb"<(?:(?!xm:)" + NAME + rb":)?f(?=[\s/>])")


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


def has_formulas(xml: bytes, where: SheetData | None = None,
                 colons: bool | None = None) -> bool:
    """Whether any cell of the worksheet holds a formula (``where``: its ``<sheetData>``, and
    ``colons``: whether that holds a ``:`` at all, when known already). Most sheets have none:
    plain byte searches, many times faster than the pattern, tell so."""
    if where is None:
        try:
            where = locate(xml)
        except ValueError:
            return False
    start, end = where.open_end, where.close_start
    if (colons is False or xml.find(b":f", start, end) < 0) \
            and xml.find(b"<f", start, end) < 0:
        return False
    return HAS_FORMULA.search(xml, start, end) is not None


def stream_has_formulas(stream, chunk: int = 1 << 20) -> bool:
    """``has_formulas`` for a sheet read as a stream (sparkline and x14 validation formulas,
    ``xm:f``, do not count)."""
    window = b""
    while data := stream.read(chunk):
        window = window[-32:] + data
        if (b"<f" in window or b":f" in window) and _CELL_FORMULA.search(window):
            return True
    return False
