"""Compare two xlsx files part by part, and XML parts element by element.

Used by the Excel backend's tests to state exactly what a sync changed: which parts were added,
removed or changed, which elements and attributes of a changed part differ, and which cells of a
worksheet differ. Everything not listed is identical.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

_PARSER = etree.XMLParser(resolve_entities=False, huge_tree=True)


def local(tag) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else str(tag)


def _name(attr: str, el) -> str:
    """An attribute name with its namespace shown by the element's own prefix."""
    if not attr.startswith("{"):
        return attr
    ns, _, name = attr[1:].partition("}")
    prefix = next((p for p, uri in el.nsmap.items() if uri == ns and p), None)
    return f"{prefix}:{name}" if prefix else f"{{{ns}}}{name}"


@dataclass
class XlsxDiff:
    """The differences between two versions of a workbook."""

    before: Path
    after: Path
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    same_order: bool = True

    def __post_init__(self):
        with zipfile.ZipFile(self.before) as a, zipfile.ZipFile(self.after) as b:
            self._a = {i.filename: a.read(i) for i in a.infolist()}
            self._b = {i.filename: b.read(i) for i in b.infolist()}
            order_a = [i.filename for i in a.infolist()]
            order_b = [i.filename for i in b.infolist() if i.filename in self._a]
        self.added = [n for n in self._b if n not in self._a]
        self.removed = [n for n in self._a if n not in self._b]
        self.changed = [n for n in self._a if n in self._b and self._a[n] != self._b[n]]
        self.same_order = order_a == order_b and list(self._b)[:len(order_b)] == order_b

    def old(self, part: str) -> bytes:
        return self._a[part]

    def new(self, part: str) -> bytes:
        return self._b[part]

    def element_changes(self, part: str, skip: tuple[str, ...] = ()) -> list[str]:
        """Every difference between the two versions of an XML part, as paths such as
        ``/workbook/sheets/sheet[4]: added`` or ``/workbook/calcPr/@fullCalcOnLoad: 1 -> 0``.
        Elements whose local name is in ``skip`` are compared by presence only."""
        a = etree.fromstring(self._a[part], _PARSER)
        b = etree.fromstring(self._b.get(part, self._a[part]), _PARSER)
        out: list[str] = []
        _compare(a, b, "/" + local(a.tag), skip, out)
        return out

    def cell_changes(self, part: str) -> dict[str, tuple[str | None, str | None]]:
        """Cells of a worksheet whose ``<c>`` element differs, by reference: (before, after) as
        canonical XML, None where the cell does not exist."""
        a = cells(self._a[part])
        b = cells(self._b[part])
        return {ref: (a.get(ref), b.get(ref)) for ref in sorted(set(a) | set(b), key=_ref_key)
                if a.get(ref) != b.get(ref)}

    def row_attribute_changes(self, part: str, ignore: tuple[str, ...] = ("spans",)) -> list[str]:
        """Rows whose attributes differ (other than ``ignore``); rows only in one version."""
        a = rows(self._a[part], ignore)
        b = rows(self._b[part], ignore)
        out = []
        for number in sorted(set(a) | set(b)):
            if number not in a:
                out.append(f"row {number}: added")
            elif number not in b:
                out.append(f"row {number}: removed")
            elif a[number] != b[number]:
                out.append(f"row {number}: {a[number]} -> {b[number]}")
        return out


def _compare(a, b, path: str, skip: tuple[str, ...], out: list[str]) -> None:
    if a.tag != b.tag:
        out.append(f"{path}: tag {a.tag} -> {b.tag}")
        return
    if local(a.tag) in skip:
        return
    for key in sorted(set(a.attrib) | set(b.attrib)):
        if a.get(key) != b.get(key):
            out.append(f"{path}/@{_name(key, a if key in a.attrib else b)}: "
                       f"{a.get(key)} -> {b.get(key)}")
    if set(a.nsmap.items()) != set(b.nsmap.items()):
        out.append(f"{path}: namespaces {dict(a.nsmap)} -> {dict(b.nsmap)}")
    if (a.text or "").strip() != (b.text or "").strip() or (
            (a.text or "") != (b.text or "") and len(a) == 0):
        out.append(f"{path}: text {a.text!r} -> {b.text!r}")
    kids_a = [c for c in a if isinstance(c.tag, str)]
    kids_b = [c for c in b if isinstance(c.tag, str)]
    counts: dict[str, int] = {}
    for i in range(max(len(kids_a), len(kids_b))):
        kid = kids_a[i] if i < len(kids_a) else kids_b[i]
        name = local(kid.tag)
        counts[name] = counts.get(name, 0) + 1
        where = f"{path}/{name}[{counts[name]}]"
        if i >= len(kids_a):
            out.append(f"{where}: added")
        elif i >= len(kids_b):
            out.append(f"{where}: removed")
        else:
            _compare(kids_a[i], kids_b[i], where, skip, out)


def canonical(el) -> str:
    """An element as C14N text: attribute order and namespace prefixes do not matter."""
    return etree.tostring(el, method="c14n").decode()


def _ref_key(ref: str):
    letters = ref.rstrip("0123456789")
    return int(ref[len(letters):] or 0), len(letters), letters


def cells(xml: bytes) -> dict[str, str]:
    """Every ``<c>`` of a worksheet by reference, as canonical XML without namespaces noise."""
    root = etree.fromstring(xml, _PARSER)
    out = {}
    for row_number, row in _rows(root):
        col = 0
        for c in row:
            if local(c.tag) != "c":
                continue
            ref = c.get("r")
            if ref is None:
                col += 1
                ref = f"{_letters(col)}{row_number}"
            else:
                col = _col(ref)
            out[ref] = _plain(c)
    return out


def rows(xml: bytes, ignore: tuple[str, ...] = ()) -> dict[int, dict[str, str]]:
    root = etree.fromstring(xml, _PARSER)
    return {n: {_name(k, r): v for k, v in r.attrib.items() if local(k) not in ignore}
            for n, r in _rows(root)}


def _rows(root):
    number = 0
    for row in root.iter("{*}row"):
        number = int(row.get("r")) if row.get("r") else number + 1
        yield number, row


def _plain(el) -> str:
    """An element as text with tags by local name, attributes sorted: for comparing cells
    written with different namespace prefixes."""
    attrs = "".join(f' {_name(k, el)}="{v}"' for k, v in sorted(el.attrib.items()))
    inner = "".join(_plain(c) for c in el if isinstance(c.tag, str))
    return f"<{local(el.tag)}{attrs}>{el.text or ''}{inner}</{local(el.tag)}>"


def _col(ref: str) -> int:
    col = 0
    for ch in ref.rstrip("0123456789").replace("$", ""):
        col = col * 26 + ord(ch.upper()) - 64
    return col


def _letters(col: int) -> str:
    out = ""
    while col:
        col, rem = divmod(col - 1, 26)
        out = chr(65 + rem) + out
    return out


def cell_refs(first: str, last: str) -> set[str]:
    """Every reference in the range ``first:last`` (e.g. ``M1``, ``O21``)."""
    c1, c2 = _col(first), _col(last)
    r1, r2 = (int(ref[len(ref.rstrip("0123456789")):]) for ref in (first, last))
    return {f"{_letters(c)}{r}" for c in range(c1, c2 + 1) for r in range(r1, r2 + 1)}
