"""Follow-ups as calendar events (iCalendar, RFC 5545), placed in time blocks. Pure: no clock,
no I/O; the command line writes the text to a file.

Emails, texts, LinkedIn notes and letters start at the Settings' Email Time; calls fill the Call
Blocks in 15-minute slots, one after the other, overflowing into the next block (and past the
last one). Overdue follow-ups are placed today. Each event's UID is ``<lead id>-<due date>
@sheetfollow``, so importing a newer export updates the events instead of duplicating them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from . import __version__
from .due import DueItem, due_order
from .settings import Settings

SLOT = dt.timedelta(minutes=15)
MAX_DAYS = 60  # the longest look-ahead (Upcoming Days, --days); see sequence()
PRODID = f"-//sheetfollow//sheetfollow {__version__}//EN"
LINE_OCTETS = 75  # RFC 5545 3.1: lines longer than this are folded
VERBS = {"email": "Email", "call": "Call", "sms": "Text", "whatsapp": "WhatsApp",
         "linkedin": "LinkedIn message to", "letter": "Letter to"}
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # not allowed in TEXT; tab and newline are


@dataclass(frozen=True)
class Placed:
    """A follow-up given a time: wall-clock times in the calendar's zone (or floating)."""

    item: DueItem
    start: dt.datetime
    end: dt.datetime


def resolve_zone(settings_zone: str, sheet_zone: str | None) -> tuple[ZoneInfo | None, list[str]]:
    """The calendar's time zone: the Settings' Time Zone, else the spreadsheet's (Google), else
    None (floating times: the calendar app's own zone). A bad name is reported and skipped."""
    problems = []
    for name, where in ((settings_zone, "Settings (Time Zone)"),
                        (sheet_zone, "the spreadsheet's time zone")):
        if not name:
            continue
        try:
            return ZoneInfo(name), problems
        except (ZoneInfoNotFoundError, ValueError):
            problems.append(f"{where}: '{name}' is not a time zone; use a name such as "
                            "Europe/London or America/New_York")
    return None, problems


def select(due: Iterable[DueItem], upcoming: Iterable[DueItem], today: dt.date,
           days: int) -> list[DueItem]:
    """The follow-ups of the calendar: every due or overdue one, and those of the next days."""
    last = today + dt.timedelta(days=days)
    return list(due) + [item for item in upcoming if item.due <= last]


def place(items: Iterable[DueItem], settings: Settings, today: dt.date) -> list[Placed]:
    """Give each follow-up a start and an end (see the module's docstring), sorted by time."""
    by_day: dict[dt.date, list[DueItem]] = {}
    for item in items:
        by_day.setdefault(max(item.due, today), []).append(item)
    placed = []
    for day, day_items in by_day.items():
        calls = _call_slots(day, settings.call_blocks)
        for item in sorted(day_items, key=due_order):  # the most urgent call gets the first slot
            start = (next(calls) if item.channel == "call"
                     else dt.datetime.combine(day, settings.email_time))
            placed.append(Placed(item, start, start + SLOT))
    return sorted(placed, key=lambda p: (p.start, p.item.lead_id))


def _call_slots(day: dt.date, blocks: tuple[tuple[dt.time, dt.time], ...]):
    """15-minute slots through the blocks in order of time, then on after the last block.
    Overlapping blocks never give the same slot twice."""
    free = dt.datetime.combine(day, dt.time(0, 0))  # the first moment not given out yet
    for begin, end in sorted(blocks):
        start = max(dt.datetime.combine(day, begin), free)
        while start + SLOT <= dt.datetime.combine(day, end):
            yield start
            start += SLOT
            free = start
    start = max(free, dt.datetime.combine(day, max((e for _, e in blocks),
                                                   default=dt.time(9, 0))))
    while True:
        yield start
        start += SLOT


def calendar_text(items: Iterable[DueItem], settings: Settings, today: dt.date,
                  zone: ZoneInfo | None = None, name: str = "Follow-ups") -> str:
    """The .ics file: a VCALENDAR with a VTIMEZONE (when ``zone``) and one VEVENT per item.

    Everything depends only on the arguments: the same follow-ups on the same ``today`` give
    the same bytes (DTSTAMP is ``today`` at midnight UTC, not the time of the export).
    """
    placed = place(items, settings, today)
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN",
             "METHOD:PUBLISH", f"X-WR-CALNAME:{escape_text(name)}"]
    if zone is not None:
        lines.append(f"X-WR-TIMEZONE:{zone.key}")
        days = [p.start.date() for p in placed] or [today]
        lines += vtimezone(zone, min(days), max(days))
    stamp = f"{today:%Y%m%d}T000000Z"
    for p in placed:
        lines += event_lines(p, stamp, today, zone)
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)


def event_lines(p: Placed, stamp: str, today: dt.date, zone: ZoneInfo | None) -> list[str]:
    item = p.item
    lines = ["BEGIN:VEVENT", f"UID:{escape_text(event_uid(item))}", f"DTSTAMP:{stamp}",
             f"SEQUENCE:{sequence(item, today)}",
             _when("DTSTART", p.start, zone), _when("DTEND", p.end, zone),
             f"SUMMARY:{escape_text(summary(item))}",
             f"DESCRIPTION:{escape_text(description(item))}"]
    if item.link is not None:
        lines.append(f"URL:{item.link.url}")  # a URI value: percent-encoded, never escaped
    lines += [f"CATEGORIES:{escape_text(item.channel)}", "TRANSP:OPAQUE", "END:VEVENT"]
    return lines


def event_uid(item: DueItem) -> str:
    """Stable across exports: the lead and the date the follow-up fell due."""
    return f"{item.lead_id}-{item.due.isoformat()}@sheetfollow"


def sequence(item: DueItem, today: dt.date) -> int:
    """The event's revision: one more each day it is exported, the same for the same day.

    A follow-up can appear at most MAX_DAYS before its due date, so counting the days since
    then never goes below zero and rises with ``today``: calendar apps that honour SEQUENCE take
    each new export as the newer version (an overdue follow-up moves to today, a draft changes).
    """
    return max((today - item.due).days + MAX_DAYS, 0)


def summary(item: DueItem) -> str:
    """``Email Ana Souza (Acme) — step 3/5``."""
    verb = VERBS.get(item.channel, item.channel.capitalize() or "Follow up")
    who = f"{item.name} ({item.company})" if item.company else item.name
    step = f"step {item.step}" if "/" in item.step else item.step
    return f"{verb} {who} — {step}" if step else f"{verb} {who}"


def description(item: DueItem) -> str:
    """The draft and what is needed to act on it: address, subject, message, link, why."""
    head = []
    if item.days_overdue:
        head.append(f"Overdue: {item.days_overdue} day{'s' if item.days_overdue != 1 else ''} "
                    f"(due {item.due.isoformat()})")
    if item.to:
        head.append(f"To: {item.to}")
    if item.subject:
        head.append(f"Subject: {item.subject}")
    parts = ["\n".join(head)] if head else []
    if item.message:
        parts.append(item.message)
    tail = []
    if item.link is not None:
        tail.append(f"Open: {item.link.url}")
    if item.why:
        tail.append(f"Why: {item.why}")
    tail.append(f"Lead: {item.lead_id}")
    parts.append("\n".join(tail))
    return "\n\n".join(parts).replace("\r\n", "\n").replace("\r", "\n")


def escape_text(text: str) -> str:
    """A TEXT value (RFC 5545 3.3.11): backslash, semicolon, comma and new lines escaped."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\n", "\\n"))


def fold(line: str) -> str:
    """Split a content line into lines of at most 75 octets (RFC 5545 3.1), never inside a
    UTF-8 character; each continuation starts with a space."""
    if len(line) * 4 <= LINE_OCTETS or len(line.encode("utf-8")) <= LINE_OCTETS:
        return line
    pieces, current, size = [], [], 0
    for char in line:
        octets = len(char.encode("utf-8"))
        if size + octets > LINE_OCTETS:
            pieces.append("".join(current))
            current, size = [" "], 1
        current.append(char)
        size += octets
    pieces.append("".join(current))
    return "\r\n".join(pieces)


def _when(name: str, moment: dt.datetime, zone: ZoneInfo | None) -> str:
    value = f"{moment:%Y%m%dT%H%M%S}"
    return f"{name};TZID={zone.key}:{value}" if zone is not None else f"{name}:{value}"


# ---------------------------------------------------------------- VTIMEZONE

def vtimezone(zone: ZoneInfo, first: dt.date, last: dt.date) -> list[str]:
    """A VTIMEZONE for ``zone`` covering the years from ``first`` to ``last``: the observance in
    force on 1 January of the first year, then one per change of UTC offset, each with its own
    DTSTART (no RRULE: exact for those years, whatever the zone's rules were or will be)."""
    begin = dt.datetime(first.year, 1, 1, tzinfo=zone)
    end = dt.datetime(last.year + 1, 1, 1, tzinfo=zone)
    lines = ["BEGIN:VTIMEZONE", f"TZID:{zone.key}"]
    offset = begin.utcoffset()
    lines += _observance(begin, offset, offset)
    for moment, before in _transitions(zone, begin.astimezone(dt.timezone.utc),
                                       end.astimezone(dt.timezone.utc)):
        lines += _observance(moment, before, moment.utcoffset())
    lines.append("END:VTIMEZONE")
    return lines


def _transitions(zone: ZoneInfo, start: dt.datetime, end: dt.datetime):
    """(first local moment with the new offset, the offset before) for each change in
    [start, end), found day by day and then to the minute."""
    day = dt.timedelta(days=1)
    low = start
    before = low.astimezone(zone).utcoffset()
    while low < end:
        high = min(low + day, end)
        after = high.astimezone(zone).utcoffset()
        if after != before:
            lo, hi = low, high  # the change happens in (lo, hi]
            while hi - lo > dt.timedelta(minutes=1):
                mid = lo + (hi - lo) / 2
                mid = mid.replace(second=0, microsecond=0)
                if mid <= lo:
                    mid = lo + dt.timedelta(minutes=1)
                if mid.astimezone(zone).utcoffset() == before:
                    lo = mid
                else:
                    hi = mid
            yield hi.astimezone(zone), before
            before = after
        low = high


def _observance(moment: dt.datetime, before, after) -> list[str]:
    kind = "DAYLIGHT" if moment.dst() else "STANDARD"
    # DTSTART is the onset in the local time of the offset in force before it (RFC 5545 3.6.5).
    onset = (moment.astimezone(dt.timezone.utc) + before).replace(tzinfo=None)
    lines = [f"BEGIN:{kind}", f"DTSTART:{onset:%Y%m%dT%H%M%S}",
             f"TZOFFSETFROM:{_offset(before)}", f"TZOFFSETTO:{_offset(after)}"]
    if moment.tzname():
        lines.append(f"TZNAME:{escape_text(moment.tzname())}")
    lines.append(f"END:{kind}")
    return lines


def _offset(delta: dt.timedelta) -> str:
    seconds = int(delta.total_seconds())
    sign = "-" if seconds < 0 else "+"
    hours, rest = divmod(abs(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{sign}{hours:02d}{minutes:02d}" + (f"{secs:02d}" if secs else "")
