"""Writing the zip of a workbook ourselves, entry by entry, from data that may be deflated
already.

Python's zipfile can only compress what it is given. Here a part's deflate stream can come from
anywhere: deflated by this process while it is written, by a forked copy into a temporary file
(copied in raw), or straight from the original file for a part that did not change (copied in
raw, so it stays bit-identical). A part can also be made of several pieces deflated separately,
each but the last ending on a byte boundary without the final bit (a "sync flush"), which
concatenate into one valid stream; their CRC-32s are combined without reading the data again.

The headers are those zipfile writes for a new ZipInfo (version 2.0, flags 0 or UTF-8 name, no
data descriptor), so the output reads back the same in zipfile, Excel and LibreOffice; ZIP64
fields appear only when sizes, offsets or the entry count need them.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

# Limits past which ZIP64 records are written, as zipfile has them (sizes and offsets above
# 2 GiB: some readers take the 32-bit fields as signed).
ZIP64_LIMIT = (1 << 31) - 1
COUNT_LIMIT = (1 << 16) - 1
DEFAULT_VERSION = 20
ZIP64_VERSION = 45
DEFLATED = 8
UTF8_NAME = 0x800
_LOCAL = struct.Struct("<4s2B4HL2L2H")
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")
_END = struct.Struct("<4s4H2LH")
_END64 = struct.Struct("<4sQ2H2L4Q")
_LOCATOR = struct.Struct("<4sLQL")
_POLY = 0xEDB88320


@dataclass(frozen=True)
class Entry:
    """What an entry's headers carry besides its data: name, date, attributes, extra fields."""

    filename: str
    date_time: tuple[int, int, int, int, int, int]
    create_system: int
    external_attr: int
    comment: bytes = b""
    extra: bytes = b""

    def encoded(self) -> tuple[bytes, int]:
        """The name's bytes and the flags saying how it is encoded."""
        try:
            return self.filename.encode("ascii"), 0
        except UnicodeEncodeError:
            return self.filename.encode("utf-8"), UTF8_NAME


@dataclass(frozen=True)
class Stream:
    """A piece of deflate stream: its compressed and uncompressed sizes and the CRC-32 of its
    uncompressed bytes."""

    compress_size: int
    file_size: int
    crc: int


def deflate(chunks: Iterable, write, level: int, last: bool = True) -> Stream:
    """Deflate ``chunks`` (raw deflate, as zip holds it), handing the output to ``write``. A
    piece that is not the ``last`` of its part ends with a sync flush, for the next to follow.
    The one way every part is compressed, whichever process does it, so the bytes never depend
    on who made them."""
    compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
    crc = size = written = 0
    for chunk in chunks:
        if not chunk:
            continue
        crc = zlib.crc32(chunk, crc)
        size += len(chunk)
        out = compressor.compress(chunk)
        if out:
            write(out)
            written += len(out)
    out = compressor.flush(zlib.Z_FINISH if last else zlib.Z_SYNC_FLUSH)
    write(out)
    return Stream(written + len(out), size, crc)


def _multiply(a: int, b: int) -> int:
    """a * b modulo the CRC-32 polynomial (bit-reflected, as zlib's multmodp)."""
    m = 1 << 31
    product = 0
    while True:
        if a & m:
            product ^= b
            if not a & (m - 1):
                return product
        m >>= 1
        b = (b >> 1) ^ _POLY if b & 1 else b >> 1


_POWERS = [1 << 30]  # x^(2^k) modulo the polynomial, k = 0..31
for _ in range(31):
    _POWERS.append(_multiply(_POWERS[-1], _POWERS[-1]))


def crc32_combine(crc1: int, crc2: int, length2: int) -> int:
    """The CRC-32 of two byte strings joined, from their CRCs and the second one's length
    (zlib's crc32_combine, which Python does not expose)."""
    power, k, n = 1 << 31, 3, length2  # x^(8 * length2): the second string's bits
    while n:
        if n & 1:
            power = _multiply(_POWERS[k & 31], power)
        n >>= 1
        k += 1
    return _multiply(power, crc1) ^ crc2


def joined(pieces: Iterable[Stream]) -> Stream:
    """The stream that pieces deflated one after the other make."""
    compressed = size = crc = 0
    for piece in pieces:
        crc = crc32_combine(crc, piece.crc, piece.file_size) if size else piece.crc
        compressed += piece.compress_size
        size += piece.file_size
    return Stream(compressed, size, crc)


class ZipWriter:
    """A zip file written front to back into ``out`` (which must be able to seek back, to
    complete an entry's header once its data is known), in the order entries are begun.

    ``zip64_limit`` and ``count_limit`` are zipfile's; tests lower them to exercise ZIP64."""

    def __init__(self, out, *, zip64_limit: int = ZIP64_LIMIT, count_limit: int = COUNT_LIMIT):
        self.out = out
        self.zip64_limit = zip64_limit
        self.count_limit = count_limit
        self.position = out.tell()
        self.start = self.position
        self._central: list[bytes] = []
        # The entry being written: entry, where it starts, ZIP64 header, header length, stream.
        self._open: tuple | None = None

    def _write(self, data) -> None:
        self.out.write(data)
        self.position += len(data)

    def begin(self, entry: Entry, size_hint: int, stream: Stream | None = None) -> None:
        """Start a deflated entry whose data follows (``write``), then ``end``. Its local header
        has ZIP64 sizes when ``size_hint`` (its expected uncompressed size) is above the limit:
        the header's length is fixed before the data is known. With ``stream`` (the data's
        sizes and CRC, when known already) the header is written complete at once."""
        if self._open is not None:
            raise ValueError(f"the entry {self._open[0].filename} is not ended")
        zip64 = size_hint * 1.05 > self.zip64_limit
        header = self._local(entry, stream or Stream(0, 0, 0), zip64)
        self._open = (entry, self.position, zip64, len(header), stream)
        self._write(header)

    def write(self, data) -> None:
        """Deflated data of the entry begun last."""
        self._write(data)

    def end(self, stream: Stream) -> None:
        """Finish the entry begun last, whose data was ``stream`` (sizes and CRC)."""
        entry, at, zip64, header, known = self._open
        self._open = None
        written = self.position - at - header
        if written != stream.compress_size:
            raise ValueError(f"{entry.filename}: {written} bytes written, "
                             f"{stream.compress_size} expected")
        if not zip64 and max(stream.file_size, stream.compress_size) > self.zip64_limit:
            raise ValueError(f"{entry.filename} is too large for a zip entry without ZIP64 sizes")
        if known != stream:
            self.out.seek(at)
            self.out.write(self._local(entry, stream, zip64))
            self.out.seek(self.position)
        self._central.append(self._central_record(entry, stream, at - self.start, zip64))

    def add(self, entry: Entry, stream: Stream, data: Iterable, size_hint: int) -> None:
        """A whole entry whose deflated ``data`` (chunks) and ``stream`` are known; ``size_hint``
        as for ``begin`` (the same as when the entry is deflated while written, for the same
        bytes either way)."""
        self.begin(entry, size_hint, stream)
        for chunk in data:
            self.write(chunk)
        self.end(stream)

    def _local(self, entry: Entry, stream: Stream, zip64: bool) -> bytes:
        name, flags = entry.encoded()
        extra = entry.extra
        compress_size, file_size = stream.compress_size, stream.file_size
        version = DEFAULT_VERSION
        if zip64:
            extra = extra + struct.pack("<HHQQ", 1, 16, file_size, compress_size)
            compress_size = file_size = 0xFFFFFFFF
            version = ZIP64_VERSION
        dosdate, dostime = _dos(entry.date_time)
        return _LOCAL.pack(b"PK\003\004", version, 0, flags, DEFLATED, dostime, dosdate,
                           stream.crc, compress_size, file_size, len(name), len(extra)) \
            + name + extra

    def _central_record(self, entry: Entry, stream: Stream, offset: int,
                        local_zip64: bool) -> bytes:
        name, flags = entry.encoded()
        values = []
        compress_size, file_size = stream.compress_size, stream.file_size
        if max(file_size, compress_size) > self.zip64_limit:
            values += [file_size, compress_size]
            compress_size = file_size = 0xFFFFFFFF
        if offset > self.zip64_limit:
            values.append(offset)
            offset = 0xFFFFFFFF
        extra = entry.extra
        if values:
            extra = struct.pack(f"<HH{len(values)}Q", 1, 8 * len(values), *values) + extra
        # As zipfile: an entry with ZIP64 fields anywhere says version 4.5 in both headers.
        version = ZIP64_VERSION if values or local_zip64 else DEFAULT_VERSION
        dosdate, dostime = _dos(entry.date_time)
        return _CENTRAL.pack(b"PK\001\002", version, entry.create_system, version, 0, flags,
                             DEFLATED, dostime, dosdate, stream.crc, compress_size, file_size,
                             len(name), len(extra), len(entry.comment), 0, 0,
                             entry.external_attr, offset) + name + extra + entry.comment

    def close(self) -> None:
        """Write the central directory and the end records."""
        if self._open is not None:
            raise ValueError(f"the entry {self._open[0].filename} is not ended")
        start = self.position - self.start
        for record in self._central:
            self._write(record)
        end = self.position - self.start
        count, size, offset = len(self._central), end - start, start
        if count > self.count_limit or offset > self.zip64_limit or size > self.zip64_limit:
            self._write(_END64.pack(b"PK\006\006", 44, ZIP64_VERSION, ZIP64_VERSION, 0, 0,
                                    count, count, size, offset))
            self._write(_LOCATOR.pack(b"PK\006\007", 0, end, 1))
            count, size = min(count, 0xFFFF), min(size, 0xFFFFFFFF)
            offset = min(offset, 0xFFFFFFFF)
        self._write(_END.pack(b"PK\005\006", 0, 0, count, count, size, offset, 0))


def _dos(date_time: tuple) -> tuple[int, int]:
    year, month, day, hour, minute, second = date_time
    return (year - 1980) << 9 | month << 5 | day, hour << 11 | minute << 5 | second // 2
