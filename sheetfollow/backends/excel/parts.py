"""The parts a sync writes, made and deflated by two processes when the machine has two cores.

Every new part is a ``Part``: a maker of its XML in units (blocks of rows) with an estimate of
what each unit costs. The parts, in the order they go into the zip, are cut into pieces of about
the same estimated work (``cut``); each piece is deflated on its own (``zipout.deflate``: the
pieces of a part join into one stream), so that any process can make any piece.

This process takes pieces from the front and writes them straight into the new file; a forked
copy takes pieces from the back and deflates them into an unnamed temporary file, which this
process copies into the file once it meets them. Taking is through a pipe filled with one byte
per piece: each read of a byte is atomic, so together they never take more pieces than there
are, and the two meet wherever the work really splits in two, however wrong the estimates.

The pieces depend only on the estimates, and every piece is deflated the same way by whoever
makes it, so the file is the same byte for byte on one core or two. When no copy can run (one
core, no ``fork``, ``SHEETFOLLOW_ONE_CORE``) or the copy fails in any way, this process makes the
copy's pieces itself as it reaches them.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from ...parallel import SPOOL_BUFFER, Background, can_fork, pread_all, pwrite_all
from .zipout import Stream, deflate

# Estimated seconds per byte deflated (level 2), per cell of a tool tab, per cell written into a
# user's sheet (rebuilding its row) and per byte of a hyperlink's target. Only their ratios
# matter: they cut the work into pieces that take about as long.
DEFLATE_BYTE = 6e-9
TOOL_CELL = 0.8e-6
WRITTEN_CELL = 5e-6
LINK_BYTE = 2e-9
# The estimated work of a piece: small enough that neither process waits long for the other's
# last one, large enough that restarting the compression (and taking it) costs nothing.
PIECE_COST = 0.01
MAX_PIECES = 16_000  # tokens in a pipe (it holds 64 KiB)
# Below this much estimated work in all, a copy costs more than it saves.
MIN_SHARED = 0.05


@dataclass
class Part:
    """A part's new content, made only when the file is written: ``make(start, stop)`` gives
    the byte chunks of units ``start`` to ``stop`` (the first unit begins the part, the last
    ends it), ``costs`` estimates each unit's seconds and ``size`` the part's bytes."""

    make: Callable[[int, int], Iterable[bytes]]
    costs: list[float]
    size: int

    @property
    def cost(self) -> float:
        return sum(self.costs)


def whole(content, cost: float | None = None, size: int = 0) -> Part:
    """A part given as bytes or as byte chunks (made once, as they are read): one unit."""
    if isinstance(content, (bytes, bytearray, memoryview)):
        data = bytes(content)
        return Part(lambda start, stop: [data], [DEFLATE_BYTE * len(data)], len(data))
    return Part(lambda start, stop: content, [cost if cost is not None else 0.0], size)


@dataclass(frozen=True)
class Piece:
    """Units ``start`` to ``stop`` of one part, deflated as one piece (``last``: the part's
    last piece, whose stream ends the entry)."""

    part: int
    start: int
    stop: int
    last: bool


def cut(parts: Sequence[Part]) -> list[Piece]:
    """The pieces of ``parts`` in order: runs of units of about ``PIECE_COST`` each."""
    size = max(PIECE_COST, sum(p.cost for p in parts) / MAX_PIECES * 2)
    pieces = []
    for i, p in enumerate(parts):
        start, work = 0, 0.0
        for unit, cost in enumerate(p.costs):
            work += cost
            if work >= size and unit + 1 < len(p.costs):
                pieces.append(Piece(i, start, unit + 1, False))
                start, work = unit + 1, 0.0
        pieces.append(Piece(i, start, len(p.costs), True))
    return pieces


class Shared:
    """The making of ``parts``: a copy taking pieces from the back, started at once, and
    ``pieces_of(i)``, the writers of part ``i``'s pieces for this process, which must call
    them in order (each takes a piece from the front first).

    Each writer takes ``write`` (where the part's deflated bytes go) and returns the piece's
    ``Stream``: it deflates the piece here, or copies what the copy made (waiting for the copy
    the first time, and making the piece here if the copy failed). Use as a context manager:
    leaving it ends the copy and frees its files, whatever happened."""

    def __init__(self, parts: Sequence[Part], level: int, fork: bool = True):
        self.parts, self.level = parts, level
        self.pieces = cut(parts)
        self._parent = os.getpid()
        self._queue = -1
        self._spool = None
        self._copy: Background | None = None
        self._made: dict[int, tuple[int, Stream]] | None = None
        self._theirs_from: int | None = None  # the first piece this process did not take
        if fork and can_fork() and 1 < len(self.pieces) <= MAX_PIECES \
                and sum(p.cost for p in parts) >= MIN_SHARED:
            try:
                self._start()
            except OSError:
                self.close()

    def _start(self) -> None:
        self._spool = tempfile.TemporaryFile()
        read, write = os.pipe()
        self._queue = read
        try:
            os.set_blocking(write, False)  # a pipe smaller than the tokens: no copy, no hang
            tokens = memoryview(bytes(len(self.pieces)))
            while tokens:
                tokens = tokens[os.write(write, tokens):]
        finally:
            os.close(write)  # an empty queue then reads as the end
        self._copy = Background(self._make_theirs)
        if not self._copy.forked:
            self.close()

    def __enter__(self) -> Shared:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self._copy is not None:
            self._copy.cancel()
            self._copy = None
        if self._queue >= 0:
            os.close(self._queue)
            self._queue = -1
        if self._spool is not None:
            self._spool.close()
            self._spool = None

    @property
    def forked(self) -> bool:
        return self._copy is not None

    def pieces_of(self, part: int) -> list[Callable]:
        return [self._writer(n) for n, piece in enumerate(self.pieces) if piece.part == part]

    def _writer(self, n: int) -> Callable:
        def write_piece(write) -> Stream:
            if self._take(n):
                return self._deflate(self.pieces[n], write)
            made = self._theirs(n)
            if made is not None:
                return made(write)
            return self._deflate(self.pieces[n], write)
        return write_piece

    def _take(self, n: int) -> bool:
        """Whether this process makes piece ``n`` (taking it from the queue, when there is a
        copy): all pieces from the first it could not take are the copy's."""
        if self._theirs_from is not None and n >= self._theirs_from:
            return False
        if self._queue < 0 or os.read(self._queue, 1):
            return True
        self._theirs_from = n
        return False

    def _deflate(self, piece: Piece, write) -> Stream:
        chunks = self.parts[piece.part].make(piece.start, piece.stop)
        return deflate(chunks, write, self.level, piece.last)

    # --- the copy --------------------------------------------------------------------------

    def _make_theirs(self) -> dict[int, tuple[int, Stream]] | None:
        """In the copy: take pieces from the back and deflate them into the spool; where each
        starts, and its stream. Called here too when the copy failed: None, as this process
        makes them itself (as it reaches them, straight into the file)."""
        if os.getpid() == self._parent:
            return None
        fd = self._spool.fileno()
        buffer = bytearray()
        position = 0

        def write(data) -> None:
            nonlocal position
            buffer.extend(data)
            if len(buffer) >= SPOOL_BUFFER:
                position += pwrite_all(fd, buffer, position)
                del buffer[:]

        made = {}
        n = len(self.pieces)
        while os.read(self._queue, 1):
            n -= 1
            start = position + len(buffer)
            made[n] = (start, self._deflate(self.pieces[n], write))
        pwrite_all(fd, buffer, position)
        return made

    def _theirs(self, n: int) -> Callable | None:
        if self._made is None:
            self._made = {}
            if self._copy is not None:
                try:
                    self._made = self._copy.result() or {}
                finally:
                    self._copy.cancel()
                    self._copy = None
        found = self._made.get(n)
        if found is None or self._spool is None:
            return None
        start, stream = found
        fd = self._spool.fileno()

        def copy_made(write) -> Stream:
            for chunk in pread_all(fd, start, stream.compress_size):
                write(chunk)
            return stream
        return copy_made
