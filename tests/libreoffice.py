"""Reading workbooks back through LibreOffice (headless): an independent reader that shows
whether a file sheetfollow wrote opens, and what a user would see in each cell.

LibreOffice is slow to start, so ``to_csv`` converts several files in one call.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
from pathlib import Path

import pytest

# Export every sheet (the last token, -1) as UTF-8 (76) CSV, cells as shown (formatted).
CSV_FILTER = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"


def soffice() -> str:
    """The LibreOffice program; fails in CI (where it must be installed), skips elsewhere."""
    program = shutil.which("soffice") or shutil.which("libreoffice")
    if program:
        return program
    if os.environ.get("CI"):
        pytest.fail("LibreOffice (soffice) is required in CI: install it (apt-get install "
                    "libreoffice-calc-nogui)")
    pytest.skip("LibreOffice (soffice) is not installed")


def to_csv(files: list[Path], workdir: Path, timeout: float = 300) -> dict[Path, dict[str, list]]:
    """Every sheet of every file as LibreOffice shows it: {file: {sheet name: rows}}."""
    if not files:  # soffice given no file waits for one forever
        raise ValueError("to_csv needs at least one file")
    program = soffice()
    outdir = workdir / "csv"
    profile = workdir / "lo-profile"
    outdir.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [program, "--headless", "--norestore",
         f"-env:UserInstallation={profile.resolve().as_uri()}",
         "--convert-to", CSV_FILTER, "--outdir", str(outdir), *map(str, files)],
        capture_output=True, text=True, timeout=timeout, check=False,
    )
    converted: dict[Path, dict[str, list]] = {}
    for file in files:
        sheets = {}
        for out in sorted(outdir.glob(f"{file.stem}-*.csv")):
            name = out.stem[len(file.stem) + 1:]
            with open(out, newline="", encoding="utf-8") as f:
                sheets[name] = list(csv.reader(f))
        if not sheets:
            raise AssertionError(f"LibreOffice did not convert {file.name}:\n"
                                 f"{result.stdout}\n{result.stderr}")
        converted[file] = sheets
    return converted


def cell(rows: list[list[str]], ref: str) -> str:
    """The text LibreOffice showed at ``ref`` (e.g. ``M2``), "" beyond the data."""
    letters = ref.rstrip("0123456789")
    row = int(ref[len(letters):])
    col = 0
    for ch in letters:
        col = col * 26 + ord(ch) - 64
    if row > len(rows) or col > len(rows[row - 1]):
        return ""
    return rows[row - 1][col - 1]
