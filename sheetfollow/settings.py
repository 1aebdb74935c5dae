"""The Settings tab: key/value rows with defaults (SPEC 4). A bad value is reported, never fatal."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from .columns import normalize_header
from .layout import DEFAULT_SETTINGS, DEFAULT_STAGES, NURTURE, REENGAGE, STAGE_KEY_PREFIX
from .model import EPOCH_1900, Grid
from .values import BadValue, as_text, read_date, read_weekday

KINDS = ("won", "lost", "stop")  # a stage maps to one of these, or to a cadence name (open)


@dataclass(frozen=True)
class StageRule:
    """What a stage means: ``kind`` is open, won, lost or stop; open stages name a cadence."""

    kind: str
    cadence: str | None = None
    unknown: bool = False  # the stage is not in the map; the lead follows the New stage's rule


@dataclass(frozen=True)
class Settings:
    sender_name: str = ""
    sender_company: str = ""
    signature: str = ""
    booking_link: str = ""
    time_zone: str = ""
    country: str = ""
    skip_weekends: bool = True
    avoid_days: frozenset[int] = frozenset()
    pause_until: dt.date | None = None
    day_first: bool | None = None
    upcoming_days: int = 7
    nurture_every: int = 90
    reengage_after: int = 120
    max_touches: int | None = None
    email_time: dt.time = dt.time(8, 30)
    call_blocks: tuple[tuple[dt.time, dt.time], ...] = (
        (dt.time(8, 0), dt.time(9, 0)), (dt.time(17, 0), dt.time(18, 0)))
    stages: dict[str, StageRule] = field(default_factory=dict)  # normalized stage -> rule
    explicit: frozenset[str] = frozenset()  # keys the user set in the tab

    def stage_rule(self, stage: str) -> StageRule | None:
        return self.stages.get(normalize_stage(stage))


def normalize_stage(stage: str) -> str:
    return normalize_header(stage)


def default_stage_rules() -> dict[str, StageRule]:
    return {normalize_stage(s): rule_for(v) for s, v in DEFAULT_STAGES}


def rule_for(value: str) -> StageRule:
    word = value.strip().casefold()
    if word in KINDS:
        return StageRule(word, REENGAGE if word == "lost" else None)
    return StageRule("open", word)


_TIME = re.compile(r"(\d{1,2})[:.h](\d{2})")


def _time(text: str) -> dt.time:
    m = _TIME.fullmatch(text.strip())
    if not m or int(m[1]) > 23 or int(m[2]) > 59:
        raise BadValue(f"'{text}' is not a time of day (use HH:MM, e.g. 08:30)")
    return dt.time(int(m[1]), int(m[2]))


def _blocks(text: str) -> tuple[tuple[dt.time, dt.time], ...]:
    blocks = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        start, sep, end = part.partition("-")
        if not sep:
            raise BadValue(f"'{part}' is not a time block (use HH:MM-HH:MM, e.g. 08:00-09:00)")
        a, b = _time(start), _time(end)
        if b <= a:
            raise BadValue(f"'{part}' ends before it starts")
        blocks.append((a, b))
    if not blocks:
        raise BadValue("no time block given (use HH:MM-HH:MM, e.g. 08:00-09:00)")
    return tuple(blocks)


def _whole(low: int, high: int):
    def read(text: str) -> int:
        try:
            number = float(text)
        except ValueError:
            raise BadValue(f"'{text}' is not a whole number from {low} to {high}") from None
        if not number.is_integer() or not low <= number <= high:
            raise BadValue(f"'{text}' is not a whole number from {low} to {high}")
        return int(number)
    return read


def _yes_no(text: str) -> bool:
    word = text.strip().casefold()
    if word in ("yes", "y", "true", "1", "on"):
        return True
    if word in ("no", "n", "false", "0", "off"):
        return False
    raise BadValue(f"'{text}' is not yes or no")


def _days(text: str) -> frozenset[int]:
    return frozenset(read_weekday(p) for p in re.split(r"[,;/ ]+", text) if p.strip())


def _order(text: str) -> bool | None:
    word = normalize_header(text)
    if word in ("dayfirst", "dmy", "dd/mm/yyyy", "day"):
        return True
    if word in ("monthfirst", "mdy", "mm/dd/yyyy", "month"):
        return False
    raise BadValue(f"'{text}' is not a date order (use: day first, month first)")


def _country(text: str) -> str:
    code = text.strip().upper()
    if not re.fullmatch(r"[A-Z]{2}(-[A-Z0-9]{1,3})?", code):
        raise BadValue(f"'{text}' is not a country code (use two letters, e.g. US, GB, DE, "
                       "or with a region, e.g. US-CA)")
    return code


def _link(text: str) -> str:
    if not re.match(r"https?://", text.strip(), re.I):
        raise BadValue(f"'{text}' is not a web address (it must start with https://)")
    return text.strip()


def _text(text: str) -> str:
    return text


# Setting key (normalized) -> (field, reader). Readers take the cell's text.
_READERS = {
    "sendername": ("sender_name", _text),
    "sendercompany": ("sender_company", _text),
    "signature": ("signature", _text),
    "bookinglink": ("booking_link", _link),
    "timezone": ("time_zone", lambda t: t.strip()),
    "country": ("country", _country),
    "skipweekends": ("skip_weekends", _yes_no),
    "avoiddays": ("avoid_days", _days),
    "dateorder": ("day_first", _order),
    "upcomingdays": ("upcoming_days", _whole(0, 60)),
    "nurtureeverydays": ("nurture_every", _whole(1, 3650)),
    "reengageafterdays": ("reengage_after", _whole(1, 3650)),
    "maxtouches": ("max_touches", _whole(1, 100)),
    "emailtime": ("email_time", _time),
    "callblocks": ("call_blocks", _blocks),
}
KNOWN_KEYS = {normalize_header(k) for k, _, _ in DEFAULT_SETTINGS}


def read_settings(grid: Grid | None, epoch: dt.date = EPOCH_1900) -> tuple[Settings, list[str]]:
    """Settings from the tab (or the defaults), plus a problem line for every bad row."""
    values: dict[str, object] = {}
    stages = default_stage_rules()
    problems: list[str] = []
    explicit: set[str] = set()
    tab = grid.name if grid else "Settings"
    for number, row in enumerate(grid.rows if grid else [], start=1):
        key = as_text(row[0] if row else None)
        raw = row[1] if len(row) > 1 else None
        norm = normalize_header(key)
        if not key or (number == 1 and norm in ("setting", "key", "settings", "name")):
            continue
        where = f"{tab} row {number} ({key})"
        if key.casefold().startswith(STAGE_KEY_PREFIX.strip().casefold()):
            stage = key[len(STAGE_KEY_PREFIX.strip()):].strip(" :")
            target = as_text(raw)
            if not stage or not target:
                problems.append(f"{where}: write the stage after 'Stage:' and a cadence name, "
                                "won, lost or stop as its value")
                continue
            stages[normalize_stage(stage)] = rule_for(target)
            continue
        if norm == "pauseuntil":
            try:
                values["pause_until"] = read_date(raw, epoch, None) if raw not in (None, "") \
                    else None
                explicit.add("pause_until")
            except BadValue as exc:
                problems.append(f"{where}: {exc}; use a date like 2026-08-31. Ignored.")
            continue
        if norm not in _READERS:
            problems.append(f"{where}: unknown setting; the settings are: "
                            + ", ".join(k for k, _, _ in DEFAULT_SETTINGS) + ", "
                            "and 'Stage: <name>' rows")
            continue
        name, reader = _READERS[norm]
        text = as_text(raw)
        if text == "":
            continue  # empty means default
        try:
            values[name] = reader(text)
            explicit.add(name)
        except BadValue as exc:
            problems.append(f"{where}: {exc}. Using the default.")
    settings = Settings(**values, stages=stages, explicit=frozenset(explicit))
    if len(settings.avoid_days | ({5, 6} if settings.skip_weekends else set())) >= 7:
        problems.append(f"{tab}: Avoid Days and Skip Weekends leave no day to follow up on; "
                        "ignoring Avoid Days.")
        settings = Settings(**{**values, "avoid_days": frozenset()}, stages=stages,
                            explicit=frozenset(explicit))
    return settings, problems


def settings_stage_cadences(settings: Settings) -> set[str]:
    """Every cadence name a stage refers to, plus the two the tool falls back on."""
    return {r.cadence for r in settings.stages.values() if r.cadence} | {NURTURE, REENGAGE}
