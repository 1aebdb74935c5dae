"""Plain values shared by the core and the backends: what a workbook holds, as read.

Backends turn their storage into these; the core never sees a file, a zip or an HTTP call.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

# The epochs of spreadsheet serial dates. Excel's 1900 system (and Google Sheets) count days from
# 1899-12-30 (which absorbs Lotus' fictitious 1900-02-29); the 1904 system counts from 1904-01-01.
EPOCH_1900 = dt.date(1899, 12, 30)
EPOCH_1904 = dt.date(1904, 1, 1)


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

    def cell(self, row: int, col: int) -> Value:
        """The value at 1-based ``row``, ``col``, or None when it lies beyond what was read."""
        if row < 1 or row > len(self.rows):
            return None
        values = self.rows[row - 1]
        return values[col - 1] if 0 < col <= len(values) else None

    def is_formula(self, row: int, col: int) -> bool:
        return (row, col) in self.formulas

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
