"""The cell formats sheetfollow needs (a date format, a bold header, a link look), found in
styles.xml or added to it once: an identical existing format is always reused, so repeated syncs
never grow the file.
"""

from __future__ import annotations

import copy
import re

from lxml import etree

from .package import serialize

DATE_FORMAT = "yyyy-mm-dd"
LINK_COLOR = "FF0563C1"  # Excel's hyperlink blue
# Built-in number formats that show a date (14-17, 22; 27-36 and 50-58 are East Asian dates).
_BUILTIN_DATES = {14, 15, 16, 17, 22, *range(27, 37), *range(50, 59)}
_NOT_DATE_PARTS = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]|_.|\*.')
_DATE_TOKEN = re.compile(r"[dy]|mmm", re.IGNORECASE)
_MINIMAL = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b'<fonts count="1"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    b'<fills count="2"><fill><patternFill patternType="none"/></fill>'
    b'<fill><patternFill patternType="gray125"/></fill></fills>'
    b'<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    b'<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    b'<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
    b'<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    b"</styleSheet>"
)
# Where new container elements go: CT_Stylesheet's children, in schema order.
_ORDER = ("numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles",
          "dxfs", "tableStyles", "colors", "extLst")


def is_date_format(code: str) -> bool:
    """Whether a number format code shows a date (text, colours and conditions ignored)."""
    cleaned = re.sub("general", "", _NOT_DATE_PARTS.sub("", code), flags=re.IGNORECASE)
    return bool(_DATE_TOKEN.search(cleaned))


def _key(el) -> tuple:
    """A comparable form of an element: tag, attributes, text and children."""
    return (el.tag, tuple(sorted(el.attrib.items())), (el.text or "").strip(),
            tuple(_key(child) for child in el if isinstance(child.tag, str)))


class StyleBook:
    """styles.xml, parsed only when a format is needed; ``changed`` when something was added."""

    def __init__(self, xml: bytes | None):
        self.present = xml is not None
        self._xml = xml
        self._root = None
        self.changed = False
        self._date_cache: dict[int, int] = {}
        self._is_date_cache: dict[int, bool] = {}

    @property
    def root(self):
        if self._root is None:
            self._root = etree.fromstring(self._xml or _MINIMAL,
                                          etree.XMLParser(resolve_entities=False))
            self.ns = self._root.tag[:self._root.tag.index("}") + 1] \
                if self._root.tag.startswith("{") else ""
        return self._root

    def to_bytes(self) -> bytes:
        return serialize(self.root)

    # --- lookups -------------------------------------------------------------------------------

    def _container(self, name: str):
        root = self.root
        found = root.find(self.ns + name)
        if found is not None:
            return found
        el = etree.Element(self.ns + name, nsmap=None)
        el.set("count", "0")
        later = set(_ORDER[_ORDER.index(name) + 1:])
        for i, child in enumerate(root):
            if isinstance(child.tag, str) and etree.QName(child).localname in later:
                root.insert(i, el)
                break
        else:
            root.append(el)
        return el

    def _items(self, name: str) -> list:
        return [el for el in self._container(name) if isinstance(el.tag, str)]

    def _xf(self, index: int):
        xfs = self._items("cellXfs")
        if 0 <= index < len(xfs):
            return xfs[index]
        return xfs[0] if xfs else None

    def _format_code(self, fmt_id: int) -> str | None:
        for el in self.root.iterfind(f"{self.ns}numFmts/{self.ns}numFmt"):
            if el.get("numFmtId") == str(fmt_id):
                return el.get("formatCode", "")
        return None

    def is_date_xf(self, index: int) -> bool:
        """Whether cell format ``index`` shows numbers as dates."""
        if index not in self._is_date_cache:
            xf = self._xf(index)
            try:
                fmt_id = int(xf.get("numFmtId", "0")) if xf is not None else 0
            except ValueError:
                fmt_id = 0
            code = self._format_code(fmt_id)
            self._is_date_cache[index] = (
                is_date_format(code) if code is not None else fmt_id in _BUILTIN_DATES)
        return self._is_date_cache[index]

    # --- additions -----------------------------------------------------------------------------

    def _add(self, container: str, el) -> int:
        """The index of an element identical to ``el`` in ``container``, added if missing."""
        items = self._items(container)
        wanted = _key(el)
        for i, item in enumerate(items):
            if _key(item) == wanted:
                return i
        parent = self._container(container)
        parent.append(el)
        parent.set("count", str(len(items) + 1))
        self.changed = True
        self._is_date_cache.clear()
        return len(items)

    def _date_format_id(self) -> int:
        numfmts = self._container("numFmts")
        ids = []
        for el in numfmts:
            if not isinstance(el.tag, str):
                continue
            if el.get("formatCode", "").replace("\\", "") == DATE_FORMAT:
                return int(el.get("numFmtId"))
            try:
                ids.append(int(el.get("numFmtId", "0")))
            except ValueError:
                pass
        new_id = max([163, *ids]) + 1
        el = etree.SubElement(numfmts, self.ns + "numFmt")
        el.set("numFmtId", str(new_id))
        el.set("formatCode", DATE_FORMAT)
        numfmts.set("count", str(len(ids) + 1))
        self.changed = True
        return new_id

    def _derived_xf(self, base: int, **changes: str) -> int:
        xf = self._xf(base)
        new = copy.deepcopy(xf) if xf is not None else etree.Element(self.ns + "xf")
        for name in ("numFmtId", "fontId", "fillId", "borderId"):
            new.set(name, new.get(name, "0"))
        if xf is None:
            new.set("xfId", "0")
        for name, value in changes.items():
            new.set(name, value)
        return self._add("cellXfs", new)

    def date_xf(self, base: int) -> int:
        """A cell format showing dates: ``base`` itself if it does, else ``base`` with the
        yyyy-mm-dd number format."""
        if base not in self._date_cache:
            if self.is_date_xf(base):
                self._date_cache[base] = base
            else:
                fmt = str(self._date_format_id())
                self._date_cache[base] = self._derived_xf(base, numFmtId=fmt,
                                                          applyNumberFormat="1")
        return self._date_cache[base]

    def _derived_font(self, edit) -> int:
        fonts = self._items("fonts")
        base = self._xf(0)
        base_font = int(base.get("fontId", "0")) if base is not None else 0
        font = copy.deepcopy(fonts[base_font]) if base_font < len(fonts) \
            else etree.Element(self.ns + "font")
        edit(font)
        return self._add("fonts", font)

    def bold_xf(self) -> int:
        """The default cell format in bold (tool tab headers)."""
        def bold(font):
            for old in font.findall(self.ns + "b"):
                font.remove(old)
            font.insert(0, etree.Element(self.ns + "b"))
        return self._derived_xf(0, fontId=str(self._derived_font(bold)), applyFont="1")

    def link_xf(self) -> int:
        """The default cell format, underlined in link blue (cells that hold a hyperlink)."""
        def link(font):
            for name in ("u", "color"):
                for old in font.findall(self.ns + name):
                    font.remove(old)
            font.insert(0, etree.Element(self.ns + "u"))
            color = etree.Element(self.ns + "color")
            color.set("rgb", LINK_COLOR)
            sz = font.find(self.ns + "sz")
            font.insert(font.index(sz) + 1 if sz is not None else 1, color)
        return self._derived_xf(0, fontId=str(self._derived_font(link)), applyFont="1")
