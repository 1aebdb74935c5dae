"""Plain values shared by the core and the backends: what a workbook holds, as read.

Backends turn their storage into these; the core never sees a file, a zip or an HTTP call.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

# The epochs of spreadsheet serial dates. Excel's 1900 system (and Google Sheets) count days from
# 1899-12-30 (which absorbs Lotus' fictitious 1900-02-29); the 1904 system counts from 1904-01-01.
EPOCH_1900 = dt.date(1899, 12, 30)
EPOCH_1904 = dt.date(1904, 1, 1)


# Excel keeps at most 32,767 characters (UTF-16 code units) in a cell and Google Sheets refuses
# more than 50,000; an .xlsx file is XML, which cannot hold control characters (other than tab
# and line breaks), lone surrogates, U+FFFE and U+FFFF. Text the tool writes is fitted to both,
# so that every backend stores, and reads back, the same text: a second sync finds no change.
MAX_CELL_CHARS = 32767
UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def fit_text(text: str) -> str:
    """``text`` as every backend can hold it: without the characters XML cannot hold, and cut
    to MAX_CELL_CHARS (never in the middle of a character)."""
    if UNWRITABLE.search(text):
        text = UNWRITABLE.sub("", text)
    if len(text) <= MAX_CELL_CHARS // 2:  # the common case: short enough whatever it holds
        return text
    units = text.encode("utf-16-le")
    if len(units) <= 2 * MAX_CELL_CHARS:
        return text
    return units[:2 * MAX_CELL_CHARS].decode("utf-16-le", "ignore")


@dataclass(frozen=True)
class CellError:
    """A formula error shown in a cell, such as ``#N/A`` or ``#REF!``."""

    code: str

    def __str__(self) -> str:
        return self.code


@dataclass(frozen=True)
class Link:
    """A clickable link the tool writes (the Due tab's Open column)."""

    url: str
    label: str


# What a cell holds as read: text, a number (dates may be serial numbers), a date (backends that
# know a cell is date-formatted may say so), a boolean, an error or nothing. Written values may
# also be ``datetime.date`` (stored as a serial with a date format) and ``Link``.
Value = str | float | int | bool | dt.date | CellError | None
WriteValue = str | float | int | bool | dt.date | Link | None


@dataclass
class Grid:
    """One tab's cells as read. ``rows[i][j]`` is the cell at row ``i + 1``, column ``j + 1``.

    Rows may be ragged or missing at the end (Google drops trailing empty cells); ``cell`` hides
    that. ``formulas`` holds the 1-based (row, col) of every cell that holds a formula: its value
    in ``rows`` is the formula's cached result.
    """

    name: str
    rows: list[list[Value]] = field(default_factory=list)
    formulas: set[tuple[int, int]] = field(default_factory=set)
    # Merged cells as (top, left, bottom, right): only the top-left cell of each shows.
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)
    _merges_by_row: dict | None = field(default=None, init=False, repr=False, compare=False)

    def cell(self, row: int, col: int) -> Value:
        """The value at 1-based ``row``, ``col``, or None when it lies beyond what was read."""
        if row < 1 or row > len(self.rows):
            return None
        values = self.rows[row - 1]
        return values[col - 1] if 0 < col <= len(values) else None

    def is_formula(self, row: int, col: int) -> bool:
        return (row, col) in self.formulas

    def merge_over(self, row: int, col: int) -> tuple[int, int, int, int] | None:
        """The merged range that hides the cell (every cell of a merge but the top-left one),
        or None: a value written there would not be seen."""
        if not self.merged:
            return None
        if self._merges_by_row is None:  # asked for every written cell: index them by row
            self._merges_by_row = {}
            for merge in self.merged:
                for number in range(merge[0], merge[2] + 1):
                    self._merges_by_row.setdefault(number, []).append(merge)
        for top, left, bottom, right in self._merges_by_row.get(row, ()):
            if left <= col <= right and (row, col) != (top, left):
                return top, left, bottom, right
        return None

    @property
    def height(self) -> int:
        return len(self.rows)


@dataclass
class WorkbookData:
    """Everything a sync reads from a workbook, in one snapshot."""

    tab_names: list[str]
    grids: dict[str, Grid]
    date_epoch: dt.date = EPOCH_1900
    time_zone: str | None = None  # Google Sheets: the spreadsheet's own time zone

    def find_tab(self, name: str) -> str | None:
        """The actual name of the tab called ``name``, ignoring case and outer spaces."""
        wanted = name.strip().casefold()
        for actual in self.tab_names:
            if actual.strip().casefold() == wanted:
                return actual
        return None

    def grid(self, name: str) -> Grid | None:
        actual = self.find_tab(name)
        return self.grids.get(actual) if actual is not None else None
