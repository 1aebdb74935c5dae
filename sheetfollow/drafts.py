"""Drafts: a lead's next message, rendered from Jinja2 templates in a sandbox.

Templates come from ``*.j2`` files (one per template name, one ``{% block %}`` per kind of message)
overlaid by rows of the Templates tab. Rendering is pure (no I/O, no clock): the core passes the
lead, the step, the sender and today. A lead's cells are data and never become template code.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from jinja2 import Template, TemplateNotFound, nodes
from jinja2.bccache import BytecodeCache
from jinja2.exceptions import TemplateRuntimeError, TemplateSyntaxError
from jinja2.runtime import Context

from sheetfollow.draftenv import make_environment, reason, template_key
from sheetfollow.errors import TemplateError
from sheetfollow.leadtext import amount_text, cell_text, cell_texts, first_name, topic_of
from sheetfollow.links import open_link

__all__ = [
    "Draft", "DraftError", "LeadContext", "SenderContext", "StepContext", "TemplateLibrary",
    "first_name", "open_link", "template_key", "topic_of",
]

# The kinds of message a template holds, one Jinja2 block each, and the block each channel uses.
KINDS = ("subject", "email", "call", "text", "letter")
BLOCK_OF_CHANNEL = {"email": "email", "call": "call", "linkedin": "text", "sms": "text",
                    "whatsapp": "text", "letter": "letter"}
# Channel words accepted in the Templates tab.
TAB_CHANNELS = {"email": "email", "call": "call", "text": "text", "sms": "text",
                "whatsapp": "text", "linkedin": "text", "letter": "letter"}
_ADD_HINT = {"subject": "email subject", "email": "email", "call": "call notes",
             "text": "text message", "letter": "letter"}


# LeadContext's text fields: each is cleaned with cell_text.
_LEAD_TEXT = ("name", "company", "email", "phone", "notes", "stage", "last_method", "first_name",
              "topic", "value_text")


@dataclass(frozen=True)
class LeadContext:
    """The lead as templates see it (``lead.first_name``, ``lead.topic``...).

    ``first_name``, ``topic`` and ``value_text`` are derived from ``name``, ``notes`` and ``value``
    when left empty; None in any text field becomes ``''`` so a draft never says "None".
    """

    name: str = ""
    company: str = ""
    email: str = ""
    phone: str = ""
    notes: str = ""
    value: float | None = None
    stage: str = ""
    last_contact: dt.date | None = None
    last_method: str = ""
    days_since_contact: int | None = None
    first_name: str = ""
    topic: str = ""
    value_text: str = ""

    def __post_init__(self) -> None:
        values = self.__dict__  # frozen: set the fields where object.__setattr__ would
        values.update(zip(_LEAD_TEXT, cell_texts(map(values.__getitem__, _LEAD_TEXT)), strict=True))
        if not values["first_name"]:
            values["first_name"] = first_name(values["name"])
        if not values["topic"]:
            values["topic"] = topic_of(values["notes"])
        if not values["value_text"]:
            values["value_text"] = amount_text(values["value"])


@dataclass(frozen=True)
class StepContext:
    """The cadence step being drafted: ``step.number`` of ``step.total``, its purpose..."""

    number: int = 1
    total: int = 1
    purpose: str = ""
    channel: str = "email"
    template: str = ""
    cadence: str = ""
    final: bool = False  # the last step of a cadence that does not repeat


@dataclass(frozen=True)
class SenderContext:
    """The Settings' sender fields; empty ones are ``''``."""

    name: str = ""
    company: str = ""
    signature: str = ""
    booking_link: str = ""

    def __post_init__(self) -> None:
        for name in ("name", "company", "signature", "booking_link"):
            object.__setattr__(self, name, cell_text(getattr(self, name)))


@dataclass(frozen=True)
class Draft:
    """A rendered message. ``subject`` is empty unless the channel is email."""

    channel: str
    subject: str
    body: str


class DraftError(TemplateError):
    """A template failed for one lead; ``str(e)`` is a one-line reason for the lead's flag."""


# -- output ----------------------------------------------------------------------------------------
# No pattern crosses a line break, so they run on the whole text at once.
_SPACE_RUN = re.compile(r"(?<=\S) {2,}")
_SPACE_BEFORE_STOP = re.compile(r"(?<=\w) +([,.])(?=\s|$)")
_BLANK_LINES = re.compile(r"\n{3,}")


def tidy(text: str) -> str:
    """Strip trailing spaces, squeeze gaps an empty ``{% if %}`` leaves, at most one blank line."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = "\n".join([line.rstrip() for line in text.split("\n")])
    # Each substitution is skipped when the text cannot match it (the usual case).
    if "  " in text:
        text = _SPACE_RUN.sub(" ", text)
    if " ," in text or " ." in text:
        text = _SPACE_BEFORE_STOP.sub(r"\1", text)
    if "\n\n\n" in text:
        text = _BLANK_LINES.sub("\n\n", text)
    return text.strip()


# -- the library -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Part:
    """One compiled message part: a function run in a context of ``template`` (and parents)."""

    template: Template
    parents: tuple[Template, ...]
    run: Callable[[Context], Iterator[str]]

    def context(self, values: dict[str, Any]) -> Context:
        context = self.template.new_context(values)
        # What {% extends %} does at run time, done here because only blocks are rendered.
        for parent in self.parents:
            for block_name, function in parent.blocks.items():
                context.blocks.setdefault(block_name, []).append(function)
        return context


class TemplateLibrary:
    """All template sources: files (name -> source) overlaid by Templates tab rows. Immutable.

    Each (template, block) is compiled once, on first use, and cached with its error if any, so
    rendering thousands of drafts costs a dictionary lookup and the block itself.
    """

    def __init__(self, files: Mapping[str, str], tab_rows: Sequence[Sequence[object]] = (),
                 compiled: BytecodeCache | None = None) -> None:
        self.problems: list[str] = []
        self._files: dict[str, str] = {}
        for name, source in files.items():
            key = template_key(name)
            if key is None:
                self.problems.append(f"template file {name!r}: not a usable template name")
            else:
                self._files[key] = source
        # (template, block) -> (Jinja source, row number in the Templates tab)
        self._tab: dict[tuple[str, str], tuple[str, int]] = {}
        self._read_tab(tab_rows)
        self._env = make_environment(self._files, (LeadContext, StepContext, SenderContext),
                                     compiled)
        self._parts: dict[tuple[str, str], _Part | str] = {}
        self._chains: dict[str, list[Template] | str] = {}

    def _read_tab(self, rows: Sequence[Sequence[object]]) -> None:
        for index, row in enumerate(rows):
            number = index + 2  # row 1 is the header
            cells = [cell_text(cell) for cell in list(row)[:4]]
            cells += [""] * (4 - len(cells))
            name_cell, channel_cell, subject, body = cells
            if not any(cells):
                continue
            where = f"Templates row {number}"
            name = template_key(name_cell)
            if not name_cell:
                self.problems.append(f"{where}: the Template cell is empty; name the template "
                                     "(for example recap)")
                continue
            if name is None:
                self.problems.append(f"{where}: {name_cell!r} is not a usable template name")
                continue
            block = TAB_CHANNELS.get(channel_cell.casefold())
            if block is None:
                self.problems.append(f"{where}: unknown channel {channel_cell!r}; use email, call, "
                                     "text, sms, whatsapp, linkedin or letter")
                continue
            if subject and block != "email":
                self.problems.append(f"{where}: Subject is used only on email rows; it is ignored")
                subject = ""
            if not body and not subject:
                self.problems.append(f"{where}: the Body is empty")
                continue
            for part, source in (("subject", subject), (block, body)):
                if not source:
                    continue
                earlier = self._tab.get((name, part))
                if earlier is not None:
                    self.problems.append(f"{where}: repeats the {_ADD_HINT[part]} of template "
                                         f"{name} from row {earlier[1]}; row {number} is used")
                self._tab[(name, part)] = (source, number)

    # -- what is there ---------------------------------------------------------------------------
    def names(self) -> list[str]:
        """Template names a cadence can use (files starting with ``_`` are helpers)."""
        names = {name for name in self._files if not name.startswith("_")}
        return sorted(names | {name for name, _ in self._tab})

    def has(self, name: str, channel: str) -> bool:
        """Whether ``name`` has a message for ``channel`` (email needs a subject and a body)."""
        key = template_key(name)
        block = BLOCK_OF_CHANNEL.get(channel)
        if key is None or block is None:
            return False
        needed = ("subject", "email") if block == "email" else (block,)
        return all(self._locate(key, part) is not None for part in needed)

    def _file_blocks(self, name: str) -> set[str] | None:
        """The blocks template file ``name`` (and what it extends) defines; None: unreadable."""
        chain = self._chain(name)
        if isinstance(chain, str):
            return None
        return {block for template in chain for block in template.blocks}

    def _find(self, name: str, block: str) -> str | None:
        """Where (name, block) comes from: 'tab', 'file' or None."""
        if (name, block) in self._tab:
            return "tab"
        if name in self._files:
            blocks = self._file_blocks(name)
            # An unreadable file counts as having the block, so rendering reports the real error.
            if blocks is None or block in blocks:
                return "file"
        return None

    def _locate(self, name: str, block: str) -> tuple[str, str] | None:
        """(origin, block) to render for ``block`` of ``name``; a letter falls back to the email."""
        for candidate in (block, "email") if block == "letter" else (block,):
            origin = self._find(name, candidate)
            if origin is not None:
                return origin, candidate
        return None

    # -- compiling -------------------------------------------------------------------------------
    def _chain(self, name: str) -> list[Template] | str:
        """Template file ``name`` and the files it extends, compiled; or an error reason."""
        cached = self._chains.get(name)
        if cached is None:
            try:
                cached = self._compile_chain(name)
            except Exception as error:  # any failure is the template's problem
                cached = reason(error)
            self._chains[name] = cached
        return cached

    def _compile_chain(self, name: str) -> list[Template]:
        chain: list[Template] = []
        current: str | None = name
        while current is not None:
            key = template_key(current)
            if key is None or key not in self._files:
                raise TemplateNotFound(current)
            if any(template.name == key for template in chain):
                raise TemplateRuntimeError(f"{{% extends %}} loops back to template {key}")
            source = self._files[key]
            chain.append(self._env.get_template(key))
            # Parsing costs as much as compiling: only a template that may extend is parsed.
            current = _extends(self._env.parse(source, name=key)) if "extends" in source \
                else None
        return chain

    def _part(self, name: str, block: str, label: str) -> _Part:
        key = (name, block)
        cached = self._parts.get(key)
        if cached is None:
            try:
                cached = self._compile(name, block, label)
            except DraftError as error:
                cached = str(error)
            self._parts[key] = cached
        if isinstance(cached, str):
            raise DraftError(cached)
        return cached

    def _compile(self, name: str, block: str, label: str) -> _Part:
        located = self._locate(name, block)
        if located is None:
            if name not in self._files and not any(key[0] == name for key in self._tab):
                raise DraftError(f"no template called {name!r}; add {name}.j2 to the templates "
                                 "folder or a row to the Templates tab")
            row_kind = "email" if block == "subject" else block
            raise DraftError(f"template {name} has no {_ADD_HINT[block]}; add a "
                             f"{{% block {block} %}} to {name}.j2 or a Templates tab row with "
                             f"channel {row_kind}")
        origin, found = located
        if origin == "tab":
            source, row = self._tab[(name, found)]
            try:
                template = self._env.from_string(source)
            except Exception as error:
                raise DraftError(f"template {name} ({label}, Templates row {row}): "
                                 f"{reason(error)}") from None
            return _Part(template, (), template.root_render_func)
        chain = self._chain(name)
        if isinstance(chain, str):
            kind = "email" if block == "subject" else label  # the file, not one block, is broken
            raise DraftError(f"template {name} ({kind}): {chain}")
        # The block the first template in the chain to define it gives (as {% extends %} does).
        run = next(template.blocks[found] for template in chain if found in template.blocks)
        return _Part(chain[0], tuple(chain[1:]), run)

    def prepare(self, wanted: Iterable[tuple[str, str]]) -> None:
        """Compile, once, what rendering the (template name, channel) pairs will need, before
        the drafts are shared out (each process would otherwise compile its own)."""
        for name, channel in set(wanted):
            block, key = BLOCK_OF_CHANNEL.get(channel), template_key(name)
            if block is None or key is None:
                continue
            parts = [("subject", "email subject")] if block == "email" else []
            for part, label in parts + [(block, block)]:
                try:
                    self._part(key, part, label)
                except DraftError:
                    pass  # cached: rendering reports it for each lead

    # -- rendering -------------------------------------------------------------------------------
    def render(self, name: str, channel: str, lead: LeadContext, step: StepContext,
               sender: SenderContext, today: dt.date) -> Draft:
        """The draft for one lead; raises DraftError with a one-line reason."""
        block = BLOCK_OF_CHANNEL.get(channel)
        if block is None:
            raise DraftError(f"unknown channel {channel!r}; use one of "
                             f"{', '.join(BLOCK_OF_CHANNEL)}")
        key = template_key(name)
        if key is None:
            raise DraftError(f"no template called {name!r}")
        values = {"lead": lead, "step": step, "sender": sender, "today": today,
                  "channel": channel}
        # A file's subject and body blocks run in one context, as they would in a full render.
        contexts: dict[Template, Context] = {}
        subject = ""
        if block == "email":
            part = self._part(key, "subject", "email subject")
            subject = " ".join(_run(part, values, contexts, key, "email subject").split())
            if not subject:
                raise DraftError(f"template {key} (email): the subject is empty")
        body = tidy(_run(self._part(key, block, block), values, contexts, key, block))
        if not body:
            raise DraftError(f"template {key} ({block}): the message is empty")
        return Draft(channel=channel, subject=subject, body=body)

    def check(self) -> list[str]:
        """Problems with the templates, one line each (see ``sheetfollow.draftcheck``)."""
        from sheetfollow.draftcheck import check_library  # draftcheck builds on this module

        return check_library(self)


def _run(part: _Part, values: dict[str, Any], contexts: dict[Template, Context], name: str,
         label: str) -> str:
    """The text of ``part``, in the context already made for its template if there is one."""
    try:
        context = contexts.get(part.template)
        if context is None:
            context = contexts[part.template] = part.context(values)
        return "".join(part.run(context))
    except Exception as error:  # a broken template flags one lead, never more
        raise DraftError(f"template {name} ({label}): {reason(error)}") from None


def _extends(template: nodes.Template) -> str | None:
    """The name a template ``{% extends %}``, or None; a computed name is refused."""
    for node in template.body:
        if isinstance(node, nodes.Extends):
            if isinstance(node.template, nodes.Const) and isinstance(node.template.value, str):
                return node.template.value
            raise TemplateSyntaxError("{% extends %} needs a quoted template name", node.lineno)
    return None
