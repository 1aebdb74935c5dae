"""The regular expressions of the fast reader (fastread): the tokens that split a
``<sheetData>`` or ``<sst>`` into the cells, rows and strings programs write, and the general
patterns that check any other well-formed form of them.

Each is built for one namespace prefix (and the prefixes declared where the element is) and
compiled once.
"""

from __future__ import annotations

import functools
import re

S = "[ \t\r\n]"  # XML white space
NAME = "[A-Za-z_][A-Za-z0-9_.-]*"
_ENTITY = "&(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9A-Fa-f]+);"
_TEXT = f"[^<&]*(?:{_ENTITY}[^<&]*)*"
# Attribute values (never decoded): character references in them are left to lxml.
_NAMED = "&(?:amp|lt|gt|quot|apos);"
_QUOTED = f"\"[^<&\"]*(?:{_NAMED}[^<&\"]*)*\"|'[^<&']*(?:{_NAMED}[^<&']*)*'"
EQ = f"{S}*={S}*"


# The groups of the patterns, in the order findall and groups() give them.
_CELL_FIELDS = ("c", "ref", "istr", "kind", "plain", "f", "v", "other", "ended", "r", "row",
                "other_row", "end", "bad")
_GENERAL_CELL_FIELDS = ("ref", "kind", "f", "v", "inline", "plain", "runs")
# Row attributes as programs write them: each at most once, in the schema's order.
_ROW_ATTRIBUTES = ("spans", "s", "customFormat", "ht", "hidden", "customHeight", "outlineLevel",
                   "collapsed", "thickTop", "thickBot", "ph", "x14ac:dyDescent")


@functools.lru_cache(maxsize=16)
def cell_token(prefix: str, prefixes: tuple[str, ...]) -> re.Pattern:
    p = re.escape(prefix)
    formula = (f"(?P<f><){p}f(?: [A-Za-z]+=\"[^\"<&]*\")*"
               f"(?:/>|>[^<&]*(?:{_NAMED}[^<&]*)*</{p}f>)")
    # Text may hold any "&" here: decoding it refuses one that starts no entity.
    plain = (f'(?P<c><){p}c(?: r="(?P<ref>[A-Z]{{1,3}})[0-9]+"|)(?: s="[0-9]+"|)'
             f'(?: t="(?:(?P<istr>inlineStr)|(?P<kind>[A-Za-z]+))"|)'
             f'(?(istr)><{p}is><{p}t(?: xml:space="preserve"|)>(?P<plain>[^<]*)'
             f"</{p}t></{p}is></{p}c>"
             f"|(?:/>|>(?:{formula}|)(?:<{p}v>(?P<v>[^<]*)</{p}v>|<{p}v/>|)</{p}c>))")
    row_attributes = "".join(f'(?: {name}="[^"<&]*"|)' for name in _ROW_ATTRIBUTES
                             if ":" not in name or name.split(":")[0] in prefixes)
    row = (f'(?:(?P<ended></){p}row>|)<{p}row(?: r="(?P<r>[0-9]*)"|){row_attributes}'
           "(?P<row>/?>)")
    end = f"(?P<end></){p}row{S}*>"
    return _compile((plain, f"(?P<other>{_loose(p, 'c')})", row,
                     f"(?P<other_row>{_row(p, prefixes, capture=False)})", end, f"{S}+",
                     "(?P<bad>[\\s\\S])"), _CELL_FIELDS)


@functools.lru_cache(maxsize=16)
def string_token(prefix: str) -> re.Pattern:
    p = re.escape(prefix)
    plain = f'<{p}si><{p}t(?: xml:space="preserve"|)>(?P<plain>[^<]*)</{p}t></{p}si>'
    return _compile((plain, f"(?P<other>{_loose(p, 'si')})", f"(?P<space>{S}+)",
                     "(?P<bad>[\\s\\S])"), ("plain", "other", "space", "bad"))


def _loose(p: str, element: str) -> str:
    """Element ``element`` up to its end, in any form, for its general pattern to check (the
    token stays quick to compile; the general patterns are compiled when first needed)."""
    attrs = f"""(?:{S}(?:[^<>"']|"[^"<]*"|'[^'<]*')*)?"""
    return (f"<{p}{element}{attrs}/>|<{p}{element}{attrs}>"
            f"[^<]*(?:<(?!/{p}{element}[ \t\r\n>])[^<]*)*</{p}{element}{S}*>")


@functools.lru_cache(maxsize=16)
def general_cell(prefix: str, prefixes: tuple[str, ...]) -> re.Pattern:
    return _compile((_cell(re.escape(prefix), prefixes, capture=True),), _GENERAL_CELL_FIELDS)


@functools.lru_cache(maxsize=16)
def general_row(prefix: str, prefixes: tuple[str, ...]) -> re.Pattern:
    return _compile((_row(re.escape(prefix), prefixes, capture=True),), ("r", "row"))


@functools.lru_cache(maxsize=16)
def general_string(prefix: str, prefixes: tuple[str, ...]) -> re.Pattern:
    attrs = f"(?:{_attribute(prefixes)})*{S}*"
    return _compile((_string(re.escape(prefix), attrs, "si", capture=True),), ("plain", "runs"))


def _compile(alternatives: tuple[str, ...], fields: tuple[str, ...]) -> re.Pattern:
    pattern = re.compile("|".join(alternatives))
    assert sorted(pattern.groupindex, key=pattern.groupindex.get) == list(fields), fields
    return pattern


def _attribute(prefixes: tuple[str, ...], skip: str = "") -> str:
    """One attribute (a name with a declared prefix or none), except those named in ``skip``."""
    prefix = f"(?:(?:{'|'.join(re.escape(p) for p in prefixes)}):)?"
    not_skipped = f"(?![{skip}]{S}*=)" if skip else ""
    return f"{S}+{not_skipped}(?!xmlns[ \t\r\n=:]){prefix}{NAME}{EQ}(?:{_QUOTED})"


def _group(name: str, body: str, capture: bool) -> str:
    return f"(?P<{name}>{body})" if capture else f"(?:{body})"


def _row(p: str, prefixes: tuple[str, ...], capture: bool) -> str:
    """A row's start tag in any form."""
    number = f"(?:\"(?=[0-9]*\")|'(?=[0-9]*')){_group('r', '[0-9]*', capture)}[\"']"
    return (f"<{p}row(?:{S}+r{EQ}{number}|{_attribute(prefixes, 'r')})*{S}*"
            f"{_group('row', '/?>', capture)}")


def _cell(p: str, prefixes: tuple[str, ...], capture: bool) -> str:
    """A ``<c>`` in any form: children in the schema's order (f, v, is), each at most once."""
    attrs = f"(?:{_attribute(prefixes)})*{S}*"
    # r and t are read only in the plain forms writers use; anything else falls back.
    ref = f"(?:\"(?=[A-Z]*[0-9]*\")|'(?=[A-Z]*[0-9]*'))" \
          f"(?:{_group('ref', '[A-Z]{1,3}', capture)}[0-9]+)?[\"']"
    kind = f"(?:\"(?=[A-Za-z]+\")|'(?=[A-Za-z]+')){_group('kind', '[A-Za-z]+', capture)}[\"']"
    cell_attrs = f"(?:{S}+r{EQ}{ref}|{S}+t{EQ}{kind}|{_attribute(prefixes, 'rt')})*{S}*"
    return (f"<{p}c{cell_attrs}(?:/>|>{S}*"
            f"(?:{_group('f', f'<{p}f', capture)}{attrs}(?:/>|>{_TEXT}</{p}f{S}*>){S}*)?"
            f"(?:<{p}v{attrs}(?:/>|>{_group('v', _TEXT, capture)}</{p}v{S}*>){S}*)?"
            f"(?:{_string(p, attrs, 'is', capture, 'inline')}{S}*)?"
            f"</{p}c{S}*>)")


def _string(p: str, attrs: str, element: str, capture: bool, marker: str = "") -> str:
    """An ``<is>`` or ``<si>`` in any form: its text is group ``plain`` when it is one
    ``<t>``, else its content is group ``runs``; group ``marker`` holds its start."""
    start = _group(marker, f"<{p}{element}", capture) if marker else f"<{p}{element}"
    return (f"{start}{attrs}(?:/>|>{S}*"
            f"(?:<{p}t{attrs}(?:/>|>{_group('plain', _TEXT, capture)}</{p}t{S}*>){S}*"
            f"</{p}{element}{S}*>|{_group('runs', _rich(p, attrs), capture)}"
            f"</{p}{element}{S}*>))")


def _rich(p: str, attrs: str) -> str:
    """Rich text: text, runs with their properties, phonetic runs and properties, in any
    order."""
    t = f"<{p}t{attrs}(?:/>|>{_TEXT}</{p}t{S}*>)"
    rpr = f"<{p}rPr{attrs}(?:/>|>(?:{S}*<{p}{NAME}{attrs}/>)*{S}*</{p}rPr{S}*>)"
    run = f"<{p}r{attrs}(?:/>|>(?:{S}*(?:{rpr}|{t}))*{S}*</{p}r{S}*>)"
    rph = f"<{p}rPh{attrs}(?:/>|>(?:{S}*{t})*{S}*</{p}rPh{S}*>)"
    ppr = f"<{p}phoneticPr{attrs}/>"
    return f"(?:{S}*(?:{t}|{run}|{rph}|{ppr}))*{S}*"


@functools.lru_cache(maxsize=16)
def rich_parts(prefix: str) -> re.Pattern:
    """The text of each ``<t>`` in checked rich text, phonetic runs (``<rPh>``) left out."""
    p = re.escape(prefix)
    attrs = f"(?:{S}+[^ \t\r\n=/>]+{EQ}(?:\"[^\"]*\"|'[^']*'))*{S}*"
    return re.compile(f"<{p}rPh{attrs}(?:/>|>.*?</{p}rPh{S}*>)"
                      f"|<{p}t{attrs}(?:/>|>([^<]*)</{p}t{S}*>)", re.S)
