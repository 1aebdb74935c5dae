"""Pausing Python's cyclic garbage collector for work that makes many objects and no cycles."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """The cycle collector off while the block runs (as it was before, after it).

    Reading or syncing 50,000 leads allocates millions of small containers (cells, rows, dates)
    that form no reference cycles; the collector, triggered again and again as they pile up,
    would rescan them all each time (a third of a sync's time in measurements). Reference
    counting still frees everything as usual.

    When the block ends, what it made and still holds joins the oldest generation, as if it had
    lived through the collections it skipped. Left in the youngest, all of it would be scanned
    by the first collection after the block, and again by the next older one (a tenth of a
    second at 10,000 leads, for nothing). It is still collected with the oldest generation.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            _age()
            gc.enable()


def _age() -> None:
    """Move every object the collector tracks into its oldest generation: ``freeze`` moves them
    all to the permanent one and ``unfreeze`` from there to the oldest, each in one step. Not
    when the program froze objects of its own (a server before it forks, say): those stay
    frozen, and ours stay where they are."""
    if gc.get_freeze_count() == 0:
        gc.freeze()
        gc.unfreeze()
