"""Reading workbooks back through LibreOffice (headless): an independent reader that shows
whether a file sheetfollow wrote opens, and what a user would see in each cell.

LibreOffice is slow to start, so ``to_csv`` converts several files in one call. ``mismatch``
says whether the text LibreOffice shows is what a value in a given number format displays.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

# Export every sheet (the last token, -1) as UTF-8 (76) CSV. Token 9 is "save cell contents as
# shown": off here (numbers unformatted, dates in ISO or the locale's short form), on in
# SHOWN_FILTER (every cell as the user sees it: "3,200", "26%", "5 Mar 2024").
CSV_FILTER = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"
SHOWN_FILTER = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,-1"


def soffice() -> str:
    """The LibreOffice program; fails in CI (where it must be installed), skips elsewhere."""
    program = shutil.which("soffice") or shutil.which("libreoffice")
    if program:
        return program
    if os.environ.get("CI"):
        pytest.fail("LibreOffice (soffice) is required in CI: install it (apt-get install "
                    "libreoffice-calc-nogui)")
    pytest.skip("LibreOffice (soffice) is not installed")


def to_csv(files: list[Path], workdir: Path, timeout: float = 300,
           csv_filter: str = CSV_FILTER) -> dict[Path, dict[str, list]]:
    """Every sheet of every file as LibreOffice shows it: {file: {sheet name: rows}}."""
    converted, log = convert(files, workdir, timeout, csv_filter)
    for file, sheets in converted.items():
        if not sheets:
            raise AssertionError(f"LibreOffice did not convert {file.name}:\n{log}")
    return converted


def convert(files: list[Path], workdir: Path, timeout: float = 300,
            csv_filter: str = CSV_FILTER) -> tuple[dict[Path, dict[str, list]], str]:
    """``to_csv`` that reports a file LibreOffice could not open as having no sheet ({}),
    with LibreOffice's output; the stems of ``files`` must differ."""
    if not files:  # soffice given no file waits for one forever
        raise ValueError("to_csv needs at least one file")
    program = soffice()
    outdir = workdir / "csv"
    profile = workdir / "lo-profile"
    outdir.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [program, "--headless", "--norestore",
         f"-env:UserInstallation={profile.resolve().as_uri()}",
         "--convert-to", csv_filter, "--outdir", str(outdir), *map(str, files)],
        capture_output=True, text=True, timeout=timeout, check=False,
        # The same display on every machine: "." decimals, English month names.
        env={**os.environ, "LC_ALL": "C.UTF-8"},
    )
    converted: dict[Path, dict[str, list]] = {}
    for file in files:
        sheets = {}
        for out in sorted(outdir.glob(f"{file.stem}-*.csv")):
            name = out.stem[len(file.stem) + 1:]
            with open(out, newline="", encoding="utf-8") as f:
                sheets[name] = list(csv.reader(f))
        converted[file] = sheets
    return converted, f"{result.stdout}\n{result.stderr}"


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


# --- What LibreOffice shows for a cell --------------------------------------------------------
# Read with SHOWN_FILTER in the C (en-US) locale: "." decimals, "," thousands, English month
# names, TRUE/FALSE.

_NUMBER = re.compile(r"(\d[\d,]*(?:\.\d*)?|\.\d+)(?:E([-+]?\d+))?", re.IGNORECASE)
# Excel's built-in short date (14, which openpyxl names "mm-dd-yy") and date-time (22) follow
# the reader's locale, whatever the code says: LibreOffice shows 3/5/2024 and 3/5/2024 14:30.
_LOCALE_FORMS = {"mm-dd-yy": "%m/%d/%Y", "m/d/yy h:mm": "%m/%d/%Y %H:%M"}
_DATE_CODES = {"y": "%y", "yy": "%y", "m": "%m", "mm": "%m", "mmm": "%b", "mmmm": "%B",
               "d": "%d", "dd": "%d", "ddd": "%a", "s": "%S", "ss": "%S", "AM/PM": "%p"}
_FIELDS = {"year": "yY", "month": "mbB", "day": "d", "hour": "HI", "minute": "M", "second": "S"}


def mismatch(value, number_format: str, shown: str, error: bool = False) -> str | None:
    """Why ``shown``, LibreOffice's text of a cell, is not what a cell holding ``value`` (as
    openpyxl reads it, ``error`` for an error value) in ``number_format`` shows; None if it is."""
    number_format = number_format or "General"
    if value is None or value == "":
        return None if shown == "" else "shown where the cell is empty"
    if error:
        # LibreOffice names some errors its own way (Err:502 where Excel has #NUM!): any
        # error is the same reading of an error cell.
        return None if shown == value or shown.startswith("Err:") else "not the error"
    if isinstance(value, bool):
        return None if shown == ("TRUE" if value else "FALSE") else "not the boolean"
    if isinstance(value, str):
        # LibreOffice keeps a CR LF line break as a line break (LF), as Excel shows it.
        wanted = _text_shown(value, number_format).replace("\r\n", "\n")
        return None if shown == wanted else "different text"
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return _date_mismatch(value, number_format, shown)
    if isinstance(value, (int, float)):
        return _number_mismatch(value, number_format, shown)
    return f"the check cannot compare a {type(value).__name__}"


def sections(number_format: str) -> list[str]:
    """A number format's ;-separated sections (positive;negative;zero;text)."""
    parts, start = [], 0
    for kind, _text, end in _tokens(number_format):
        if kind == ";":
            parts.append(number_format[start:end - 1])
            start = end
    return [*parts, number_format[start:]]


def _tokens(section: str):
    """(kind, text, end) for each part of a number format: "lit" text shown as is, "digit"
    (0 # ?), "@", "code" (a date/time code such as yyyy, or General), ";" or "bracket"."""
    i = 0
    while i < len(section):
        ch = section[i]
        if ch == '"':
            end = section.find('"', i + 1)
            end = len(section) if end < 0 else end
            yield "lit", section[i + 1:end], end + 1
            i = end + 1
            continue
        if ch in "\\_*" and i + 1 < len(section):
            # \x shows x, _x pads with the width of x (a space in text), *x fills (nothing).
            yield "lit", {"\\": section[i + 1], "_": " ", "*": ""}[ch], i + 2
            i += 2
            continue
        if ch == "[":
            end = section.find("]", i)
            end = len(section) if end < 0 else end
            code = section[i + 1:end]
            if code.startswith("$"):  # [$€-407]: a currency symbol, then a locale
                yield "lit", code[1:].split("-", 1)[0], end + 1
            else:
                yield "bracket", code, end + 1
            i = end + 1
            continue
        for word in ("General", "AM/PM"):
            if section[i:i + len(word)].upper() == word.upper():
                yield "code", word, i + len(word)
                i += len(word)
                break
        else:
            if ch.lower() in "ymdhs":
                end = i
                while end < len(section) and section[end].lower() == ch.lower():
                    end += 1
                yield "code", ch.lower() * (end - i), end
                i = end
            else:
                kind = "digit" if ch in "0#?" else ch if ch in ";@" else "lit"
                yield kind, ch, i + 1
                i += 1


def _literal(section: str) -> str:
    """What a section shows around its number or text."""
    return "".join(text for kind, text, _ in _tokens(section) if kind == "lit")


def _text_shown(value: str, number_format: str) -> str:
    """Text in a format with a text section (4th, or the only one when it has @) is shown
    through it; a number-only format shows text unchanged."""
    parts = sections(number_format)
    section = parts[3] if len(parts) >= 4 else parts[0] if len(parts) == 1 else ""
    if not any(kind == "@" for kind, _, _ in _tokens(section)):
        return value
    return "".join(value if kind == "@" else text
                   for kind, text, _ in _tokens(section) if kind in ("@", "lit"))


def _number_mismatch(value: float, number_format: str, shown: str) -> str | None:
    parts = sections(number_format)
    if any(kind == "bracket" and code[:1] in "<>=" for part in parts
           for kind, code, _ in _tokens(part)):
        return f"the check cannot read the conditional format {number_format!r}"
    if value < 0 and len(parts) >= 2:
        section = parts[1]  # shows the absolute value, with its own sign or parentheses
    elif value == 0 and len(parts) >= 3:
        section = parts[2]
    else:
        section = parts[0]
    found = _NUMBER.findall(shown)
    if not found:  # ;;; hides the number, an accounting format shows zero as "-"
        if shown.strip() == _literal(section).strip() and not any(
                kind == "digit" and text == "0" for kind, text, _ in _tokens(section)):
            return None
        return "not a number"
    if len(found) > 1:
        return "more than one number (a date? a fraction, which the check cannot read?)"
    digits, exponent = found[0]
    decimals = len(digits.partition(".")[2])
    # Built as text: 10.0 ** -324 would underflow to 0 where 5E-324 is a number.
    percent = 0.01 if "%" in shown else 1
    number = float(f"{digits.replace(',', '')}e{int(exponent or 0)}") * percent
    step = float(f"0.5e{int(exponent or 0) - decimals}") * percent
    minus = re.sub(r"E-", "", shown, flags=re.IGNORECASE)
    negative = "-" in minus or ("(" in shown and ")" in shown)
    if len(parts) == 1 and negative != (value < 0):
        return "the sign differs"
    # Shown with ``decimals`` places: anything it rounds from is the same number.
    if abs(number - abs(value)) > step + 1e-9 * abs(value):
        return "a different number"
    return None


def _date_pattern(section: str) -> str | None:
    """A strptime pattern for a date/time format; None for what the check does not read
    (elapsed [h]:mm, General, a single-letter month, A/P)."""
    tokens = list(_tokens(section))
    codes = [text for kind, text, _ in tokens if kind == "code"]
    twelve = "AM/PM" in codes
    out: list[str] = []
    seen = 0
    for kind, text, _ in tokens:
        if kind == "bracket":
            if text.strip("hHmMsS") == "":
                return None  # elapsed time
        elif kind == "digit":  # ss.00: fractions of a second
            if out[-2:] == ["%S", "."]:
                out[-1] = ".%f"
            elif out[-1:] != [".%f"]:
                return None
        elif kind == "lit":
            out.append(text.replace("%", "%%"))
        elif kind != "code":
            return None
        else:
            before, after = codes[seen - 1:seen] if seen else [], codes[seen + 1:seen + 2]
            seen += 1
            if text in ("m", "mm") and (before and before[0][0] == "h"
                                        or after and after[0][0] == "s"):
                out.append("%M")
            elif text[0] == "h":
                out.append("%I" if twelve else "%H")
            elif text in _DATE_CODES:
                out.append(_DATE_CODES[text])
            elif text[0] == "y":
                out.append("%Y")
            elif text[:4] == "dddd":
                out.append("%A")
            else:
                return None
    return "".join(out)


def _date_mismatch(value, number_format: str, shown: str) -> str | None:
    pattern = _date_pattern(sections(number_format)[0])
    patterns = [p for p in (pattern, _LOCALE_FORMS.get(number_format)) if p]
    if not patterns:
        return f"the check cannot read the date format {number_format!r}"
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime.combine(value, dt.time())
    else:
        moment = dt.datetime.combine(dt.date(1900, 1, 1), value)
    for pattern in patterns:
        try:
            parsed = dt.datetime.strptime(shown.strip(), pattern)
        except ValueError:
            continue
        if _same_moment(moment, parsed, pattern):
            return None
    return "a different date or time"


def _same_moment(moment: dt.datetime, parsed: dt.datetime, pattern: str) -> bool:
    """Whether every field the pattern shows agrees; the time to within its last shown field
    (shown values are rounded or cut)."""
    shown = {field for field, letters in _FIELDS.items()
             if any(f"%{letter}" in pattern for letter in letters)}
    year_ok = ("%Y" in pattern and parsed.year == moment.year) or (
        "%y" in pattern and parsed.year % 100 == moment.year % 100) or "year" not in shown
    if not (year_ok and ("month" not in shown or parsed.month == moment.month)
            and ("day" not in shown or parsed.day == moment.day)):
        return False
    units = {"second": 1, "minute": 60, "hour": 3600}
    unit = min((units[f] for f in shown if f in units), default=None)
    if unit is None:
        return True
    seconds = (moment - moment.replace(hour=0, minute=0, second=0, microsecond=0))
    shown_seconds = parsed.hour * 3600 + parsed.minute * 60 + parsed.second
    return abs(seconds.total_seconds() - shown_seconds) < unit
