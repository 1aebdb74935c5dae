"""Python's cycle collector around a sync: paused while it runs, and afterwards neither made to
scan everything the sync made nor left with the sync's data to free."""

from __future__ import annotations

import datetime as dt
import gc
import shutil
import sys
from pathlib import Path

import pytest

from sheetfollow import api
from sheetfollow.backends.excel.parts import Part, Piece
from sheetfollow.backends.excel.sheetxml import Row, SheetEditor
from sheetfollow.collector import paused
from sheetfollow.drafts import Draft
from sheetfollow.due import DueItem
from sheetfollow.engine import LeadRow, Outcome
from sheetfollow.planner import LeadResult

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def collector_on():
    was = gc.isenabled()
    gc.enable()
    gc.collect()
    yield
    if not was:
        gc.disable()


def test_the_collector_is_off_while_paused_and_on_after(collector_on):
    with paused():
        assert not gc.isenabled()
        with paused():  # nested: still off when the inner block ends
            pass
        assert not gc.isenabled()
    assert gc.isenabled()


def test_what_was_made_while_paused_is_not_left_for_the_next_collection(collector_on):
    """Left in the youngest generation, every object a sync made would be scanned by the first
    collection after it (a tenth of a second at 10,000 leads)."""
    collections = []

    def record(phase, info):
        if phase == "start":
            collections.append(info["generation"])

    gc.callbacks.append(record)
    try:
        with paused():
            kept = [[n] for n in range(200_000)]
        young = [[n] for n in range(100)]  # allocations that would start that collection
    finally:
        gc.callbacks.remove(record)
    assert collections == []
    oldest = {id(o) for o in gc.get_objects(generation=2)}
    assert id(kept[0]) in oldest and id(kept[-1]) in oldest
    assert len(young) == 100


def test_cycles_made_while_paused_are_still_collected(collector_on):
    class Node:
        pass

    with paused():
        node = Node()
        node.me = node
    del node
    gc.collect()
    assert not [o for o in gc.get_objects() if type(o) is Node]


def test_objects_the_caller_froze_stay_frozen(collector_on):
    frozen = [[1], [2]]
    gc.freeze()
    try:
        with paused():
            made = [[n] for n in range(1000)]
        collected = {id(o) for o in gc.get_objects()}  # the frozen are in no generation
        assert id(frozen) not in collected and id(frozen[0]) not in collected
        assert len(made) == 1000
    finally:
        gc.unfreeze()


BULKY = (Row, SheetEditor, Part, Piece, LeadRow, Outcome, LeadResult, Draft, DueItem)


@pytest.mark.parametrize("one_core", ["", "1"])
def test_a_sync_leaves_no_data_of_its_own_for_the_collector(tmp_path, monkeypatch, one_core,
                                                            collector_on):
    """Everything a sync made is freed as soon as it is dropped, by reference counting: none of
    it waits, in reference cycles, for the collector (which costs time, and memory meanwhile).
    Enough leads for both shared parts of the work (drafts and the tabs' XML) to run."""
    sys.path.insert(0, str(ROOT / "bench"))
    from generate import make_workbook

    monkeypatch.setenv("SHEETFOLLOW_ONE_CORE", one_core)
    source = tmp_path / "leads.xlsx"
    make_workbook(source, 1500, seed=3)
    copy = tmp_path / "copy.xlsx"
    shutil.copyfile(source, copy)
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        report = api.sync(copy, dt.date(2026, 11, 23))
        assert report.written
        del report
        gc.collect()
        left = sorted({type(o).__qualname__ for o in gc.garbage if isinstance(o, BULKY)})
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert left == []
