"""A deliberately tiny formula engine: enough to give formula cells a cached effective value.

Understood: numbers, "strings", cell references (`A1`, `'My Tab'!B2`), + - * / & and
parentheses, `HYPERLINK(url[, label])` (its label) and `IMPORT*(...)` (#N/A, as when the fetch
fails). Any other function is #NAME?; text that does not parse is #ERROR! (as `=+44 20 7946 0000`
is in Sheets). A result computed from a date cell by + or - keeps the date format, as in Sheets.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple, Protocol

from .a1 import column_index
from .cells import BOOL, ERROR, FORMULA, NUMBER, STRING, Cell, is_date_format, tidy_number

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<str>"(?:[^"]|"")*")
      | (?P<ref>(?:(?:'(?:[^']|'')+'|[A-Za-z_][A-Za-z0-9_]*)!)?
               \$?[A-Za-z]{1,3}\$?[0-9]+)(?![A-Za-z0-9_(])
      | (?P<num>[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|\.[0-9]+)
      | (?P<func>[A-Za-z_][A-Za-z0-9_.]*)\s*\(
      | (?P<bool>TRUE|FALSE)\b
      | (?P<op>[-+*/&(),;])
    )""",
    re.X | re.I,
)
_REF_PARTS = re.compile(
    r"(?:(?P<sheet>'(?:[^']|'')+'|[^!]+)!)?\$?(?P<col>[A-Za-z]+)\$?(?P<row>[0-9]+)"
)
ERROR_TYPES = {
    "#NAME?": "NAME",
    "#N/A": "N_A",
    "#ERROR!": "ERROR",
    "#VALUE!": "VALUE",
    "#REF!": "REF",
    "#DIV/0!": "DIVIDE_BY_ZERO",
}
_MAX_DEPTH = 64


class Effective(NamedTuple):
    """A computed value; number_format carries a date format inherited from a referenced cell."""

    kind: str | None
    value: Any = None
    number_format: dict | None = None


class Book(Protocol):
    """What the engine needs from a spreadsheet: a cell by sheet title and position."""

    def cell_at(self, title: str, row: int, col: int) -> Cell | None: ...


class _ParseError(Exception):
    pass


def _error(code: str) -> Effective:
    return Effective(ERROR, code)


def effective(
    book: Book, title: str, cell: Cell | None, _seen: frozenset = frozenset()
) -> Effective:
    """The value a cell shows: its own value, or its formula's result."""
    if cell is None or cell.kind is None:
        return Effective(None)
    if cell.kind != FORMULA:
        nf = cell.format.get("numberFormat") if is_date_format(cell.format) else None
        return Effective(cell.kind, cell.value, nf)
    if len(_seen) > _MAX_DEPTH:
        return _error("#REF!")
    return _Parser(book, title, cell.value[1:], _seen).run()


def display_format(cell: Cell | None, eff: Effective) -> dict:
    """The format to display a value with: the cell's own, else a date format it inherited."""
    own = cell.format if cell is not None else {}
    if own.get("numberFormat") or not eff.number_format:
        return own
    return {**own, "numberFormat": eff.number_format}


def error_value(code: str) -> dict:
    """The API's ErrorValue for a code such as "#NAME?"."""
    return {"type": ERROR_TYPES.get(code, "ERROR"), "message": f"Fake formula engine: {code}"}


class _Parser:
    def __init__(self, book: Book, title: str, text: str, seen: frozenset):
        self.book, self.title, self.seen = book, title, seen
        self.tokens = self._tokenize(text)
        self.pos = 0

    @staticmethod
    def _tokenize(text: str) -> list[tuple[str, str]]:
        tokens, pos = [], 0
        while pos < len(text):
            if not text[pos:].strip():
                break
            match = _TOKEN.match(text, pos)
            if not match:
                return [("bad", text[pos:])]
            kind = match.lastgroup or "bad"
            tokens.append((kind, match.group(kind)))
            pos = match.end()
        return tokens

    def run(self) -> Effective:
        try:
            if any(kind == "bad" for kind, _ in self.tokens) or not self.tokens:
                raise _ParseError
            result = self._expr()
            if self.pos != len(self.tokens):
                raise _ParseError
        except _ParseError:
            return _error("#ERROR!")
        return result

    # -- grammar: expr := term ((+|-|&) term)*; term := unary ((*|/) unary)*
    def _peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _take(self) -> tuple[str, str]:
        token = self._peek()
        if token is None:
            raise _ParseError
        self.pos += 1
        return token

    def _expr(self) -> Effective:
        left = self._term()
        while (tok := self._peek()) and tok[0] == "op" and tok[1] in "+-&":
            self.pos += 1
            left = _binary(tok[1], left, self._term())
        return left

    def _term(self) -> Effective:
        left = self._unary()
        while (tok := self._peek()) and tok[0] == "op" and tok[1] in "*/":
            self.pos += 1
            left = _binary(tok[1], left, self._unary())
        return left

    def _unary(self) -> Effective:
        tok = self._peek()
        if tok and tok[0] == "op" and tok[1] in "+-":
            self.pos += 1
            operand = self._unary()
            if tok[1] == "+":
                return operand
            return _binary("-", Effective(NUMBER, 0), operand)
        return self._primary()

    def _primary(self) -> Effective:
        kind, text = self._take()
        if kind == "num":
            return Effective(NUMBER, tidy_number(float(text)))
        if kind == "str":
            return Effective(STRING, text[1:-1].replace('""', '"'))
        if kind == "bool":
            return Effective(BOOL, text.upper() == "TRUE")
        if kind == "ref":
            return self._ref(text)
        if kind == "func":
            return self._call(text.upper(), self._args())
        if (kind, text) == ("op", "("):
            inner = self._expr()
            if self._take() != ("op", ")"):
                raise _ParseError
            return inner
        raise _ParseError

    def _args(self) -> list[Effective]:
        args: list[Effective] = []
        if self._peek() == ("op", ")"):
            self.pos += 1
            return args
        while True:
            args.append(self._expr())
            kind, text = self._take()
            if kind == "op" and text == ")":
                return args
            if not (kind == "op" and text in ",;"):
                raise _ParseError

    def _call(self, name: str, args: list[Effective]) -> Effective:
        if name == "HYPERLINK" and 1 <= len(args) <= 2:
            shown = args[-1]
            return Effective(STRING, "" if shown.kind is None else str(shown.value))
        if name.startswith("IMPORT"):
            return _error("#N/A")
        return _error("#NAME?")

    def _ref(self, text: str) -> Effective:
        parts = _REF_PARTS.fullmatch(text)
        if parts is None:
            raise _ParseError
        sheet = parts["sheet"]
        if sheet and sheet.startswith("'"):
            sheet = sheet[1:-1].replace("''", "'")
        title = sheet or self.title
        row, col = int(parts["row"]) - 1, column_index(parts["col"])
        key = (title, row, col)
        if key in self.seen:
            return _error("#REF!")  # a circular reference
        try:
            cell = self.book.cell_at(title, row, col)
        except KeyError:
            return _error("#REF!")
        return effective(self.book, title, cell, self.seen | {key})


def _as_number(value: Effective) -> float | None:
    if value.kind is None:
        return 0
    if value.kind == NUMBER:
        return value.value
    if value.kind == BOOL:
        return 1 if value.value else 0
    if value.kind == STRING:
        try:
            return float(value.value)
        except ValueError:
            return None
    return None


def _binary(op: str, left: Effective, right: Effective) -> Effective:
    for side in (left, right):
        if side.kind == ERROR:
            return side
    if op == "&":
        return Effective(STRING, _as_text(left) + _as_text(right))
    a, b = _as_number(left), _as_number(right)
    if a is None or b is None:
        return _error("#VALUE!")
    if op == "/" and b == 0:
        return _error("#DIV/0!")
    result = {"+": a + b, "-": a - b, "*": a * b, "/": a / b if b else 0}[op]
    inherited = (left.number_format or right.number_format) if op in "+-" else None
    return Effective(NUMBER, tidy_number(float(result)), inherited)


def _as_text(value: Effective) -> str:
    if value.kind is None:
        return ""
    if value.kind == BOOL:
        return "TRUE" if value.value else "FALSE"
    if value.kind == NUMBER:
        return str(tidy_number(value.value))
    return str(value.value)
