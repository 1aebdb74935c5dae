"""The second core: work shared with a forked copy gives exactly what one process gives, and a
copy that fails or is never waited for costs nothing but time."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sys
import zipfile
from pathlib import Path

import pytest

from sheetfollow import api, parallel

pytestmark = pytest.mark.skipif(not parallel.can_fork(), reason="needs fork and two cores")

ROOT = Path(__file__).resolve().parents[1]


def square(n: int) -> int:
    return n * n


def test_fork_start_keeps_order_and_values():
    jobs = list(range(1000))
    assert parallel.fork_start(square, jobs, min_jobs=2)() == [n * n for n in jobs]


def test_fork_start_below_the_threshold_stays_here(monkeypatch):
    monkeypatch.setattr(os, "fork", lambda: pytest.fail("forked for a small job"))
    assert parallel.fork_start(square, [1, 2, 3], min_jobs=10)() == [1, 4, 9]


def test_a_failing_copy_is_replaced_by_work_here():
    parent = os.getpid()

    def only_here(n):
        if os.getpid() != parent:
            raise RuntimeError("the copy breaks")
        return n + 1

    assert parallel.fork_start(only_here, list(range(100)), min_jobs=2)() == list(range(1, 101))


def test_a_copy_killed_midway_is_replaced_by_work_here():
    parent = os.getpid()

    def dies_in_copy(n):
        if os.getpid() != parent:
            os._exit(9)
        return -n

    assert parallel.fork_start(dies_in_copy, list(range(50)), min_jobs=2)() == \
        [-n for n in range(50)]


def test_an_error_here_still_ends_the_copy():
    def boom(n):
        if n == 0:
            raise ValueError("here")
        return n

    with pytest.raises(ValueError):
        parallel.fork_start(boom, list(range(100)), min_jobs=2)()
    _assert_no_children()


def test_started_jobs_are_shared_while_this_process_works_on():
    parent = os.getpid()
    finish = parallel.fork_start(lambda n: (n, os.getpid()), list(range(3000)), min_jobs=2)
    busy = sum(i * i for i in range(300_000))  # the copy takes jobs meanwhile
    answers = finish()
    assert busy and [n for n, _ in answers] == list(range(3000))
    assert {pid for _, pid in answers} - {parent}, "the copy did none of the jobs"
    _assert_no_children()


def test_started_jobs_a_copy_took_and_never_answered_are_done_here():
    parent = os.getpid()

    def dies_in_copy(n):
        if os.getpid() != parent and n > 500:
            os._exit(9)
        return n + 1

    finish = parallel.fork_start(dies_in_copy, list(range(2000)), min_jobs=2)
    assert finish() == list(range(1, 2001))
    _assert_no_children()


def test_a_plan_with_drafts_made_by_a_copy_is_the_plan_made_here():
    """Flags are given while the copy drafts; a template that fails for some leads changes
    exactly their flags, whichever process made their drafts."""
    from test_sync import picky_pipeline

    from sheetfollow.backends.memory import MemoryBackend
    from sheetfollow.layout import READ_TABS
    from sheetfollow.planner import Inputs, plan_sync
    from sheetfollow.templatefiles import load_template_dir

    data = MemoryBackend(picky_pipeline(1000)).read(READ_TABS)
    here = plan_sync(data, Inputs(load_template_dir(None)), dt.date(2026, 11, 23))
    shared = plan_sync(data, Inputs(load_template_dir(None), start=lambda fn, jobs: (
        parallel.fork_start(fn, jobs, min_jobs=2))), dt.date(2026, 11, 23))
    assert shared.changes == here.changes
    assert [r.flag for r in shared.leads] == [r.flag for r in here.leads]
    assert sum(r.flag.startswith("INVALID template") for r in here.leads) == 400
    assert [d.message for d in shared.due] == [d.message for d in here.due]


def test_without_fork_everything_runs_here(monkeypatch):
    monkeypatch.setenv("SHEETFOLLOW_ONE_CORE", "1")
    assert not parallel.can_fork()
    assert parallel.fork_start(square, list(range(10)), min_jobs=1)() == [n * n for n in range(10)]


def _assert_no_children():
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)


def test_a_big_sync_writes_the_same_file_on_one_core_or_two(tmp_path, monkeypatch):
    """Enough leads for both shared parts to run (drafts and the tool tabs' XML)."""
    sys.path.insert(0, str(ROOT / "bench"))
    from generate import make_workbook

    source = tmp_path / "leads.xlsx"
    make_workbook(source, 2500, seed=3)
    parts = {}
    for name, one_core in (("two", ""), ("one", "1")):
        monkeypatch.setenv("SHEETFOLLOW_ONE_CORE", one_core)
        copy = tmp_path / f"{name}.xlsx"
        shutil.copyfile(source, copy)
        report = api.sync(copy, dt.date(2026, 11, 23))
        assert len(report.plan.due) > parallel.MIN_JOBS
        with zipfile.ZipFile(copy) as z:
            parts[name] = {info.filename: z.read(info) for info in z.infolist()}
    assert parts["one"] == parts["two"]
    _assert_no_children()
