"""The example leads ``init --example`` writes: a small web and IT studio's pipeline.

Every date is relative to ``today`` so a sync run on that day shows every flag and warning the tool
can produce. The leads are fictional; their email addresses use the reserved ``.example`` domain
so a draft opened by accident reaches nobody.
"""

from __future__ import annotations

import datetime as dt

from . import layout

# The Leads headers a user fills in: the new workbook's header without the tool-owned columns.
_TOOL_HEADERS = {layout.LEAD_COLUMNS[field][0] for field in layout.TOOL_COLUMNS}
USER_HEADER = tuple(h for h in layout.NEW_LEADS_HEADER if h not in _TOOL_HEADERS)

# One tuple per lead in USER_HEADER order (Name, Company, Email, Phone, Last Contact, Method,
# Notes, Next Date, Stage, Value, Preferred Channel, Do Not Contact). Last Contact is a number of
# days before today, None (never contacted) or text as a user typed it; Next Date is None or
# "friday" (the coming Friday).
_LEADS: tuple[tuple[object, ...], ...] = (
    # Never contacted: due today for a first touch.
    ("Zoë Hartmann", "Hartmann Physio", "zoe@hartmannphysio.example", "+44 20 7946 0112",
     None, None,
     "Met at the Chamber breakfast: her clinic's booking form breaks on phones, so patients ring "
     "instead. Wants it fixed before the spring rush, budget around £3k.",
     None, "New", 3200, None, None),
    ("Rafael Souza", "Casa Souza Restaurante", "rafael@casasouza.example", "+351 912 345 678",
     None, None,
     "Referred by the bakery next door; wants online table bookings and a menu he can update "
     "himself. Replies on WhatsApp in the evenings, decides alone.",
     None, "New", 2400, "whatsapp", None),
    ("Amélie Laurent", "Atelier Laurent Architectes", "amelie@atelierlaurent.example", None,
     None, None,
     "Contact form: their portfolio site is eight years old and unreadable on mobile. Asked for "
     "a call but left no number; the two partners choose together.",
     None, "New", 6500, "call", None),
    # Contacted long ago: overdue whatever weekday today is.
    ("Łukasz Nowak", "Nowak Logistics", "lukasz@nowaklogistics.example", "+48 512 345 678",
     12, "call",
     "Warehouse PCs still on Windows 10 with no backups, 14 staff. Up to £9k approved this "
     "quarter; the operations director Marta signs off.",
     None, "Contacted", 9000, None, "no"),
    ("Priya Raman", "Raman & Co Accountants", "priya@ramanco.example", "+44 161 496 0734",
     15, "email",
     "Needs a client portal for secure document uploads before the January tax rush. The partners "
     "approve spending at their first-Monday meeting.",
     None, "Qualified", 7500, None, None),
    ("Björn Lindqvist", "Lindqvist Joinery", "bjorn@lindqvistjoinery.example", "+46 70 123 45 67",
     11, "email",
     "Has our £4,800 proposal for a site with a project gallery and quote form. Comparing it with "
     "his nephew's offer; decides with his wife Karin.",
     None, "Proposal Sent", 4800, None, None),
    ("Oluwaseun Adeyemi", "Adeyemi Dental Group", "seun@adeyemidental.example", "+44 113 496 0581",
     14, "call",
     "Three practices, 40 seats of IT support. Pushing for under £1,600 a month; the group "
     "finance manager has the final say.",
     None, "Negotiation", 19200, None, None),
    ("José García", "García Cleaning Services", None, "+34 612 345 678",
     13, "call",
     "25 cleaners; wants rotas and invoicing in one place. Met at the trade fair and only took his "
     "mobile; he decides, budget about €5,000.",
     None, "Contacted", 5000, None, None),
    ("Emily Carter", "Carter Events", "emily@carterevents.example", "+1 202 555 0143",
     11, "linkedin", None, None, "Contacted", None, None, None),
    ("Ana Popescu", "Popescu Translations", "ana@popescutranslations.example", "+40 721 234 567",
     16, "email",
     "Proposal sent for a site in five languages. She asked whether the $4,500 can be split over "
     "two invoices before she signs.",
     None, "Proposal Sent", "$4,500", None, None),
    ("Ravi Patel", "Patel Family Opticians", "ravi@patelopticians.example", "+44 121 496 0927",
     18, "call",
     "Wants online eye-test booking with SMS reminders. No budget yet: he wants to see two "
     "examples first and decides with his brother Anil.",
     None, "Qualified", None, None, None),
    ("Niamh Kelly", "Kelly's Bar & Kitchen", "niamh@kellysbar.example", "+353 87 123 4567",
     21, "call",
     "Site and online ordering agreed; stuck on whether the loyalty app comes now or next year. "
     "She and the head chef both want a say.",
     None, "Negotiation", 5200, None, None),
    # Due today (on a weekday): Last Contact + the first step's wait lands on today.
    ("Siobhán Byrne", "Byrne Florists", "siobhan@byrneflorists.example", "+353 86 765 4321",
     3, "email",
     "Wants Mother's Day orders online this year; last year they turned away about 60 phone "
     "orders. Budget around €2,500, she decides alone.",
     None, "Contacted", 2500, None, None),
    ("Siobhan Byrne", "Byrne Florists", "siobhan@byrneflorists.example", None,
     None, None,
     "Walk-in enquiry Tom took at the shop: an online shop for the florist. Check whether we are "
     "already talking to her.",
     None, "New", None, None, None),
    ("Tomás O'Connor", "O'Connor Solicitors", "tomas@oconnorlaw.example", "+353 1 234 5678",
     2, "email",
     "Proposal sent for a Microsoft 365 move and email security for 12 users, £6,300. The senior "
     "partner wants it done before the August recess.",
     None, "Proposal Sent", 6300, None, None),
    # Recently contacted: the first step falls within the next week.
    ("Mei Lin", "Lin Tea House", "mei@lintea.example", "+61 491 570 156",
     1, "call",
     "Spoke at the farmers' market: a simple site with opening hours and a loyalty sign-up. Small "
     "budget, about £1,200, and she decides herself.",
     None, "New", 1200, None, None),
    ("Kenji Watanabe", "Watanabe Motors", "kenji@watanabemotors.example", "+44 117 496 0345",
     0, "call",
     "The garage wants online MOT bookings synced with the workshop calendar. Co-owner Hiroshi "
     "must agree; they review quotes at month end.",
     None, "Qualified", 5400, None, None),
    ("Hannah Schmidt", "Schmidt Hausverwaltung", "hannah@schmidt-hv.example", "+49 30 901820",
     1, "email",
     "Manages 300 flats and wants a tenant repair-request portal. Scope agreed, still haggling "
     "over the support fee; her CFO decides this week.",
     None, "Negotiation", 14000, None, None),
    ("Claire Dubois", "Clinique Vétérinaire Dubois", "claire@cliniquedubois.example",
     "+33 6 71 82 93 04", 0, "email",
     "Proposal sent for clinic Wi-Fi and nightly backups (€3,900). Head vet Dr Moreau approves "
     "anything over €2,000.",
     None, "Proposal Sent", 3900, None, None),
    # A date the lead asked for: the user's Next Date wins.
    ("Marcus Webb", "Webb & Hale Estate Agents", "marcus@webbhale.example", "+44 20 7946 0871",
     1, "call",
     "Has the £8,900 proposal for the lettings site. Said \"call me Friday\" once he has gone "
     "through the budget with his partner Jo Hale.",
     "friday", "Proposal Sent", 8900, None, None),
    # Closed, stopped and long-term leads.
    ("Aisha Khan", "Khan Pharmacy", "aisha@khanpharmacy.example", "+44 20 7946 0398",
     6, "email",
     "Signed for the new site with a repeat-prescription form; launch planned next month. Ask "
     "for a referral once it is live.",
     None, "Won", 3600, None, None),
    ("Grace Mitchell", "Mitchell Yoga Studio", "grace@mitchellyoga.example", "+1 415 555 0178",
     20, "email",
     "Class booking system is live and she loves the timetable view. Mentioned two studio owner "
     "friends who need the same.",
     None, "Won", 2150, None, None),
    ("Dmitri Volkov", "Volkov Print Works", "dmitri@volkovprint.example", "+44 131 496 0642",
     100, "email",
     "Chose a cheaper agency for the web-shop rebuild; said he would reconsider if they miss the "
     "autumn deadline.",
     None, "Lost", 6000, None, None),
    ("Chloé Martin", "Martin Pâtisserie", "chloe@martinpatisserie.example", "+33 6 98 76 54 32",
     116, "call",
     "Went quiet after the quote: her business partner wanted to wait until the second shop "
     "opened in spring.",
     None, "Lost", 2800, None, None),
    ("Sven Johansson", "Johansson Bygg", "sven@johanssonbygg.example", "+46 73 987 65 43",
     130, "email",
     "Lost on timing: IT spending frozen until the new financial year. The Wi-Fi and network "
     "upgrade for both offices is still needed.",
     None, "Lost", 11000, None, None),
    ("Fatima El-Amin", "Amin Home Care", "fatima@aminhomecare.example", "+44 114 496 0215",
     40, "email",
     "Interested in a staff scheduling app once next year's funding is confirmed. Send her "
     "examples from other care providers.",
     None, "Nurture", 12000, None, None),
    ("Noah Fischer", "Fischer Bikes", "noah@fischerbikes.example", "+49 89 2180 4411",
     100, "email",
     "Likes the idea of a bike-service booking page but was busy with the new shop fit-out; asked "
     "us to get back in touch after the summer.",
     None, "Nurture", 1800, None, None),
    ("Ingrid Solberg", "Solberg Design", "ingrid@solbergdesign.example", "+47 412 34 567",
     10, "email",
     "Asked us not to contact her again: since the change of ownership, suppliers are handled "
     "by head office.",
     None, "Qualified", 4200, None, "yes"),
    ("Liam Walsh", "Walsh Plumbing & Heating", "liam@walshplumbing.example", "+353 85 246 8101",
     30, "email",
     "Replied \"unsubscribe\" to the spring newsletter. Do not email.",
     None, "Unsubscribed", None, None, None),
    # A date typed as text that is no date at all.
    ("Jakub Dvořák", "Dvořák Brewing", "jakub@dvorakbrewing.example", "+420 601 234 567",
     "31/02/2025", "email",
     "Craft brewery wants an age-checked web shop with stock synced to their till. His brewing "
     "partner Petr holds the budget.",
     None, "Contacted", 7000, None, None),
)


def example_leads(today: dt.date) -> list[dict[str, object]]:
    """Thirty leads, keyed by the Leads headers, with dates relative to ``today``.

    For a first sync on ``today`` with the default Settings and Cadence (waits in calendar days,
    a date landing on a weekend moved to the Monday), these flags hold whatever weekday today is
    (``tests/test_newbook.py`` checks them against the real sync for each day of a week):

    - DUE, first touch: Zoë Hartmann (email), Rafael Souza (whatsapp), Amélie Laurent (prefers
      a call but has no phone, so email), Siobhan Byrne (``duplicate``: same email as Siobhán
      Byrne).
    - OVERDUE by 6 days or more: Łukasz Nowak, Priya Raman, Björn Lindqvist, Oluwaseun Adeyemi,
      José García (``no email``), Emily Carter (``add notes``), Ana Popescu (Value "$4,500",
      read as 4500), Ravi Patel (no Value), Niamh Kelly; Sven Johansson (Lost 130 days ago:
      re-engagement overdue); Noah Fischer (Nurture, 100 days ago).
    - DUE on a weekday, UPCOMING on a Saturday or Sunday: Siobhán Byrne, Tomás O'Connor.
    - UPCOMING (within 7 days): Mei Lin, Kenji Watanabe, Hannah Schmidt, Claire Dubois, and
      Chloé Martin (Lost 116 days ago: re-engagement in 4 to 6 days).
    - AGREED: Marcus Webb (Next Date = the coming Friday, 1 to 7 days ahead).
    - WON: Aisha Khan, Grace Mitchell. DNC: Ingrid Solberg (column), Liam Walsh (stage
      Unsubscribed). INVALID: Jakub Dvořák (Last Contact "31/02/2025").
    - Beyond the upcoming week: Dmitri Volkov (LOST, re-engagement in about 20 days) and
      Fatima El-Amin (NURTURE, next email in about 50 days).

    No open lead can be merely SCHEDULED on a first sync: its first step waits at most 3 days
    after a Last Contact that is today or earlier.
    """
    # The coming Friday, never today: "call me Friday" said yesterday means a day ahead.
    friday = today + dt.timedelta(days=(4 - today.weekday()) % 7 or 7)
    leads = []
    for row in _LEADS:
        lead = dict(zip(USER_HEADER, row, strict=True))
        last = lead["Last Contact"]
        if isinstance(last, int):
            lead["Last Contact"] = today - dt.timedelta(days=last)
        if lead["Next Date"] == "friday":
            lead["Next Date"] = friday
        leads.append(lead)
    return leads
