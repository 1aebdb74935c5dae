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
from .cells import EMPTY, Encoded, encode, is_plain
from .charts import chart_parts
from .package import DAMAGED_FIX, RT_STYLES, ZIP_LEVEL, Package, SheetEntry, rels_part
from .parts import DEFLATE_BYTE, LINK_BYTE, Part, Shared, whole
from .reader import workbook_epoch
from .sheetshell import shell, stream_has_formulas
from .sheetxml import FormulaCellError, SheetEditor
from .structure import Structure
from .styles import StyleBook
from .tabs import render_rows, tool_sheet

_BAD_NAME_CHARS = set("[]:*?/\\")
# Bytes of a hyperlink relationship besides its target.
_LINK_BYTES = 150


@dataclass
class TabPlan:
    """What one tab gets: cells set in place and rows appended, or all of its rows replaced."""

    name: str
    sheet: SheetEntry | None
    writes: dict[tuple[int, int], object] = field(default_factory=dict)  # (row, col) -> value
    style_from: dict[tuple[int, int], tuple[int, int]] = field(default_factory=dict)
    appends: list[list] = field(default_factory=list)
    rows: list[list] | None = None  # a whole new content (TabWrite, or a new tab)
    hidden: bool = False
    widths: tuple[float, ...] = ()
    charts: tuple[Chart, ...] = ()

    def cells(self) -> dict[int, dict[int, object]]:
        """The cells to set, by row: {row: {col: value}}."""
        cells: dict[int, dict[int, object]] = {}
        for (row, col), value in self.writes.items():
            cells.setdefault(row, {})[col] = value
        return cells


def plan(changes: ChangeSet, sheets: list[SheetEntry]) -> dict[str, TabPlan]:
    """The change set grouped by tab (ChangeSet.by_tab), each with its sheet, if it has one."""
    by_key: dict[str, SheetEntry] = {}
    for s in sheets:
        by_key.setdefault(tab_key(s.name), s)
    return {key: TabPlan(t.name, by_key.get(key), t.cells, t.style_from, t.appends, t.rows,
                         t.hidden, t.widths, t.charts)
            for key, t in changes.by_tab({k: s.name for k, s in by_key.items()}).items()}


class WorkbookWriter:
    """Builds the replaced and added parts for one change set.

    The tool tabs are prepared first (their formats, links and place in the workbook): their
    XML can then be made by a copy of the process (``parts.Shared``, in ``shared``) while this
    one edits the user's tabs, whose cells need the longer preparation. Use as a context
    manager: leaving it ends the copy, whatever happened."""

    def __init__(self, pkg: Package):
        self.pkg = pkg
        self.epoch: dt.date = workbook_epoch(pkg)
        self.sheets = pkg.sheets()
        self.structure = Structure(pkg)
        self.styles_part = next((r.target for r in pkg.relationships(pkg.workbook_part)
                                 if (r.type == RT_STYLES or r.type.endswith("/styles"))
                                 and not r.external and pkg.has(r.target)), None)
        self.styles = StyleBook(pkg.read(self.styles_part) if self.styles_part else None)
        self.replaced: dict[str, bytes | Part] = {}
        self.added: list[tuple[str, bytes | Part]] = []
        self.removed: set[str] = set()  # parts left out of the new version (see Package.write)
        self.shared: Shared | None = None
        self._formulas: bool | None = None
        self._link_parts: dict[str, tuple[float, int]] = {}  # rels part: (cost, size)
        self._early: dict[str, Part] = {}  # parts the copy may make, by name
        self._slots: dict[str, int] = {}  # new user tabs: their place in ``added``

    def __enter__(self) -> WorkbookWriter:
        return self

    def __exit__(self, *exc) -> None:
        if self.shared is not None:
            self.shared.close()
        # The parts' makers refer back to this writer: without them, reference counting frees
        # the sheets' bytes and everything else at once, not the cycle collector some time later.
        self.replaced, self.added, self._early, self.shared = {}, [], {}, None

    def build(self, changes: ChangeSet, level: int = ZIP_LEVEL) -> tuple[
            dict[str, bytes | Part], list[tuple[str, bytes | Part]]]:
        plans = list(plan(changes, self.sheets).values())
        self._rewritten = {p.sheet.part for p in plans if p.sheet and p.rows is not None}
        for p in plans:
            if p.sheet is not None and not p.sheet.is_worksheet:
                raise WorkbookError(f"{self.pkg.label}: the tab {p.sheet.name} is a chart or "
                                    "macro sheet, not a worksheet; rename it and run again")
        # Tabs are created in the change set's order; the user's tabs are edited later.
        user_tabs = []
        for p in plans:
            if p.rows is not None:
                self._replace(p)
            else:
                user_tabs.append((p, p.sheet.part if p.sheet is not None else self._new_tab(p)))
        self._share(level)
        for p, part in user_tabs:
            self._splice(p, part)
        if self.styles.changed:
            data = self.styles.to_bytes()
            if self.styles_part:
                self.replaced[self.pkg.actual(self.styles_part)] = data
            else:
                self.added.append((self.structure.add_styles(), data))
        for name, data in self.structure.changed_existing().items():
            self.replaced[name] = self._early.get(name) or self._costed(name, data)
        self.added.extend((name, self._early.get(name) or self._costed(name, data))
                          for name, data in self.structure.new_part_bytes())
        self.removed = set(self.structure.removed)
        self.structure = None  # its trees are serialized; the sheets are made while written
        return self.replaced, self.added

    def _share(self, level: int) -> None:
        """Start the copy on the tool tabs' sheets and their hyperlink relationships, settled
        now: editing the user's tabs changes neither (only workbook.xml, its relationships,
        the content types and styles.xml, which this process writes)."""
        contents = dict(self.structure.new_part_bytes())
        contents.update(self.structure.changed_existing())
        for name in self._link_parts:
            self._early[name] = self._costed(name, contents[name])
        # In the order they are written (this process takes pieces from the front): existing
        # parts where they are, then the new ones (new relationships last, by name).
        existing = {info.filename: i for i, info in enumerate(self.pkg.infos)}
        added = {name: i for i, (name, _) in enumerate(self.added)}
        order = sorted(self._early, key=lambda name: (
            (0, existing[self.pkg.actual(name)], "") if self.pkg.has(name)
            else (1, added[name], "") if name in added else (2, 0, name)))
        self.shared = Shared([self._early[name] for name in order], level)

    def _costed(self, name: str, data) -> Part:
        found = self._link_parts.get(name)
        if found is None or isinstance(data, (bytes, bytearray)):
            return whole(data)
        return whole(data, *found)

    def _store(self, part: str, data, early: bool = False) -> None:
        if early:
            self._early[part] = data
        if self.pkg.has(part):
            self.replaced[self.pkg.actual(part)] = data
        elif part in self._slots:
            self.added[self._slots[part]] = (part, data)
        else:
            self.added.append((part, data))

    def _new_tab(self, p: TabPlan) -> str:
        """A new worksheet for cells written to a tab that does not exist yet; its content
        comes later, in its place among the new parts."""
        self._check_name(p.name)
        part = self.structure.add_worksheet(p.name, False)
        self._slots[part] = len(self.added)
        self.added.append((part, b""))
        return part

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
        urls = [url for _, url in rendered.links]
        ids = self.structure.hyperlinks(part, urls)
        if urls:  # the sheet's rels part: made while written, one relationship per link
            size = sum(map(len, urls)) + _LINK_BYTES * len(urls)
            self._link_parts[self.pkg.actual(rels_part(part))] = (
                size * (DEFLATE_BYTE + LINK_BYTE), size)
        self._store(part, tool_sheet(old, rendered, ids, p.widths, drawing), early=True)

    def _damaged(self, part: str, exc: Exception) -> TargetError:
        return TargetError(f"{self.pkg.label} is damaged: its part {part} is not a valid "
                           f"worksheet ({exc}); " + DAMAGED_FIX)

    def _check_name(self, name: str) -> None:
        if not name.strip() or len(name) > 31 or _BAD_NAME_CHARS & set(name) \
                or name.startswith("'") or name.endswith("'"):
            raise WorkbookError(f"{name!r} cannot be an Excel tab name (at most 31 characters, "
                                "none of [ ] : * ? / \\)")

    # --- user tabs -----------------------------------------------------------------------------

    def _splice(self, p: TabPlan, part: str) -> None:
        if p.sheet is None:  # cells for a tab that does not exist yet: start from an empty one
            empty = tool_sheet(None, render_rows([], self.epoch, self.styles), [], ())
            xml = b"".join(empty.make(0, len(empty.costs)))
        else:
            xml = self.pkg.read(part)
        try:
            editor = SheetEditor(xml)
        except ValueError as exc:
            raise self._damaged(part, exc) from exc
        cells = p.cells()
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
            dates = [col for col, value in values.items() if isinstance(value, dt.date)]
            if not dates:
                continue
            # Only the date cells' formats are looked up, by the quick search: the row is
            # searched in full when it is rebuilt (in either process).
            for col in dates:
                base = styles_from[(row, col)] if (row, col) in styles_from \
                    else editor.cell_style(row, col)
                if base not in date_styles:
                    index = int(base) if base and base.isdigit() else 0
                    date_styles[base] = str(self.styles.date_xf(index))

        epoch, prefix = self.epoch, editor.prefix

        def make(row: int, col: int, style: str | None) -> tuple[str | None, Encoded]:
            if styles_from and (row, col) in styles_from:
                style = styles_from[(row, col)]
            value = cells[row][col]
            kind = type(value)
            if kind is dt.date:  # the usual values first, as encode makes them
                return date_styles[style], Encoded(
                    "", f"<{prefix}v>{(value - epoch).days}</{prefix}v>", True)
            if kind is str and value and is_plain(value):
                return style, Encoded(
                    "inlineStr", f"<{prefix}is><{prefix}t>{value}</{prefix}t></{prefix}is>")
            encoded = encode(value, epoch, prefix) if value is not None else EMPTY
            if encoded.is_date:
                style = date_styles[style]
            return style, encoded

        self._store(part, self._guarded(editor.render(cells, make), p.name))
        if cells and self._has_formulas(part, editor):
            self.structure.full_calc_on_load()

    def _guarded(self, part: Part, tab: str) -> Part:
        """The part, a formula cell met while it is made (in either process) reported as a
        bug in sheetfollow."""
        return Part(lambda first, stop: self._guard(part.make(first, stop), tab), part.costs,
                    part.size)

    def _guard(self, chunks: Iterable[bytes], tab: str) -> Iterator[bytes]:
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
            self._formulas = editor.has_formulas() or self.pkg.has("xl/calcChain.xml")
            for sheet in self.sheets:
                if self._formulas:
                    break
                if sheet.is_worksheet and sheet.part not in self._rewritten | {part}:
                    with self.pkg.open(sheet.part) as stream:
                        self._formulas = stream_has_formulas(stream)
        return self._formulas
