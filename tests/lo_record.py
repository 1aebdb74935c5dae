"""A pytest plugin that keeps every workbook sheetfollow writes during the test session, so that
tests/test_libreoffice_readback.py, which always runs last, can open them all in LibreOffice.

A workbook is recorded when the Excel backend has saved it (``fileio.save_atomically`` returned)
or ``init`` has created it (``newbook.create_excel_workbook`` returned): the product code is
wrapped, not changed. Files a test writes itself (openpyxl, a deliberately corrupted file) are
not sheetfollow's output and are not recorded. Tests go on editing their files, so the bytes are
copied at once, named by their hash: a workbook written by many tests is checked once.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import pytest

# The test that reads the recorded workbooks back; it is moved to the end of every session.
READBACK = Path(__file__).resolve().parent / "test_libreoffice_readback.py"
READBACK_TEST = "test_libreoffice_reads_back_every_written_workbook"


@dataclass
class Written:
    """One distinct workbook: its copy and the tests that wrote exactly these bytes."""

    copy: Path
    how: str  # "sync" (the backend saved it) or "init" (a new workbook)
    tests: list[str] = field(default_factory=list)

    @property
    def origin(self) -> str:
        """Which test wrote it and where the copy is, for a failure message."""
        more = f" (and {len(self.tests) - 1} more tests)" if len(self.tests) > 1 else ""
        return f"{self.tests[0]}{more}, {self.how}, kept as {self.copy}"


class Recorder:
    """The workbooks written so far, and the test running now."""

    def __init__(self) -> None:
        self.folder: Path | None = None  # set by the session fixture below
        self.test = "(outside any test)"
        self.written: dict[str, Written] = {}
        self.saves = 0  # workbooks written, the same bytes counted each time
        self.summary = ""  # what the read-back checked, for the end of the test report

    def record(self, path, how: str) -> None:
        if self.folder is None:  # a save during collection: nothing to name it after
            return
        data = Path(path).read_bytes()
        self.saves += 1
        digest = hashlib.sha256(data).hexdigest()[:24]
        entry = self.written.get(digest)
        if entry is None:
            # The hash is the stem: LibreOffice names each CSV after it, so no two collide.
            copy = self.folder / f"{digest}{Path(path).suffix.lower()}"
            copy.write_bytes(data)
            entry = self.written[digest] = Written(copy, how)
        if self.test not in entry.tests:
            entry.tests.append(self.test)


recorder = Recorder()


def _after(original, how: str):
    """``original``, recording the workbook at its first argument once it has returned (a
    save or an ``init`` that failed wrote nothing of sheetfollow's)."""
    @functools.wraps(original)
    def wrapper(path, *args, **kwargs):
        result = original(path, *args, **kwargs)
        recorder.record(path, how)
        return result
    return wrapper


_patch = pytest.MonkeyPatch()


def pytest_configure(config):
    # Before the test modules are imported: they bind create_excel_workbook by name.
    from sheetfollow import newbook
    from sheetfollow.backends.excel import fileio

    _patch.setattr(fileio, "save_atomically", _after(fileio.save_atomically, "sync"))
    _patch.setattr(newbook, "create_excel_workbook",
                   _after(newbook.create_excel_workbook, "init"))


def pytest_unconfigure(config):
    _patch.undo()


@pytest.fixture(scope="session", autouse=True)
def _written_workbooks(tmp_path_factory):
    recorder.folder = tmp_path_factory.mktemp("written-workbooks")
    return recorder


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    recorder.test = item.nodeid
    try:
        return (yield)
    finally:
        recorder.test = "(outside any test)"


@pytest.hookimpl(wrapper=True)
def pytest_collection_modifyitems(session, config, items):
    """Run the read-back last, in every session: also when -k or -m deselected it, or when only
    some files were named (it then checks what those tests wrote)."""
    readback = [item for item in items if _is_readback(item)]
    result = yield
    if not readback and not config.option.collectonly:
        readback = _collect_readback(session)
    items[:] = [item for item in items if not _is_readback(item)] + readback
    return result


def _is_readback(item) -> bool:
    return item.name == READBACK_TEST and item.path.name == READBACK.name


def _collect_readback(session) -> list:
    module = pytest.Module.from_parent(session, path=READBACK)
    return [item for item in module.collect() if _is_readback(item)]


def pytest_terminal_summary(terminalreporter):
    if recorder.summary:
        terminalreporter.write_line(recorder.summary)
