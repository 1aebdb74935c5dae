"""A1 notation: parse `'My Tab'!A1:C`, `Leads`, `Leads!1:1` into zero-based bounds and back."""

from __future__ import annotations

import re
from dataclasses import dataclass

_ENDPOINT = re.compile(r"\$?([A-Za-z]{1,3})?\$?([0-9]+)?")
_BARE_TITLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CELL_LIKE = re.compile(r"[A-Za-z]{1,3}[0-9]+|[Rr][0-9]*[Cc][0-9]*")


class A1Error(ValueError):
    """The text is not A1 notation."""


@dataclass(frozen=True)
class A1Range:
    """Zero-based, end-exclusive bounds; an end of None runs to the edge of the grid."""

    start_row: int = 0
    start_col: int = 0
    end_row: int | None = None
    end_col: int | None = None
    # A lone cell (`A1`) anchors a write that may spread right and down, like Google does.
    single_cell: bool = False

    def clip(self, row_count: int, col_count: int) -> tuple[int, int, int, int]:
        """Bounds limited to the grid: (r1, c1, r2, c2)."""
        r2 = row_count if self.end_row is None else min(self.end_row, row_count)
        c2 = col_count if self.end_col is None else min(self.end_col, col_count)
        return self.start_row, self.start_col, r2, c2


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def column_index(letters: str) -> int:
    """A -> 0, AA -> 26."""
    index = 0
    for ch in letters.upper():
        index = index * 26 + ord(ch) - 64
    return index - 1


def quote_title(title: str) -> str:
    """A sheet title as Google writes it in a range: bare when it is a plain word, else quoted."""
    if _BARE_TITLE.fullmatch(title) and not _CELL_LIKE.fullmatch(title):
        return title
    return "'" + title.replace("'", "''") + "'"


def cell_name(row: int, col: int) -> str:
    return f"{column_letter(col)}{row + 1}"


def format_range(title: str, r1: int, c1: int, r2: int, c2: int) -> str:
    """`Leads!A1:C3` for zero-based end-exclusive bounds; a single cell is written `Leads!A1`."""
    start = cell_name(r1, c1)
    if r2 - r1 <= 1 and c2 - c1 <= 1:
        return f"{quote_title(title)}!{start}"
    return f"{quote_title(title)}!{start}:{cell_name(max(r2 - 1, r1), max(c2 - 1, c1))}"


def split_sheet(text: str) -> tuple[str | None, str]:
    """Split `'My Tab'!A1:C` into ("My Tab", "A1:C"); ("Leads", "") for `'Leads'`.

    Without a `!` and without quotes the title is None: the caller decides whether the text
    names a sheet or cells of the first sheet.
    """
    text = text.strip()
    if text.startswith("'"):
        i, title = 1, []
        while i < len(text):
            ch = text[i]
            if ch == "'":
                if text[i + 1 : i + 2] == "'":
                    title.append("'")
                    i += 2
                    continue
                rest = text[i + 1 :]
                if rest and not rest.startswith("!"):
                    raise A1Error(text)
                return "".join(title), rest[1:]
            title.append(ch)
            i += 1
        raise A1Error(text)
    if "!" in text:
        title, cells = text.rsplit("!", 1)
        return title, cells
    return None, text


def _endpoint(text: str) -> tuple[int | None, int | None]:
    match = _ENDPOINT.fullmatch(text.strip())
    if not match or not (match.group(1) or match.group(2)):
        raise A1Error(text)
    col = column_index(match.group(1)) if match.group(1) else None
    row = int(match.group(2)) - 1 if match.group(2) else None
    if row is not None and row < 0:
        raise A1Error(text)
    return row, col


def parse_cells(text: str) -> A1Range:
    """Parse the part after `!`: "" (whole sheet), `A1`, `A1:C3`, `A:C`, `1:1`, `A2:C`."""
    text = text.strip()
    if not text:
        return A1Range()
    if ":" not in text:
        row, col = _endpoint(text)
        if row is None or col is None:
            raise A1Error(text)
        return A1Range(row, col, row + 1, col + 1, single_cell=True)
    left, right = text.split(":", 1)
    (r1, c1), (r2, c2) = _endpoint(left), _endpoint(right)
    # Google normalises reversed corners (C3:A1 is A1:C3).
    if r1 is not None and r2 is not None and r2 < r1:
        r1, r2 = r2, r1
    if c1 is not None and c2 is not None and c2 < c1:
        c1, c2 = c2, c1
    return A1Range(
        start_row=r1 or 0,
        start_col=c1 or 0,
        end_row=None if r2 is None else r2 + 1,
        end_col=None if c2 is None else c2 + 1,
    )


def looks_like_cells(text: str) -> bool:
    try:
        parse_cells(text)
    except A1Error:
        return False
    return bool(text.strip())
