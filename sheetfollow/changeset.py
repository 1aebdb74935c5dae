"""The change set: everything a sync wants to write, as a plain value.

The core computes it, ``--dry-run`` prints it, tests count it, and a backend applies it. Keeping it
a value (not a sequence of calls on a backend) is what lets both backends share one core.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Literal

from .model import Link, Value, WriteValue


@dataclass(frozen=True)
class CellWrite:
    """Set one cell of a user tab: a Leads tool column, or Last Contact/Method after a Done tick.

    ``str`` values are stored as text, never as a formula; ``datetime.date`` values as a serial
    number with a date format; ``None`` empties the cell (its format stays).
    """

    tab: str
    row: int
    col: int
    value: WriteValue
    old: Value = None  # the value as read, for the dry-run display
    style_from: tuple[int, int] | None = None  # a new header cell copies this cell's format


@dataclass(frozen=True)
class RowKey:
    """Who a row of a user tab belonged to when it was read.

    A backend whose rows can move between the read and the write (Google Sheets, edited live)
    uses it to find the row again and to skip it when the user changed its inputs meanwhile.
    """

    lead_id: str | None  # the ID as read (None if the sync assigns it now)
    inputs: tuple[Value, ...]  # the row's user-owned values as read


# How many columns and rows a Chart covers from its anchor: the planner places charts by it and
# the backends draw them that size.
CHART_COLUMNS, CHART_ROWS = 8, 16


@dataclass(frozen=True)
class Chart:
    """A native chart of one series drawn from cells of the tab it sits on (a Metrics chart).

    ``categories`` and ``values`` are A1 ranges of one column each on the same tab
    (``"A26:A31"``); ``anchor`` is the cell under the chart's top-left corner.
    """

    title: str
    kind: Literal["column", "bar"]  # vertical or horizontal bars
    categories: str
    values: str
    anchor: str
    series_name: str


@dataclass(frozen=True)
class TabWrite:
    """Create a tool tab, or replace all of its cells. Row 1 is the header.

    ``charts`` are the tab's native charts, replacing those it had; with none, a replaced tab
    keeps whatever drawing it had."""

    tab: str
    rows: list[list[WriteValue]]
    hidden: bool = False
    widths: tuple[float, ...] = ()  # column widths in characters; empty keeps the default
    charts: tuple[Chart, ...] = ()


@dataclass(frozen=True)
class RowAppend:
    """Append rows at the end of a tool tab (the Log), creating it with ``header`` if missing."""

    tab: str
    header: list[str]
    rows: list[list[WriteValue]]


@dataclass
class TabChanges:
    """What one tab gets from a change set: cells set in place and rows appended, or all of its
    rows replaced (``rows``; a new tab that only gets appended rows starts with their header)."""

    name: str
    cells: dict[tuple[int, int], WriteValue] = field(default_factory=dict)  # (row, col) -> value
    style_from: dict[tuple[int, int], tuple[int, int]] = field(default_factory=dict)
    rows: list[list[WriteValue]] | None = None
    appends: list[list[WriteValue]] = field(default_factory=list)
    hidden: bool = False
    widths: tuple[float, ...] = ()
    charts: tuple[Chart, ...] = ()


def tab_key(name: str) -> str:
    """Tabs are the same when their names differ only in case and outer spaces."""
    return name.strip().casefold()


@dataclass
class ChangeSet:
    """Everything one sync writes. An empty change set means the workbook is left untouched."""

    cells: list[CellWrite] = field(default_factory=list)
    tabs: list[TabWrite] = field(default_factory=list)
    appends: list[RowAppend] = field(default_factory=list)
    # The tab and 1-based column that hold lead IDs, and each written row's key (see RowKey).
    id_tab: str | None = None
    id_col: int | None = None
    row_keys: dict[int, RowKey] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.cells or self.tabs or self.appends)

    def by_tab(self, existing: dict[str, str]) -> dict[str, TabChanges]:
        """The changes grouped by tab (keyed by ``tab_key``), in the memory backend's order:
        cells, then whole tabs (which replace earlier cells), then appends. ``existing`` maps
        the key of each tab the workbook has to its name. Rows are the change set's own lists,
        not copies."""
        tabs: dict[str, TabChanges] = {}

        def tab(name: str) -> TabChanges:
            key = tab_key(name)
            if key not in tabs:
                tabs[key] = TabChanges(existing.get(key, name))
            return tabs[key]

        for c in self.cells:
            t = tab(c.tab)
            t.cells[(c.row, c.col)] = c.value
            if c.style_from is not None:
                t.style_from[(c.row, c.col)] = c.style_from
        for w in self.tabs:
            t = tab(w.tab)
            t.cells.clear()
            t.style_from.clear()
            t.appends.clear()
            t.rows = list(w.rows)
            t.hidden = t.hidden or w.hidden
            t.widths = tuple(w.widths)
            t.charts = tuple(w.charts)
        for a in self.appends:
            t = tab(a.tab)
            if t.rows is not None:
                t.rows.extend(a.rows)
            elif tab_key(a.tab) not in existing and not t.cells:
                t.rows = [list(a.header), *a.rows]
            else:
                t.appends.extend(a.rows)
        return tabs

    def counts(self) -> dict[str, int]:
        return {
            "cells": len(self.cells),
            "tabs": len(self.tabs),
            "appended_rows": sum(len(a.rows) for a in self.appends),
        }

    def describe(self) -> list[str]:
        """Human-readable lines, one per change, for ``--dry-run``."""
        lines = []
        for c in self.cells:
            where = f"{c.tab}!{column_letter(c.col)}{c.row}"
            lines.append(f"set {where}: {show(c.old)} -> {show(c.value)}")
        for t in self.tabs:
            hidden = " (hidden)" if t.hidden else ""
            charts = f", {len(t.charts)} chart{'s' if len(t.charts) != 1 else ''}" \
                if t.charts else ""
            lines.append(f"replace tab {t.tab}{hidden}: {max(len(t.rows) - 1, 0)} rows{charts}")
        for a in self.appends:
            for row in a.rows:
                lines.append(f"append to {a.tab}: " + " | ".join(show(v) for v in row))
        return lines

    def to_json(self) -> dict:
        """A JSON-ready description (``sync --dry-run --json``)."""
        return {
            "cells": [
                {
                    "tab": c.tab,
                    "cell": f"{column_letter(c.col)}{c.row}",
                    "old": json_value(c.old),
                    "new": json_value(c.value),
                }
                for c in self.cells
            ],
            "tabs": [
                {"tab": t.tab, "rows": [[json_value(v) for v in r] for r in t.rows],
                 "hidden": t.hidden}
                | ({"charts": [asdict(c) for c in t.charts]} if t.charts else {})
                for t in self.tabs
            ],
            "appends": [
                {"tab": a.tab, "rows": [[json_value(v) for v in r] for r in a.rows]}
                for a in self.appends
            ],
        }


def column_letter(col: int) -> str:
    """1 -> A, 27 -> AA."""
    letters = ""
    while col > 0:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def column_index(letters: str) -> int:
    """A -> 1, AA -> 27."""
    col = 0
    for ch in letters.upper():
        col = col * 26 + ord(ch) - 64
    return col


def json_value(value):
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Link):
        return {"url": value.url, "label": value.label}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def show(value) -> str:
    if value is None or value == "":
        return "(empty)"
    if isinstance(value, Link):
        return value.url
    text = str(json_value(value))
    return text if len(text) <= 60 else text[:57] + "..."
