"""The calendar export: valid iCalendar (parsed back with the icalendar package), stable UIDs,
follow-ups placed in the Email Time and the Call Blocks, and the drafts in the descriptions."""

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

import icalendar
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from sheetfollow.cli import cli  # noqa: F401  (cli_daily reuses cli.py's options: import it first)
from sheetfollow.cli_daily import calendar, calendar_plan
from sheetfollow.due import DueItem
from sheetfollow.ics import (
    calendar_text,
    description,
    escape_text,
    event_uid,
    fold,
    place,
    resolve_zone,
    select,
    summary,
)
from sheetfollow.model import Link
from sheetfollow.newbook import create_excel_workbook
from sheetfollow.settings import Settings

TODAY = dt.date(2026, 11, 23)  # a Monday


def item(lead_id="L-0001", due=TODAY, channel="email", **fields) -> DueItem:
    values = dict(lead_id=lead_id, name="Ana Souza", company="Acme", due=due,
                  days_overdue=max((TODAY - due).days, 0), channel=channel, step="3/5",
                  to="ana@acme.example", subject="Our call, Ana", message="Hi Ana,\n\nShall we?",
                  link=Link("mailto:ana@acme.example?subject=Our%20call", "Open"), value=1200.0,
                  flag="DUE", why="step 3/5, 7 days after the email of 2026-11-16")
    values.update(fields)
    return DueItem(**values)


def parse(text: str) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(text)


def events(text: str) -> dict[str, icalendar.Event]:
    return {str(e["UID"]): e for e in parse(text).walk("VEVENT")}


def run(*args):
    return CliRunner().invoke(calendar, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def workbook(tmp_path):
    path = tmp_path / "leads.xlsx"
    create_excel_workbook(path, example=True, today=TODAY)
    return path


def test_event_fields_round_trip():
    overdue = item("L-0007", due=TODAY - dt.timedelta(days=7), name="Zoë, Hart; \\ Co",
                   message="Line one,\nline two; with \\ backslash\r\nthree")
    text = calendar_text([overdue], Settings(), TODAY)
    event = events(text)["L-0007-2026-11-16@sheetfollow"]
    assert str(event["SUMMARY"]) == "Email Zoë, Hart; \\ Co (Acme) — step 3/5"
    assert str(event["DESCRIPTION"]) == description(overdue)
    assert str(event["DESCRIPTION"]).startswith(
        "Overdue: 7 days (due 2026-11-16)\nTo: ana@acme.example\nSubject: Our call, Ana\n\n"
        "Line one,\nline two; with \\ backslash\nthree\n\n"
        "Open: mailto:ana@acme.example?subject=Our%20call\n")
    assert str(event["URL"]) == "mailto:ana@acme.example?subject=Our%20call"
    assert event.decoded("DTSTART") == dt.datetime(2026, 11, 23, 8, 30)  # overdue: today
    assert event.decoded("DTEND") == dt.datetime(2026, 11, 23, 8, 45)
    assert event.decoded("DTSTAMP") == dt.datetime(2026, 11, 23, tzinfo=dt.timezone.utc)


def test_summaries():
    assert summary(item()) == "Email Ana Souza (Acme) — step 3/5"
    assert summary(item(channel="call", company="")) == "Call Ana Souza — step 3/5"
    assert summary(item(channel="whatsapp", step="first contact")) == \
        "WhatsApp Ana Souza (Acme) — first contact"
    assert summary(item(channel="linkedin", step="nurture")) == \
        "LinkedIn message to Ana Souza (Acme) — nurture"


def test_rfc5545_lines_crlf_and_folding():
    long = item(message="é" * 300 + " " + "x" * 300, subject="€" * 80)
    text = calendar_text([long, item("L-0002")], Settings(time_zone="Europe/Paris"), TODAY,
                         ZoneInfo("Europe/Paris"))
    assert text.endswith("END:VCALENDAR\r\n")
    assert "\n" not in text.replace("\r\n", "")  # no bare LF, no bare CR
    lines = text.split("\r\n")[:-1]
    assert all(len(line.encode("utf-8")) <= 75 for line in lines)
    assert any(line.startswith(" ") for line in lines)  # something was folded
    text.encode("utf-8").decode("utf-8")  # never split inside a character
    assert str(events(text)["L-0001-2026-11-23@sheetfollow"]["DESCRIPTION"]) == \
        description(long)


def test_fold_keeps_characters_whole():
    line = "DESCRIPTION:" + "日本" * 50
    folded = fold(line)
    assert folded.replace("\r\n ", "") == line
    assert all(len(part.encode()) <= 75 for part in folded.split("\r\n"))


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc"))
               | st.sampled_from("\n\r,;:\\\"\t"), max_size=400))
def test_any_text_round_trips(text):
    wanted = text.replace("\r\n", "\n").replace("\r", "\n")
    line = fold("DESCRIPTION:" + escape_text(text))
    parsed = icalendar.Event.from_ical("BEGIN:VEVENT\r\n" + line + "\r\nEND:VEVENT\r\n")
    assert str(parsed["DESCRIPTION"]) == wanted


def test_calls_fill_the_blocks_in_15_minute_slots_then_overflow():
    calls = [item(f"L-{n:04d}", channel="call", value=float(100 - n)) for n in range(10)]
    placed = place(calls, Settings(), TODAY)
    starts = [p.start.strftime("%H:%M") for p in placed]
    assert starts == ["08:00", "08:15", "08:30", "08:45", "17:00", "17:15", "17:30", "17:45",
                      "18:00", "18:15"]
    assert [p.item.lead_id for p in placed] == [f"L-{n:04d}" for n in range(10)]  # by value
    assert all(p.end - p.start == dt.timedelta(minutes=15) for p in placed)


def test_overdue_calls_come_first_and_days_are_separate():
    settings = Settings(call_blocks=((dt.time(9, 0), dt.time(9, 30)),),
                        email_time=dt.time(7, 45))
    tomorrow = TODAY + dt.timedelta(days=1)
    placed = place([item("L-0001", channel="call"),
                    item("L-0002", channel="call", due=TODAY - dt.timedelta(days=3)),
                    item("L-0003", channel="call", due=tomorrow),
                    item("L-0004", channel="sms", due=tomorrow),
                    item("L-0005", channel="linkedin")], settings, TODAY)
    when = {p.item.lead_id: p.start for p in placed}
    assert when == {"L-0002": dt.datetime(2026, 11, 23, 9, 0),
                    "L-0001": dt.datetime(2026, 11, 23, 9, 15),
                    "L-0005": dt.datetime(2026, 11, 23, 7, 45),
                    "L-0003": dt.datetime(2026, 11, 24, 9, 0),
                    "L-0004": dt.datetime(2026, 11, 24, 7, 45)}


def test_overlapping_blocks_never_double_book():
    settings = Settings(call_blocks=((dt.time(8, 0), dt.time(8, 30)),
                                     (dt.time(8, 15), dt.time(9, 0))))
    placed = place([item(f"L-{n}", channel="call") for n in range(4)], settings, TODAY)
    assert [p.start.strftime("%H:%M") for p in placed] == ["08:00", "08:15", "08:30", "08:45"]


def test_time_zone_with_vtimezone():
    zone = ZoneInfo("Europe/London")
    summer = dt.date(2027, 7, 5)
    text = calendar_text([item(), item("L-0002", due=summer)], Settings(), TODAY, zone)
    assert "DTSTART;TZID=Europe/London:20261123T083000\r\n" in text
    cal = parse(text)
    found = events(text)
    assert found["L-0001-2026-11-23@sheetfollow"].decoded("DTSTART").utcoffset() == \
        dt.timedelta(0)
    assert found["L-0002-2027-07-05@sheetfollow"].decoded("DTSTART").utcoffset() == \
        dt.timedelta(hours=1)
    # The VTIMEZONE itself tells the offsets right, for any client that reads it.
    vtz = next(iter(cal.walk("VTIMEZONE")))
    assert str(vtz["TZID"]) == "Europe/London"
    tz = vtz.to_tz()
    for moment in (dt.datetime(2026, 3, 29, 0, 59), dt.datetime(2026, 3, 29, 2, 0),
                   dt.datetime(2026, 10, 25, 0, 59), dt.datetime(2026, 10, 25, 1, 0),
                   dt.datetime(2027, 7, 5, 8, 30), dt.datetime(2027, 12, 1, 12, 0)):
        utc = moment.replace(tzinfo=dt.timezone.utc)
        assert utc.astimezone(tz).utcoffset() == utc.astimezone(zone).utcoffset(), moment
    onsets = [str(c.decoded("DTSTART")) for c in vtz.walk("DAYLIGHT")]
    assert "2026-03-29 01:00:00" in onsets and "2027-03-28 01:00:00" in onsets


def test_zone_without_changes_and_southern_hemisphere():
    for name in ("Asia/Tokyo", "Australia/Sydney", "America/St_Johns", "UTC"):
        zone = ZoneInfo(name)
        text = calendar_text([item()], Settings(), TODAY, zone)
        vtz = next(iter(parse(text).walk("VTIMEZONE")))
        tz = vtz.to_tz()
        for month in range(1, 13):
            utc = dt.datetime(2026, month, 15, 12, tzinfo=dt.timezone.utc)
            assert utc.astimezone(tz).utcoffset() == utc.astimezone(zone).utcoffset(), name


def test_resolve_zone():
    assert resolve_zone("Europe/Berlin", "America/New_York")[0] == ZoneInfo("Europe/Berlin")
    assert resolve_zone("", "America/New_York") == (ZoneInfo("America/New_York"), [])
    zone, problems = resolve_zone("Mars/Olympus", None)
    assert zone is None and "Settings (Time Zone): 'Mars/Olympus' is not a time zone" in \
        problems[0]
    assert resolve_zone("", None) == (None, [])


def test_floating_times_without_a_zone():
    text = calendar_text([item()], Settings(), TODAY)
    assert "VTIMEZONE" not in text and "DTSTART:20261123T083000\r\n" in text
    assert events(text)["L-0001-2026-11-23@sheetfollow"].decoded("DTSTART").tzinfo is None


def test_select_takes_due_and_the_next_days():
    due = [item("L-1", due=TODAY - dt.timedelta(days=2)), item("L-2")]
    upcoming = [item("L-3", due=TODAY + dt.timedelta(days=n)) for n in (1, 3, 5)]
    assert [i.lead_id for i in select(due, upcoming, TODAY, 3)] == ["L-1", "L-2", "L-3", "L-3"]


def test_sequence_rises_with_today_and_uid_stays():
    follow_up = item(due=TODAY + dt.timedelta(days=2))
    first = events(calendar_text([follow_up], Settings(), TODAY))
    later = events(calendar_text([dataclasses.replace(follow_up)], Settings(),
                                 TODAY + dt.timedelta(days=4)))
    assert list(first) == list(later) == [event_uid(follow_up)]
    uid = event_uid(follow_up)
    assert later[uid]["SEQUENCE"] > first[uid]["SEQUENCE"] >= 0
    assert later[uid].decoded("DTSTART").date() == TODAY + dt.timedelta(days=4)  # overdue


def test_empty_calendar_is_still_a_calendar():
    text = calendar_text([], Settings(), TODAY)
    assert parse(text).walk("VEVENT") == []


def test_command_writes_a_calendar_of_the_workbook(workbook, tmp_path):
    out = tmp_path / "followups.ics"
    result = run(workbook, "-o", out, "--today", TODAY, "--days", 10)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"Wrote {out}: 23 follow-ups (17 due or overdue")
    text = out.read_bytes().decode("utf-8")
    found = events(text)
    plan, zone = calendar_plan(str(workbook), TODAY, 10)
    assert zone is None  # Excel has no zone of its own; the example's Settings set none
    items = plan.due + plan.upcoming
    assert set(found) == {event_uid(i) for i in items}
    for i in items:
        event = found[event_uid(i)]
        assert event.decoded("DTSTART").date() == max(i.due, TODAY)
        assert str(event["DESCRIPTION"]) == description(i)
        assert str(event["SUMMARY"]) == summary(i)
    again = tmp_path / "again.ics"
    run(workbook, "-o", again, "--today", TODAY, "--days", 10)
    assert again.read_bytes() == out.read_bytes()  # deterministic for a given --today


def test_days_defaults_to_upcoming_days_and_can_look_further(workbook, tmp_path):
    default = tmp_path / "default.ics"
    run(workbook, "-o", default, "--today", TODAY)
    near = tmp_path / "near.ics"
    run(workbook, "-o", near, "--today", TODAY, "--days", 0)
    far = tmp_path / "far.ics"
    run(workbook, "-o", far, "--today", TODAY, "--days", 60)
    counts = [len(events(p.read_text())) for p in (near, default, far)]
    assert counts[0] == 17 and counts[0] < counts[1] < counts[2]
    next_day = tmp_path / "next.ics"
    run(workbook, "-o", next_day, "--today", TODAY + dt.timedelta(days=1))
    shared = set(events(default.read_text())) & set(events(next_day.read_text()))
    assert shared  # the same follow-ups keep their UIDs from one day to the next


def test_output_to_stdout_and_settings_time_zone(workbook):
    import openpyxl

    wb = openpyxl.load_workbook(workbook)
    wb["Settings"].append(["Time Zone", "America/New_York"])
    wb.save(workbook)
    result = run(workbook, "-o", "-", "--today", TODAY)
    assert result.exit_code == 0
    assert result.stdout_bytes.startswith(b"BEGIN:VCALENDAR\r\n")
    assert "Wrote " in result.stderr and "in America/New_York time" in result.stderr
    assert b"DTSTART;TZID=America/New_York:20261123T083000\r\n" in result.stdout_bytes


def test_bad_target_and_bad_folder_are_one_line_errors(workbook, tmp_path):
    missing = run(tmp_path / "missing.xlsx", "-o", tmp_path / "x.ics")
    assert missing.exit_code == 1 and missing.stderr.startswith("Error: ")
    nowhere = run(workbook, "-o", tmp_path / "no" / "such" / "x.ics", "--today", TODAY)
    assert nowhere.exit_code == 1
    assert nowhere.stderr.startswith(f"Error: cannot write {tmp_path / 'no' / 'such' / 'x.ics'}")
    assert nowhere.stderr.count("\n") == 1
