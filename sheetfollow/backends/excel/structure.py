"""The workbook's structure: workbook.xml (sheets, hidden state, recalculation), its
relationships, [Content_Types].xml and a sheet's hyperlink relationships.

These parts are small: they are edited as trees and only re-serialized when something changed,
keeping every other element, attribute and namespace declaration they had.
"""

from __future__ import annotations

import itertools
import posixpath
from collections.abc import Iterator

from lxml import etree

from .cells import strip_illegal
from .package import (
    CT_NS,
    CT_RELS,
    CT_STYLES,
    CT_WORKSHEET,
    PKG_REL_NS,
    REL_NS,
    RT_HYPERLINK,
    RT_STYLES,
    RT_WORKSHEET,
    STRICT_REL_NS,
    Content,
    Package,
    local,
    relative,
    rels_part,
    resolve,
    serialize,
)

# CT_Workbook children that come after calcPr, for placing a new one.
_AFTER_CALC_PR = {"oleSize", "customWorkbookViews", "pivotCaches", "smartTagPr", "smartTagTypes",
                  "webPublishing", "fileRecoveryPr", "webPublishObjects", "extLst"}


def _link_chunks(tag: str, ids: list[str], urls: list[str]) -> Iterator[bytes]:
    """Hyperlink relationships as XML, made while the part is written: a Due tab can carry tens
    of thousands of links, each a whole drafted email long."""
    for start in range(0, len(ids), 2000):
        yield "".join(
            f'<{tag} Id="{rel_id}" Type="{RT_HYPERLINK}" Target="{_attr(strip_illegal(url))}" '
            'TargetMode="External"/>'
            for rel_id, url in zip(ids[start:start + 2000], urls[start:start + 2000],
                                   strict=True)).encode()


def _attr(text: str) -> str:
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
            .replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;"))


def _free_id(used: set[str]) -> str:
    n = len(used) + 1
    while f"rId{n}" in used:
        n += 1
    return f"rId{n}"


class Structure:
    """workbook.xml, its rels and the content types, parsed on first use."""

    def __init__(self, pkg: Package):
        self.pkg = pkg
        self._trees: dict[str, etree._Element] = {}
        self._changed: set[str] = set()
        self.wb_rels = rels_part(pkg.workbook_part)
        self.new_parts: set[str] = set()
        self.removed: set[str] = set()  # parts of the package the new version leaves out
        self._ids: dict[str, set[str]] = {}  # relationship ids in use, per rels part
        # Hyperlink relationships per rels part, (ids, urls): written as text, see _link_chunks.
        self._links: dict[str, tuple[list[str], list[str]]] = {}

    def _tree(self, part: str) -> etree._Element:
        if part not in self._trees:
            self._trees[part] = self.pkg.xml(part)
        return self._trees[part]

    @property
    def workbook(self) -> etree._Element:
        return self._tree(self.pkg.workbook_part)

    def _ns(self) -> str:
        tag = self.workbook.tag
        return tag[:tag.index("}") + 1] if tag.startswith("{") else ""

    def _rel_ns(self) -> str:
        return STRICT_REL_NS if STRICT_REL_NS in self.workbook.nsmap.values() else REL_NS

    # --- workbook.xml --------------------------------------------------------------------------

    def _sheet_element(self, name: str):
        for el in self.workbook.iter(self._ns() + "sheet"):
            if el.get("name") == name:
                return el
        return None

    def hide(self, name: str) -> None:
        el = self._sheet_element(name)
        if el is None or el.get("state") in ("hidden", "veryHidden"):
            return
        el.set("state", "hidden")
        self._changed.add(self.pkg.workbook_part)
        # Excel will not open on a hidden tab: move the active tab to the first visible one.
        sheets = list(el.getparent().iter(self._ns() + "sheet"))
        index = sheets.index(el)
        visible = next((i for i, s in enumerate(sheets)
                        if s.get("state") not in ("hidden", "veryHidden")), None)
        for view in self.workbook.iter(self._ns() + "workbookView"):
            if visible is not None and view.get("activeTab", "0") == str(index):
                view.set("activeTab", str(visible))

    def full_calc_on_load(self) -> None:
        """Ask Excel and LibreOffice to recalculate formulas when the file is next opened."""
        ns = self._ns()
        calc = self.workbook.find(ns + "calcPr")
        if calc is None:
            calc = etree.Element(ns + "calcPr")
            for i, child in enumerate(self.workbook):
                if isinstance(child.tag, str) and local(child.tag) in _AFTER_CALC_PR:
                    self.workbook.insert(i, calc)
                    break
            else:
                self.workbook.append(calc)
        if calc.get("fullCalcOnLoad") not in ("1", "true"):
            calc.set("fullCalcOnLoad", "1")
            self._changed.add(self.pkg.workbook_part)

    def add_worksheet(self, name: str, hidden: bool) -> str:
        """A new worksheet at the end of the tab list; returns its (empty, not yet written) part.

        Appending keeps every ``localSheetId`` of the defined names pointing at the same sheet.
        """
        ns = self._ns()
        folder = posixpath.dirname(self.pkg.workbook_part)
        n = 1
        while (self.pkg.has(part := posixpath.join(folder, f"worksheets/sheet{n}.xml"))
               or part in self.new_parts):
            n += 1
        self.new_parts.add(part)
        rel_id = self._add_relationship(self.wb_rels, RT_WORKSHEET,
                                        relative(self.pkg.workbook_part, part))
        self.add_override(part, CT_WORKSHEET)
        sheets = self.workbook.find(ns + "sheets")
        if sheets is None:
            sheets = etree.SubElement(self.workbook, ns + "sheets")
        ids = [int(el.get("sheetId", "0")) for el in sheets if el.get("sheetId", "").isdigit()]
        el = etree.SubElement(sheets, ns + "sheet")
        el.set("name", name)
        el.set("sheetId", str(max(ids, default=0) + 1))
        if hidden:
            el.set("state", "hidden")
        el.set(f"{{{self._rel_ns()}}}id", rel_id)
        self._changed.add(self.pkg.workbook_part)
        return part

    def add_styles(self) -> str:
        """A styles part for a workbook that has none; returns its name."""
        part = posixpath.join(posixpath.dirname(self.pkg.workbook_part), "styles.xml")
        self._add_relationship(self.wb_rels, RT_STYLES, relative(self.pkg.workbook_part, part))
        self.add_override(part, CT_STYLES)
        self.new_parts.add(part)
        return part

    # --- relationships and content types -------------------------------------------------------

    def _rels_tree(self, part: str) -> etree._Element:
        if part not in self._trees and not self.pkg.has(part):
            self._trees[part] = etree.Element(f"{{{PKG_REL_NS}}}Relationships",
                                              nsmap={None: PKG_REL_NS})
            self.new_parts.add(part)
            self._rels_content_type(part)
        return self._tree(part)

    def _add_relationship(self, rels: str, rel_type: str, target: str,
                          external: bool = False) -> str:
        root = self._rels_tree(rels)
        ns = root.tag[:root.tag.index("}") + 1] if root.tag.startswith("{") else ""
        if rels not in self._ids:
            self._ids[rels] = {el.get("Id", "") for el in root}
        used = self._ids[rels]
        rel_id = _free_id(used)
        used.add(rel_id)
        el = etree.SubElement(root, ns + "Relationship")
        el.set("Id", rel_id)
        el.set("Type", rel_type)
        el.set("Target", target)
        if external:
            el.set("TargetMode", "External")
        self._changed.add(rels)
        return rel_id

    def relationships_of(self, part: str) -> list[tuple[str, str, str]]:
        """(id, type, target part) of ``part``'s internal relationships, as they stand now."""
        rels = rels_part(part)
        if rels not in self._trees and not self.pkg.has(rels):
            return []
        return [(el.get("Id", ""), el.get("Type", ""), resolve(part, el.get("Target", "")))
                for el in self._tree(rels)
                if local(el.tag) == "Relationship" and el.get("TargetMode") != "External"]

    def add_relationship(self, part: str, rel_type: str, target: str) -> str:
        """A new relationship from ``part`` to the part ``target``; returns its id."""
        return self._add_relationship(rels_part(part), rel_type, relative(part, target))

    def set_relationships(self, part: str, rel_type: str, targets: list[str]) -> list[str]:
        """Make ``part``'s relationships exactly ``targets``, all of ``rel_type`` (for a part
        sheetfollow owns whole, such as a tool tab's drawing); returns their ids, rId1...."""
        rels = rels_part(part)
        root = self._rels_tree(rels)
        for el in list(root):
            root.remove(el)
        self._ids[rels] = set()
        self._changed.add(rels)
        return [self._add_relationship(rels, rel_type, relative(part, t)) for t in targets]

    def new_part(self, pattern: str) -> str:
        """The first unused part name of ``pattern`` (``xl/charts/chart{}.xml``), numbered from
        1 and reserved: parts the user has are never reused."""
        n = 1
        while (self.pkg.has(name := pattern.format(n)) or name in self.new_parts
               or name in self.removed):
            n += 1
        self.new_parts.add(name)
        return name

    def remove_part(self, part: str) -> None:
        """Leave out a part sheetfollow owned and no longer uses (a chart of a tool tab), with
        its content type, its relationships and the parts only they pointed to (Excel gives a
        chart its own style and colour parts)."""
        part = self.pkg.actual(part)
        self.removed.add(part)
        self._remove_override(part)
        rels = rels_part(part)
        if not self.pkg.has(rels):
            return
        self.removed.add(self.pkg.actual(rels))
        owned = {t.lower() for _, _, t in self.relationships_of(part)}
        still_used = self._targets()
        for target in sorted(owned - still_used):
            if self.pkg.has(target) and self.pkg.actual(target) not in self.removed:
                self.remove_part(target)

    def _targets(self) -> set[str]:
        """Every part (lower case) some relationship of the new version points to."""
        names = {n for n in self.pkg.names.values() if n.endswith(".rels")}
        names |= {n for n in self._trees if n.endswith(".rels")}
        found = set()
        for name in names - self.removed:
            folder = posixpath.dirname(posixpath.dirname(name))
            source = posixpath.join(folder, posixpath.basename(name)[:-len(".rels")])
            found |= {resolve(source, el.get("Target", "")).lower() for el in self._tree(name)
                      if el.get("TargetMode") != "External"}
        return found

    def _remove_override(self, part: str) -> None:
        root = self._tree("[Content_Types].xml")
        for el in list(root):
            if local(el.tag) == "Override" and \
                    el.get("PartName", "").lower() == "/" + part.lower():
                root.remove(el)
                self._changed.add("[Content_Types].xml")

    def add_override(self, part: str, content_type: str) -> None:
        root = self._tree("[Content_Types].xml")
        name = "/" + part
        for el in root:
            if local(el.tag) == "Override" and el.get("PartName", "").lower() == name.lower():
                return
        el = etree.SubElement(root, f"{{{CT_NS}}}Override")
        el.set("PartName", name)
        el.set("ContentType", content_type)
        self._changed.add("[Content_Types].xml")

    def _rels_content_type(self, part: str) -> None:
        root = self._tree("[Content_Types].xml")
        for el in root:
            if local(el.tag) == "Default" and el.get("Extension", "").lower() == "rels":
                return
        self.add_override(part, CT_RELS)

    def hyperlinks(self, sheet_part: str, urls: list[str]) -> list[str]:
        """Make the sheet's hyperlink relationships exactly ``urls``; returns their ids.

        Other relationships of the sheet (drawings, comments, tables) are kept as they were.
        """
        rels = rels_part(sheet_part)
        if not urls and not self.pkg.has(rels) and rels not in self._trees:
            return []
        root = self._rels_tree(rels)
        for el in list(root):
            if el.get("Type") == RT_HYPERLINK or el.get("Type", "").endswith("/hyperlink"):
                root.remove(el)
                self._changed.add(rels)
        # Links are many (one per Due row) and long (a drafted email): they are written as
        # text after the tree's relationships rather than as thousands of elements.
        if rels not in self._ids:
            self._ids[rels] = {el.get("Id", "") for el in root}
        used = self._ids[rels]
        ids = []
        for _ in urls:
            ids.append(_free_id(used))
            used.add(ids[-1])
        if urls:
            self._links[rels] = (ids, urls)
            self._changed.add(rels)
        return ids

    def _bytes(self, part: str) -> Content:
        root = self._trees[part]
        if part not in self._links:
            return serialize(root)
        if len(root) == 0:
            root.text = ""  # serialized with an end tag, to put the links before
        head, _, tail = serialize(root).rpartition(b"</")
        tag = f"{root.prefix}:Relationship" if root.prefix else "Relationship"
        return itertools.chain([head], _link_chunks(tag, *self._links[part]), [b"</" + tail])

    def new_part_bytes(self) -> list[tuple[str, bytes]]:
        """New rels parts (sheet parts are written by the caller)."""
        return [(p, self._bytes(p)) for p in sorted(self.new_parts) if p in self._trees]

    def changed_existing(self) -> dict[str, bytes]:
        return {self.pkg.actual(p): self._bytes(p) for p in self._changed
                if p not in self.new_parts}
