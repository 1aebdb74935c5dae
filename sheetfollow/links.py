"""Open links for the Due tab: one click opens the draft in a mail client, phone or WhatsApp.

Every piece of lead text is percent-encoded into the query string (RFC 6068 for ``mailto:``,
RFC 5724 for ``sms:``), and a link never grows past what browsers and spreadsheets will open.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

from sheetfollow.model import Link

if TYPE_CHECKING:
    from sheetfollow.drafts import Draft

MAX_URL = 2000
ELLIPSIS = "…"

_EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE_SEPARATORS = re.compile(r"[\s\-.()\u00a0]")
_PHONE = re.compile(r"\+?\d{3,20}")

_UNRESERVED = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~"
_ADDRESS_SAFE = _UNRESERVED + b"@"
_BYTE = [bytes([byte]) for byte in range(256)]
_PERCENT = ord("%")
_FEW = 24  # distinct bytes to quote, at most, for quoting one byte value at a time


@lru_cache(maxsize=4)
def _quoted(safe: bytes) -> list[bytes]:
    """Each byte's form in a URL: itself if ``safe``, else %XX (as urllib.parse.quote gives),
    and a new line as CR LF, the line break of a message (RFC 6068, RFC 5724)."""
    table = [_BYTE[byte] if byte in safe else b"%%%02X" % byte for byte in range(256)]
    table[ord("\n")] = b"%0D%0A"
    return table


def _encode(text: str, safe: bytes = _UNRESERVED) -> str:
    """Percent-encode everything but ``safe`` characters; new lines become ``%0D%0A``."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    data = text.encode("utf-8")
    quoted = _quoted(safe)
    # A message holds few distinct bytes to quote (space, comma, new line...): replacing each
    # throughout, "%" first, is several times faster than quoting byte by byte.
    unsafe = set(data.translate(None, safe))
    if len(unsafe) > _FEW:
        return b"".join(map(quoted.__getitem__, data)).decode("ascii")  # list: a cheap call
    if _PERCENT in unsafe:
        data = data.replace(b"%", b"%25")
        unsafe.discard(_PERCENT)
    for byte in unsafe:
        data = data.replace(_BYTE[byte], quoted[byte])
    return data.decode("ascii")


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
        base = "mailto:" + _encode(address, _ADDRESS_SAFE)
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
