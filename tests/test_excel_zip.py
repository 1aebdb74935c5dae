"""The zip writer of the Excel backend: entries read back by zipfile as written, deflated in
pieces or copied in raw, ZIP64 when needed, and unchanged parts copied as they were."""

from __future__ import annotations

import io
import random
import struct
import zipfile
import zlib
from pathlib import Path

import pytest

from sheetfollow.backends.excel import ExcelBackend
from sheetfollow.backends.excel.zipout import (
    Entry,
    Stream,
    ZipWriter,
    crc32_combine,
    deflate,
    joined,
)
from sheetfollow.changeset import CellWrite, ChangeSet
from sheetfollow.errors import TargetError

try:  # tests/ as a package or as a plain folder on sys.path
    from .test_excel import build_xlsx, leads_workbook, sync_cells
except ImportError:
    from test_excel import build_xlsx, leads_workbook, sync_cells

LEVEL = 2
UT_EXTRA = struct.pack("<HHB", 0x5455, 1, 0)  # an extended-timestamp field, kept as it is


def text(n: int, seed: int = 1) -> bytes:
    rng = random.Random(seed)
    words = [b"<row>", b"<c r=\"A1\">", b"Lead", b"42", b"</c>", b"\xc3\xa9t\xc3\xa9", b" "]
    return b"".join(rng.choice(words) for _ in range(n))


def deflated(data: bytes, pieces: int = 1) -> tuple[Stream, bytes]:
    """``data`` deflated in ``pieces`` pieces joined, and their stream."""
    out, streams = [], []
    cuts = [len(data) * i // pieces for i in range(pieces + 1)]
    for i in range(pieces):
        streams.append(deflate([data[cuts[i]:cuts[i + 1]]], out.append, LEVEL,
                               last=i == pieces - 1))
    return joined(streams), b"".join(out)


def write_zip(entries: list[tuple[Entry, bytes, int]], **limits) -> bytes:
    """A zip of (entry, data, pieces): the first half of the entries added as known streams,
    the others deflated while written."""
    buffer = io.BytesIO()
    writer = ZipWriter(buffer, **limits)
    for i, (entry, data, pieces) in enumerate(entries):
        stream, raw = deflated(data, pieces)
        if i % 2 == 0:
            writer.add(entry, stream, [raw], len(data))
        else:
            writer.begin(entry, len(data))
            writer.write(raw[:7])
            writer.write(raw[7:])
            writer.end(stream)
    writer.close()
    return buffer.getvalue()


ENTRIES = [
    (Entry("[Content_Types].xml", (2024, 2, 29, 23, 59, 58), 3, 0o644 << 16), b"<Types/>", 1),
    (Entry("xl/worksheets/sheet1.xml", (1980, 1, 1, 0, 0, 0), 0, 0, b"a comment", UT_EXTRA),
     text(20000), 3),
    (Entry("xl/données/é.xml", (2026, 11, 23, 9, 30, 12), 3, 0o100600 << 16), text(500, 2), 2),
    (Entry("empty.xml", (2026, 1, 1, 0, 0, 0), 3, 0), b"", 1),
]


def test_entries_read_back_with_their_data_crcs_and_attributes():
    data = write_zip(ENTRIES)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert z.testzip() is None
        infos = z.infolist()
        assert [i.filename for i in infos] == [e.filename for e, _, _ in ENTRIES]
        for info, (entry, content, _) in zip(infos, ENTRIES, strict=True):
            assert z.read(info) == content
            assert info.CRC == zlib.crc32(content)
            assert info.compress_type == zipfile.ZIP_DEFLATED
            assert (info.date_time, info.create_system, info.external_attr, info.comment,
                    info.extra) == (entry.date_time, entry.create_system, entry.external_attr,
                                    entry.comment, entry.extra)
            assert not info.flag_bits & 0x08  # sizes in the local header, no data descriptor
        assert infos[2].flag_bits & 0x800  # a UTF-8 name says so


def test_headers_are_those_zipfile_writes_for_the_same_entries():
    """Deflated in one piece, the file is byte for byte what zipfile makes of the same entries
    (what Package.write used to write)."""
    ours = write_zip([(e, d, 1) for e, d, _ in ENTRIES])
    theirs = io.BytesIO()
    with zipfile.ZipFile(theirs, "w", zipfile.ZIP_DEFLATED) as z:
        for entry, content, _ in ENTRIES:
            info = zipfile.ZipInfo(entry.filename, entry.date_time)
            info.create_system, info.comment, info.extra = (entry.create_system,
                                                            entry.comment, entry.extra)
            info.compress_type, info._compresslevel = zipfile.ZIP_DEFLATED, LEVEL
            info.file_size = len(content)
            with z.open(info, "w") as dest:
                dest.write(content)
            info.external_attr = entry.external_attr
    assert ours == theirs.getvalue()


@pytest.mark.parametrize("seed", range(5))
def test_pieces_deflated_apart_join_into_one_stream(seed):
    rng = random.Random(seed)
    data = text(rng.randint(0, 30000), seed)
    cuts = sorted(rng.randint(0, len(data)) for _ in range(rng.randint(1, 6)))
    bounds = [0, *cuts, len(data)]
    out, streams = [], []
    for i, (a, b) in enumerate(zip(bounds, bounds[1:], strict=False)):
        streams.append(deflate([data[a:b]], out.append, LEVEL, last=i == len(bounds) - 2))
    stream = joined(streams)
    assert zlib.decompress(b"".join(out), -15) == data
    assert stream == Stream(len(b"".join(out)), len(data), zlib.crc32(data))
    for a, b in zip(bounds, bounds[1:], strict=False):
        assert crc32_combine(zlib.crc32(data[:a]), zlib.crc32(data[a:b]), b - a) == \
            zlib.crc32(data[:b])


def test_zip64_records_when_sizes_offsets_and_counts_pass_the_limit():
    """A small limit stands for 2 GiB and 65,535 entries: every kind of ZIP64 field and the
    ZIP64 end records are written, and zipfile reads them."""
    data = write_zip(ENTRIES, zip64_limit=300, count_limit=2)
    assert b"PK\x06\x06" in data and b"PK\x06\x07" in data
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert z.testzip() is None
        big = z.getinfo("xl/worksheets/sheet1.xml")
        assert big.file_size == len(ENTRIES[1][1]) and big.extract_version == 45
        assert z.getinfo("xl/données/é.xml").header_offset > 300  # read from its ZIP64 field
        for entry, content, _ in ENTRIES:
            assert z.read(entry.filename) == content
            assert z.getinfo(entry.filename).extra.endswith(entry.extra)  # after the ZIP64 one


def test_an_entry_must_get_the_bytes_its_stream_announces():
    writer = ZipWriter(io.BytesIO())
    stream, raw = deflated(b"abc")
    writer.begin(ENTRIES[0][0], 3)
    writer.write(raw[:-1])
    with pytest.raises(ValueError, match="expected"):
        writer.end(stream)


def raw_entries(path: Path) -> dict[str, bytes]:
    """Each entry's deflated bytes as stored in the file."""
    data = path.read_bytes()
    found = {}
    with zipfile.ZipFile(path) as z:
        for info in z.infolist():
            start = info.header_offset + 30 + int.from_bytes(
                data[info.header_offset + 26:info.header_offset + 28], "little") \
                + int.from_bytes(data[info.header_offset + 28:info.header_offset + 30], "little")
            found[info.filename] = data[start:start + info.compress_size]
    return found


def test_unchanged_parts_are_copied_as_they_were(tmp_path):
    path = leads_workbook(tmp_path / "book.xlsx")
    before = raw_entries(path)
    sync_cells(path, CellWrite("Leads", 2, 5, "Won"))
    after = raw_entries(path)
    unchanged = {"docProps/app.xml", "docProps/core.xml", "xl/theme/theme1.xml"}
    assert unchanged <= before.keys()
    assert {n: after[n] for n in unchanged} == {n: before[n] for n in unchanged}
    assert after["xl/worksheets/sheet1.xml"] != before["xl/worksheets/sheet1.xml"]
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None


def test_a_damaged_unchanged_part_stops_the_sync(tmp_path):
    """Copying an unchanged part in raw still checks it, as reading it did: a damaged one is
    reported, and the workbook stays as it was."""
    path = leads_workbook(tmp_path / "book.xlsx")
    with zipfile.ZipFile(path) as z:
        info = z.getinfo("xl/theme/theme1.xml")
    data = bytearray(path.read_bytes())
    data[info.header_offset + 30 + len(info.filename) + info.compress_size // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    backend = ExcelBackend(path)
    backend.read(["Leads"])
    with pytest.raises(TargetError, match="is damaged: its part xl/theme/theme1.xml cannot be "
                                          "unpacked"):
        backend.apply(ChangeSet(cells=[CellWrite("Leads", 2, 5, "Won")]))
    assert path.read_bytes() == bytes(data)


def test_stored_parts_are_deflated_and_kept(tmp_path):
    source = build_xlsx(tmp_path / "book.xlsx",
                        {"Leads": '<row r="1"><c r="A1" t="inlineStr"><is><t>Name</t></is></c>'
                                  "</row>"})
    path = tmp_path / "stored.xlsx"
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(path, "w") as new:
        for info in old.infolist():
            new.writestr(info, old.read(info), compress_type=zipfile.ZIP_STORED)
    with zipfile.ZipFile(path) as z:
        styles = z.read("xl/styles.xml")
    sync_cells(path, CellWrite("Leads", 2, 1, "Ana"))
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None
        info = z.getinfo("xl/styles.xml")
        assert info.compress_type == zipfile.ZIP_DEFLATED and z.read(info) == styles
