"""The Excel backend's second core: parts made and deflated by this process and a forked copy
give the same bytes as one process, whatever the copy does (finishes, fails, dies midway)."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sys
import time
import zlib
from pathlib import Path

import pytest

from sheetfollow import api, parallel
from sheetfollow.backends.excel import parts as parts_module
from sheetfollow.backends.excel.parts import Part, Shared, cut
from sheetfollow.backends.excel.zipout import joined

ROOT = Path(__file__).resolve().parents[1]
LEVEL = 2
needs_fork = pytest.mark.skipif(not parallel.can_fork(), reason="needs fork and two cores")


def rows_part(number: int, units: int = 20, rows: int = 300) -> Part:
    """A part of ``units`` units of ``rows`` rows each, costed so that it makes several
    pieces."""
    def make(first: int, stop: int):
        for unit in range(first, stop):
            yield "".join(f'<row r="{r}"><c r="A{r}"><v>{r * number}</v></c></row>'
                          for r in range(unit * rows, (unit + 1) * rows)).encode()
    return Part(make, [0.004] * units, units * rows * 40)


def made(parts: list[Part], fork: bool = True) -> tuple[list[bytes], bool]:
    """Each part's deflated bytes as this process writes them (taking the copy's pieces when
    it meets them, and slowed down so that the copy takes some), checked against its stream;
    and whether the copy made any."""
    found = []
    with Shared(parts, LEVEL, fork=fork) as shared:
        for i, p in enumerate(parts):
            out: list[bytes] = []
            stream = joined(slowly(write)(out.append) for write in shared.pieces_of(i))
            data = b"".join(out)
            content = zlib.decompress(data, -15)
            assert content == b"".join(p.make(0, len(p.costs)))
            assert (stream.compress_size, stream.file_size, stream.crc) == \
                (len(data), len(content), zlib.crc32(content))
            found.append(data)
        helped = bool(shared._made)
    return found, helped


def slowly(write):
    def slow(out):
        time.sleep(0.003)
        return write(out)
    return slow


def some_parts() -> list[Part]:
    return [rows_part(3), rows_part(5, units=7), rows_part(7, units=1), rows_part(11)]


def test_pieces_cover_each_part_in_order():
    parts = some_parts()
    pieces = cut(parts)
    for i, p in enumerate(parts):
        mine = [piece for piece in pieces if piece.part == i]
        assert mine[0].start == 0 and mine[-1].stop == len(p.costs)
        assert all(a.stop == b.start for a, b in zip(mine, mine[1:], strict=False))
        assert [piece.last for piece in mine] == [False] * (len(mine) - 1) + [True]
    assert len(pieces) > len(parts)  # big parts are cut: both processes can work on them


def test_without_a_copy_the_pieces_are_the_same(monkeypatch):
    monkeypatch.setenv("SHEETFOLLOW_ONE_CORE", "1")
    alone, forked = made(some_parts())
    assert not forked
    assert alone == made(some_parts(), fork=False)[0]


@needs_fork
def test_shared_with_a_copy_the_bytes_are_the_same():
    shared, forked = made(some_parts())
    assert forked
    assert shared == made(some_parts(), fork=False)[0]
    _assert_no_children()


@needs_fork
def test_a_copy_that_dies_midway_changes_nothing(monkeypatch):
    parent = os.getpid()
    real = Shared._deflate
    done = []

    def dies(self, piece, write):
        if os.getpid() != parent:
            done.append(piece)
            if len(done) == 2:
                os._exit(9)  # killed after taking pieces it never made
        return real(self, piece, write)

    monkeypatch.setattr(Shared, "_deflate", dies)
    assert made(some_parts()) == (made(some_parts(), fork=False)[0], False)
    _assert_no_children()


@needs_fork
def test_a_copy_that_fails_changes_nothing(monkeypatch):
    parent = os.getpid()
    real = Shared._deflate

    def fails(self, piece, write):
        if os.getpid() != parent and piece.part == 3:
            raise OSError("no space left for the temporary file")
        return real(self, piece, write)

    monkeypatch.setattr(Shared, "_deflate", fails)
    assert made(some_parts()) == (made(some_parts(), fork=False)[0], False)
    _assert_no_children()


@needs_fork
def test_an_error_here_ends_the_copy():
    parts = some_parts()

    def broken(first, stop):
        raise RuntimeError("a bug")

    parts[0] = Part(broken, parts[0].costs, parts[0].size)
    with pytest.raises(RuntimeError), Shared(parts, LEVEL) as shared:
        assert shared.forked
        for write in shared.pieces_of(0):
            write(lambda data: None)
    _assert_no_children()


def _assert_no_children():
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)


@pytest.fixture(scope="module")
def bench_workbook(tmp_path_factory) -> Path:
    sys.path.insert(0, str(ROOT / "bench"))
    from generate import make_workbook

    source = tmp_path_factory.mktemp("parallel") / "leads.xlsx"
    make_workbook(source, 2500, seed=3)
    return source


def synced(source: Path, folder: Path, name: str, day: dt.date = dt.date(2026, 11, 23)) -> bytes:
    copy = folder / f"{name}.xlsx"
    shutil.copyfile(source, copy)
    api.sync(copy, day)
    return copy.read_bytes()


@needs_fork
def test_a_sync_writes_the_same_file_byte_for_byte_whatever_the_copy_does(
        bench_workbook, tmp_path, monkeypatch):
    """One core, two cores, or a copy that dies after taking pieces: the same file, bytes and
    all (the existing test compares the parts' contents only)."""
    seen = []
    real_start = Shared._start

    def start(self):
        real_start(self)
        seen.append(self.forked)

    monkeypatch.setattr(Shared, "_start", start)
    two = synced(bench_workbook, tmp_path, "two")
    assert seen == [True]  # the tool tabs were shared with a copy
    monkeypatch.setenv("SHEETFOLLOW_ONE_CORE", "1")
    one = synced(bench_workbook, tmp_path, "one")
    assert one == two
    monkeypatch.setenv("SHEETFOLLOW_ONE_CORE", "")
    parent = os.getpid()
    real_make = Shared._make_theirs

    def dies(self):
        if os.getpid() != parent:
            os.read(self._queue, 3)  # takes pieces, then is gone
            os._exit(9)
        return real_make(self)

    monkeypatch.setattr(Shared, "_make_theirs", dies)
    assert synced(bench_workbook, tmp_path, "died") == two
    _assert_no_children()


@needs_fork
def test_a_later_sync_writes_the_same_file_on_one_core_or_two(bench_workbook, tmp_path,
                                                             monkeypatch):
    """The tool tabs exist by then: they and their relationships are replaced in place."""
    first = tmp_path / "first.xlsx"
    first.write_bytes(synced(bench_workbook, tmp_path, "start"))
    later = {}
    for name, one_core in (("two", ""), ("one", "1")):
        monkeypatch.setenv("SHEETFOLLOW_ONE_CORE", one_core)
        later[name] = synced(first, tmp_path, name, dt.date(2026, 12, 14))
    assert later["one"] == later["two"] != first.read_bytes()
    _assert_no_children()


def test_small_work_is_not_shared(monkeypatch):
    monkeypatch.setattr(os, "fork", lambda: pytest.fail("forked for a small job"))
    small = [Part(lambda first, stop: [b"<row/>"], [0.001], 6)]
    with Shared(small, LEVEL) as shared:
        assert not shared.forked
    assert parts_module.MIN_SHARED > 0.001
