"""Open links for the Due tab: one click opens the draft in a mail client, phone or WhatsApp.

Every piece of lead text is percent-encoded into the query string (RFC 6068 for ``mailto:``,
RFC 5724 for ``sms:``), and a link never grows past what browsers and spreadsheets will open.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import quote

from sheetfollow.model import Link

if TYPE_CHECKING:
    from sheetfollow.drafts import Draft

MAX_URL = 2000
ELLIPSIS = "…"

_EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE_SEPARATORS = re.compile(r"[\s\-.()\u00a0]")
_PHONE = re.compile(r"\+?\d{3,20}")


def _encode(text: str) -> str:
    """Percent-encode everything but unreserved characters; new lines become ``%0D%0A``."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n")
    return quote(text, safe="")


@lru_cache(maxsize=4096)
def _encoded_length(char: str) -> int:
    return len(_encode(char))


def _address(to: str) -> str | None:
    match = _EMAIL.search(to)
    return match.group(0) if match else None


def _number(to: str) -> str | None:
    """``+44 (0)20 7946-0000`` style text as ``+4402079460000``; None if it is not a number."""
    if to.startswith("+"):
        to = to.replace("(0)", "")  # "+44 (0)20 ...": the 0 is dialled only inside the country
    number = _PHONE_SEPARATORS.sub("", to)
    return number if _PHONE.fullmatch(number) else None


def _shorten(text: str, room: int) -> str:
    """The longest start of ``text``, cut at a word and ended with "…", encoding to ``room``."""
    room -= len(_encode(ELLIPSIS))
    used = cut = 0
    for index, char in enumerate(text):
        used += _encoded_length(char)
        if used > room:
            break
        cut = index + 1
    if cut >= len(text):
        return text
    head = text[:cut]
    if not text[cut].isspace():
        space = max(head.rfind(" "), head.rfind("\n"))
        if space > 0:
            head = head[:space]
    head = head.rstrip()
    return head + ELLIPSIS if head else ""


def _with_query(base: str, params: list[tuple[str, str]]) -> str:
    """``base?k=v&...``; the last parameter (the message) is shortened to fit MAX_URL."""
    params = [(key, value) for key, value in params if value]
    while params:
        fixed = "&".join(f"{key}={_encode(value)}" for key, value in params[:-1])
        start = f"{base}?{fixed}&" if fixed else f"{base}?"
        key, value = params[-1]
        room = MAX_URL - len(start) - len(key) - 1
        encoded = _encode(value)
        if len(encoded) <= room:
            return f"{start}{key}={encoded}"
        text = _shorten(value, room) if room > 0 else ""
        if text:
            return f"{start}{key}={_encode(text)}"
        params = params[:-1]  # no room for it at all: drop the message, keep the rest
    return base


def open_link(channel: str, to: object, draft: Draft) -> Link | None:
    """The Due tab's Open link for ``draft`` sent to ``to``; None when there is nothing to open.

    email -> ``mailto:``, call -> ``tel:``, sms -> ``sms:``, whatsapp -> ``https://wa.me/``;
    linkedin and letter have no link, and neither has a missing or unreadable address or number.
    """
    if isinstance(to, float) and to.is_integer():  # a phone number typed into a number cell
        to = int(to)
    text = str(to or "").strip()
    if channel == "email":
        address = _address(text)
        if address is None or len(address) > MAX_URL // 2:
            return None
        base = "mailto:" + quote(address, safe="@")
        return Link(_with_query(base, [("subject", draft.subject), ("body", draft.body)]),
                    "Email")
    number = _number(text)
    if number is None:
        return None
    if channel == "call":
        return Link(f"tel:{number}", "Call")
    if channel == "sms":
        return Link(_with_query(f"sms:{number}", [("body", draft.body)]), "Text")
    if channel == "whatsapp":
        digits = number.lstrip("+")
        if digits.startswith("00"):  # 0044... is the international form of +44...
            digits = digits[2:]
        return Link(_with_query(f"https://wa.me/{digits}", [("text", draft.body)]), "WhatsApp")
    return None
