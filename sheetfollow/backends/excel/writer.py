"""Turning a change set into new part contents: the only parts that change are the sheets
written into, the tool tabs, and (when needed) styles.xml, workbook.xml, its rels and the
content types. Everything else is copied from the original package untouched.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from ...changeset import ChangeSet, Chart, tab_key
from ...errors import TargetError, WorkbookError
from .cells import EMPTY, Encoded, encode
from .charts import chart_parts
from .package import DAMAGED_FIX, RT_STYLES, Package, SheetEntry
from .reader import workbook_epoch
from .sheetshell import has_formulas, shell, stream_has_formulas
from .sheetxml import FormulaCellError, SheetEditor
from .structure import Structure
from .styles import StyleBook
from .tabs import render_rows, tool_sheet

_BAD_NAME_CHARS = set("[]:*?/\\")


@dataclass
class TabPlan:
    """What one tab gets: cells set in place and rows appended, or all of its rows replaced."""

    name: str
    sheet: SheetEntry | None
    cells: dict[int, dict[int, object]] = field(default_factory=dict)  # row -> col -> value
    style_from: dict[tuple[int, int], tuple[int, int]] = field(default_factory=dict)
    appends: list[list] = field(default_factory=list)
    rows: list[list] | None = None  # a whole new content (TabWrite, or a new tab)
    hidden: bool = False
    widths: tuple[float, ...] = ()
    charts: tuple[Chart, ...] = ()


def plan(changes: ChangeSet, sheets: list[SheetEntry]) -> dict[str, TabPlan]:
    """The change set grouped by tab (ChangeSet.by_tab), each with its sheet, if it has one."""
    by_key: dict[str, SheetEntry] = {}
    for s in sheets:
        by_key.setdefault(tab_key(s.name), s)
    plans = {}
    for key, t in changes.by_tab({k: s.name for k, s in by_key.items()}).items():
        cells: dict[int, dict[int, object]] = {}
        for (row, col), value in t.cells.items():
            cells.setdefault(row, {})[col] = value
        plans[key] = TabPlan(t.name, by_key.get(key), cells, t.style_from, t.appends, t.rows,
                             t.hidden, t.widths, t.charts)
    return plans


class WorkbookWriter:
    """Builds the replaced and added parts for one change set."""

    def __init__(self, pkg: Package):
        self.pkg = pkg
        self.epoch: dt.date = workbook_epoch(pkg)
        self.sheets = pkg.sheets()
        self.structure = Structure(pkg)
        self.styles_part = next((r.target for r in pkg.relationships(pkg.workbook_part)
                                 if (r.type == RT_STYLES or r.type.endswith("/styles"))
                                 and not r.external and pkg.has(r.target)), None)
        self.styles = StyleBook(pkg.read(self.styles_part) if self.styles_part else None)
        self.replaced: dict[str, bytes] = {}
        self.added: list[tuple[str, bytes]] = []
        self.removed: set[str] = set()  # parts left out of the new version (see Package.write)
        self._formulas: bool | None = None

    def build(self, changes: ChangeSet) -> tuple[dict[str, bytes], list[tuple[str, bytes]]]:
        plans = plan(changes, self.sheets).values()
        self._rewritten = {p.sheet.part for p in plans if p.sheet and p.rows is not None}
        for p in plans:
            if p.sheet is not None and not p.sheet.is_worksheet:
                raise WorkbookError(f"{self.pkg.label}: the tab {p.sheet.name} is a chart or "
                                    "macro sheet, not a worksheet; rename it and run again")
            if p.rows is not None:
                self._replace(p)
            else:
                self._splice(p)
        if self.styles.changed:
            data = self.styles.to_bytes()
            if self.styles_part:
                self.replaced[self.pkg.actual(self.styles_part)] = data
            else:
                self.added.append((self.structure.add_styles(), data))
        self.replaced.update(self.structure.changed_existing())
        self.added.extend(self.structure.new_part_bytes())
        self.removed = set(self.structure.removed)
        self.structure = None  # its trees are serialized; the sheets are made while written
        return self.replaced, self.added

    def _store(self, part: str, data) -> None:
        if self.pkg.has(part):
            self.replaced[self.pkg.actual(part)] = data
        else:
            self.added.append((part, data))

    # --- tool tabs -----------------------------------------------------------------------------

    def _replace(self, p: TabPlan) -> None:
        old = None
        if p.sheet is not None:
            part = p.sheet.part
            with self.pkg.open(part) as stream:
                try:
                    old = shell(stream)  # the old rows are not needed: only what surrounds them
                except ValueError as exc:
                    raise self._damaged(part, exc) from exc
            if p.hidden:
                self.structure.hide(p.sheet.name)
        else:
            self._check_name(p.name)
            part = self.structure.add_worksheet(p.name, p.hidden)
        prefix = old[2] if old else ""
        drawing = None
        if p.charts:
            drawing, parts = chart_parts(self.pkg, self.structure, part, p.name, p.charts,
                                         p.rows or [])
            for name, data in parts:
                self._store(name, data)
        rendered = render_rows(p.rows or [], self.epoch, self.styles, prefix)
        ids = self.structure.hyperlinks(part, [url for _, url in rendered.links])
        self._store(part, tool_sheet(old, rendered, ids, p.widths, drawing))

    def _damaged(self, part: str, exc: Exception) -> TargetError:
        return TargetError(f"{self.pkg.label} is damaged: its part {part} is not a valid "
                           f"worksheet ({exc}); " + DAMAGED_FIX)

    def _check_name(self, name: str) -> None:
        if not name.strip() or len(name) > 31 or _BAD_NAME_CHARS & set(name) \
                or name.startswith("'") or name.endswith("'"):
            raise WorkbookError(f"{name!r} cannot be an Excel tab name (at most 31 characters, "
                                "none of [ ] : * ? / \\)")

    # --- user tabs -----------------------------------------------------------------------------

    def _splice(self, p: TabPlan) -> None:
        if p.sheet is None:  # cells for a tab that does not exist yet: start from an empty one
            self._check_name(p.name)
            part = self.structure.add_worksheet(p.name, False)
            xml = b"".join(tool_sheet(None, render_rows([], self.epoch, self.styles), [], ()))
        else:
            part = p.sheet.part
            xml = self.pkg.read(part)
        try:
            editor = SheetEditor(xml)
        except ValueError as exc:
            raise self._damaged(part, exc) from exc
        cells = p.cells
        styles_from = {key: editor.style_of(*source) for key, source in p.style_from.items()}
        if p.appends:
            written = [r for r, row in cells.items()
                       if any(v is not None and v != "" for v in row.values())]
            start = max([editor.last_value_row(), *written]) + 1
            for offset, values in enumerate(p.appends):
                for col, value in enumerate(values, start=1):
                    if value is not None and value != "":
                        cells.setdefault(start + offset, {})[col] = value
        # The date formats the written dates need are settled now: the sheet itself is made
        # while the file is written, possibly after styles.xml.
        date_styles: dict[str | None, str] = {}
        for row, values in cells.items():
            now = None
            for col, value in values.items():
                if isinstance(value, dt.date):
                    if (row, col) in styles_from:
                        base = styles_from[(row, col)]
                    else:
                        now = now if now is not None else editor.styles_of(row, values)
                        base = now.get(col)
                    if base not in date_styles:
                        index = int(base) if base and base.isdigit() else 0
                        date_styles[base] = str(self.styles.date_xf(index))

        def make(row: int, col: int, style: str | None) -> tuple[str | None, Encoded]:
            if styles_from and (row, col) in styles_from:
                style = styles_from[(row, col)]
            value = cells[row][col]
            encoded = encode(value, self.epoch, editor.prefix) if value is not None else EMPTY
            if encoded.is_date:
                style = date_styles[style]
            return style, encoded

        self._store(part, self._guarded(editor.render(cells, make), p.name))
        if cells and self._has_formulas(part, editor):
            self.structure.full_calc_on_load()

    def _guarded(self, chunks: Iterable[bytes], tab: str) -> Iterator[bytes]:
        try:
            yield from chunks
        except FormulaCellError as exc:
            raise WorkbookError(
                f"sheetfollow tried to overwrite the formula in {tab}!{exc.ref} of "
                f"{self.pkg.label}; this is a bug, please report it (nothing was written)"
            ) from exc

    def _has_formulas(self, part: str, editor: SheetEditor) -> bool:
        """Whether any worksheet of the workbook holds a formula (then written cells may change
        results, so Excel is asked to recalculate on open)."""
        if self._formulas is None:
            self._formulas = has_formulas(editor.xml) or self.pkg.has("xl/calcChain.xml")
            for sheet in self.sheets:
                if self._formulas:
                    break
                if sheet.is_worksheet and sheet.part not in self._rewritten | {part}:
                    with self.pkg.open(sheet.part) as stream:
                        self._formulas = stream_has_formulas(stream)
        return self._formulas
