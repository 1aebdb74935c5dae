"""Using a second CPU core for the heavy, independent parts of a big sync.

A sync of tens of thousands of leads is pure Python (drafting thousands of messages, writing
hundreds of thousands of cells), so one process uses one core. ``fork_start`` shares a list of
jobs with a forked copy of the process, which inherits everything it needs and sends back only
the answers, while this process does other work and then joins in. ``Background`` runs one
function that way, for work that can go on while this process does something else.

Both fall back to doing the work in this process when there is nothing to gain (small jobs, one
core) or no safe ``fork`` (only Linux has one), and whenever the copy fails for any reason, so
the result never depends on whether a second process helped. The work must be pure: what a copy
does to its own memory is lost, only its answer comes back.
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

# Below this many jobs a second process costs more (forking, sending answers) than it saves.
MIN_JOBS = 400


def cores() -> int:
    """The CPU cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def can_fork() -> bool:
    """Whether a forked copy can help. Linux only: macOS system libraries are not safe to use
    in a forked copy (Python itself starts processes another way there), Windows cannot fork."""
    return (sys.platform.startswith("linux") and cores() > 1
            and not os.environ.get("SHEETFOLLOW_ONE_CORE"))


class Background(Generic[R]):
    """The answer of ``fn()``, computed by a forked copy of this process while the caller goes
    on; ``result()`` waits for it (or computes it here if the copy could not)."""

    def __init__(self, fn: Callable[[], R], *, fork: bool = True):
        self._fn = fn
        self._pid = 0
        self._read = -1
        if fork and can_fork():
            self._start()

    def _start(self) -> None:
        read, write = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            os.close(read)
            os.close(write)
            return
        if pid == 0:  # the copy: compute, send, leave without running any cleanup of ours
            status = 1
            try:
                os.close(read)
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                data = pickle.dumps(self._fn(), protocol=pickle.HIGHEST_PROTOCOL)
                with os.fdopen(write, "wb") as out:
                    out.write(data)
                status = 0
            finally:
                os._exit(status)
        os.close(write)
        self._pid, self._read = pid, read

    @property
    def forked(self) -> bool:
        """Whether a copy is working on it (else ``result`` computes it here)."""
        return self._pid != 0

    def result(self) -> R:
        if not self._pid:
            return self._fn()
        chunks = []
        try:
            with os.fdopen(self._read, "rb") as stream:
                self._read = -1
                while chunk := stream.read(1 << 20):
                    chunks.append(chunk)
            _, status = os.waitpid(self._pid, 0)
            self._pid = 0
            if os.waitstatus_to_exitcode(status) == 0 and chunks:
                return pickle.loads(b"".join(chunks))
        finally:
            self.cancel()
        return self._fn()  # the copy failed: do the work here

    def __del__(self) -> None:
        self.cancel()

    def cancel(self) -> None:
        """Stop the copy (if it still runs) and release what it holds."""
        if self._read >= 0:
            os.close(self._read)
            self._read = -1
        if self._pid:
            try:
                os.kill(self._pid, signal.SIGKILL)
                os.waitpid(self._pid, 0)
            except OSError:
                pass
            self._pid = 0


def fork_start(fn: Callable[[T], R], jobs: Sequence[T], *,
               min_jobs: int = MIN_JOBS) -> Callable[[], list[R]]:
    """Begin ``[fn(job) for job in jobs]``; the function returned finishes it.

    From now on a forked copy works through the jobs, a few at a time, while this process
    goes on with other work; calling the returned function makes this process take jobs from
    the same queue until none is left, then gathers the copy's answers. However long the other
    work takes, neither process waits for the other for more than a few jobs. The answers come
    back in the jobs' order. Without a copy (small jobs, one core, no fork) the function does
    all of the work when called."""
    if len(jobs) < min_jobs or not can_fork():
        return lambda: [fn(job) for job in jobs]
    shared = _SharedJobs(fn, jobs)
    return shared.finish


# Jobs taken from the queue at a time: small enough that neither process waits long for the
# other's last batch, large enough that the queue costs nothing.
BATCH = 32


class _SharedJobs(Generic[T, R]):
    """Jobs shared by this process and a forked copy through a queue of batch numbers: a pipe
    filled before the copy starts, which each reads four bytes at a time (reads of a pipe are
    atomic, so each batch is taken once).

    The copy pickles each batch's answers into an unnamed temporary file as soon as they are
    made, so that little is left to send when it ends: it answers with where each batch lies,
    and this process reads them from the file."""

    def __init__(self, fn: Callable[[T], R], jobs: Sequence[T]):
        self.fn, self.jobs = fn, jobs
        # The pipe holds at least 64 KiB: at most 16,384 batch numbers.
        self.size = max(BATCH, -(-len(jobs) // 16_000))
        self.count = -(-len(jobs) // self.size)
        self.queue = -1
        self.spool = None
        self.parent = os.getpid()
        self.copy: Background[dict[int, tuple[int, int]]] | None = None
        try:
            read, write = os.pipe()
        except OSError:
            return
        try:
            data = memoryview(b"".join(n.to_bytes(4, "little") for n in range(self.count)))
            while data:
                data = data[os.write(write, data):]
            self.spool = tempfile.TemporaryFile()
        except OSError:
            os.close(read)
            return
        finally:
            os.close(write)
        self.queue = read
        self.copy = Background(self._work_there)

    def _take(self) -> int | None:
        if self.queue < 0:
            return None
        taken = os.read(self.queue, 4)
        return int.from_bytes(taken, "little") if len(taken) == 4 else None

    def _batch(self, number: int) -> list[R]:
        start = number * self.size
        return [self.fn(job) for job in self.jobs[start:start + self.size]]

    def _work(self) -> dict[int, list[R]]:
        done = {}
        while (number := self._take()) is not None:
            done[number] = self._batch(number)
        return done

    def _work_there(self) -> dict[int, tuple[int, int]]:
        """In the copy: take batches and write their answers into the spool; where each lies.
        Called here too when the copy failed: nothing (this process does its batches)."""
        if os.getpid() == self.parent:
            return {}
        fd = self.spool.fileno()
        where, position = {}, 0
        while (number := self._take()) is not None:
            data = pickle.dumps(self._batch(number), protocol=pickle.HIGHEST_PROTOCOL)
            where[number] = (position, len(data))
            position += pwrite_all(fd, data, position)
        return where

    def _theirs(self) -> dict[int, list[R]]:
        """The copy's answers, read from the spool (none if it failed)."""
        where = self.copy.result() if self.copy is not None else {}
        if not where:
            return {}
        try:
            data = b"".join(pread_all(self.spool.fileno(), 0,
                                      sum(size for _, size in where.values())))
        except OSError:
            return {}  # the file cannot be read back: the batches are done here
        return {number: pickle.loads(data[start:start + size])
                for number, (start, size) in where.items()}

    def __del__(self) -> None:
        self._close()

    def _close(self) -> None:
        if self.queue >= 0:
            os.close(self.queue)
            self.queue = -1
        if self.spool is not None:
            self.spool.close()
            self.spool = None

    def finish(self) -> list[R]:
        try:
            mine = self._work()
            theirs = self._theirs()
        finally:
            if self.copy is not None:
                self.copy.cancel()
                self.copy = None  # it refers back to this object (self._work_there)
            self._close()
        answers: list[R] = []
        for number in range(self.count):  # a batch the copy took but never answered: do it here
            found = mine.get(number)
            if found is None:
                found = theirs.get(number)
            answers += found if found is not None else self._batch(number)
        return answers


# --- the temporary files copies write their answers to ----------------------------------------

SPOOL_BUFFER = 1 << 20  # bytes read at a time


def pwrite_all(fd: int, data: bytes | bytearray, position: int) -> int:
    """Write all of ``data`` at ``position`` of file ``fd``; how many bytes that was."""
    view = memoryview(data)
    done = 0
    while done < len(view):
        done += os.pwrite(fd, view[done:], position + done)
    return done


def pread_all(fd: int, start: int, size: int) -> Iterator[bytes]:
    """``size`` bytes of file ``fd`` from ``start``, a chunk at a time; OSError if it is
    shorter."""
    end = start + size
    while start < end:
        chunk = os.pread(fd, min(SPOOL_BUFFER, end - start), start)
        if not chunk:
            raise OSError(f"the temporary file ended {end - start} bytes early")
        start += len(chunk)
        yield chunk
