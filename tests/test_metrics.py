"""The Metrics figures (SPEC 8), computed by hand from a Log of known touches and outcomes."""

import datetime as dt
import json
import re

import openpyxl
import pytest
from click.testing import CliRunner
from helpers import serial

from sheetfollow import api
from sheetfollow.backends.memory import MemoryBackend
from sheetfollow.cli_metrics import metrics as metrics_command
from sheetfollow.layout import READ_TABS
from sheetfollow.metrics import (
    MIN_SAMPLE,
    chart_series,
    compute_metrics,
    event_rows,
    metrics_rows,
)
from sheetfollow.model import EPOCH_1900, CellError
from sheetfollow.newbook import create_excel_workbook
from sheetfollow.planner import Inputs, plan_sync
from sheetfollow.templatefiles import load_template_dir

D = dt.date
MON = D(2026, 11, 23)  # a Monday


def nov(day: int) -> dt.date:
    return D(2026, 11, day)


# The Leads tab the results come from (statuses on MON, first sight: the next date is the
# cadence's step 1 after Last Contact, moved off weekends).
LEADS = [
    ["Name", "Last Contact", "Stage", "Value", "ID"],
    ["Won no touch", nov(1), "Won", 1000, "L-0001"],  # WON
    ["Won one", nov(4), "Won", 2000, "L-0002"],
    ["Won two", nov(8), "Won", 3000, "L-0003"],
    ["Won three", nov(9), "Won", None, "L-0004"],
    ["Won six", nov(6), "Won", 5000, "L-0005"],
    ["Lost two", nov(14), "Lost", 600, "L-0006"],  # LOST (re-engage in 2027)
    ["Waiting", nov(21), "New", 700, "L-0007"],  # Sat 21 + 3 = Tue 24: UPCOMING
    ["Silent", nov(12), "contacted", 4000, "L-0008"],  # Thu 12 + 3 -> Mon 16: OVERDUE 7d
    ["Unsubscribed", nov(3), "Unsubscribed", None, "L-0009"],  # DNC
    ["Won before", nov(9), "Won", 1500, "L-0010"],  # WON
    ["Never contacted", None, "Contacted", 250, "L-0011"],  # DUE (first contact)
    ["No stage", nov(20), "", "$1,200", "L-0012"],  # Fri 20 + 3 = Mon 23: DUE
    ["Pilot", nov(10), "Pilot", 900, "L-0013"],  # Tue 10 + 3 = Fri 13: OVERDUE 10d
    ["Broken", "31/02/2025", "New", 99999, "L-0014"],  # INVALID: left out everywhere
    ["Quiet", nov(5), "Contacted", None, "L-0015"],  # Thu 5 + 3 -> Mon 9: OVERDUE 14d
]


def touch(day, lead, stage, due=None, source="sheet"):
    return [day, "touch", lead, "", stage, "prospect", "", "email", source, due]


def stage(day, lead, old, new):
    return [day, "stage", lead, "", new, "", "", "", f"{old} → {new}"]


# Dates as date objects, serial numbers and ISO text, in the order a Log would hold them
# except where a test says otherwise.
LOG = [
    # L-0001: won with no follow-up touch; a first-seen touch never counts (not even its Due).
    touch(nov(1), "L-0001", "New", nov(5), source="first seen"),
    stage(serial(nov(5)), "L-0001", "New", "Won"),
    # L-0002: 1 touch (on time), then won; the touch is pasted twice and counts once.
    touch(nov(1), "L-0002", "New", source="first seen"),
    touch(nov(4), "L-0002", "New", nov(4)),
    touch(nov(4), "L-0002", "New", nov(4)),
    stage(nov(6), "L-0002", "New", "Won"),
    # L-0003: touch 1 late; a stage change logged before touch 2 of the same day answers
    # touch 1; touch 2 (Due as a serial) is answered by the win.
    touch(nov(1), "L-0003", "New", source="first seen"),
    ["2026-11-03", "Touch", "L-0003", "", "New", "prospect", "1/5", "email", "done",
     serial(nov(2))],
    stage(nov(8), "L-0003", "New", "Contacted"),
    touch(serial(nov(8)), "L-0003", "Contacted", serial(nov(8))),
    stage(nov(10), "L-0003", "Contacted", "Won"),
    # L-0004: 3 touches (on time, on time, late); touch 2 and 3 answered; no Value.
    touch(nov(2), "L-0004", "Contacted", nov(3)),
    touch(nov(5), "L-0004", "Contacted", nov(5)),
    stage(nov(6), "L-0004", "Contacted", "Proposal Sent"),
    touch(nov(9), "L-0004", "Proposal Sent", nov(8)),
    stage(nov(12), "L-0004", "Proposal Sent", "Won"),
    # L-0005: 6 touches from an older Log without the Due column (short rows), out of order.
    stage(nov(7), "L-0005", "Proposal Sent", "Won"),
    [nov(6), "touch", "L-0005", "Won six", "Proposal Sent"],
    [nov(3), "touch", "L-0005", "Won six", "Proposal Sent"],
    [nov(1), "touch", "L-0005", "Won six", "Proposal Sent"],
    [nov(2), "touch", "L-0005", "Won six", "Proposal Sent"],
    [nov(5), "touch", "L-0005", "Won six", "Proposal Sent"],
    [nov(4), "touch", "L-0005", "Won six", "Proposal Sent"],
    # L-0006: a Due that is not a date; touch 2 (late) and the loss logged the same day.
    touch(nov(10), "L-0006", "Proposal Sent", "soon"),
    touch(nov(14), "L-0006", "Proposal Sent", nov(13)),
    stage(nov(14), "L-0006", "Proposal Sent", "Lost"),
    # L-0007: one late touch, still waiting for an answer (its next date is tomorrow).
    touch(nov(21), "L-0007", "New", nov(20)),
    # L-0008: two touches on time, no answer, and now overdue: both unanswered.
    touch(nov(10), "L-0008", "contacted", nov(10)),
    touch(nov(12), "L-0008", "contacted", nov(15)),
    # L-0009: answered by an unsubscribe.
    touch(nov(3), "L-0009", "Contacted", nov(3)),
    stage(nov(4), "L-0009", "Contacted", "Unsubscribed"),
    # L-0010: won before sheetfollow saw it; a later touch (asking for a referral) is unanswered.
    touch(nov(1), "L-0010", "Won", source="first seen"),
    touch(nov(9), "L-0010", "Won"),
]
JUNK = [
    ["Date", "Event", "ID", "Name", "Stage", "Cadence", "Step", "Channel", "Source", "Due"],
    [None, "touch", "L-0002"],  # no date
    ["31/02/2025", "touch", "L-0003", "", "New"],  # not a real date
    [serial(nov(4)), "touch", "", "Nobody"],  # no ID
    [nov(4), "note", "L-0001", "", "New"],  # not an event sheetfollow writes
    ["2026-11-01"],  # a short row
    [CellError("#REF!"), "touch", "L-0004"],  # a formula error
    [],  # blank rows are not junk, just blank
    [None, "", None, ""],
]


def plan_for(leads=LEADS, log=None, today=MON):
    tabs = {"Leads": [list(r) for r in leads]}
    if log is not None:
        tabs["Log"] = log
    backend = MemoryBackend(tabs)
    data = backend.read(READ_TABS)
    return backend, plan_sync(data, Inputs(load_template_dir(None)), today)


@pytest.fixture(scope="module")
def plan():
    return plan_for()[1]


@pytest.fixture(scope="module")
def metrics(plan):
    rows = LOG[:3] + JUNK[:4] + LOG[3:] + JUNK[4:]
    return compute_metrics(rows, plan.leads, plan.settings, MON, EPOCH_1900)


EXPECTED_ROWS = [
    ["Metric", "Value", "Detail"],
    ["As of", MON, "from 32 Log events; 7 unreadable Log rows ignored"],
    [],
    ["Pipeline by stage", "Leads", "Value"],
    ["New", 1, 700.0],
    ["Contacted", 3, 4250.0],  # "contacted" counts here; the most used spelling names it
    ["Won", 6, 12500.0],
    ["Lost", 1, 600.0],
    ["Unsubscribed", 1, 0.0],
    ["(no stage)", 1, 1200.0],  # stages outside the map: alphabetical, after it
    ["Pilot", 1, 900.0],
    ["Open pipeline", 6, 7050.0],
    [],
    ["Today", "Value", "Detail"],
    ["Due today", 2, "of 14 leads"],
    ["Overdue", 3, "of 14 leads"],
    ["Value at risk (overdue)", 4900.0, "3 leads overdue (1 without a value)"],
    [],
    ["Follow-up effectiveness", "Value", "Detail"],
    ["On-time touches (%)", 63.6, "7 of 11 touches on or before their due date"],
    ["Conversion after follow-up (%)", 50.0,
     "4 of 8 leads won (1 lost, 1 stopped, 2 still open)"],
    ["Average touches to close", 2.4, "12 touches before the win, over 5 won leads"],
    ["Revenue recovered (2+ follow-ups)", 8000.0,
     "3 leads won after 2 or more follow-ups (1 without a value)"],
    [],
    ["Response rate by touch number", "Answered (%)", "Detail"],
    ["1", 37.5, "3 of 8 touches answered; 1 still waiting"],
    ["2", 60.0, "3 of 5 touches answered"],
    ["3", None, "too few data (2 touches)"],
    ["4", None, "too few data (1 touch)"],
    ["5", None, "too few data (1 touch)"],
    ["6+", None, "too few data (1 touch)"],
]


def test_plan_gives_the_statuses_the_figures_assume(plan):
    status = {r.lead.id: r.outcome.status for r in plan.leads}
    assert status == {
        "L-0001": "WON", "L-0002": "WON", "L-0003": "WON", "L-0004": "WON", "L-0005": "WON",
        "L-0006": "LOST", "L-0007": "UPCOMING", "L-0008": "OVERDUE", "L-0009": "DNC",
        "L-0010": "WON", "L-0011": "DUE", "L-0012": "DUE", "L-0013": "OVERDUE",
        "L-0014": "INVALID", "L-0015": "OVERDUE"}


def test_pipeline_by_stage(metrics):
    assert [(s.stage, s.kind, s.leads, s.value) for s in metrics.stages] == [
        ("New", "open", 1, 700.0), ("Contacted", "open", 3, 4250.0), ("Won", "won", 6, 12500.0),
        ("Lost", "lost", 1, 600.0), ("Unsubscribed", "stop", 1, 0.0),
        ("(no stage)", "open", 1, 1200.0), ("Pilot", "open", 1, 900.0)]
    total = metrics.open_pipeline
    assert (total.leads, total.value) == (6, 7050.0)


def test_today_figures(metrics):
    assert (metrics.due_today.value, metrics.due_today.sample) == (2, 14)
    assert (metrics.overdue.value, metrics.overdue.sample) == (3, 14)  # the INVALID row is out
    risk = metrics.value_at_risk
    assert (risk.value, risk.sample) == (4900.0, 3)  # 4000 + 900 + no value


def test_on_time_rate_counts_follow_up_touches_with_a_due_date(metrics):
    on_time = metrics.on_time
    # With a Due: L2 1, L3 2, L4 3, L6 1 (the other's Due is not a date), L7 1, L8 2, L9 1.
    # Late: L3's first (Nov 3 > Nov 2), L4's third, L6's second, L7's.
    assert (on_time.part, on_time.sample, on_time.value) == (7, 11, 0.636)


def test_response_rate_by_touch_number(metrics):
    figures = metrics.responses
    # Touch 1: answered by L2 (won), L3 (stage change logged before touch 2 the same day),
    # L9 (unsubscribed); not by L4, L5, L6, L8, L10; L7's is still waiting, left out.
    assert (figures[0].part, figures[0].sample, figures[0].value) == (3, 8, 0.375)
    # Touch 2: L3, L4, L6 (the loss logged after it the same day) answered; L5, L8 not.
    assert (figures[1].part, figures[1].sample, figures[1].value) == (3, 5, 0.6)
    # Touch 3: L4 yes, L5 no; touches 4, 5 and 6+: L5 only (its 6th touch was answered).
    assert [(f.part, f.sample, f.value) for f in figures[2:]] == [
        (1, 2, None), (0, 1, None), (0, 1, None), (1, 1, None)]
    assert figures[2].detail == "too few data (2 touches)"
    assert figures[3].detail == "too few data (1 touch)"
    assert all(f.too_few for f in figures[2:]) and not figures[1].too_few


def test_touches_to_close_and_revenue_recovered(metrics):
    close = metrics.touches_to_close
    # Won leads: L1 0, L2 1, L3 2, L4 3, L5 6 touches before the win; L10 was won before.
    assert (close.value, close.sample) == (2.4, 5)
    revenue = metrics.revenue_recovered
    assert (revenue.value, revenue.sample) == (8000.0, 3)  # L3 3000 + L4 (no value) + L5 5000


def test_a_won_lead_deleted_from_leads_still_counts_without_its_value(plan):
    gone = [touch(nov(2), "L-0099", "New"), touch(nov(5), "L-0099", "New"),
            stage(nov(6), "L-0099", "New", "Won")]
    figures = compute_metrics(LOG + gone, plan.leads, plan.settings, MON, EPOCH_1900)
    revenue = figures.revenue_recovered
    assert (revenue.value, revenue.sample) == (8000.0, 4)
    assert revenue.detail == "4 leads won after 2 or more follow-ups (2 without a value)"
    assert (figures.touches_to_close.value, figures.touches_to_close.sample) == (2.33, 6)


def test_conversion_of_leads_that_needed_follow_up(metrics):
    conversion = metrics.conversion
    # At least one touch before the win (or at all): L2-L5 won, L6 lost, L9 stopped, L7 and L8
    # open. L1 had no touch; L10 was already won.
    assert (conversion.part, conversion.sample, conversion.value) == (4, 8, 0.5)


def test_metrics_rows(metrics):
    assert metrics_rows(metrics) == EXPECTED_ROWS


def test_rows_are_stable_however_the_inputs_are_ordered(plan, metrics):
    again = compute_metrics(list(reversed(LOG)) + JUNK, list(reversed(plan.leads)),
                            plan.settings, MON, EPOCH_1900)
    # Reversing the Log swaps same-day events: only L3's touch 1 and L6's touch 2 move.
    assert metrics_rows(again)[:24] == EXPECTED_ROWS[:24]
    twice = compute_metrics(LOG + JUNK, plan.leads, plan.settings, MON, EPOCH_1900)
    assert metrics_rows(twice) == metrics_rows(metrics) == EXPECTED_ROWS


def test_junk_log_rows_are_ignored(plan):
    clean = compute_metrics(LOG, plan.leads, plan.settings, MON, EPOCH_1900)
    dirty = compute_metrics(JUNK + LOG + JUNK, plan.leads, plan.settings, MON, EPOCH_1900)
    assert clean.ignored_rows == 0 and dirty.ignored_rows == 14
    assert metrics_rows(dirty)[2:] == metrics_rows(clean)[2:]


def test_chart_series_point_at_their_cells(metrics):
    rows = metrics_rows(metrics)
    charts = chart_series(metrics)
    responses = charts["responses"]
    assert responses.labels == ("1", "2", "3", "4", "5", "6+")
    assert responses.values == (37.5, 60.0, None, None, None, None)
    assert (responses.label_range, responses.value_range) == ("A26:A31", "B26:B31")
    pipeline = charts["pipeline"]
    assert pipeline.labels == ("New", "Contacted", "Won", "Lost", "Unsubscribed", "(no stage)",
                               "Pilot")
    assert (pipeline.label_range, pipeline.value_range) == ("A5:A11", "C5:C11")
    for series in charts.values():
        cells = rows[series.first_row - 1:series.last_row]
        assert tuple(r[series.label_col - 1] for r in cells) == series.labels
        assert tuple(r[series.value_col - 1] for r in cells) == series.values


def test_too_few_data_everywhere_on_an_empty_log():
    _, plan = plan_for([["Name", "Stage", "Value"], ["Ana", "New", 100]])
    empty = compute_metrics([], plan.leads, plan.settings, MON, EPOCH_1900)
    for figure in (empty.on_time, empty.conversion, empty.touches_to_close, *empty.responses):
        assert figure.value is None and figure.too_few and figure.sample == 0
    assert empty.on_time.detail == "too few data (0 touches)"
    assert empty.touches_to_close.detail == "too few data (0 won leads)"
    assert empty.conversion.detail == "too few data (0 leads)"
    assert (empty.revenue_recovered.value, empty.revenue_recovered.sample) == (0.0, 0)
    charts = chart_series(empty)
    assert charts["pipeline"].labels == ("New",)
    assert charts["responses"].values == (None,) * 6


def test_a_rate_shows_from_min_sample_data_points(plan):
    """Four touches say "too few data", five give the rate."""
    def on_time(count):
        log = [touch(nov(d), "L-0007", "New", nov(d)) for d in range(1, count + 1)]
        return compute_metrics(log, plan.leads, plan.settings, MON, EPOCH_1900).on_time

    assert MIN_SAMPLE == 5
    four, five = on_time(4), on_time(5)
    assert (four.value, four.part, four.sample, four.detail) == (
        None, 4, 4, "too few data (4 touches)")
    assert (five.value, five.part, five.sample) == (1.0, 5, 5)


def test_this_syncs_events_count_once_written(tmp_path):
    """Figures from the Log as read plus this sync's events equal those from the Log the sync
    wrote, so a second sync the same day finds the same Metrics tab."""
    backend, first = plan_for()
    before = compute_metrics(event_rows(first.events), first.leads, first.settings, MON,
                             EPOCH_1900)
    backend.apply(first.changes)
    data = backend.read(READ_TABS)
    second = plan_sync(data, Inputs(load_template_dir(None)), MON)
    assert not second.events
    after = compute_metrics(data.grid("Log").rows[1:] + event_rows(second.events), second.leads,
                            second.settings, MON, EPOCH_1900)
    assert metrics_rows(after) == metrics_rows(before)
    assert after.events == before.events == 13  # a first-seen touch per lead with a date


def test_event_rows_follow_the_log_header(plan):
    row = event_rows([e for e in plan.events if e.lead_id == "L-0007"])[0]
    assert row == [nov(21), "touch", "L-0007", "Waiting", "New", "prospect", "", "", "first seen",
                   None]


# -- the command ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def followed_book(tmp_path_factory):
    """The example workbook synced four days running: three touches on Tuesday, a win on
    Wednesday."""
    path = tmp_path_factory.mktemp("metrics") / "pipeline.xlsx"
    create_excel_workbook(path, example=True, today=MON)
    api.sync(path, MON)
    edit(path, {"L-0004": {"Last Contact": nov(24)}, "L-0005": {"Last Contact": nov(24)},
                "L-0006": {"Last Contact": nov(24)}})
    api.sync(path, nov(24))
    edit(path, {"L-0004": {"Stage": "Won"}})
    api.sync(path, nov(25))
    api.sync(path, nov(26))
    return path


def edit(path, changes):
    """Set Leads cells by lead ID and header, as a user would."""
    wb = openpyxl.load_workbook(path)
    ws = wb["Leads"]
    header = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        lead = row[header.index("ID")].value
        for name, value in changes.get(lead, {}).items():
            row[header.index(name)].value = value
    wb.save(path)


def run(*args):
    return CliRunner().invoke(metrics_command, [str(a) for a in args], catch_exceptions=False)


def test_cli_json(followed_book):
    result = run(followed_book, "--today", "2026-11-26", "--json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["as_of"] == "2026-11-26"
    assert data["log"] == {"events": 29, "ignored_rows": 0}  # 25 first seen, 3 touches, 1 win
    won = next(s for s in data["pipeline"] if s["stage"] == "Won")
    assert won == {"stage": "Won", "kind": "won", "leads": 3, "value": 14750.0}
    first = data["response_rate_by_touch"][0]
    # L-0004's touch was answered by the win; L-0005's and L-0006's wait for their next date.
    assert first == {"touch": "1", "value": None, "sample": 1, "unit": "touches", "part": 1,
                     "detail": "too few data (1 touch)", "too_few_data": True}
    follow_up = data["follow_up"]
    assert (follow_up["touches_to_close"]["sample"],
            follow_up["touches_to_close"]["detail"]) == (1, "too few data (1 won lead)")
    assert (follow_up["conversion_rate"]["part"], follow_up["conversion_rate"]["sample"]) == (1, 3)
    assert follow_up["on_time_rate"]["sample"] == 3  # each answered a written next date
    assert follow_up["revenue_recovered"]["value"] == 0.0  # won after one touch only


def test_cli_text(followed_book):
    result = run(followed_book, "--today", "2026-11-26")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert re.fullmatch(r"As of +2026-11-26  from 29 Log events", lines[1])
    assert any(re.fullmatch(r"Won +3 +14,750", line) for line in lines)
    assert any(re.fullmatch(r"Average touches to close +too few data \(1 won lead\)", line)
               for line in lines)
    assert any(re.fullmatch(r"1 +too few data \(1 touch\)", line) for line in lines)
    # Values line up: every number of a section ends in the same column.
    pipeline = lines[lines.index(next(x for x in lines if x.startswith("Pipeline"))):]
    pipeline = pipeline[:pipeline.index("")]
    assert len({len(line) for line in pipeline}) == 1


def test_cli_errors(tmp_path):
    result = run(tmp_path / "missing.xlsx")
    assert result.exit_code == 1
    assert "Error: " in result.output and "missing.xlsx" in result.output
    bad = run(tmp_path / "missing.xlsx", "--today", "2026-13-01")
    assert bad.exit_code == 2 and "'2026-13-01' is not a date; use YYYY-MM-DD" in bad.output
