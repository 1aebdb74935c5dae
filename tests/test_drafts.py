"""Drafts: rendering the shipped templates, template checks, the sandbox, the Templates tab,
open links and loading template folders."""

from __future__ import annotations

import builtins
import datetime as dt
import pathlib
import re
import time
from importlib.resources import files
from urllib.parse import quote, unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sheetfollow.cadence import Cadence, Step
from sheetfollow.draftcheck import BANNED_PHRASES, count_sentences
from sheetfollow.drafts import (
    BLOCK_OF_CHANNEL,
    Draft,
    DraftError,
    LeadContext,
    SenderContext,
    StepContext,
    TemplateLibrary,
    first_name,
    open_link,
    tidy,
    topic_of,
)
from sheetfollow.engine import LeadRow, Outcome
from sheetfollow.errors import TemplateError
from sheetfollow.layout import CHANNELS, DEFAULT_CADENCE, FIRST_CONTACT_TEMPLATE
from sheetfollow.leadtext import cell_text, cell_texts
from sheetfollow.links import _ADDRESS_SAFE, _encode
from sheetfollow.messages import draft_context
from sheetfollow.model import Link
from sheetfollow.settings import Settings
from sheetfollow.templatefiles import load_template_dir

TODAY = dt.date(2026, 11, 12)
SHIPPED_NAMES = sorted({row[3] for row in DEFAULT_CADENCE} | {FIRST_CONTACT_TEMPLATE})

RICH = LeadContext(name="Priya Raman", company="Harbour Dental", email="priya@harbour.example",
                   phone="+44 20 7946 0018",
                   notes="Interested in an online booking system; call back after the 20th.",
                   value=4800.0, stage="Qualified", last_contact=dt.date(2026, 11, 3),
                   last_method="call", days_since_contact=9)
BARE = LeadContext(name="Zelda Quinlan")
SENDERS = (SenderContext(name="Sam Rivera", company="Rivera Studio", signature="020 7946 0000",
                         booking_link="https://cal.example.com/sam"),
           SenderContext())
STEP = StepContext(number=2, total=5, purpose="recap", channel="email", template="recap",
                   cadence="prospect")


@pytest.fixture(scope="module")
def shipped() -> TemplateLibrary:
    return TemplateLibrary(load_template_dir())


def email_template(body: str, subject: str = "Hello {{ lead.first_name }}") -> str:
    return (f"{{% block subject %}}{subject}{{% endblock %}}"
            f"{{% block email %}}{body}{{% endblock %}}")


def render(library: TemplateLibrary, name: str = "t", channel: str = "email",
           lead: LeadContext = RICH) -> Draft:
    return library.render(name, channel, lead, STEP, SENDERS[0], TODAY)


# -- the shipped templates ---------------------------------------------------------------------
def test_shipped_names_cover_the_default_cadence(shipped):
    assert set(BLOCK_OF_CHANNEL) == set(CHANNELS)
    assert shipped.names() == SHIPPED_NAMES
    assert shipped.problems == []


@pytest.mark.parametrize("name", SHIPPED_NAMES)
@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("lead", [RICH, BARE], ids=["notes", "name-only"])
@pytest.mark.parametrize("sender", SENDERS, ids=["sender", "no-sender"])
def test_every_shipped_template_renders(shipped, name, channel, lead, sender):
    assert shipped.has(name, channel)
    draft = shipped.render(name, channel, lead, STEP, sender, TODAY)
    assert draft.channel == channel
    text = f"{draft.subject}\n{draft.body}"
    for bad in ("None", "{{", "}}", "{%", "%}", "  ", " ,", " ."):
        assert bad not in text
    assert draft.body and draft.body == draft.body.strip()
    assert not draft.body.endswith(",")  # no sign-off waiting for a name that is not there
    if channel == "email":
        assert draft.subject and "\n" not in draft.subject
    else:
        assert draft.subject == ""
    if channel in ("sms", "whatsapp", "linkedin"):
        assert len(draft.body) <= 320
    assert any(word and word in draft.body for word in (lead.first_name, lead.company, lead.topic))
    if lead is RICH:
        assert "Priya" in draft.body


@pytest.mark.parametrize("name", SHIPPED_NAMES)
def test_shipped_call_notes_are_three_to_five_points(shipped, name):
    body = shipped.render(name, "call", RICH, STEP, SENDERS[0], TODAY).body
    lines = body.split("\n")
    assert 3 <= len(lines) <= 5
    assert all(line.startswith("- ") for line in lines)


@pytest.mark.parametrize("name", SHIPPED_NAMES)
def test_shipped_emails_are_short_and_use_the_notes(shipped, name):
    draft = shipped.render(name, "email", RICH, STEP, SENDERS[0], TODAY)
    assert count_sentences(draft.body, "Sam Rivera") <= 5
    assert draft.body.startswith("Hi Priya,")
    assert draft.body.endswith("Sam Rivera\n020 7946 0000")
    if name not in ("proposal_walkthrough", "still_priority"):
        assert "online booking system" in f"{draft.subject} {draft.body}"


def test_shipped_templates_pass_check(shipped):
    assert shipped.check() == []


def test_shipped_templates_avoid_filler(shipped):
    for source in load_template_dir().values():
        for phrase in BANNED_PHRASES:
            assert phrase not in source.lower()


def test_booking_link_only_when_set(shipped):
    with_link = shipped.render("first_contact", "email", RICH, STEP, SENDERS[0], TODAY)
    without = shipped.render("first_contact", "email", RICH, STEP, SENDERS[1], TODAY)
    assert "https://cal.example.com/sam" in with_link.body
    assert "http" not in without.body and "pick a time" not in without.body
    assert without.body.endswith("Best wishes")


def test_letter_greets_without_a_name(shipped):
    body = shipped.render("recap", "letter", LeadContext(company="Acme"), STEP, SENDERS[0],
                          TODAY).body
    assert body.startswith("Hello,")
    assert "there" not in body.split("\n")[0]


# -- lead words ----------------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "expected"), [
    ("Jane Smith", "Jane"), ("  jane   smith ", "Jane"), ("Smith, Jane", "Jane"),
    ("Dr. Jane Smith", "Jane"), ("Dr Smith", "Dr Smith"), ("JANE DOE", "Jane"),
    ("Jane Smith, PhD", "Jane"), ("", "there"), (None, "there"), ("jane@acme.com", "there"),
    ("Mary-Jane O'Neil", "Mary-Jane"),
])
def test_first_name(name, expected):
    assert first_name(name) == expected


@pytest.mark.parametrize(("notes", "expected"), [
    ("", ""),
    (None, ""),
    ("Wants to cut their delivery costs. Budget 5k", "how to cut your delivery costs"),
    ("Interested in a new website; call in March", "a new website"),
    ("Called, no answer. Spoke about pricing for 20 seats", "pricing for 20 seats"),
    ("2026-03-02: discussed CRM migration", "CRM migration"),
    ("Roof leaks over the warehouse\nsend quote", "roof leaks over the warehouse"),
    ("Q3 warehouse move is the priority", "Q3 warehouse move is the priority"),
    ("Called twice, no answer", ""),
    ("Follow up re SEO audit", "SEO audit"),
    ("Issues with their payroll software", "your payroll software"),
    ("{{ 7*7 }} and {% raw %}", "{{ 7*7 }} and {% raw %}"),
    ("I", ""),  # one letter is not a topic
    ("—ok", ""),
    ("e.g. a CRM; call back", "e.g. a CRM"),
    ("Asked about  the\tnew   site. Budget 5k", "the new site"),
    ("Will sign elsewhere. Wants to grow", "how to grow"),
    ("Call: re the roof", "the roof"),
])
def test_topic_of(notes, expected):
    assert topic_of(notes) == expected


def test_draft_context_reads_the_topic_from_the_raw_notes():
    step = Step(1, 3, "email", "recap", "recap")
    outcome = Outcome(None, "DUE", TODAY, False, step=step, cadence=Cadence("prospect", (step,)))

    def lead(notes: str) -> LeadContext:
        row = LeadRow(row=2, id="L-1", name="jo smith", notes=notes, value=1234.5)
        return draft_context(row, outcome, Settings())[0]

    # A lone carriage return is no clause break in the raw notes, which are read first...
    assert lead("Interested in a CRM\rcall Bob").topic == "a CRM call Bob"
    # ...and the cleaned notes are read when the raw ones give nothing.
    assert lead("Called\rInterested in a CRM").topic == "a CRM"
    assert lead("Interested in a CRM").topic == "a CRM"
    assert (lead("").first_name, lead("").value_text) == ("Jo", "1,234")


def test_topic_is_short_and_ends_on_a_word():
    notes = ("Needs a full review of the stock control process across all four shops and the "
             "online store, with training for the staff")
    topic = topic_of(notes)
    assert len(topic) <= 80
    assert notes.lower().find(topic[:20].lower()) >= 0
    assert not topic.endswith((" ", ",", "and", "the"))


@given(st.lists(st.one_of(st.text(), st.none(), st.integers(), st.floats(allow_nan=False))))
def test_cell_texts_is_cell_text_of_each(values):
    assert cell_texts(values) == [cell_text(value) for value in values]


def test_lead_context_derives_and_cleans():
    lead = LeadContext(name="ada lovelace", company=None, notes=None, value=1200.0)  # type: ignore[arg-type]
    assert (lead.first_name, lead.company, lead.notes, lead.topic) == ("Ada", "", "", "")
    assert lead.value_text == "1,200"
    assert LeadContext(value=1234.5).value_text == "1,234.50"
    assert LeadContext(value=None).value_text == ""
    assert LeadContext(name="Jo", first_name="Joanna").first_name == "Joanna"
    assert BARE.first_name == "Zelda" and BARE.topic == ""


def _tidy_line_by_line(text: str) -> str:
    """What tidy did before it worked on the whole text at once."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    lines = [re.sub(r"(?<=\w) +([,.])(?=\s|$)", r"\1", re.sub(r"(?<=\S) {2,}", " ", line.rstrip()))
             for line in lines]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


@given(st.text(alphabet=st.sampled_from("ab., \n\r\t\u00a0\u2028x"), max_size=40) | st.text())
def test_tidy_is_line_by_line(text):
    assert tidy(text) == _tidy_line_by_line(text)


def test_date_filters():
    library = TemplateLibrary({"t": email_template(
        "{{ today|longdate }} / {{ today|shortdate }} / {{ lead.last_contact|longdate }}.")})
    body = render(library, lead=BARE).body
    assert body == "Thursday 12 November / 12 Nov / ."


# -- rendering rules -----------------------------------------------------------------------------
def test_output_is_normalised():
    library = TemplateLibrary({"t": email_template(
        "  Hi {{ lead.first_name }}   \n\n\n\n\nBye {% if lead.company %}{% endif %}.  \n\n",
        subject="  Line one\n line   two  ")})
    draft = render(library)
    assert draft.subject == "Line one line two"
    assert draft.body == "Hi Priya\n\nBye."


def test_notes_are_data_not_template_code():
    library = TemplateLibrary({"t": email_template("{{ lead.notes }} / {{ lead.topic }}")})
    lead = LeadContext(name="Eve", notes="{{ 7*7 }} {% for x in range(3) %}x{% endfor %}")
    body = render(library, lead=lead).body
    assert "{{ 7*7 }}" in body and "49" not in body
    assert "{% for x in range(3) %}x{% endfor %}" in body


def test_none_prints_as_nothing():
    library = TemplateLibrary({"t": email_template("Value {{ lead.value }}.")})
    assert render(library, lead=BARE).body == "Value."


def test_undefined_attribute_names_the_variable():
    library = TemplateLibrary({"recap": email_template("{{ lead.nickname }}")})
    with pytest.raises(DraftError) as caught:
        render(library, "recap")
    assert str(caught.value) == "template recap (email): 'lead' has no attribute 'nickname'"


def test_syntax_error_is_one_line():
    library = TemplateLibrary({"t": email_template("{% if lead.name %}unclosed")})
    with pytest.raises(DraftError) as caught:
        render(library)
    message = str(caught.value)
    assert message.startswith("template t (email): line 1:") and "\n" not in message
    assert "Traceback" not in message


def test_missing_text_block():
    library = TemplateLibrary({"t": email_template("Hi {{ lead.first_name }}")})
    assert not library.has("t", "sms")
    with pytest.raises(DraftError, match=r"^template t has no text message; add a "
                                         r"\{% block text %\}"):
        render(library, channel="sms")


def test_letter_falls_back_to_the_email():
    library = TemplateLibrary({"t": email_template("Hi {{ lead.first_name }}")})
    assert library.has("t", "letter")
    assert render(library, channel="letter") == Draft("letter", "", "Hi Priya")


def test_unknown_template_and_channel():
    library = TemplateLibrary({"t": email_template("x {{ lead.name }}")})
    with pytest.raises(DraftError, match="no template called 'nope'"):
        render(library, "nope")
    with pytest.raises(DraftError, match="unknown channel 'fax'"):
        render(library, channel="fax")
    assert not library.has("nope", "email") and not library.has("t", "fax")


def test_template_names_ignore_case_and_suffix():
    library = TemplateLibrary({"Recap.j2": email_template("Hi {{ lead.first_name }}")})
    assert library.names() == ["recap"]
    assert render(library, "RECAP").body == "Hi Priya"


def test_extends_and_helpers():
    files = {
        "_base": email_template("Hi {{ lead.first_name }}, {% block middle %}{% endblock %}"
                                "{% import '_macros' as m %}{{ m.bye(sender) }}"),
        "_macros": "{% macro bye(s) %} Bye from {{ s.name or 'us' }}.{% endmacro %}",
        "child": "{% extends '_base' %}{% block subject %}Child {{ super() }}{% endblock %}",
    }
    library = TemplateLibrary(files)
    assert library.names() == ["child"]
    draft = render(library, "child")
    assert draft.subject == "Child Hello Priya"
    assert draft.body == "Hi Priya, Bye from Sam Rivera."


def test_subject_and_body_share_nothing_they_set():
    library = TemplateLibrary({"t": email_template("{{ x }}", subject="{% set x = 1 %}Hi")})
    with pytest.raises(DraftError, match="'x' is undefined"):
        render(library)


def test_a_broken_template_fails_each_time():
    library = TemplateLibrary({"t": email_template("{{ 1/0 }}"),
                               "ok": email_template("Hi {{ lead.first_name }}")})
    for _ in range(2):
        with pytest.raises(DraftError, match="ZeroDivisionError"):
            render(library)
    assert render(library, "ok").body == "Hi Priya"


def test_render_is_fast(shipped):
    combos = [(name, channel) for name in SHIPPED_NAMES for channel in CHANNELS]
    for name, channel in combos:  # compile once
        shipped.render(name, channel, RICH, STEP, SENDERS[0], TODAY)
    count = 2000
    start = time.perf_counter()
    for index in range(count):
        name, channel = combos[index % len(combos)]
        shipped.render(name, channel, RICH, STEP, SENDERS[0], TODAY)
    assert (time.perf_counter() - start) / count < 0.001


# -- the sandbox ---------------------------------------------------------------------------------
@pytest.fixture
def no_file_reads(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError(f"a file was opened: {args!r}")
    monkeypatch.setattr(builtins, "open", refuse)
    monkeypatch.setattr(pathlib.Path, "open", refuse)
    monkeypatch.setattr(pathlib.Path, "read_text", refuse)
    monkeypatch.setattr(pathlib.Path, "read_bytes", refuse)


@pytest.mark.parametrize("body", [
    "{% include '/etc/passwd' %}",
    "{% include '../templates/recap.j2' %}",
    "{% include 'templates/recap.j2' %}",
    "{% include '..\\\\templates\\\\recap' %}",
    "{% import '/etc/passwd' as p %}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ lead.__class__ }}",
    "{{ lead.__init__.__globals__ }}",
    "{{ lead.name.__class__.__mro__ }}",
    "{{ step.number.__class__.__subclasses__() }}",
    "{{ lead.last_contact.__class__ }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ joiner.__init__.__globals__['os'] }}",
    "{{ '{0.__class__}'.format(lead) }}",
    "{{ [].append(1) }}",
    "{% for i in range(10**9) %}x{% endfor %}",
    "{{ 10 ** (10 ** 10) }}",
    "{{ (10 ** 1000) ** 1000 }}",
    "{{ 'x' * 1000000000 }}",
    "{{ lipsum(1000000) }}",
    "{% include 't' %}",
    "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}",
    "{{ lead.nickname }}",
])
def test_sandbox_refuses(no_file_reads, body):
    library = TemplateLibrary({"t": email_template(body), "recap": email_template("secret")})
    start = time.perf_counter()
    with pytest.raises(DraftError) as caught:
        render(library)
    assert time.perf_counter() - start < 1
    message = str(caught.value)
    assert message.startswith("template t (email): ") and "\n" not in message
    assert "secret" not in message and "root:" not in message


def test_extends_outside_the_library_fails(no_file_reads):
    library = TemplateLibrary({"t": "{% extends '../x' %}{% block email %}x{% endblock %}"})
    with pytest.raises(DraftError, match="no template called '../x'"):
        render(library)
    loop = TemplateLibrary({"t": "{% extends 't' %}{% block email %}x{% endblock %}"})
    with pytest.raises(DraftError, match="loops back"):
        render(loop)


def test_templates_tab_cannot_reach_files(no_file_reads):
    library = TemplateLibrary({}, [["t", "email", "Hi", "{% include '/etc/passwd' %}"]])
    with pytest.raises(DraftError, match="no template called '/etc/passwd'"):
        render(library)


# -- the Templates tab ---------------------------------------------------------------------------
def test_tab_row_overrides_one_message(shipped):
    files = load_template_dir()
    library = TemplateLibrary(files, [
        ["recap", "email", "Our chat, {{ lead.first_name }}", "Hello {{ lead.company }}!"],
    ])
    draft = render(library, "recap")
    assert draft == Draft("email", "Our chat, Priya", "Hello Harbour Dental!")
    # The blocks the tab does not give still come from the file.
    assert render(library, "recap", "call") == render(shipped, "recap", "call")
    assert library.problems == []


def test_tab_row_subject_only_keeps_the_file_body(shipped):
    library = TemplateLibrary(load_template_dir(), [["Recap", "Email", "New subject", ""]])
    draft = render(library, "recap")
    assert draft.subject == "New subject"
    assert draft.body == render(shipped, "recap").body


def test_tab_rows_add_a_template():
    library = TemplateLibrary({}, [
        ["webinar", "email", "See you, {{ lead.first_name }}", "Thanks for joining."],
        ["webinar", "whatsapp", None, "Hi {{ lead.first_name }}, thanks for joining!"],
        ["webinar", "call", "", "- Ask {{ lead.first_name }} what they took away"],
    ])
    assert library.names() == ["webinar"]
    assert render(library, "webinar").body == "Thanks for joining."
    assert render(library, "webinar", "sms").body == "Hi Priya, thanks for joining!"
    assert render(library, "webinar", "linkedin").body == "Hi Priya, thanks for joining!"
    assert library.has("webinar", "call") and library.has("webinar", "email")
    assert library.has("webinar", "letter")  # a letter falls back to the email


def test_bad_tab_rows_are_reported_not_raised():
    rows = [
        ["recap", "fax", "", "Hello"],
        ["", "email", "Subject", "Body"],
        [None, None, None, None],
        ["x", "email", "", ""],
        ["y", "call", "A subject", "- Point {{ lead.name }}"],
        ["z", "sms", "", "one {{ lead.name }}"],
        ["z", "text", "", "two {{ lead.name }}"],
        ["../etc", "email", "s", "b"],
        ["short"],
    ]
    library = TemplateLibrary({}, rows)
    assert library.problems == [
        "Templates row 2: unknown channel 'fax'; use email, call, text, sms, whatsapp, "
        "linkedin or letter",
        "Templates row 3: the Template cell is empty; name the template (for example recap)",
        "Templates row 5: the Body is empty",
        "Templates row 6: Subject is used only on email rows; it is ignored",
        "Templates row 8: repeats the text message of template z from row 7; row 8 is used",
        "Templates row 9: '../etc' is not a usable template name",
        "Templates row 10: unknown channel ''; use email, call, text, sms, whatsapp, linkedin "
        "or letter",
    ]
    assert render(library, "z", "sms").body == "two Priya Raman"
    assert set(library.problems) <= set(library.check())


# -- checks --------------------------------------------------------------------------------------
def check_one(source: str) -> list[str]:
    return TemplateLibrary({"t": source}).check()


def test_check_reports_syntax_errors():
    problems = check_one(email_template("{% if lead.name %}x"))
    assert len(problems) >= 1
    assert problems[0].startswith("template t: line 1: ")


@pytest.mark.parametrize("phrase", BANNED_PHRASES)
def test_check_reports_filler(phrase):
    body = f"Hi {{{{ lead.first_name }}}}, {phrase.upper()} on our chat?"
    assert f"template t (email): uses the filler phrase '{phrase}'; say something specific to " \
           "the lead instead" in check_one(email_template(body))


def test_check_filler_in_a_branch_and_across_lines():
    body = "{% if lead.company %}Hi {{ lead.company }}{% else %}Just\n  checking in{% endif %}"
    assert any("'just checking in'" in problem for problem in check_one(email_template(body)))
    assert not any("filler" in p for p in check_one(email_template("Hi {{ lead.name }}, "
                                                                   "many updates today.")))


def test_check_reports_long_emails():
    body = "Hi {{ lead.first_name }},\n\n" + "This is a sentence. " * 6 + "\n\nBest,\nSam"
    assert check_one(email_template(body)) == [
        "template t (email): 6 sentences with a sample lead; keep emails to 5 or fewer"]
    five = "Hi {{ lead.first_name }},\n\n" + "One, e.g. two. " * 5 + "\n\nBest,\n{{ sender.name }}"
    assert check_one(email_template(five)) == []


def test_count_sentences_skips_greeting_sign_off_and_links():
    body = ("Hi Jo,\n\nThanks for the call. Book at https://x.example/a.b?c. Really?\n\n"
            "Best,\nSam Rivera\nRivera Studio. Tel. 020")
    assert count_sentences(body, "Sam Rivera") == 3


def test_check_reports_long_texts():
    text = "{% block text %}Hi {{ lead.first_name }}, " + "word " * 70 + "{% endblock %}"
    problems = check_one(text)
    assert len(problems) == 1
    assert problems[0].startswith("template t (text): ")
    assert problems[0].endswith("characters with a sample lead; keep texts to 320 or fewer")


def test_check_reports_messages_about_nobody():
    problems = check_one(email_template("Hello there, {{ lead.email }} {{ sender.name }}."))
    assert problems == ["template t (email): uses nothing specific to the lead; add "
                        "{{ lead.first_name }}, {{ lead.company }} or {{ lead.topic }}"]
    assert check_one(email_template("Hi {{ lead['company'] }}.")) == []
    assert check_one(email_template("{% set who = lead %}Hi {{ who.first_name }}.")) == []


def test_check_reports_render_errors_with_the_samples():
    problems = check_one(email_template("Hi {{ lead.first_name }} {{ lead.value * 2 }}"))
    assert any(problem.startswith("template t (email): TypeError") for problem in problems)
    assert check_one("{% block subject %}Hi{% endblock %}") == [
        "template t has no email; add a {% block email %} to t.j2 or a Templates tab row with "
        "channel email"]


def test_check_reports_structure():
    problems = check_one("Hello {{ lead.first_name }}")
    assert problems[0].startswith("template t: has no {% block %}")
    problems = check_one(email_template("Hi {{ lead.first_name }}")
                         + "{% block body %}x{% endblock %}{% set x = 1 %}stray")
    assert "template t: unknown block 'body'; use subject, email, call, text, letter" in problems
    assert any("statements outside a {% block %}" in problem for problem in problems)
    assert any("text outside a {% block %}" in problem for problem in problems)


def test_check_covers_tab_rows():
    library = TemplateLibrary(load_template_dir(), [
        ["recap", "email", "", "Touching base about {{ lead.topic }}"],
        ["recap", "sms", "", "{{ lead.name "],
        ["extra", "fax", "", "x"],
    ])
    problems = library.check()
    assert ("template recap (email, Templates row 2): uses the filler phrase 'touching base'; "
            "say something specific to the lead instead") in problems
    assert any(problem.startswith("template recap (text, Templates row 3): line 1:")
               for problem in problems)
    assert any(problem.startswith("Templates row 4: unknown channel 'fax'")
               for problem in problems)


def test_helper_templates_are_not_messages():
    library = TemplateLibrary({"_macros": "{% macro hi() %}Hello{% endmacro %}"})
    assert library.names() == []
    assert library.check() == []


# -- open links ----------------------------------------------------------------------------------
NASTY = Draft("email", "Re: A&B? #1 50%",
              'Hi "Jo",\nnotes: a&b=c?d#e 100% 😀\njavascript:alert(1)')


def test_mailto_link_is_fully_encoded():
    link = open_link("email", " jo.o'neil+sales@example.co.uk ", NASTY)
    assert link == Link(
        "mailto:jo.o%27neil%2Bsales@example.co.uk"
        "?subject=Re%3A%20A%26B%3F%20%231%2050%25"
        "&body=Hi%20%22Jo%22%2C%0D%0Anotes%3A%20a%26b%3Dc%3Fd%23e%20100%25%20%F0%9F%98%80"
        "%0D%0Ajavascript%3Aalert%281%29",
        "Email")


def _quoted(text: str, safe: str = "") -> str:
    return quote(text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n"), safe=safe)


@given(st.text())
def test_encode_is_quote(text):
    assert _encode(text) == _quoted(text)
    assert _encode(text, _ADDRESS_SAFE) == _quoted(text, safe="@")


def test_encode_with_many_bytes_to_quote():
    text = "".join(map(chr, range(300))) + "%\n😀"
    assert _encode(text) == _quoted(text)
    assert _encode(text, _ADDRESS_SAFE) == _quoted(text, safe="@")


def test_mailto_takes_the_address_out_of_a_name():
    link = open_link("email", "Jo Smith <jo@example.com>", Draft("email", "S", "B"))
    assert link is not None and link.url == "mailto:jo@example.com?subject=S&body=B"


def test_tel_link():
    draft = Draft("call", "", "- talking points")
    assert open_link("call", "+44 (0)20 7946-0018", draft) == Link("tel:+442079460018", "Call")
    assert open_link("call", "(555) 123.4567", draft) == Link("tel:5551234567", "Call")
    assert open_link("call", 447700900123.0, draft) == Link("tel:447700900123", "Call")


def test_sms_and_whatsapp_links():
    draft = Draft("sms", "", "Hi Jo & co?\nCall me #1")
    assert open_link("sms", "+1 510-555-0101", draft) == Link(
        "sms:+15105550101?body=Hi%20Jo%20%26%20co%3F%0D%0ACall%20me%20%231", "Text")
    assert open_link("whatsapp", "+1 510-555-0101", draft) == Link(
        "https://wa.me/15105550101?text=Hi%20Jo%20%26%20co%3F%0D%0ACall%20me%20%231",
        "WhatsApp")
    assert open_link("whatsapp", "0044 7700 900123", draft).url.startswith(
        "https://wa.me/447700900123?")


@pytest.mark.parametrize(("channel", "to"), [
    ("linkedin", "jo@example.com"), ("letter", "1 High Street"), ("email", ""),
    ("email", None), ("email", "not an address"), ("email", "javascript:alert(1)"),
    ("call", ""), ("call", "ask reception"), ("sms", "javascript:alert(1)"),
    ("whatsapp", "12"), ("fax", "+44 20 7946 0018"),
])
def test_no_link(channel, to):
    assert open_link(channel, to, NASTY) is None


@pytest.mark.parametrize("channel", ["email", "sms", "whatsapp"])
def test_long_messages_are_cut_to_fit(channel):
    words = [f"wörd{index}&😀" for index in range(1500)]
    body = " ".join(words)
    to = "jo@example.com" if channel == "email" else "+15105550101"
    link = open_link(channel, to, Draft(channel, "Subject", body))
    assert link is not None and len(link.url) <= 2000
    assert len(link.url) > 1900  # uses the room it has
    key = {"email": "&body=", "sms": "?body=", "whatsapp": "?text="}[channel]
    sent = unquote(link.url.split(key, 1)[1])
    assert sent.endswith("…")
    kept = sent[:-1]
    assert body.startswith(kept) and body[len(kept)] == " "  # cut between words


def test_a_huge_subject_drops_the_body():
    link = open_link("email", "jo@example.com", Draft("email", "s " * 3000, "body"))
    assert link is not None and len(link.url) <= 2000
    assert "&body=" not in link.url and link.url.endswith("%E2%80%A6")


# -- template folders ----------------------------------------------------------------------------
def test_shipped_templates_load_from_the_package():
    sources = load_template_dir()
    assert sorted(sources) == SHIPPED_NAMES
    package = files("sheetfollow.templates")
    assert sources["recap"] == package.joinpath("recap.j2").read_text(encoding="utf-8")
    assert load_template_dir(None) == sources


def test_a_folder_overrides_by_name(tmp_path):
    (tmp_path / "recap.j2").write_text(email_template("Mine, {{ lead.first_name }}"),
                                       encoding="utf-8")
    (tmp_path / "Webinar.j2").write_bytes(
        b"\xef\xbb\xbf" + email_template("Webinar {{ lead.name }}").encode())
    (tmp_path / "notes.txt").write_text("not a template", encoding="utf-8")
    (tmp_path / ".#recap.j2").write_text("editor lock", encoding="utf-8")
    sources = load_template_dir(str(tmp_path))
    assert sorted(sources) == sorted([*SHIPPED_NAMES, "webinar"])
    assert "Mine" in sources["recap"]
    assert sources["webinar"].startswith("{% block subject %}")  # byte-order mark dropped
    assert sources["case_study"] == load_template_dir()["case_study"]
    library = TemplateLibrary(sources)
    assert render(library, "recap").body == "Mine, Priya"


def test_missing_folder(tmp_path):
    missing = tmp_path / "nope"
    with pytest.raises(TemplateError, match="templates folder .*nope not found"):
        load_template_dir(missing)
    afile = tmp_path / "file.j2"
    afile.write_text("x", encoding="utf-8")
    with pytest.raises(TemplateError, match="is not a folder"):
        load_template_dir(afile)


def test_unreadable_template_file(tmp_path):
    (tmp_path / "bad.j2").write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(TemplateError, match="bad.j2 is not UTF-8 text"):
        load_template_dir(tmp_path)


@pytest.mark.parametrize("notes, topic", [
    ("Spoke at the farmers' market: a simple site with opening hours and a loyalty sign-up. "
     "Small budget, about £1,200.", "a simple site with opening hours and a loyalty sign-up"),
    ("Met at the expo: wants a booking system", "a booking system"),
])
def test_topic_after_where_we_talked(notes, topic):
    assert topic_of(notes) == topic
