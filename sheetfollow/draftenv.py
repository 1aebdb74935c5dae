"""The Jinja2 sandbox drafts are rendered in, its filters, and short reasons for its errors.

Templates are the user's code (files and the Templates tab): the sandbox keeps them away from
Python internals and the file system, and caps the cheap ways to stall a sync.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import fields
from typing import Any

from jinja2 import BaseLoader, StrictUndefined, TemplateNotFound
from jinja2.bccache import BytecodeCache
from jinja2.exceptions import (
    SecurityError,
    TemplateRuntimeError,
    TemplateSyntaxError,
    UndefinedError,
)
from jinja2.sandbox import ImmutableSandboxedEnvironment

from sheetfollow.leadtext import cell_text

# Resource limits: a template is the user's code, but one bad row must not hang the sync.
_MAX_RANGE = 1000
_MAX_REPEAT = 10_000
_MAX_EXPONENT = 1000
_MAX_BITS = 100_000
_MAX_REASON = 200


# -- dates -----------------------------------------------------------------------------------------
# Fixed English names: strftime would follow the machine's locale.
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")


def longdate(value: object) -> str:
    """``Tuesday 12 November``; empty for a missing date."""
    if not isinstance(value, dt.date):
        return cell_text(value)
    return f"{_WEEKDAYS[value.weekday()]} {value.day} {_MONTHS[value.month - 1]}"


def shortdate(value: object) -> str:
    """``12 Nov``; empty for a missing date."""
    if not isinstance(value, dt.date):
        return cell_text(value)
    return f"{value.day} {_MONTHS[value.month - 1][:3]}"


def capfirst(value: object) -> str:
    """Upper-case the first letter only (``capitalize`` would lower-case "CRM")."""
    text = cell_text(value)
    return text[:1].upper() + text[1:]


# -- the sandbox -----------------------------------------------------------------------------------
def template_key(name: object) -> str | None:
    """The library key for a template name (``Recap.j2`` -> ``recap``), or None if unusable.

    Names with a path in them never resolve, so ``{% include '../x' %}`` cannot reach a file.
    """
    if not isinstance(name, str) or "/" in name or "\\" in name or ".." in name:
        return None
    key = name.strip()
    if key.lower().endswith(".j2"):
        key = key[:-3]
    key = key.strip().casefold()
    return key or None


class _LibraryLoader(BaseLoader):
    """Serves the library's sources and nothing else: no file system, no packages."""

    def __init__(self, sources: Mapping[str, str]) -> None:
        self._sources = sources

    def get_source(self, environment: Any, template: str) -> tuple[str, None, Callable[[], bool]]:
        key = template_key(template)
        if key is None or key not in self._sources:
            raise TemplateNotFound(template)
        return self._sources[key], None, lambda: True


def _limited_range(*args: int) -> range:
    numbers = range(*args)
    if len(numbers) > _MAX_RANGE:
        raise SecurityError(f"range() of more than {_MAX_RANGE} items")
    return numbers


# Values a context field may hold that templates can read without the sandbox's checks.
_PLAIN_VALUES = frozenset({str, int, float, bool, type(None), dt.date, dt.datetime})


class SandboxEnvironment(ImmutableSandboxedEnvironment):
    """The immutable sandbox, with caps on the operators that can eat memory or time."""

    intercepted_binops = frozenset({"*", "**"})
    # Context dataclass -> its field names (set by make_environment).
    data_fields: Mapping[type, frozenset[str]] = {}

    def getattr(self, obj: Any, attribute: str) -> Any:
        # ``lead.first_name`` and the like: a field of a context dataclass holding a plain value
        # is safe to read, and the sandbox's general checks cost more than the rest of a render.
        names = self.data_fields.get(type(obj))
        if names is not None and attribute in names:
            value = getattr(obj, attribute)
            if type(value) in _PLAIN_VALUES:
                return value
        return super().getattr(obj, attribute)

    def make_globals(self, d: Any) -> dict[str, Any]:
        # A plain dict, not Jinja's ChainMap: the globals never change once the environment is
        # made, and copying a ChainMap into each render's context costs more than the render.
        return {**self.globals, **(d or {})}

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int | float) and (
                abs(right) > _MAX_EXPONENT
                or (isinstance(left, int) and left.bit_length() * abs(right) > _MAX_BITS)):
            raise SecurityError("number too large")
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if (isinstance(seq, str | list | tuple) and isinstance(times, int)
                        and len(seq) * times > _MAX_REPEAT):
                    raise SecurityError("repeated text too long")
        return super().call_binop(context, operator, left, right)


def _finalize(value: Any) -> Any:
    # A value that is None (a lead without a value, say) prints as nothing, not "None".
    return "" if value is None else value


def make_environment(sources: Mapping[str, str], contexts: Iterable[type] = (),
                     compiled: BytecodeCache | None = None) -> SandboxEnvironment:
    """The sandbox for ``sources``; ``contexts`` are the dataclasses templates read fields of;
    ``compiled`` keeps compiled templates between runs."""
    env = SandboxEnvironment(
        loader=_LibraryLoader(sources), undefined=StrictUndefined, autoescape=False,
        keep_trailing_newline=False, trim_blocks=True, lstrip_blocks=True, auto_reload=False,
        cache_size=-1, finalize=_finalize, bytecode_cache=compiled,
    )
    env.globals["range"] = _limited_range
    env.globals.pop("lipsum", None)  # lipsum(n=10**6) would be a cheap way to stall a sync
    env.filters.update(longdate=longdate, shortdate=shortdate, capfirst=capfirst)
    env.data_fields = {cls: frozenset(field.name for field in fields(cls)) for cls in contexts}
    return env


# -- errors ----------------------------------------------------------------------------------------
_CONTEXT_REPR = re.compile(r"'[\w.]*\b(Lead|Step|Sender)Context object'")


def reason(error: BaseException) -> str:
    """A short, one-line reason for a rendering failure (no traceback, no internals)."""
    if isinstance(error, TemplateSyntaxError):
        text = f"line {error.lineno}: {error.message}"
    elif isinstance(error, TemplateNotFound):
        text = f"there is no template called {error.name!r} to include"
    elif isinstance(error, UndefinedError):
        text = _CONTEXT_REPR.sub(lambda m: f"'{m.group(1).lower()}'", error.message or "")
    elif isinstance(error, SecurityError):
        text = f"not allowed in a template: {error}"
    elif isinstance(error, TemplateRuntimeError):
        text = str(error)
    elif isinstance(error, RecursionError):
        text = "the template includes or calls itself without end"
    elif isinstance(error, MemoryError):
        text = "the template produces too much text"
    else:
        text = f"{type(error).__name__}: {error}"
    text = " ".join(text.split())
    return text if len(text) <= _MAX_REASON else text[: _MAX_REASON - 1] + "…"

