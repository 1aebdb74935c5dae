"""The Excel backend: reads an .xlsx/.xlsm file into plain values and applies a change set by
editing only the parts it must, then saving atomically (SPEC 9)."""

from __future__ import annotations

import os
from collections.abc import Collection
from pathlib import Path

from ...changeset import ChangeSet
from ...model import WorkbookData
from ..base import ApplyResult
from . import fileio
from .package import Package
from .reader import read_grid, shared_strings, used_columns, workbook_epoch
from .writer import WorkbookWriter


class ExcelBackend:
    """An Excel workbook on disk. ``backups`` previous versions are kept in
    ``.sheetfollow-backups/`` beside it."""

    def __init__(self, path: str | os.PathLike, backups: int = 3):
        self.path = Path(path)
        self.backups = backups
        self.description = f"Excel workbook {self.path}"
        self._snapshot: fileio.Snapshot | None = None
        self._cell_widths: dict[str, int] = {}

    def _package(self) -> Package:
        if self._snapshot is None:
            self._snapshot = fileio.load(self.path)
        return Package(self._snapshot.data, str(self.path))

    def read(self, tabs: Collection[str]) -> WorkbookData:
        """Every tab's name, and the cells of those named in ``tabs`` (case and outer spaces
        ignored). The file's bytes are kept: ``apply`` writes the version that was read."""
        fileio.remove_stale_temps(self.path)
        self._snapshot = None
        self._cell_widths.clear()
        pkg = self._package()
        epoch = workbook_epoch(pkg)
        sheets = pkg.sheets()
        wanted = {t.strip().casefold() for t in tabs}
        grids = {}
        strings = None
        for sheet in sheets:
            if sheet.is_worksheet and sheet.name.strip().casefold() in wanted:
                if strings is None:
                    strings = shared_strings(pkg)
                grid = read_grid(pkg, sheet.part, sheet.name, strings, epoch)
                grids[sheet.name] = grid
                self._cell_widths[sheet.name] = max((len(r) for r in grid.rows), default=0)
        return WorkbookData([s.name for s in sheets], grids, epoch)

    def used_width(self, tab_name: str) -> int:
        """The rightmost column the tab uses: cells (even empty formatted ones), the
        dimension, tables, merged cells, validations, conditional formats and sparklines. New
        tool columns go to its right. 0 when the tab does not exist."""
        pkg = self._package()
        wanted = tab_name.strip().casefold()
        sheet = next((s for s in pkg.sheets() if s.name.strip().casefold() == wanted), None)
        if sheet is None or not sheet.is_worksheet:
            return 0
        cells = self._cell_widths.get(sheet.name)
        if cells is None:
            grid = read_grid(pkg, sheet.part, sheet.name, [], workbook_epoch(pkg))
            cells = self._cell_widths[sheet.name] = max((len(r) for r in grid.rows), default=0)
        return max(cells, used_columns(pkg, sheet.part))

    def apply(self, changes: ChangeSet) -> ApplyResult:
        """Write ``changes`` into a new version of the file; nothing at all when it is empty."""
        if not changes:
            return ApplyResult(written=False)
        fileio.remove_stale_temps(self.path)
        pkg = self._package()
        snapshot = self._snapshot
        fileio.check_not_busy(self.path)
        fileio.check_unchanged(self.path, snapshot)
        fileio.check_writable(self.path)
        with WorkbookWriter(pkg) as writer:  # on two cores, a copy of this process helps
            replaced, added = writer.build(changes)
            fileio.save_atomically(
                self.path, lambda f: pkg.write(f, replaced, added, removed=writer.removed,
                                               shared=writer.shared),
                snapshot, self.backups)
        # A later apply starts from the version just written.
        self._snapshot = fileio.load(self.path)
        self._cell_widths.clear()
        return ApplyResult(written=True)
