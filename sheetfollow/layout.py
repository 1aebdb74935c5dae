"""The workbook's layout: tab names, headers and the default Settings and Cadence rows.

One place for what the README's "workbook layout" section describes, shared by the sync, ``init``
and the sample generator.
"""

from __future__ import annotations

LEADS = "Leads"
DUE = "Due"
LOG = "Log"
METRICS = "Metrics"
SETTINGS = "Settings"
CADENCE = "Cadence"
TEMPLATES = "Templates"
STATE = "_sheetfollow"

# Tabs a sync reads (Metrics too: it is rewritten only when its figures change).
READ_TABS = (LEADS, DUE, LOG, METRICS, SETTINGS, CADENCE, TEMPLATES, STATE)

# Leads: canonical header per field, then accepted aliases (compared ignoring case, spaces,
# _ and -).
LEAD_COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("Name", "Lead", "Lead Name", "Prospect", "Contact", "Contact Name",
             "Full Name"),
    "company": ("Company", "Organization", "Organisation", "Account", "Business"),
    "email": ("Email", "E-mail", "Email Address", "Mail"),
    "phone": ("Phone", "Mobile", "Tel", "Telephone", "Phone Number", "WhatsApp", "Cell"),
    "last_contact": ("Last Contact", "Last Contacted", "Last Touch", "Last Contact Date",
                     "Last Contacted On", "Date Contacted"),
    "method": ("Method", "Channel", "Contact Method", "Last Method"),
    "notes": ("Notes", "What was discussed", "Comments", "Note", "Discussion"),
    "next_date": ("Next Date", "Next Follow-up", "Next Follow-up Date", "Follow-up Date",
                  "Next Followup", "Next Contact", "Next Contact Date"),
    "stage": ("Stage", "Deal Stage", "Status", "Pipeline Stage"),
    "value": ("Value", "Deal Value", "Estimated Value", "Amount", "Deal Size"),
    "preferred_channel": ("Preferred Channel", "Preferred Method", "Best Channel"),
    "preferred_day": ("Preferred Day", "Preferred Weekday", "Best Day"),
    "dnc": ("Do Not Contact", "DNC", "Unsubscribed", "Opted Out"),
    "id": ("ID", "Lead ID", "sheetfollow ID"),
    "flag": ("Flag",),
    "next_step": ("Next Step",),
}
# Columns the sync owns and appends (in this order) when missing. Next Date is shared (SPEC 2).
TOOL_COLUMNS = ("id", "flag", "next_step")
WRITTEN_COLUMNS = ("id", "flag", "next_step", "next_date")
# The user's columns whose change between read and write makes a computed row stale.
INPUT_COLUMNS = ("name", "company", "email", "phone", "last_contact", "method", "notes",
                 "next_date", "stage", "value", "preferred_channel", "preferred_day", "dnc")

# The headers a new workbook (``init``) gets on its Leads tab.
NEW_LEADS_HEADER = ("Name", "Company", "Email", "Phone", "Last Contact", "Method", "Notes",
                    "Next Date", "Stage", "Value", "Preferred Channel", "Do Not Contact",
                    "ID", "Flag", "Next Step")

CHANNELS = ("email", "call", "linkedin", "sms", "whatsapp", "letter")

SETTINGS_HEADER = ("Setting", "Value", "Notes")
# Key, default value (as a user would type it), explanation. Stage rows follow.
DEFAULT_SETTINGS: tuple[tuple[str, str, str], ...] = (
    ("Sender Name", "", "Your name, used to sign drafts"),
    ("Sender Company", "", "Your business name"),
    ("Signature", "", "Lines added under every email (optional)"),
    ("Booking Link", "", "A scheduling page drafts can offer (optional)"),
    ("Time Zone", "", "e.g. Europe/London; empty = this computer's time zone"),
    ("Country", "", "Two-letter code (US, GB, DE...) whose public holidays are skipped"),
    ("Skip Weekends", "yes", "yes/no: move follow-ups off Saturdays and Sundays"),
    ("Avoid Days", "", "Weekdays never to schedule, e.g. Mon, Fri"),
    ("Pause Until", "", "A date: no follow-up is scheduled before it (holidays)"),
    ("Date Order", "", "How to read typed dates like 03/04/2025: day first or month first "
     "(empty: such dates are flagged as ambiguous)"),
    ("Upcoming Days", "7", "How many days ahead the Due tab's upcoming block looks"),
    ("Nurture Every Days", "90", "Days between nurture emails"),
    ("Reengage After Days", "120", "Days after the last touch to re-engage a lost lead"),
    ("Max Touches", "",
     "Touches in one cadence before a lead moves to nurture (empty = all steps)"),
    ("Email Time", "08:30", "When to send emails (calendar export)"),
    ("Call Blocks", "08:00-09:00, 17:00-18:00", "When to make calls (calendar export)"),
)
# Stage -> cadence name (an open stage) or one of the kinds won, lost, stop.
DEFAULT_STAGES: tuple[tuple[str, str], ...] = (
    ("New", "prospect"),
    ("Contacted", "prospect"),
    ("Qualified", "prospect"),
    ("Proposal Sent", "proposal"),
    ("Negotiation", "proposal"),
    ("Nurture", "nurture"),
    ("Won", "won"),
    ("Lost", "lost"),
    ("Do Not Contact", "stop"),
    ("Unsubscribed", "stop"),
)
STAGE_KEY_PREFIX = "Stage: "

CADENCE_HEADER = ("Cadence", "Step", "Wait days", "Channel", "Template", "Purpose")
# (cadence, wait days, channel, template, purpose); steps are numbered in order.
DEFAULT_CADENCE: tuple[tuple[str, int, str, str, str], ...] = (
    ("prospect", 3, "email", "recap", "recap the conversation and the agreed next step"),
    ("prospect", 4, "call", "next_step_call", "move to a concrete next step"),
    ("prospect", 7, "linkedin", "linkedin_note", "personal note"),
    ("prospect", 7, "email", "case_study", "share a case study or insight"),
    ("prospect", 9, "email", "final_attempt", "final attempt, door left open"),
    ("proposal", 2, "email", "proposal_arrived",
     "make sure the proposal arrived, offer to answer questions"),
    ("proposal", 4, "call", "proposal_walkthrough", "walk through the proposal"),
    ("proposal", 7, "email", "value_add", "value-add (case study, article)"),
    ("proposal", 7, "email", "still_priority",
     "direct question: still a priority, or has timing changed"),
    ("proposal", 9, "email", "close_file", "closing the file, door left open"),
    ("nurture", 90, "email", "nurture_value", "something of value, no pitch"),
    ("reengage", 120, "email", "reengage", "ask whether the situation has changed"),
)
# The cadence a lead falls into when its own cadence ends unanswered (repeats its last step),
# and the one-off cadence for lost leads.
NURTURE = "nurture"
REENGAGE = "reengage"
FIRST_CONTACT_TEMPLATE = "first_contact"

TEMPLATES_HEADER = ("Template", "Channel", "Subject", "Body")

DUE_HEADER = ("Done", "Due Date", "Days Overdue", "Lead", "Company", "Channel", "Step", "To",
              "Subject", "Message", "Open", "Value", "Flag", "Why", "ID")
UPCOMING_TITLE = "Upcoming"

# Due: for a touch, the follow-up date it answered (to measure on-time rates); empty otherwise.
LOG_HEADER = ("Date", "Event", "ID", "Name", "Stage", "Cadence", "Step", "Channel", "Source",
              "Due")

STATE_HEADER = ("ID", "Stage", "Cadence", "Step", "Last Touch", "Touches", "Cadence Touches",
                "Written Next", "Agreed", "First Seen", "Last Method")
