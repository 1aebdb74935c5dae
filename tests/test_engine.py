"""The cadence rules of SPEC 3 and the flags of SPEC 5, with concrete dates.

2026-11-23 is a Monday; 2026-11-26 is Thanksgiving (a US holiday).
"""

import datetime as dt

import pytest

from sheetfollow.cadence import default_cadences
from sheetfollow.engine import LeadRow, LeadState, Rules, follow_up
from sheetfollow.schedule import Calendar
from sheetfollow.settings import Settings, default_stage_rules

D = dt.date
MON = D(2026, 11, 23)


def rules(today=MON, **options):
    settings = Settings(stages=default_stage_rules(), **options)
    return Rules(settings, default_cadences(settings), Calendar(settings), today)


def lead(**fields):
    base = {"row": 2, "id": "L-0001", "name": "Ana Souza", "email": "ana@example.com",
            "phone": "+44 20 7946 0000", "notes": "Wants faster invoicing", "stage": "New"}
    return LeadRow(**{**base, **fields})


def sync_days(row, days, state=None, **options):
    """Run the engine on consecutive sync days, feeding each day's state to the next."""
    outcome = None
    for day in days:
        outcome = follow_up(row(day) if callable(row) else row, state, rules(day, **options))
        state = outcome.state
    return outcome


def test_never_contacted_lead_is_due_today_for_a_first_touch():
    out = follow_up(lead(), None, rules())
    assert (out.status, out.next_date) == ("DUE", MON)
    assert out.step.template == "first_contact" and out.step.channel == "email"
    assert out.step_label == "first contact: email"


def test_first_touch_uses_the_preferred_channel_when_reachable():
    out = follow_up(lead(preferred_channel="whatsapp"), None, rules())
    assert out.step.channel == "whatsapp"
    out = follow_up(lead(preferred_channel="whatsapp", phone=""), None, rules())
    assert out.step.channel == "email"


def test_ignored_first_touch_becomes_overdue():
    first = follow_up(lead(), None, rules())
    later = follow_up(lead(), first.state, rules(D(2026, 11, 25)))
    assert (later.status, later.next_date) == ("OVERDUE", MON)


def test_first_seen_with_last_contact_starts_at_step_one():
    out = follow_up(lead(last_contact=D(2026, 11, 19), method="call"), None, rules())
    # Thursday 19 + 3 days = Sunday 22 -> moved to Monday 23: due today.
    assert (out.status, out.next_date) == ("DUE", MON)
    assert out.step.number == 1 and out.step.channel == "email"
    assert out.step_label == "1/5 email: recap the conversation and the agreed next step"
    assert [e.source for e in out.events] == ["first seen"]


def test_wait_lands_on_weekend_moves_to_monday():
    out = follow_up(lead(last_contact=D(2026, 11, 25)), None, rules())
    assert out.next_date == D(2026, 11, 30)  # Wed + 3 = Sat 28 -> Mon 30
    assert out.status == "UPCOMING"


def test_weekends_kept_when_setting_off():
    out = follow_up(lead(last_contact=D(2026, 11, 25)), None, rules(skip_weekends=False))
    assert out.next_date == D(2026, 11, 28)


def test_holiday_of_configured_country_is_skipped():
    # Mon 23 + 3 = Thu 26, Thanksgiving in the US -> Fri 27.
    assert follow_up(lead(last_contact=MON), None, rules()).next_date == D(2026, 11, 26)
    assert follow_up(lead(last_contact=MON), None, rules(country="US")).next_date == D(2026, 11, 27)


def test_avoided_weekdays_and_preferred_weekday():
    out = follow_up(lead(last_contact=MON), None, rules(avoid_days=frozenset({3, 4})))
    assert out.next_date == D(2026, 11, 30)  # Thu and Fri avoided, weekend skipped
    out = follow_up(lead(last_contact=MON, preferred_day=1), None, rules())
    assert out.next_date == D(2026, 12, 1)  # the lead's Tuesday after Thu 26


def test_pause_until_shifts_earlier_dates():
    out = follow_up(lead(last_contact=MON), None, rules(pause_until=D(2026, 12, 5)))
    assert out.next_date == D(2026, 12, 7)  # Sat 5 -> Mon 7


def test_touch_advances_to_next_step_waiting_after_that_touch():
    first = follow_up(lead(last_contact=D(2026, 11, 19)), None, rules())
    touched = lead(last_contact=MON, method="email")
    out = follow_up(touched, first.state, rules())
    assert out.step.number == 2 and out.step.channel == "call"
    assert out.next_date == D(2026, 11, 27)  # Mon + 4
    assert [(e.kind, e.step, e.channel, e.source) for e in out.events] == [
        ("touch", "1/5", "email", "sheet")]


def test_stage_change_restarts_at_step_one_of_new_cadence():
    first = follow_up(lead(last_contact=D(2026, 11, 12)), None, rules(D(2026, 11, 16)))
    out = follow_up(lead(last_contact=MON, stage="Proposal Sent"), first.state, rules())
    assert out.cadence.name == "proposal" and out.step.number == 1
    assert out.next_date == D(2026, 11, 25)  # proposal step 1 waits 2 days
    assert [e.kind for e in out.events] == ["touch", "stage"]
    assert out.events[1].source == "New → Proposal Sent"


def test_final_step_done_moves_to_nurture_without_touching_stage():
    state = LeadState(id="L-0001", stage="New", cadence="prospect", step=4,
                      last_touch=D(2026, 11, 2), touches=5, cadence_touches=4,
                      first_seen=D(2026, 10, 1))
    before = follow_up(lead(last_contact=D(2026, 11, 2)), state, rules())
    assert "final touch" in before.warnings and before.step.number == 5
    out = follow_up(lead(last_contact=MON), state, rules())
    assert out.cadence.name == "nurture" and out.state.cadence == "nurture"
    assert out.next_date == D(2027, 2, 22)  # Mon + 90 days = Sun 21 Feb -> Mon 22
    assert out.status == "NURTURE" and out.step_label.startswith("nurture 1/1 email")


def test_nurture_repeats_every_90_days():
    state = LeadState(id="L-0001", stage="New", cadence="nurture", step=0,
                      last_touch=D(2026, 8, 1), touches=6, first_seen=D(2026, 1, 5))
    out = follow_up(lead(last_contact=MON), state, rules())
    assert out.cadence.name == "nurture" and out.next_date == D(2027, 2, 22)
    out2 = follow_up(lead(last_contact=D(2027, 2, 22)), out.state, rules(D(2027, 2, 22)))
    assert out2.next_date == D(2027, 5, 24)  # 90 days after, Sun 23 May -> Mon 24


def test_max_touches_sends_to_nurture_early():
    state = LeadState(id="L-0001", stage="New", cadence="prospect", step=1,
                      last_touch=D(2026, 11, 10), touches=2, cadence_touches=1)
    out = follow_up(lead(last_contact=MON), state, rules(max_touches=2))
    assert out.cadence.name == "nurture"


def test_lost_lead_reengaged_once_after_120_days_then_left_alone():
    out = follow_up(lead(stage="Lost", last_contact=D(2026, 8, 1)), None, rules())
    assert out.cadence.name == "reengage" and out.next_date == D(2026, 11, 30)  # Sat 29 -> Mon
    assert out.status == "UPCOMING"
    far = follow_up(lead(stage="Lost", last_contact=D(2026, 11, 20)), None, rules())
    assert far.status == "LOST" and far.next_date == D(2027, 3, 22)
    done = follow_up(lead(stage="Lost", last_contact=D(2026, 12, 1)), out.state,
                     rules(D(2026, 12, 1)))
    assert (done.status, done.next_date, done.step) == ("LOST", None, None)


@pytest.mark.parametrize("fields", [{"stage": "Won"}, {"dnc": True}, {"stage": "Unsubscribed"},
                                    {"stage": "Do Not Contact"}])
def test_stops_have_no_date_and_no_step(fields):
    out = follow_up(lead(last_contact=D(2026, 11, 1), **fields), None, rules())
    assert out.next_date is None and out.step is None
    assert out.status == ("WON" if fields.get("stage") == "Won" else "DNC")


def test_won_clears_the_date_the_sync_wrote_but_keeps_the_users():
    first = follow_up(lead(last_contact=D(2026, 11, 19)), None, rules())
    assert first.write_next and first.state.written_next == MON
    won = follow_up(lead(last_contact=D(2026, 11, 19), next_date=MON, stage="Won"),
                    first.state, rules())
    assert won.write_next and won.next_date is None
    users = follow_up(lead(next_date=D(2026, 12, 1), stage="Won"), None, rules())
    assert not users.write_next


def test_users_date_is_agreed_until_a_touch_on_or_after_it():
    first = follow_up(lead(last_contact=D(2026, 11, 19)), None, rules())
    friday = D(2026, 11, 27)
    agreed = follow_up(lead(last_contact=D(2026, 11, 19), next_date=friday), first.state,
                       rules())
    assert (agreed.status, agreed.next_date, agreed.write_next) == ("AGREED", friday, False)
    # Still agreed the next day, and overdue once it passed without a touch.
    later = follow_up(lead(last_contact=D(2026, 11, 19), next_date=friday), agreed.state,
                      rules(D(2026, 11, 30)))
    assert later.status == "OVERDUE" and later.next_date == friday
    # A touch before the agreed date keeps it; a touch on it resumes the cadence.
    early = follow_up(lead(last_contact=D(2026, 11, 24), next_date=friday), agreed.state,
                      rules(D(2026, 11, 24)))
    assert early.next_date == friday and early.status == "AGREED"
    resumed = follow_up(lead(last_contact=friday, next_date=friday), early.state,
                        rules(friday))
    assert resumed.write_next and resumed.state.agreed is None
    assert resumed.next_date == D(2026, 12, 4)  # step 3 (linkedin) waits 7 days: Fri -> Fri


def test_date_present_on_first_sight_is_the_users():
    out = follow_up(lead(last_contact=D(2026, 11, 10), next_date=D(2026, 12, 2)), None, rules())
    assert (out.status, out.next_date, out.write_next) == ("AGREED", D(2026, 12, 2), False)


def test_formula_in_next_date_is_read_never_owned():
    out = follow_up(lead(last_contact=D(2026, 11, 10), next_date=D(2026, 11, 24),
                         next_date_formula=True), None, rules())
    assert (out.next_date, out.write_next, out.status) == (D(2026, 11, 24), False, "AGREED")


def test_flags_order_overdue_due_upcoming_scheduled():
    def status(last):
        return follow_up(lead(last_contact=last), None, rules()).status
    assert status(D(2026, 11, 16)) == "OVERDUE"  # Mon 16 + 3 = Thu 19
    assert status(D(2026, 11, 19)) == "DUE"
    assert status(D(2026, 11, 24)) == "UPCOMING"
    far = follow_up(lead(last_contact=D(2026, 11, 24), stage="Qualified"), None,
                    rules(upcoming_days=1))
    assert far.status == "SCHEDULED"


def test_warnings():
    out = follow_up(lead(last_contact=D(2026, 11, 19), email="", notes=""), None, rules())
    assert out.warnings == ["no email", "add notes"]
    state = follow_up(lead(last_contact=D(2026, 11, 12)), None, rules(D(2026, 11, 12))).state
    call = follow_up(lead(last_contact=D(2026, 11, 19), phone=""), state, rules())
    assert call.step.channel == "call" and "no phone" in call.warnings


def test_unknown_stage_follows_new_with_a_warning():
    out = follow_up(lead(stage="Hot!!"), None, rules())
    assert out.status == "DUE" and out.warnings[0] == "unknown stage 'Hot!!'"


def test_invalid_row_is_flagged_and_not_remembered():
    out = follow_up(lead(problems=("Last Contact (C2): 'x' is not a date",)), None, rules())
    assert out.status == "INVALID" and out.state is None and "C2" in out.reason


def test_same_inputs_same_day_same_answer():
    first = follow_up(lead(last_contact=D(2026, 11, 16)), None, rules())
    again = follow_up(lead(last_contact=D(2026, 11, 16), next_date=first.next_date),
                      first.state, rules())
    assert again.state == first.state and again.events == []
    assert (again.status, again.next_date) == (first.status, first.next_date)
