"""LibreOffice, the real spreadsheet program CI installs, opens every workbook sheetfollow wrote
during the test session and shows every cell as openpyxl reads it (issue 5).

tests/lo_record.py keeps a copy of each distinct workbook written (a sync's save, ``init``) and
moves the read-back to the end of every session. The expected values come from openpyxl, cached
values for formulas, not from sheetfollow's reader, so the check does not trust the code under
test. A test that writes a file itself (openpyxl, a corrupted file) is not checked here.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import time
import warnings
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest
from libreoffice import SHOWN_FILTER, convert, mismatch, soffice
from lo_record import Written, recorder
from lxml import etree
from openpyxl.utils import get_column_letter

# Files per soffice call: LibreOffice takes seconds to start, then about 0.1 s a workbook.
BATCH = 60
SAMPLE = Path(__file__).resolve().parents[1] / "sample_pipeline.xlsx"
EXCEL_TEXT_LIMIT = 32_767  # characters in a cell; Excel truncates or repairs longer text
SHOWN_PROBLEMS = 40  # listed in the failure message; the count covers them all


# Cells whose cached value LibreOffice cannot reproduce, for a reason of its own, not of the
# file: (formula, what LibreOffice shows, why). sheetfollow never writes a formula; these are in
# the users' workbooks it syncs, and LibreOffice shows the same in the workbook as first made.
LIBREOFFICE_LIMITS = [
    (re.compile(r"(?<![\w\]])\[\[#This Row\]"), "Err:507",
     "a structured reference without its table name ([[#This Row],a], in the calculated column "
     "XlsxWriter wrote in ../shared/fixtures/features.xlsx): LibreOffice 7 cannot parse it"),
]
# OOXML writes a character XML cannot hold (and a literal "_x") as _xHHHH_. openpyxl leaves the
# escape in an inline string (what sheetfollow writes) and drops only "x005F_" in a shared string
# (what Excel writes); Excel decodes every escape, LibreOffice those of control characters and
# of "_". Text with an escape is read here from what the file holds, and either way is right.
ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


@dataclass(frozen=True)
class Cell:
    value: object
    number_format: str
    error: bool


def read_expected(path: Path, formulas: bool = False) -> dict[str, dict[tuple[int, int], Cell]]:
    """Every worksheet's non-empty cells as openpyxl reads them: {sheet: {(row, col): Cell}};
    with ``formulas``, a formula cell's formula instead of its cached value."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "extension is not supported": not ours to judge
        wb = openpyxl.load_workbook(path, read_only=True, data_only=not formulas)
        try:
            sheets = {}
            for ws in wb.worksheets:
                ws.reset_dimensions()  # read every row, whatever the <dimension> claims
                sheets[ws.title] = {
                    (cell.row, cell.column): Cell(cell.value, cell.number_format,
                                                  cell.data_type == "e")
                    for row in ws.iter_rows() for cell in row if cell.value is not None}
            return sheets
        finally:
            wb.close()


def readings(raw: str) -> set[str]:
    """The texts a string holding _xHHHH_ escapes may show: Excel's and LibreOffice's."""
    def libreoffice(m):
        code = int(m.group(1), 16)
        return chr(code) if code < 0x20 or code == 0x5F else m.group(0)
    return {ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), raw), ESCAPE.sub(libreoffice, raw)}


@functools.cache
def shared_strings(path: Path) -> dict[str, list[str]]:
    """openpyxl's reading of each shared string that holds an escape -> the texts in the file."""
    with zipfile.ZipFile(path) as z:
        names = [n for n in z.namelist() if n.lower().endswith("sharedstrings.xml")]
        root = etree.fromstring(z.read(names[0])) if names else []
    texts: dict[str, list[str]] = {}
    for si in root:
        raw = "".join(t.text or "" for t in si.iter("{*}t")
                      if etree.QName(t.getparent()).localname != "rPh")
        if "_x" in raw:
            texts.setdefault(raw.replace("x005F_", ""), []).append(raw)
    return texts


def _escaped_text_shown(path: Path, cell: Cell, shown: str) -> bool:
    if not isinstance(cell.value, str) or "_x" not in cell.value:
        return False
    raws = [cell.value, *shared_strings(path).get(cell.value, [])]
    return any(not mismatch(text, cell.number_format, shown)
               for raw in raws for text in readings(raw))


def problems_in(written: Written, expected: dict, shown: dict, log: str) -> list[str]:
    """Every way LibreOffice's reading of one workbook differs from openpyxl's."""
    where = written.origin
    if isinstance(expected, Exception):
        either = "" if shown else "; LibreOffice could not open it either"
        return [f"{where}: openpyxl could not read it: {expected!r}{either}"]
    if not shown:
        return [f"{where}: LibreOffice could not open it:\n{log.strip()[-2000:]}"]
    problems = []
    formulas = None  # read only when a cell differs
    for sheet, cells in expected.items():
        rows = shown.get(sheet)
        if rows is None:
            problems.append(f"{where}: LibreOffice shows no sheet {sheet!r} "
                            f"(it shows {sorted(shown)})")
            continue
        for (r, c), cell in sorted(cells.items()):
            ref = f"{sheet}!{get_column_letter(c)}{r}"
            if isinstance(cell.value, str) and _utf16_len(cell.value) > EXCEL_TEXT_LIMIT:
                problems.append(f"{where}: {ref}: {_utf16_len(cell.value)} characters of "
                                f"text (UTF-16 units), over Excel's limit of {EXCEL_TEXT_LIMIT}")
            text = rows[r - 1][c - 1] if r <= len(rows) and c <= len(rows[r - 1]) else ""
            reason = mismatch(cell.value, cell.number_format, text, cell.error)
            if reason and not _escaped_text_shown(written.copy, cell, text):
                formulas = formulas or read_expected(written.copy, formulas=True)
                formula = formulas[sheet][r, c].value
                if _libreoffice_limit(formula, text):
                    continue
                problems.append(f"{where}: {ref}: {reason}: openpyxl reads {_short(cell.value)}"
                                f" in format {cell.number_format!r}, LibreOffice shows "
                                f"{_short(text)}" + (f" (formula {formula})"
                                                     if str(formula).startswith("=") else ""))
        for r, row in enumerate(rows, start=1):
            for c, text in enumerate(row, start=1):
                if text and (r, c) not in cells:
                    problems.append(f"{where}: {sheet}!{get_column_letter(c)}{r}: LibreOffice "
                                    f"shows {_short(text)} where openpyxl reads an empty cell")
    return problems


def _read_or_error(path: Path):
    try:
        return read_expected(path)
    except Exception as exc:  # reported with the workbook's name, the others still checked
        return exc


def _libreoffice_limit(formula, shown: str) -> bool:
    return isinstance(formula, str) and formula.startswith("=") and any(
        pattern.search(formula) and shown == error for pattern, error, _ in LIBREOFFICE_LIMITS)


def _utf16_len(text: str) -> int:
    """The length Excel counts (an emoji is two), of the text an escape stands for."""
    return min(len(reading.encode("utf-16-le")) // 2 for reading in readings(text))


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 120 else f"{text[:100]}...{text[-12:]} ({len(text)} chars)"


@pytest.mark.libreoffice
def test_libreoffice_reads_back_every_written_workbook(tmp_path):
    written = list(recorder.written.values())
    if not written:
        pytest.skip("no test of this session wrote a workbook for LibreOffice to read back")
    soffice()
    start = time.monotonic()
    tests = {test for w in written for test in w.tests}
    # The committed sample is sheetfollow's output too (scripts/make_sample.py).
    written.append(Written(SAMPLE, "committed sample", ["scripts/make_sample.py"]))
    batches = [written[i:i + BATCH] for i in range(0, len(written), BATCH)]
    # Two LibreOffice processes convert while openpyxl reads the same files here: LibreOffice
    # spends part of its time starting up and writing files, so three overlap well on 2 cores.
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = [pool.submit(convert, [w.copy for w in batch], tmp_path / f"batch{n}", 600,
                            SHOWN_FILTER) for n, batch in enumerate(batches)]
        expected = {w.copy: _read_or_error(w.copy) for w in written}
        problems = []
        for batch, run in zip(batches, runs, strict=True):
            shown, log = run.result()
            for w in batch:
                problems += problems_in(w, expected[w.copy], shown[w.copy], log)
    recorder.summary = (f"LibreOffice read back {len(written)} distinct workbooks "
                        f"({recorder.saves} written by {len(tests)} tests, and the sample) in "
                        f"{time.monotonic() - start:.0f} s")
    if problems:
        more = (f"\n... and {len(problems) - SHOWN_PROBLEMS} more"
                if len(problems) > SHOWN_PROBLEMS else "")
        pytest.fail(f"LibreOffice and openpyxl disagree ({len(problems)} problems in "
                    f"{len(written)} workbooks):\n" + "\n".join(problems[:SHOWN_PROBLEMS]) + more,
                    pytrace=False)


# The comparison itself: what LibreOffice shows for a value in a number format.

@pytest.mark.parametrize(("value", "number_format", "shown"), [
    ("Zoë 👋 שלום", "General", "Zoë 👋 שלום"),
    ("line one\nline two", "General", "line one\nline two"),
    ("0012", "@", "0012"),
    (True, "General", "TRUE"),
    (3200, "#,##0", "3,200"),
    (1234.5, "#,##0", "1,235"),
    (0.256, "0%", "26%"),
    (-1234.5, '"$"#,##0.00_);("$"#,##0.00)', "($1,234.50)"),
    (1234.5, "#,##0.00 [$€-407]", "1,234.50 €"),
    (0, '_(* #,##0_);_(* (#,##0);_(* "-"??_);_(@_)', " -   "),
    (1 / 3, "General", "0.333333333333333"),
    (1.2345678901234567e17, "General", "1.23456789012346E+017"),
    (5e-324, "General", "5E-324"),  # the smallest float: 10.0 ** -324 underflows to 0
    (-2.2e-308, "General", "-2.2E-308"),
    (3, ";;;", ""),
    (dt.datetime(2024, 3, 5), "yyyy-mm-dd", "2024-03-05"),
    (dt.datetime(2024, 3, 5), "dd/mm/yyyy", "05/03/2024"),
    (dt.datetime(2024, 3, 5), "mm-dd-yy", "3/5/2024"),
    (dt.datetime(2024, 3, 5), "dddd, mmmm d, yyyy", "Tuesday, March 5, 2024"),
    (dt.datetime(2024, 3, 5, 14, 30, 59), "yyyy-mm-dd hh:mm", "2024-03-05 14:30"),
    (dt.time(14, 30), "h:mm AM/PM", "2:30 PM"),
])
def test_what_libreoffice_shows_matches(value, number_format, shown):
    assert mismatch(value, number_format, shown) is None


@pytest.mark.parametrize(("value", "number_format", "shown"), [
    ("text", "General", "text "),
    ("a\nb", "General", "a b"),
    (None, "General", "0"),
    ("", "General", "x"),
    (True, "General", "1"),
    (3200, "#,##0", "3,201"),
    (1e-300, "General", "2E-300"),
    (-5, "General", "5"),
    (0.256, "0.0%", "26.6%"),
    (45000, "General", "2023-03-15"),
    (dt.datetime(2024, 3, 5), "yyyy-mm-dd", "45356"),
    (dt.datetime(2024, 3, 5), "dd/mm/yyyy", "05/04/2024"),
    (dt.datetime(2024, 3, 5), "yyyy-mm-dd", "2024-05-03"),
    (dt.datetime(2024, 3, 5, 14, 30), "yyyy-mm-dd hh:mm", "2024-03-05 15:30"),
])
def test_what_libreoffice_shows_differs(value, number_format, shown):
    assert mismatch(value, number_format, shown) is not None
