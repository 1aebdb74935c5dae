"""Typed cells like Google keeps them: what the user entered, its format, and how it reads back.

A cell stores its userEnteredValue kind (numberValue, stringValue, boolValue, formulaValue) and
its userEnteredFormat. Input is parsed as RAW (never interpreted) or USER_ENTERED (as if typed
into the Sheets UI); output is rendered as UNFORMATTED_VALUE, FORMATTED_VALUE or FORMULA.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from typing import Any

from .errors import invalid

NUMBER = "numberValue"
STRING = "stringValue"
BOOL = "boolValue"
FORMULA = "formulaValue"
ERROR = "errorValue"

EPOCH = dt.datetime(1899, 12, 30)  # Google's (and Lotus's) day zero
DATE_TYPES = ("DATE", "DATE_TIME", "TIME")
DATE_FORMAT = {"type": "DATE", "pattern": "yyyy-mm-dd"}
DATE_TIME_FORMAT = {"type": "DATE_TIME", "pattern": "yyyy-mm-dd hh:mm:ss"}


@dataclass
class Cell:
    """One cell: a typed value (kind None when only formatted) plus format and validation."""

    kind: str | None = None
    value: Any = None
    format: dict = field(default_factory=dict)
    validation: dict | None = None

    def is_blank(self) -> bool:
        return self.kind is None

    def entered(self) -> dict | None:
        """The API's userEnteredValue (an ExtendedValue) or None."""
        return None if self.kind is None else {self.kind: self.value}


# ---------------------------------------------------------------- input parsing


@dataclass(frozen=True)
class Parsed:
    """A parsed input: the value to store and the number format typing implies (dates)."""

    kind: str | None
    value: Any = None
    number_format: dict | None = None


_NUMBER = re.compile(
    r"(?P<sign>[+-])?(?P<cur>[$£€])?(?P<num>(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|\.\d+)"
    r"(?P<exp>[eE][+-]?\d+)?(?P<pct>%)?"
)
_ISO_DATE = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?")
_SLASH_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})(?: (\d{1,2}):(\d{2})(?::(\d{2}))?)?")
_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?")


def parse_raw(value: Any) -> Parsed:
    """RAW input: JSON types kept, a string is never parsed (not even `=1+1`)."""
    if isinstance(value, bool):
        return Parsed(BOOL, value)
    if isinstance(value, (int, float)):
        return Parsed(NUMBER, _number(value))
    if isinstance(value, str):
        return Parsed(STRING, value) if value != "" else Parsed(None)
    raise invalid(f"Invalid values[0][0]: {type(value).__name__}_value")


def parse_user_entered(value: Any, locale: str = "en_US") -> Parsed:
    """USER_ENTERED input: parsed as if a user typed it into the Sheets UI."""
    if not isinstance(value, str):
        return parse_raw(value)
    if value == "":
        return Parsed(None)
    if value.startswith("'"):
        # A leading apostrophe forces text and is not part of the value.
        return Parsed(STRING, value[1:])
    text = value.strip()
    if text.startswith("=") and len(text) > 1:
        return Parsed(FORMULA, text)
    number = _parse_number(text)
    if number is not None:
        return number
    if text.startswith(("+", "-")) and len(text) > 1:
        # The Sheets UI treats a leading + or - as the start of a formula: `+44 20 7946 0000`
        # becomes `=+44 20 7946 0000`, a formula parse error.
        return Parsed(FORMULA, "=" + text)
    if text.upper() in ("TRUE", "FALSE"):
        return Parsed(BOOL, text.upper() == "TRUE")
    when = _parse_date(text, locale)
    if when is not None:
        return when
    return Parsed(STRING, value)


def _number(value: float | int) -> float | int:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        raise invalid("Invalid values: NaN and infinity are not numbers Sheets can store.")
    return value


def _parse_number(text: str) -> Parsed | None:
    match = _NUMBER.fullmatch(text.replace(" ", "") if text.endswith("%") else text)
    if not match:
        return None
    number = float(match["num"].replace(",", "") + (match["exp"] or ""))
    if match["sign"] == "-":
        number = -number
    fmt = None
    if match["pct"]:
        number /= 100
        fmt = {"type": "PERCENT", "pattern": "0%" if "." not in match["num"] else "0.00%"}
    elif match["cur"]:
        fmt = {"type": "CURRENCY", "pattern": f'"{match["cur"]}"#,##0.00'}
    return Parsed(NUMBER, tidy_number(number), fmt)


def _parse_date(text: str, locale: str) -> Parsed | None:
    iso = _ISO_DATE.fullmatch(text)
    slash = _SLASH_DATE.fullmatch(text)
    try:
        if iso:
            y, m, d = int(iso[1]), int(iso[2]), int(iso[3])
            clock = iso.groups()[3:]
        elif slash:
            a, b, y = int(slash[1]), int(slash[2]), int(slash[3])
            y = y + 2000 if y < 30 else (y + 1900 if y < 100 else y)
            m, d = (a, b) if locale.endswith("US") else (b, a)
            clock = slash.groups()[3:]
        else:
            only = _TIME.fullmatch(text)
            if not only or int(only[1]) > 23:
                return None
            seconds = int(only[1]) * 3600 + int(only[2]) * 60 + int(only[3] or 0)
            return Parsed(NUMBER, tidy_number(seconds / 86400), {"type": "TIME"})
        when = dt.datetime(y, m, d)
    except ValueError:
        return None
    if clock[0] is not None:
        hours, minutes, seconds = (int(part or 0) for part in clock)
        when += dt.timedelta(hours=hours, minutes=minutes, seconds=seconds)
        return Parsed(NUMBER, to_serial(when), DATE_TIME_FORMAT)
    pattern = "yyyy-mm-dd" if iso else ("m/d/yyyy" if locale.endswith("US") else "dd/mm/yyyy")
    return Parsed(NUMBER, to_serial(when), {"type": "DATE", "pattern": pattern})


def parse_python(value: Any, value_input: str = "USER_ENTERED", locale: str = "en_US") -> Parsed:
    """A Python value from a test: dates become date serials with a date format."""
    if isinstance(value, dt.datetime):
        return Parsed(NUMBER, to_serial(value), DATE_TIME_FORMAT)
    if isinstance(value, dt.date):
        return Parsed(NUMBER, to_serial(value), DATE_FORMAT)
    if value_input == "RAW":
        return parse_raw(value)
    return parse_user_entered(value, locale)


def apply_parsed(cell: Cell, parsed: Parsed) -> None:
    """Store a parsed input; a date's format is set only when the cell has no number format."""
    cell.kind, cell.value = parsed.kind, parsed.value
    if parsed.number_format and "numberFormat" not in cell.format:
        # A new dict, never an edit in place: clones of a sheet share format dicts.
        cell.format = {**cell.format, "numberFormat": dict(parsed.number_format)}


# ---------------------------------------------------------------- dates and numbers


def to_serial(when: dt.date | dt.datetime) -> int | float:
    if not isinstance(when, dt.datetime):
        when = dt.datetime(when.year, when.month, when.day)
    delta = when - EPOCH
    return tidy_number(delta.days + delta.seconds / 86400)


def from_serial(serial: float) -> dt.datetime:
    return EPOCH + dt.timedelta(days=serial)


def tidy_number(value: float | int) -> float | int:
    """Integral numbers as int, as Google's JSON writes them (5, not 5.0)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def is_date_format(fmt: dict | None) -> bool:
    return bool(fmt) and (fmt.get("numberFormat") or {}).get("type") in DATE_TYPES


_DATE_TOKENS = re.compile(
    r"yyyy|yy|mmmm|mmm|mm|m|dddd|ddd|dd|d|hh|h|ss|s|am/pm|a/p|\"[^\"]*\"|\\.|.", re.I
)
_DEFAULT_PATTERNS = {"DATE": "yyyy-mm-dd", "DATE_TIME": "yyyy-mm-dd hh:mm:ss", "TIME": "hh:mm:ss"}


def format_date(serial: float, number_format: dict) -> str:
    """A serial as Sheets displays it under a date pattern (the common tokens only)."""
    pattern = number_format.get("pattern") or _DEFAULT_PATTERNS[number_format["type"]]
    when = from_serial(serial + 1e-9)  # round half-second noise down to the displayed second
    tokens = _DATE_TOKENS.findall(pattern)
    twelve = any(t.lower() in ("am/pm", "a/p") for t in tokens)
    out, after_hour = [], False
    for tok in tokens:
        low = tok.lower()
        hour = (when.hour % 12 or 12) if twelve else when.hour
        if low in ("mm", "m") and after_hour:
            text = f"{when.minute:02d}" if low == "mm" else str(when.minute)
        else:
            text = {
                "yyyy": f"{when.year:04d}",
                "yy": f"{when.year % 100:02d}",
                "mmmm": when.strftime("%B"),
                "mmm": when.strftime("%b"),
                "mm": f"{when.month:02d}",
                "m": str(when.month),
                "dddd": when.strftime("%A"),
                "ddd": when.strftime("%a"),
                "dd": f"{when.day:02d}",
                "d": str(when.day),
                "hh": f"{hour:02d}",
                "h": str(hour),
                "ss": f"{when.second:02d}",
                "s": str(when.second),
                "am/pm": "AM" if when.hour < 12 else "PM",
                "a/p": "A" if when.hour < 12 else "P",
            }.get(low)
            if text is None:
                text = tok[1:-1] if tok.startswith('"') else tok.lstrip("\\")
        if low in ("hh", "h"):
            after_hour = True
        elif low not in (":",) and low.strip():
            after_hour = after_hour and low in ("mm", "m")
        out.append(text)
    return "".join(out)


def format_number(value: float | int, fmt: dict | None) -> str:
    """A number as Sheets displays it: date, percent, currency, fixed decimals or automatic."""
    number_format = (fmt or {}).get("numberFormat") or {}
    kind = number_format.get("type")
    if kind in DATE_TYPES:
        return format_date(value, number_format)
    pattern = number_format.get("pattern", "")
    if kind == "PERCENT":
        return _fixed(value * 100, pattern or "0.00%") + "%"
    if kind == "CURRENCY":
        symbol = re.search(r'"([^"]*)"|([$£€])', pattern)
        sign = "-" if value < 0 else ""
        cur = (symbol.group(1) or symbol.group(2)) if symbol else "$"
        return f"{sign}{cur}{_fixed(abs(value), pattern or '#,##0.00')}"
    if kind in ("NUMBER", "SCIENTIFIC") and pattern:
        return _fixed(value, pattern)
    return _automatic(value)


def _fixed(value: float, pattern: str) -> str:
    core = pattern.split(";")[0].strip('%"$£€ ')
    decimals = len(core.split(".")[1].rstrip("%")) if "." in core else 0
    return f"{value:,.{decimals}f}" if "," in core else f"{value:.{decimals}f}"


def _automatic(value: float | int) -> str:
    value = tidy_number(value)
    if isinstance(value, int):
        return str(value)
    return f"{value:.10g}"


# ---------------------------------------------------------------- rendering


def render(effective: tuple, fmt: dict | None, value_render: str, date_render: str) -> Any:
    """One effective value (kind, value, ...) as the values API returns it ("" for blank)."""
    kind, value = effective[0], effective[1]
    if kind is None:
        return ""
    if value_render == "FORMATTED_VALUE":
        return formatted(effective, fmt)
    if kind == NUMBER:
        if date_render == "FORMATTED_STRING" and is_date_format(fmt):
            return format_number(value, fmt)
        return tidy_number(value)
    return value  # strings, booleans, and error codes such as "#NAME?"


def formatted(effective: tuple, fmt: dict | None) -> str:
    kind, value = effective[0], effective[1]
    if kind is None:
        return ""
    if kind == NUMBER:
        return format_number(value, fmt)
    if kind == BOOL:
        return "TRUE" if value else "FALSE"
    return str(value)


def sort_key(effective: tuple) -> tuple:
    """Sheets' ascending order: numbers, then text (case-insensitive), then booleans, errors."""
    kind, value = effective[0], effective[1]
    rank = {NUMBER: 0, STRING: 1, BOOL: 2, ERROR: 3}.get(kind or "", 4)
    if kind == STRING:
        return (rank, value.casefold())
    return (rank, value)
