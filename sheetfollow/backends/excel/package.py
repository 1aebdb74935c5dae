"""The workbook as an OPC package: zip parts, relationships, content types and the sheet list.

Parts are read straight from the zip bytes taken at ``read`` time; a new package is written entry
by entry in the original order (by ``zipout``), so every part sheetfollow does not own comes
through unchanged: its deflated bytes are copied as they were, once checked.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
import zlib
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass

from lxml import etree

from ...errors import TargetError
from .parts import Part, Shared, whole
from .zipout import Entry, Stream, ZipWriter, deflate, joined

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
STRICT_REL_NS = "http://purl.oclc.org/ooxml/officeDocument/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"

RT_WORKSHEET = REL_NS + "/worksheet"
RT_STYLES = REL_NS + "/styles"
RT_SHARED_STRINGS = REL_NS + "/sharedStrings"
RT_HYPERLINK = REL_NS + "/hyperlink"
RT_TABLE = REL_NS + "/table"
CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CT_STYLES = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"
CT_RELS = "application/vnd.openxmlformats-package.relationships+xml"

# Untrusted input: no entity expansion, no network, but big text nodes are fine.
XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
BIG_PART = 1 << 20  # parts above this size are inflated in one go
# Deflate level of the written zip. Compression is a large share of a big sync's time: level 2
# deflates three times faster than 6 for a file about 20% larger (Excel's next save shrinks it).
ZIP_LEVEL = 2
# A part's new content: bytes, or byte chunks (a list, or an iterator of them).
Content = bytes | Iterable
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
DAMAGED_FIX = "open it in Excel to repair it, or restore a copy from .sheetfollow-backups"


@dataclass(frozen=True)
class Relationship:
    id: str
    type: str
    target: str  # resolved part name for internal targets, the raw target for external ones
    external: bool


@dataclass(frozen=True)
class SheetEntry:
    """One ``<sheet>`` of workbook.xml: its tab name and the part that holds it."""

    name: str
    sheet_id: int
    rel_id: str
    part: str | None  # None when the relationship is missing
    is_worksheet: bool
    state: str  # visible, hidden or veryHidden


def local(tag) -> str:
    """The local name of a Clark-notation tag: ``{ns}row`` -> ``row`` ("" for a comment)."""
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def rels_part(part: str) -> str:
    """The rels part of ``part``: xl/workbook.xml -> xl/_rels/workbook.xml.rels."""
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def resolve(source: str, target: str) -> str:
    """The part name a relationship target points to, relative to the part that holds it."""
    if target.startswith("/"):
        return target.lstrip("/")
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(source), target))
    return joined.lstrip("/") if joined != "." else ""


def relative(source: str, part: str) -> str:
    """The relative target from ``source`` to ``part`` (the inverse of ``resolve``)."""
    return posixpath.relpath(part, posixpath.dirname(source) or ".")


class Package:
    """Read access to the parts of one xlsx file held in memory, and writing a modified copy."""

    def __init__(self, data: bytes, label: str):
        self.label = label
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(data))
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
            raise TargetError(
                f"{label} is not an Excel workbook (.xlsx or .xlsm); save it from Excel as .xlsx"
            ) from exc
        self._data = memoryview(data)
        self.infos = self.zip.infolist()
        self.names = {info.filename.lower(): info.filename for info in self.infos}
        self.workbook_part = self._find_workbook()

    def _find_workbook(self) -> str:
        part = None
        if self.has("_rels/.rels"):
            for rel in self.relationships(""):
                if rel.type.endswith("/officeDocument") and not rel.external:
                    part = rel.target
                    break
        part = part or "xl/workbook.xml"
        if not self.has(part) or not self.has("[Content_Types].xml"):
            raise TargetError(
                f"{self.label} is not an Excel workbook (.xlsx or .xlsm); "
                "save it from Excel as .xlsx"
            )
        return self.names[part.lower()]

    def has(self, part: str) -> bool:
        return part.lower() in self.names

    def actual(self, part: str) -> str:
        """The part's name as stored in the zip (part names are case-insensitive)."""
        return self.names.get(part.lower(), part)

    def read(self, part: str) -> bytes:
        name = self.actual(part)
        try:
            info = self.zip.getinfo(name)
            if info.compress_type == zipfile.ZIP_DEFLATED and info.file_size > BIG_PART:
                return self._inflate(info)
            return self.zip.read(name)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError,
                KeyError) as exc:
            raise _unpack_error(part, self.label, exc) from exc

    def _inflate(self, info: zipfile.ZipInfo) -> bytes:
        """A big deflated part inflated into one buffer of its known size (``ZipFile.read``
        grows its result piece by piece and briefly needs twice the memory)."""
        fp = self.zip.fp
        fp.seek(info.header_offset)
        header = fp.read(30)
        if header[:4] != b"PK\x03\x04":
            raise zipfile.BadZipFile(f"bad local header for {info.filename}")
        skip = int.from_bytes(header[26:28], "little") + int.from_bytes(header[28:30], "little")
        fp.seek(info.header_offset + 30 + skip)
        data = zlib.decompress(fp.read(info.compress_size), -15, max(info.file_size, 1))
        if len(data) != info.file_size or zlib.crc32(data) != info.CRC:
            raise zipfile.BadZipFile(f"Bad CRC-32 for file {info.filename!r}")
        return data

    def open(self, part: str) -> _Stream:
        """A stream of the part's bytes, for parsing big sheets without holding them whole."""
        try:
            return _Stream(self.zip.open(self.actual(part)), part, self.label)
        except (zipfile.BadZipFile, zlib.error, OSError, NotImplementedError, KeyError) as exc:
            raise _unpack_error(part, self.label, exc) from exc

    def xml(self, part: str) -> etree._Element:
        """The part parsed as a tree (only small parts: workbook, styles, rels, tables)."""
        return parse_xml(self.read(part), part, self.label)

    def relationships(self, part: str) -> list[Relationship]:
        """The relationships of ``part`` ("" for the package itself); none if it has no rels."""
        name = rels_part(part) if part else "_rels/.rels"
        if not self.has(name):
            return []
        rels = []
        for el in self.xml(name):
            if local(el.tag) != "Relationship":
                continue
            external = el.get("TargetMode") == "External"
            target = el.get("Target", "")
            rels.append(Relationship(el.get("Id", ""), el.get("Type", ""),
                                     target if external else resolve(part, target), external))
        return rels

    def sheets(self) -> list[SheetEntry]:
        """Every ``<sheet>`` of the workbook, in tab order."""
        root = self.xml(self.workbook_part)
        rels = {r.id: r for r in self.relationships(self.workbook_part)}
        entries = []
        for el in root.iter("{*}sheet"):
            rel_id = next((v for k, v in el.attrib.items() if local(k) == "id"), "")
            rel = rels.get(rel_id)
            part = self.actual(rel.target) if rel and not rel.external else None
            entries.append(SheetEntry(
                name=el.get("name", ""),
                sheet_id=int(el.get("sheetId", "")) if el.get("sheetId", "").isdigit() else 0,
                rel_id=rel_id,
                part=part,
                is_worksheet=bool(rel and rel.type.endswith("/worksheet") and self.has(part)),
                state=el.get("state", "visible"),
            ))
        return entries

    def write(self, fileobj, replaced: dict[str, Content | Part],
              added: list[tuple[str, Content | Part]], level: int = ZIP_LEVEL,
              removed: Collection[str] = (), shared: Shared | None = None) -> None:
        """Write the package to ``fileobj``: the same entries in the same order, some replaced,
        some ``removed`` (parts sheetfollow owned and no longer uses), new ones at the end.
        Every entry is deflated; names, dates and attributes are kept.

        A replacement is bytes, byte chunks (a list, or an iterator producing them while they
        are written) or a ``Part``: big sheets are never held whole. The parts of ``shared``
        are made by this process and a copy of it together (``parts.Shared``), the others
        here as they are written. An entry that did not change is copied as its original
        deflated bytes, once they are checked."""
        entries: list[tuple[Entry, object]] = []
        for info in self.infos:
            if info.filename in removed:
                continue
            data = replaced.get(info.filename)
            entries.append((Entry(info.filename, info.date_time, info.create_system,
                                  info.external_attr, info.comment, _keep_extra(info.extra)),
                            info if data is None else data))
        stamp = max((i.date_time for i in self.infos), default=(1980, 1, 1, 0, 0, 0))
        # New entries look like those the same program wrote (zipfile's rw------- otherwise).
        system, attr = ((self.infos[0].create_system, self.infos[0].external_attr) if self.infos
                        else (3, 0o600 << 16))
        entries += [(Entry(name, stamp, system, attr), data) for name, data in added]
        in_shared = {id(part): i for i, part in enumerate(shared.parts)} if shared else {}
        kept = {data.filename: self._kept_source(data, level) for _, data in entries
                if isinstance(data, zipfile.ZipInfo)}
        out = ZipWriter(fileobj)
        for entry, data in entries:
            if isinstance(data, zipfile.ZipInfo):
                source = kept[data.filename]
            elif id(data) in in_shared:
                source = Source(data.size, shared.pieces_of(in_shared[id(data)]))
            else:
                source = _made_here(data if isinstance(data, Part) else whole(data), level)
            _write(out, entry, source)
        out.close()

    def _kept(self, info: zipfile.ZipInfo) -> memoryview | None:
        """The deflated bytes of an unchanged entry, to copy as they are, when they are sound:
        deflated, not encrypted, and inflating to its size and CRC-32 (what reading it checks).
        None for anything else, which is read and deflated again (or found damaged)."""
        if info.compress_type != zipfile.ZIP_DEFLATED or info.flag_bits & 0x41:
            return None
        data = self._data
        header = data[info.header_offset:info.header_offset + 30]
        if len(header) < 30 or bytes(header[:4]) != b"PK\x03\x04":
            return None
        start = info.header_offset + 30 + int.from_bytes(header[26:28], "little") \
            + int.from_bytes(header[28:30], "little")
        raw = data[start:start + info.compress_size]
        if len(raw) != info.compress_size:
            return None
        inflater = zlib.decompressobj(-15)
        crc = size = 0
        try:
            for at in range(0, len(raw), 1 << 16):
                chunk = raw[at:at + (1 << 16)]
                while chunk:  # never more than a few MB inflated at once
                    out = inflater.decompress(chunk, 1 << 22)
                    crc, size = zlib.crc32(out, crc), size + len(out)
                    if size > info.file_size:
                        return None
                    chunk = inflater.unconsumed_tail
        except zlib.error:
            return None
        if not inflater.eof or inflater.unused_data or size != info.file_size \
                or crc != info.CRC:
            return None
        return raw

    def _kept_source(self, info: zipfile.ZipInfo, level: int) -> Source:
        raw = self._kept(info)
        if raw is None:  # read (and checked) only when written: never all of them at once
            return Source(info.file_size,
                          [lambda write: deflate([self.read(info.filename)], write, level)])
        stream = Stream(info.compress_size, info.file_size, info.CRC)

        def copy(write) -> Stream:
            write(raw)
            return stream
        return Source(info.file_size, [copy], stream)


def _made_here(part: Part, level: int) -> Source:
    return Source(part.size, [lambda write: deflate(part.make(0, len(part.costs)), write, level)])


@dataclass
class Source:
    """Where an entry's data comes from: the writers of its deflated pieces in order (each
    takes where the bytes go and returns its ``Stream``), its expected size, and its stream
    when known before it is written."""

    size: int
    pieces: list[Callable[[Callable], Stream]]
    known: Stream | None = None


def _write(out: ZipWriter, entry: Entry, data: Source) -> None:
    """One entry of the new file (a function of its own: tests make it fail midway)."""
    out.begin(entry, data.size, data.known)
    out.end(joined(piece(out.write) for piece in data.pieces))


def batched(pieces: Iterable, size: int = 1 << 18) -> Iterator[bytes]:
    """Pieces of output regrouped into chunks of about ``size`` bytes (fewer, larger writes);
    a piece that big on its own (a view of an untouched stretch of a sheet) passes as it is."""
    batch: list = []
    total = 0
    for piece in pieces:
        if len(piece) >= size:
            if batch:
                yield b"".join(batch)
                batch, total = [], 0
            yield piece
        elif piece:
            batch.append(piece)
            total += len(piece)
            if total >= size:
                yield b"".join(batch)
                batch, total = [], 0
    if batch:
        yield b"".join(batch)


class _Stream:
    """A part being read; a damaged zip shows up as a clear error, whenever it is met."""

    def __init__(self, raw, part: str, label: str):
        self.raw, self.part, self.label = raw, part, label

    def read(self, size: int = -1) -> bytes:
        try:
            return self.raw.read(size)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
            raise _unpack_error(self.part, self.label, exc) from exc

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.raw.close()


def _unpack_error(part: str, label: str, exc: Exception) -> TargetError:
    return TargetError(f"{label} is damaged: its part {part} cannot be unpacked ({exc}); "
                       + DAMAGED_FIX)


def _keep_extra(extra: bytes) -> bytes:
    """Extra fields other than zip64 (which zipfile writes itself when needed)."""
    kept, i = [], 0
    while i + 4 <= len(extra):
        kind = int.from_bytes(extra[i:i + 2], "little")
        size = int.from_bytes(extra[i + 2:i + 4], "little")
        if kind != 0x0001:
            kept.append(extra[i:i + 4 + size])
        i += 4 + size
    return b"".join(kept)


def parse_xml(data: bytes, part: str, label: str) -> etree._Element:
    try:
        return etree.fromstring(data, XML_PARSER)
    except etree.XMLSyntaxError as exc:
        raise TargetError(
            f"{label} is damaged: its part {part} is not valid XML ({exc}); " + DAMAGED_FIX
        ) from exc


def serialize(root: etree._Element) -> bytes:
    """A small part's tree back to bytes, with the declaration Excel writes."""
    return XML_DECLARATION + etree.tostring(root, encoding="UTF-8")
