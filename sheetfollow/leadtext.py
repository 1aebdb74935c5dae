"""Words for drafts taken from a lead's cells: the first name to greet, the topic of the notes.

Heuristics for text people type into a spreadsheet; each errs towards saying less (``there``,
an empty topic) rather than something odd in a message a prospect will read.
"""

from __future__ import annotations

import math
import re

_HONORIFICS = {"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "madam", "mister"}
_TOPIC_MAX = 80


def cell_text(value: object) -> str:
    """A cell value as clean text: None is empty, whole floats lose their ``.0``."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).replace("\r\n", "\n").replace("\r", "\n").strip()


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
    text = " ".join(str(name or "").split())
    if "," in text:
        before, after = (part.strip() for part in text.split(",", 1))
        # "Smith, Jane" is surname first; "Jane Smith, PhD" ends with a suffix.
        text = after if len(before.split()) == 1 and after else before
    words = [word.strip("\"'()[]<>;:") for word in text.split()]
    words = [word for word in words if any(char.isalpha() for char in word) and "@" not in word]
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


# Clause breaks in notes: new lines, semicolons, bullets, spaced dashes, sentence ends.
_CLAUSE_BREAK = re.compile(r"\n|;|•|\|\s|\s[-–—]+\s")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_ABBREVIATIONS = {"e.g.", "i.e.", "etc.", "approx.", "vs.", "mr.", "mrs.", "ms.", "dr.", "no.",
                  "inc.", "ltd.", "co.", "st."}
# A date or a label at the start of a note: "2026-03-02:", "12/3 -", "Call notes:".
_LEADING_LABEL = re.compile(
    r"^(?:\d{1,4}[./-]\d{1,2}(?:[./-]\d{1,4})?(?=[\s:–—-])\s*[:–—-]?\s*"
    r"|(?:notes?|call|meeting|phone|email|intro|summary|context|update)\b[^:\n]{0,15}:\s*)",
    re.IGNORECASE)
_WHO = r"(?:(?:they|she|he|we|the client|client|customer|prospect)\s+)?"
# "Wants to cut costs" -> "how to cut costs"; "Interested in a new site" -> "a new site".
_WANTS_TO = re.compile(
    _WHO + r"(?:wants?|needs?|would like|'d like|looking|hop(?:es|ing)|plan(?:s|ning)|trying|"
    r"keen|aim(?:s|ing))\s+to\s+", re.IGNORECASE)
_ABOUT = re.compile(
    _WHO + r"(?:discuss(?:ed|ing)|talk(?:ed|ing) about|spoke about|chatted about|"
    r"ask(?:ed|ing) about|(?:en|in)quir(?:ed|y) (?:about|re)|questions? (?:about|on)|"
    r"(?:called|emailed|call|meeting|met|follow(?:ed)? up|call back) (?:about|re|on)|"
    r"(?:unhappy|frustrated|struggling|problems?|issues?) with|"
    r"interested in|keen on|focused on|re:|re|regarding|about(?!\s+to\b)|topic:|"
    r"looking (?:for|at)|"
    r"consider(?:s|ing)|explor(?:es|ing)|evaluat(?:es|ing)|thinking about|wants?|needs?|"
    r"would like|'d like)\s+", re.IGNORECASE)
# Clauses that are the seller's to-do or log, not the prospect's subject.
_NOT_A_TOPIC = {"call", "called", "calling", "ring", "rang", "phone", "phoned", "email", "emailed",
                "e-mail", "send", "sent", "follow", "followed", "chase", "chased", "remind",
                "meet", "met", "left", "lvm", "vm", "voicemail", "no", "spoke", "todo", "tbc",
                "tbd", "next", "budget", "text", "texted", "messaged", "booked", "waiting",
                "referral", "referred", "introduced", "inbound", "source", "found"}
_STATUS = re.compile(r"(?:about to|going to|will)\b", re.IGNORECASE)  # "About to sign elsewhere"
_THEY = re.compile(r"\b(?:they(?:['’](?:re|ve|ll|d))?|them(?:selves)?|theirs?)\b", re.IGNORECASE)
_YOU = {"they": "you", "them": "you", "themselves": "yourselves", "their": "your",
        "theirs": "yours"}
_TRAILING_WORDS = {"and", "or", "but", "so", "with", "for", "to", "the", "a", "an", "of", "in",
                   "on", "at", "by", "from", "as", "is", "are"}


def _clauses(notes: str) -> list[str]:
    clauses: list[str] = []
    for part in _CLAUSE_BREAK.split(notes):
        pieces = _SENTENCE_END.split(part)
        merged: list[str] = []
        for piece in pieces:
            # "e.g. a new site" is one sentence, not two.
            if merged and merged[-1].split()[-1].casefold() in _ABBREVIATIONS:
                merged[-1] += " " + piece
            else:
                merged.append(piece)
        clauses.extend(merged)
    return clauses


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
    return (word == "I" or any(char.isdigit() for char in word)
            or sum(char.isupper() for char in word) > 1)


def topic_of(notes: str) -> str:
    """A short phrase for "about ..." from the notes' first clause; ``''`` if none fits.

    ``"Wants to cut their delivery costs. Budget 5k"`` -> ``how to cut your delivery costs``;
    ``"Interested in a new website; call in March"`` -> ``a new website``. Clauses that are the
    seller's log ("Called, no answer", "Budget 5k") are skipped. At most about 80 characters.
    """
    for clause in _clauses(str(notes or "")):
        text = " ".join(clause.split()).strip(" \"'“”‘’()[]*-–—:,")
        text = _LEADING_LABEL.sub("", text).strip(" \"'“”‘’()[]*-–—:,")
        prefixed = False
        match = _WANTS_TO.match(text)
        if match:
            text, prefixed = "how to " + text[match.end():], True
        else:
            match = _ABOUT.match(text)
            if match and match.end() < len(text):
                text, prefixed = text[match.end():], True
        first = text.split(" ", 1)[0].casefold().strip(".,:!?")
        if sum(char.isalpha() for char in text) < 3 or (
                not prefixed and (first in _NOT_A_TOPIC or _STATUS.match(text))):
            continue
        text = _THEY.sub(_to_you, text)
        text = _shorten(text).rstrip(" .,;:!?-–—…")
        if not prefixed:
            word = text.split(" ", 1)[0]
            if not _looks_proper(word):
                text = text[:1].lower() + text[1:]
        if sum(char.isalpha() for char in text) >= 3:
            return text
    return ""
