"""Template checks: the rules of SPEC 6 for messages a user will send.

No filler phrases, short (emails of at most five sentences, texts of at most 320 characters) and
specific to the lead. Templates are inspected as Jinja2 syntax trees and rendered with sample
leads, so a check names the template and the kind of message at fault.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING

from jinja2 import TemplateSyntaxError, nodes

from sheetfollow.drafts import (
    KINDS,
    DraftError,
    LeadContext,
    SenderContext,
    StepContext,
)

if TYPE_CHECKING:
    from sheetfollow.drafts import TemplateLibrary

BANNED_PHRASES = ("just checking in", "just following up", "touching base", "circling back",
                  "bumping this", "hope this finds you well", "any update", "per my last email",
                  "did you get a chance")
MAX_SENTENCES = 5
MAX_TEXT = 320
# Attributes that make a message about this lead rather than anyone.
LEAD_SPECIFIC = frozenset({"name", "first_name", "company", "notes", "topic", "value",
                           "value_text", "last_contact"})
BODY_KINDS = ("email", "call", "text", "letter")
_CHANNELS_OF_KIND = {"email": ("email",), "call": ("call",),
                     "text": ("sms", "whatsapp", "linkedin"), "letter": ("letter",)}

# Realistic samples: one lead with everything (a long company and topic, to test lengths), one
# with nothing but a short name.
SAMPLE_TODAY = dt.date(2026, 3, 11)
SAMPLE_SENDER = SenderContext(name="Sam Rivera", company="Rivera Studio",
                              signature="Rivera Studio · 020 7946 0000",
                              booking_link="https://cal.example.com/sam-rivera/20min")
SAMPLE_LEADS = (
    LeadContext(name="Alexandra Whitfield", company="Northwind Logistics Group",
                email="alexandra@northwind.example", phone="+44 20 7946 0018",
                notes="Wants to cut their delivery costs before the busy season starts in "
                      "October; quoting 3 couriers. Budget approved.",
                value=18500.0, stage="Qualified", last_contact=dt.date(2026, 3, 2),
                last_method="call", days_since_contact=9),
    LeadContext(name="Jo"),
)

_BANNED = [(phrase, re.compile(rf"\b{re.escape(phrase)}\b")) for phrase in BANNED_PHRASES]
_GREETING = re.compile(r"^(?:hi|hello|hey|dear|good (?:morning|afternoon|evening))\b.{0,40}$",
                       re.IGNORECASE)
_SIGN_OFF = re.compile(
    r"^(?:best|thanks|thank you|many thanks|cheers|regards|kind regards|warm regards|"
    r"best regards|all the best|best wishes|speak soon|talk soon|sincerely|yours|"
    r"yours sincerely|take care|warmly|with thanks)\b[^.?!]{0,15}[,!]?$", re.IGNORECASE)
# A link, without the full stop that may end the sentence it sits in.
_URL = re.compile(r"\b(?:\w+://|www\.)\S*[^\s.,;:!?)\]\"'”’]")
_ABBREVIATION = re.compile(r"\b(?:e\.g|i\.e|etc|vs|mr|mrs|ms|dr|approx|no)\.", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?…]+(?=[\s\"'”’)]|$)")


def count_sentences(body: str, sender_name: str = "") -> int:
    """Sentences in an email body, leaving out the greeting and everything from the sign-off."""
    lines = body.split("\n")
    if lines and _GREETING.match(lines[0].strip()):
        lines = lines[1:]
    kept: list[str] = []
    for line in lines:
        text = line.strip()
        if _SIGN_OFF.match(text) or (sender_name and text == sender_name):
            break
        kept.append(text)
    text = _ABBREVIATION.sub(" ", _URL.sub(" ", " ".join(kept)))
    return len(_SENTENCE_END.findall(text))


def check_library(library: TemplateLibrary) -> list[str]:
    """Every problem with the library's templates, one line each, naming template and kind."""
    problems: list[str] = []
    files, tab, env = library._files, library._tab, library._env
    for name in sorted(set(files) | {template for template, _ in tab}):
        helper = name.startswith("_")  # included or imported by others, never a message
        units: list[tuple[str, str, nodes.Node]] = []  # (kind, label, syntax tree)
        if name in files:
            try:
                tree = env.parse(files[name], name=name)
            except TemplateSyntaxError as error:
                problems.append(f"template {name}: line {error.lineno}: {error.message}")
            else:
                if not helper:
                    problems += _structure(name, tree)
                units += [(block.name, f"template {name} ({block.name})", block)
                          for block in tree.find_all(nodes.Block)]
        for (template, kind), (source, row) in tab.items():
            if template != name:
                continue
            label = f"template {name} ({kind}, Templates row {row})"
            try:
                units.append((kind, label, env.parse(source)))
            except TemplateSyntaxError as error:
                problems.append(f"{label}: line {error.lineno}: {error.message}")
        for kind, label, tree in units:
            phrase = _filler(tree)
            if phrase:
                problems.append(f"{label}: uses the filler phrase {phrase!r}; say something "
                                "specific to the lead instead")
            if not helper and kind in BODY_KINDS and not _uses_lead(tree):
                problems.append(f"{label}: uses nothing specific to the lead; add "
                                "{{ lead.first_name }}, {{ lead.company }} or {{ lead.topic }}")
        if not helper:
            problems += _rendered(library, name)
    problems += library.problems
    return list(dict.fromkeys(problems))  # the same problem once, in order


def _structure(name: str, tree: nodes.Template) -> list[str]:
    """Problems with what a template file holds outside its blocks."""
    problems: list[str] = []
    blocks = [node for node in tree.body if isinstance(node, nodes.Block)]
    extends = any(isinstance(node, nodes.Extends) for node in tree.body)
    if not blocks and not extends:
        problems.append(f"template {name}: has no {{% block %}}; wrap each message in "
                        "{% block email %}...{% endblock %} (or subject, call, text, letter)")
    for block in blocks:
        if block.name not in KINDS:
            problems.append(f"template {name}: unknown block {block.name!r}; use "
                            f"{', '.join(KINDS)}")
    for node in tree.body:
        if isinstance(node, nodes.Block | nodes.Extends):
            continue
        if isinstance(node, nodes.Output) and all(
                isinstance(child, nodes.TemplateData) and not child.data.strip()
                for child in node.nodes):
            continue
        if isinstance(node, nodes.Output):
            problems.append(f"template {name}: line {node.lineno}: text outside a {{% block %}} "
                            "is never used; move it into a block")
        else:
            problems.append(f"template {name}: line {node.lineno}: statements outside a "
                            "{% block %} are not run; move them into the block that needs them")
    return problems


def _filler(tree: nodes.Node) -> str | None:
    """The first banned phrase in the template's own text, if any."""
    texts = [node.data for node in tree.find_all(nodes.TemplateData)]
    texts += [node.value for node in tree.find_all(nodes.Const) if isinstance(node.value, str)]
    for text in texts:
        text = " ".join(text.replace("’", "'").split()).casefold()
        for phrase, pattern in _BANNED:
            if pattern.search(text):
                return phrase
    return None


def _uses_lead(tree: nodes.Node) -> bool:
    """Whether a block reads something particular to the lead (``lead.topic``, ...)."""
    mentions = sum(1 for node in tree.find_all(nodes.Name) if node.name == "lead")
    reads = 0
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        if isinstance(node.node, nodes.Name) and node.node.name == "lead":
            reads += 1
            if isinstance(node, nodes.Getattr):
                attribute = node.attr
            else:
                attribute = node.arg.value if isinstance(node.arg, nodes.Const) else None
            if attribute in LEAD_SPECIFIC:
                return True
    if mentions > reads:  # the whole lead handed to a macro or a variable: give it the benefit
        return True
    # An include or {{ super() }} brings text checked where it is defined.
    return any(True for _ in tree.find_all(nodes.Include)) or any(
        isinstance(call.node, nodes.Name) and call.node.name == "super"
        for call in tree.find_all(nodes.Call))


def _rendered(library: TemplateLibrary, name: str) -> list[str]:
    """Render each kind of message ``name`` has with the samples; report errors and lengths."""
    problems: list[str] = []
    for kind in BODY_KINDS:
        located = library._locate(name, kind)
        if kind == "email" and located is None:
            located = library._locate(name, "subject")
        if located is None or (kind == "letter" and located[1] != "letter"):
            continue  # no such message, or a letter that is the email (checked as the email)
        most_sentences = longest = 0
        for lead in SAMPLE_LEADS:
            for final in (False, True):
                for channel in _CHANNELS_OF_KIND[kind]:
                    step = StepContext(number=5 if final else 2, total=5, channel=channel,
                                       template=name, cadence="prospect", final=final)
                    try:
                        draft = library.render(name, channel, lead, step, SAMPLE_SENDER,
                                               SAMPLE_TODAY)
                    except DraftError as error:
                        problems.append(str(error))
                        continue
                    if kind == "email":
                        most_sentences = max(most_sentences,
                                             count_sentences(draft.body, SAMPLE_SENDER.name))
                    longest = max(longest, len(draft.body))
        if most_sentences > MAX_SENTENCES:
            problems.append(f"template {name} (email): {most_sentences} sentences with a sample "
                            f"lead; keep emails to {MAX_SENTENCES} or fewer")
        if kind == "text" and longest > MAX_TEXT:
            problems.append(f"template {name} (text): {longest} characters with a sample lead; "
                            f"keep texts to {MAX_TEXT} or fewer")
    return problems
