"""What the templates see about a lead and its step, and the Due tab's "Why" text."""

from __future__ import annotations

from functools import lru_cache

from .drafts import LeadContext, SenderContext, StepContext
from .engine import LeadRow, Outcome
from .leadtext import cell_text, topic_of
from .settings import Settings


def draft_context(row: LeadRow, outcome: Outcome, settings: Settings):
    """The (lead, step, sender) contexts for rendering ``outcome``'s pending step."""
    step, cadence = outcome.step, outcome.cadence
    state = outcome.state
    last = row.last_contact or (state.last_touch if state else None)
    notes = row.notes
    lead = LeadContext(
        name=row.name,  # LeadContext derives first_name (the same from raw or clean text)
        company=row.company,
        email=row.email,
        phone=row.phone,
        notes=notes,
        # LeadContext derives the topic from the cleaned notes when this is empty. Notes with a
        # "\r" or outer spaces may split into clauses differently raw, and the raw reading wins.
        topic=topic_of(notes) if notes != cell_text(notes) else "",
        value=row.value,
        value_text=f"{row.value:,.0f}" if row.value is not None else "",
        stage=row.stage,
        last_contact=last,
        last_method=row.method or (state.last_method if state else ""),
        days_since_contact=(outcome.next_date - last).days
        if last and outcome.next_date else None,
    )
    total = cadence.total if cadence else 1
    step_ctx = _step(
        max(step.number, 1) if cadence else 1,
        total,
        step.purpose,
        step.channel,
        step.template,
        cadence.name if cadence else "first contact",
        bool(cadence and not cadence.repeats and step.number == cadence.total),
    )
    sender = _sender(settings.sender_name, settings.sender_company, settings.signature,
                     settings.booking_link)
    return lead, step_ctx, sender


# The step and sender contexts are immutable and the same for many leads: each is made once.
@lru_cache(maxsize=256)
def _step(number: int, total: int, purpose: str, channel: str, template: str, cadence: str,
          final: bool) -> StepContext:
    return StepContext(number=number, total=total, purpose=purpose, channel=channel,
                       template=template, cadence=cadence, final=final)


@lru_cache(maxsize=8)
def _sender(name: str, company: str, signature: str, booking_link: str) -> SenderContext:
    return SenderContext(name=name, company=company, signature=signature,
                         booking_link=booking_link)


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
