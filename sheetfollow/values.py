"""Reading what people type into cells: dates, money, yes/no, weekdays.

Each reader returns a clean value or raises ``BadValue`` whose message says what is wrong with the
text, so the caller can name the cell.
"""

from __future__ import annotations

import datetime as dt
import math
import re

from .model import CellError, Value


class BadValue(ValueError):
    """A cell's content cannot be read as the kind of value its column needs."""


MONTHS = {
    name: number
    for number, names in enumerate(
        [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
         ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
         ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
         ("dec", "december")],
        start=1,
    )
    for name in names
}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

_ISO = re.compile(
    r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?Z?")
_NUMERIC = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{2}|\d{4})(?: \d{1,2}:\d{2}(?::\d{2})?)?")
_DAY_MONTH = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?[ \-/.]+([a-z]+)\.?,?[ \-/.]+(\d{4})")
_MONTH_DAY = re.compile(r"([a-z]+)\.?[ \-/.]+(\d{1,2})(?:st|nd|rd|th)?,?[ \-/.]+(\d{4})")
_LEADING_WEEKDAY = re.compile(r"^(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)[a-z]*\.?,?\s+")


def serial_to_date(serial: float, epoch: dt.date) -> dt.date:
    """A spreadsheet serial number as a date; the time of day (the fraction) is dropped."""
    return epoch + dt.timedelta(days=math.floor(serial))


def date_to_serial(day: dt.date, epoch: dt.date) -> int:
    return (day - epoch).days


def read_date(value: Value, epoch: dt.date, day_first: bool | None) -> dt.date | None:
    """A date from a cell: a serial number, or text (ISO first, then the configured day order).

    ``day_first`` None means the order is not configured: text such as 03/04/2025, which could be
    either, is refused as ambiguous rather than guessed.
    """
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value.date() if isinstance(value, dt.datetime) else value
    if isinstance(value, bool):
        raise BadValue(f"{str(value).upper()} is not a date")
    if isinstance(value, CellError):
        raise BadValue(f"the formula shows {value.code}")
    if isinstance(value, (int, float)):
        if not 0 < value < (dt.date.max - epoch).days + 1:  # 9999-12-31 in either system
            raise BadValue(f"the number {number_shown(value)} is not a date")
        return serial_to_date(value, epoch)
    day = parse_date_text(str(value), day_first)
    if day is not None and day <= epoch:
        # It could not be written back (to Next Date, to the Log) as a date of this workbook.
        first = (epoch + dt.timedelta(days=1)).isoformat()
        raise BadValue(f"'{_shown(str(value).strip())}' is before {first}, the first date this "
                       "workbook's date system can hold")
    return day


def number_shown(value: float) -> str:
    """A number as a message shows it: 3000000, not 3e+06."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _shown(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "..."


def parse_date_text(text: str, day_first: bool | None) -> dt.date | None:
    """Parse date-looking text; '' is no date. Raises BadValue naming the problem."""
    raw = text.strip()
    if not raw:
        return None
    shown = _shown(raw)
    low = _LEADING_WEEKDAY.sub("", raw.casefold())
    try:
        if m := _ISO.fullmatch(low):
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        if m := _NUMERIC.fullmatch(low):
            a, b, year = int(m[1]), int(m[2]), int(m[3])
            if len(m[3]) == 2:
                year += 2000
            if a > 12 or b > 12 or a == b:
                day, month = (a, b) if a > 12 or (a == b) else (b, a)
                if a > 12 and b > 12:
                    raise BadValue(f"'{shown}' is not a date")
            elif day_first is None:
                raise BadValue(
                    f"'{shown}' is ambiguous (day or month first?): type it as "
                    f"{year:04d}-MM-DD or set Date Order in Settings"
                )
            else:
                day, month = (a, b) if day_first else (b, a)
            return dt.date(year, month, day)
        if m := _DAY_MONTH.fullmatch(low):
            if m[2] in MONTHS:
                return dt.date(int(m[3]), MONTHS[m[2]], int(m[1]))
        if m := _MONTH_DAY.fullmatch(low):
            if m[1] in MONTHS:
                return dt.date(int(m[3]), MONTHS[m[1]], int(m[2]))
    except ValueError as exc:
        if isinstance(exc, BadValue):
            raise
        raise BadValue(f"'{shown}' is not a real date") from None
    raise BadValue(f"'{shown}' is not a date; type it as YYYY-MM-DD")


_MONEY_JUNK = re.compile(r"[\s$€£¥₹₽₩₺₪¢\u00a0\u202f']|(?i:usd|eur|gbp|chf|cad|aud|jpy|inr)")


def read_money(value: Value) -> float | None:
    """A deal value: a number, or currency text like "$1,200", "€1.200,50", "(300)"."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise BadValue(f"{str(value).upper()} is not an amount")
    if isinstance(value, CellError):
        raise BadValue(f"the formula shows {value.code}")
    if isinstance(value, (int, float)):
        if math.isnan(value) or math.isinf(value):
            raise BadValue("is not a number")
        return float(value)
    text = str(value).strip()
    negative = text.startswith("(") and text.endswith(")")
    cleaned = _MONEY_JUNK.sub("", text.strip("()"))
    if cleaned.startswith("-"):
        negative, cleaned = True, cleaned[1:]
    if cleaned.endswith(("k", "K")) and re.fullmatch(r"\d+(?:[.,]\d+)?[kK]", cleaned):
        return _signed(float(cleaned[:-1].replace(",", ".")) * 1000, negative)
    if not re.fullmatch(r"[\d.,]+", cleaned) or not re.search(r"\d", cleaned):
        raise BadValue(f"'{text[:40]}' is not an amount")
    if "," in cleaned and "." in cleaned:
        decimal = "," if cleaned.rfind(",") > cleaned.rfind(".") else "."
        thousands = "." if decimal == "," else ","
        cleaned = cleaned.replace(thousands, "").replace(decimal, ".")
    elif "," in cleaned:
        # 1,200 and 1,200,000 are thousands; 12,5 is a decimal comma.
        parts = cleaned.split(",")
        if all(len(p) == 3 for p in parts[1:]):
            cleaned = cleaned.replace(",", "")
        elif len(parts) == 2:
            cleaned = cleaned.replace(",", ".")
        else:
            raise BadValue(f"'{text[:40]}' is not an amount")
    elif cleaned.count(".") > 1:
        if all(len(p) == 3 for p in cleaned.split(".")[1:]):
            cleaned = cleaned.replace(".", "")
        else:
            raise BadValue(f"'{text[:40]}' is not an amount")
    return _signed(float(cleaned), negative)


def _signed(amount: float, negative: bool) -> float:
    return -amount if negative else amount


_YES = {"yes", "y", "true", "1", "x", "✓", "✔", "☑", "done", "dnc", "unsubscribed", "stop"}
_NO = {"", "no", "n", "false", "0", "-", "☐"}


def read_yes(value: Value) -> bool:
    """A yes/no cell: TRUE, yes, x, a tick... Anything unrecognised counts as no."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value != 0
    return str(value).strip().casefold() in _YES


def read_weekday(text: str) -> int:
    """Monday=0 ... Sunday=6 from "Mon", "monday", "Tu"..."""
    word = text.strip().casefold().rstrip(".")
    if len(word) >= 2:
        for number, name in enumerate(WEEKDAYS):
            if name.startswith(word):
                return number
    raise BadValue(f"'{text}' is not a weekday (use Mon, Tue, Wed, Thu, Fri, Sat or Sun)")


def as_text(value: Value) -> str:
    """A cell shown as text: numbers without a useless .0, nothing as ''."""
    kind = type(value)
    if kind is str:
        return value.strip()
    if value is None:
        return ""
    if kind is bool:
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.date):
        return value.date().isoformat() if isinstance(value, dt.datetime) else value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
