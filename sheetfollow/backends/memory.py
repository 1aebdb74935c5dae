"""An in-memory workbook: the reference semantics of a backend, and the core tests' storage."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from ..changeset import ChangeSet
from ..model import EPOCH_1900, Grid, Link, Value, WorkbookData, WriteValue
from .base import ApplyResult


class MemoryBackend:
    """Tabs held as lists of rows; dates are stored as serial numbers, like a real spreadsheet."""

    description = "in-memory workbook"

    def __init__(self, tabs: dict[str, list[list[Value]]] | None = None,
                 formulas: dict[str, set[tuple[int, int]]] | None = None,
                 date_epoch: dt.date = EPOCH_1900):
        self.tabs: dict[str, list[list[Value]]] = {k: [list(r) for r in v]
                                                   for k, v in (tabs or {}).items()}
        self.formulas = formulas or {}
        self.hidden: set[str] = set()
        self.links: dict[tuple[str, int, int], str] = {}
        self.date_cells: set[tuple[str, int, int]] = set()
        self.date_epoch = date_epoch
        self.applied = 0

    def read(self, tabs: Collection[str]) -> WorkbookData:
        wanted = {t.casefold() for t in tabs}
        grids = {
            name: Grid(name, [list(r) for r in rows], set(self.formulas.get(name, ())))
            for name, rows in self.tabs.items()
            if name.strip().casefold() in wanted
        }
        return WorkbookData(list(self.tabs), grids, self.date_epoch)

    def apply(self, changes: ChangeSet) -> ApplyResult:
        if not changes:
            return ApplyResult(written=False)
        self.applied += 1
        for c in changes.cells:
            self._set(c.tab, c.row, c.col, c.value)
        for t in changes.tabs:
            self.tabs[t.tab] = []
            for key in [k for k in self.links if k[0] == t.tab]:
                del self.links[key]
            for r, row in enumerate(t.rows, start=1):
                for col, value in enumerate(row, start=1):
                    self._set(t.tab, r, col, value)
            if t.hidden:
                self.hidden.add(t.tab)
        for a in changes.appends:
            rows = self.tabs.get(a.tab)
            if rows is None:
                rows = self.tabs[a.tab] = [list(a.header)]
            start = len(rows) + 1
            for offset, row in enumerate(a.rows):
                for col, value in enumerate(row, start=1):
                    self._set(a.tab, start + offset, col, value)
        return ApplyResult(written=True)

    def _set(self, tab: str, row: int, col: int, value: WriteValue) -> None:
        rows = self.tabs.setdefault(tab, [])
        while len(rows) < row:
            rows.append([])
        cells = rows[row - 1]
        while len(cells) < col:
            cells.append(None)
        if isinstance(value, Link):
            self.links[(tab, row, col)] = value.url
            value = value.label
        if isinstance(value, dt.date):
            self.date_cells.add((tab, row, col))
            value = (value - self.date_epoch).days
        cells[col - 1] = value
