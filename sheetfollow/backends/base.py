"""The one small interface every storage backend implements."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Protocol

from ..changeset import ChangeSet
from ..model import WorkbookData


@dataclass
class ApplyResult:
    """What a backend did with a change set."""

    written: bool  # False when the change set was empty and nothing was touched
    skipped_rows: list[str] = field(default_factory=list)  # rows left alone, with the reason
    requests: int = 0  # HTTP requests made (Google), for the curious and the benchmarks


class Backend(Protocol):
    """Reads a workbook into plain values and applies a change set to it.

    ``read`` is called once per sync, then ``apply`` at most once with a change set computed from
    what was read. A backend refuses to apply when it can tell that the workbook changed since
    the read in a way that makes the change set unsafe.
    """

    description: str  # how the target is named in messages

    def read(self, tabs: Collection[str]) -> WorkbookData:
        """Read every tab whose name (case-insensitively) is in ``tabs``; list all tab names."""
        ...

    def apply(self, changes: ChangeSet) -> ApplyResult:
        """Write ``changes``; a no-op (nothing written at all) when the change set is empty."""
        ...
