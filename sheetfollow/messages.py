"""What the templates see about a lead and its step, and the Due tab's "Why" text."""

from __future__ import annotations

from .drafts import LeadContext, SenderContext, StepContext, first_name, topic_of
from .engine import LeadRow, Outcome
from .settings import Settings


def draft_context(row: LeadRow, outcome: Outcome, settings: Settings):
    """The (lead, step, sender) contexts for rendering ``outcome``'s pending step."""
    step, cadence = outcome.step, outcome.cadence
    state = outcome.state
    last = row.last_contact or (state.last_touch if state else None)
    lead = LeadContext(
        name=row.name,
        first_name=first_name(row.name),
        company=row.company,
        email=row.email,
        phone=row.phone,
        notes=row.notes,
        topic=topic_of(row.notes),
        value=row.value,
        value_text=f"{row.value:,.0f}" if row.value is not None else "",
        stage=row.stage,
        last_contact=last,
        last_method=row.method or (state.last_method if state else ""),
        days_since_contact=(outcome.next_date - last).days
        if last and outcome.next_date else None,
    )
    total = cadence.total if cadence else 1
    step_ctx = StepContext(
        number=max(step.number, 1) if cadence else 1,
        total=total,
        purpose=step.purpose,
        channel=step.channel,
        template=step.template,
        cadence=cadence.name if cadence else "first contact",
        final=bool(cadence and not cadence.repeats and step.number == cadence.total),
    )
    sender = SenderContext(name=settings.sender_name, company=settings.sender_company,
                           signature=settings.signature, booking_link=settings.booking_link)
    return lead, step_ctx, sender


def why(row: LeadRow, outcome: Outcome) -> str:
    """Why this follow-up is due now, e.g. ``step 3/5, 7 days after the email of 2026-11-12``."""
    step, cadence, state = outcome.step, outcome.cadence, outcome.state
    if state is None or step is None:
        return ""
    if state.agreed is not None or row.next_date_formula:
        return "the date in Next Date (agreed with the lead)"
    if state.last_touch is None:
        seen = state.first_seen.isoformat() if state.first_seen else "today"
        return f"first contact: not contacted yet (added {seen})"
    touch = state.last_method or "contact"
    after = f"{step.wait} days after the {touch} of {state.last_touch.isoformat()}"
    if cadence is not None and cadence.repeats:
        return f"{cadence.name}: every {step.wait} days, {after}"
    total = cadence.total if cadence else step.number
    return f"step {step.number}/{total}, {after}"
