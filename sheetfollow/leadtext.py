"""Words for drafts taken from a lead's cells: the first name to greet, the topic of the notes.

Heuristics for text people type into a spreadsheet; each errs towards saying less (``there``,
an empty topic) rather than something odd in a message a prospect will read.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator
from typing import Any

_HONORIFICS = {"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "madam", "mister"}
_TOPIC_MAX = 80
_JUST_STR = frozenset({str})


def cell_text(value: object) -> str:
    """A cell value as clean text: None is empty, whole floats lose their ``.0``."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).replace("\r\n", "\n").replace("\r", "\n").strip()


def cell_texts(values: Iterable[object]) -> list[str]:
    """``cell_text`` of each value, with a short cut for the usual case: all plain text (``str``
    itself, not a subclass) without a carriage return, which only needs stripping."""
    items: list[Any] = list(values)
    if set(map(type, items)) == _JUST_STR and "\r" not in "".join(items):
        return list(map(str.strip, items))
    return list(map(cell_text, items))


def amount_text(value: object) -> str:
    """``1200.0`` -> ``1,200``; ``1200.5`` -> ``1,200.50``; None -> ``''``."""
    if value is None or isinstance(value, bool):
        return ""
    if not isinstance(value, int | float):
        return cell_text(value)
    if isinstance(value, float) and not math.isfinite(value):
        return ""
    return f"{int(value):,}" if float(value).is_integer() else f"{value:,.2f}"


def first_name(name: str) -> str:
    """The name to greet: ``"Jane Smith"`` -> ``Jane``; ``"Smith, Jane"`` -> ``Jane``; ``there``.

    A title is skipped (``Dr Jane Smith`` -> ``Jane``) unless only a surname follows it
    (``Dr Smith`` stays whole), and an all-lower or all-upper name gets a capital.
    """
    text = str(name or "")  # only ever split on white space, so never collapsed first
    if "," in text:
        before, after = (part.strip() for part in text.split(",", 1))
        # "Smith, Jane" is surname first; "Jane Smith, PhD" ends with a suffix.
        text = after if len(before.split()) == 1 and after else before
    words = [word for word in (word.strip("\"'()[]<>;:") for word in text.split())
             if "@" not in word and any(map(str.isalpha, word))]
    if words and words[0].rstrip(".").casefold() in _HONORIFICS:
        if len(words) == 2:
            return " ".join(words)
        words = words[1:]
    if not words:
        return "there"
    word = words[0]
    if len(word.rstrip(".")) == 1 and len(words) > 1:  # an initial: "J. Smith"
        return " ".join(words)
    if word.islower() or (word.isupper() and len(word) > 2):
        word = word[:1].upper() + word[1:].lower()
    return word


# Clause breaks in notes: new lines, semicolons, bullets, spaced dashes (notes without any
# character of _MAY_BREAK have none), and sentence ends (group 1 is the break).
_CLAUSE_BREAK = re.compile(r"\n|;|•|\|\s|\s[-–—]+\s")
_MAY_BREAK = re.compile(r"[\n;•|\-–—]")
_SENTENCE_END = re.compile(r"[.!?](\s+)")
_ABBREVIATIONS = {"e.g.", "i.e.", "etc.", "approx.", "vs.", "mr.", "mrs.", "ms.", "dr.", "no.",
                  "inc.", "ltd.", "co.", "st."}
# A date or a label at the start of a note: "2026-03-02:", "12/3 -", "Call notes:".
_LEADING_LABEL = re.compile(
    r"^(?:\d{1,4}[./-]\d{1,2}(?:[./-]\d{1,4})?(?=[\s:–—-])\s*[:–—-]?\s*"
    r"|(?:notes?|call|meeting|phone|email|intro|summary|context|update)\b[^:\n]{0,15}:\s*"
    # Where the talk happened: "Spoke at the farmers' market: a simple site..."
    r"|(?:spoke|met|chatted|talked|visited)\b[^:\n]{0,40}:\s*)",
    re.IGNORECASE)


class _Phrases:
    """A regex of lower-case phrases (no upper-case escape such as ``\\S``), matched ignoring
    case. Matching ASCII text lower-cased, case-sensitively, finds the same match faster."""

    def __init__(self, pattern: str) -> None:
        self._any_case = re.compile(pattern, re.IGNORECASE)
        self._lower = re.compile(pattern)

    def match(self, text: str, lower: str | None) -> re.Match[str] | None:
        """The match at the start of ``text``; ``lower`` is ``text.lower()`` if it is ASCII."""
        return self._any_case.match(text) if lower is None else self._lower.match(lower)


_WHO = r"(?:(?:they|she|he|we|the client|client|customer|prospect)\s+)?"
# "Wants to cut costs" -> "how to cut costs"; "Interested in a new site" -> "a new site".
_WANTS_TO = _Phrases(
    _WHO + r"(?:wants?|needs?|would like|'d like|looking|hop(?:es|ing)|plan(?:s|ning)|trying|"
    r"keen|aim(?:s|ing))\s+to\s+")
_ABOUT = _Phrases(
    _WHO + r"(?:discuss(?:ed|ing)|talk(?:ed|ing) about|spoke about|chatted about|"
    r"ask(?:ed|ing) about|(?:en|in)quir(?:ed|y) (?:about|re)|questions? (?:about|on)|"
    r"(?:called|emailed|call|meeting|met|follow(?:ed)? up|call back) (?:about|re|on)|"
    r"(?:unhappy|frustrated|struggling|problems?|issues?) with|"
    r"interested in|keen on|focused on|re:|re|regarding|about(?!\s+to\b)|topic:|"
    r"looking (?:for|at)|"
    r"consider(?:s|ing)|explor(?:es|ing)|evaluat(?:es|ing)|thinking about|wants?|needs?|"
    r"would like|'d like)\s+")
# Clauses that are the seller's to-do or log, not the prospect's subject.
_NOT_A_TOPIC = {"call", "called", "calling", "ring", "rang", "phone", "phoned", "email", "emailed",
                "e-mail", "send", "sent", "follow", "followed", "chase", "chased", "remind",
                "meet", "met", "left", "lvm", "vm", "voicemail", "no", "spoke", "todo", "tbc",
                "tbd", "next", "budget", "text", "texted", "messaged", "booked", "waiting",
                "referral", "referred", "introduced", "inbound", "source", "found"}
_STATUS = _Phrases(r"(?:about to|going to|will)\b")  # "About to sign elsewhere"
_THEY = re.compile(r"\b(?:they(?:['’](?:re|ve|ll|d))?|them(?:selves)?|theirs?)\b", re.IGNORECASE)
_YOU = {"they": "you", "them": "you", "themselves": "yourselves", "their": "your",
        "theirs": "yours"}
_TRAILING_WORDS = {"and", "or", "but", "so", "with", "for", "to", "the", "a", "an", "of", "in",
                   "on", "at", "by", "from", "as", "is", "are"}


def _split(pattern: re.Pattern[str], text: str) -> Iterator[str]:
    """``pattern.split(text)``, one piece at a time."""
    start = 0
    for match in pattern.finditer(text):
        yield text[start:match.start()]
        start = match.end()
    yield text[start:]


def _clauses(notes: str) -> Iterator[str]:
    """The notes' clauses in order, found as they are needed: the topic is usually in the first.

    A clause keeps the white space it had in the notes; topic_of collapses it.
    """
    parts = _split(_CLAUSE_BREAK, notes) if _MAY_BREAK.search(notes) else (notes,)
    for part in parts:
        start = 0
        for end in _SENTENCE_END.finditer(part):
            clause = part[start:end.start(1)]
            # "e.g. a new site" is one sentence, not two.
            if clause.rsplit(None, 1)[-1].casefold() not in _ABBREVIATIONS:
                yield clause
                start = end.end(1)
        yield part[start:]


def _has_letters(text: str) -> bool:
    """Whether ``text`` has at least three letters (a topic shorter than that says nothing)."""
    return (len(text) >= 3 and text[:3].isalpha()) or sum(map(str.isalpha, text)) >= 3


def _to_you(match: re.Match[str]) -> str:
    word = match.group(0)
    low = word.casefold()
    out = "you" + word[4:] if low.startswith("they") else _YOU.get(low, word)
    return out[:1].upper() + out[1:] if word[:1].isupper() else out


def _shorten(text: str) -> str:
    if len(text) <= _TOPIC_MAX:
        return text
    head = text[: _TOPIC_MAX + 1]
    comma = head.rfind(",", 0, _TOPIC_MAX)
    if comma >= 20:
        text = head[:comma]
    else:
        space = head.rfind(" ")
        text = head[:space] if space > 0 else head[:_TOPIC_MAX]
    words = text.split()
    while len(words) > 1 and words[-1].casefold().strip(",") in _TRAILING_WORDS:
        words.pop()
    return " ".join(words)


def _looks_proper(word: str) -> bool:
    """"CRM", "Q3", "I", "McKinsey": keep the capital. "Wants": an ordinary word."""
    return word == "I" or any(map(str.isdigit, word)) or sum(map(str.isupper, word)) > 1


def topic_of(notes: str) -> str:
    """A short phrase for "about ..." from the notes' first clause; ``''`` if none fits.

    ``"Wants to cut their delivery costs. Budget 5k"`` -> ``how to cut your delivery costs``;
    ``"Interested in a new website; call in March"`` -> ``a new website``. Clauses that are the
    seller's log ("Called, no answer", "Budget 5k") are skipped. At most about 80 characters.
    """
    for clause in _clauses(str(notes or "")):
        text = " ".join(clause.split()).strip(" \"'“”‘’()[]*-–—:,")
        # A leading label starts with a digit or ends in a colon; most notes have neither.
        label = _LEADING_LABEL.match(text) if ":" in text or text[:1].isdecimal() else None
        if label:
            text = text[label.end():].strip(" \"'“”‘’()[]*-–—:,")
        prefixed = False
        lower = text.lower() if text.isascii() else None
        match = _WANTS_TO.match(text, lower)
        if match:
            text, prefixed, lower = "how to " + text[match.end():], True, None
        else:
            match = _ABOUT.match(text, lower)
            if match and match.end() < len(text):
                text, prefixed, lower = text[match.end():], True, None
        if not _has_letters(text):
            continue
        if not prefixed:
            first = text.split(" ", 1)[0].casefold().strip(".,:!?")
            # _STATUS needs an a, g or w first; a cheap test before the regex.
            if first in _NOT_A_TOPIC or (text[:1] in "aAgGwW" and _STATUS.match(text, lower)):
                continue
        if "the" in (lower or text.lower()):  # every word _THEY finds starts with "the"
            text = _THEY.sub(_to_you, text)
        text = _shorten(text).rstrip(" .,;:!?-–—…")
        if not prefixed:
            word = text.split(" ", 1)[0]
            if not _looks_proper(word):
                text = text[:1].lower() + text[1:]
        if _has_letters(text):
            return text
    return ""
