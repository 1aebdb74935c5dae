"""``watch``: sync on an interval, for machines without a scheduler (SPEC 10).

The loop is plain Python with its clock, its sleep and the sync injected, so tests run many ticks
in no time. It survives errors (a sync that fails is reported and tried again at the next tick)
and stops cleanly when ``stop`` is set: by Ctrl-C or SIGTERM in the command line, by ``--ticks``,
or by a test.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Generic, TypeVar

from .errors import SheetfollowError

R = TypeVar("R")

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_PART = re.compile(r"(\d+(?:\.\d+)?)([smhd])")
MIN_EVERY = 60.0  # what the help promises
MIN_EVERY_SECONDS = 1.0  # an interval written in seconds may go lower (tests, demos)


def parse_every(text: str) -> float:
    """Seconds in an interval such as ``90s``, ``30m``, ``2h``, ``1d`` or ``1h30m``."""
    compact = text.strip().lower().replace(" ", "")
    parts = _PART.findall(compact)
    if not compact or "".join(n + u for n, u in parts) != compact:
        raise ValueError(f"'{text}' is not an interval; write a number and a unit, "
                         "e.g. 90s, 30m, 2h or 1d")
    seconds = sum(float(n) * UNITS[u] for n, u in parts)
    in_seconds = all(u == "s" for _, u in parts)
    minimum = MIN_EVERY_SECONDS if in_seconds else MIN_EVERY
    if seconds < minimum:
        raise ValueError(f"'{text}' is too short; sync at most once a minute (e.g. 1m, 30m)")
    return seconds


@dataclass(frozen=True)
class Tick(Generic[R]):
    """One run of the loop: its number (from 1), when it started, and its result or error."""

    number: int
    started: dt.datetime
    result: R | None = None
    error: SheetfollowError | OSError | None = None
    next_at: dt.datetime | None = None  # when the next tick starts; None after the last one

    @property
    def ok(self) -> bool:
        return self.error is None


def watch(sync: Callable[[], R], every: float, *, on_tick: Callable[[Tick[R]], None],
          stop: threading.Event | None = None, ticks: int | None = None,
          sleep: Callable[[float], object] | None = None,
          clock: Callable[[], float] = time.monotonic,
          now: Callable[[], dt.datetime] = lambda: dt.datetime.now().astimezone()) -> int:
    """Call ``sync`` every ``every`` seconds until ``stop`` is set or ``ticks`` ticks have run;
    return how many ran.

    Ticks keep to a fixed rhythm (start, start + every, ...): a sync that takes longer than the
    interval makes the loop skip the slots it overran rather than run twice in a row. A
    ``SheetfollowError`` or ``OSError`` becomes the tick's ``error``; other exceptions (bugs)
    propagate. ``sleep`` defaults to waiting on ``stop``, so setting it ends the wait at once.
    """
    stop = stop or threading.Event()
    sleep = sleep or stop.wait
    start = clock()
    count = 0
    while not stop.is_set():
        count += 1
        started = now()
        result, error = None, None
        try:
            result = sync()
        except (SheetfollowError, OSError) as exc:
            error = exc
        last = ticks is not None and count >= ticks
        wait = None if last else _until_next(clock() - start, every)
        next_at = None if wait is None else now() + dt.timedelta(seconds=wait)
        on_tick(Tick(count, started, result, error, next_at))
        if wait is None:
            break
        if not stop.is_set():
            sleep(_until_next(clock() - start, every))  # reporting the tick took time too
    return count


def _until_next(elapsed: float, every: float) -> float:
    """Seconds from ``elapsed`` (since the first tick) to the next slot of the rhythm."""
    slots = math.floor(elapsed / every) + 1
    return slots * every - elapsed


@contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """Set ``stop`` on Ctrl-C (SIGINT) or SIGTERM while the block runs: a sync under way
    finishes, a wait ends at once. A second signal interrupts at once (KeyboardInterrupt).

    Only the main thread may install signal handlers; elsewhere this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    wanted = [signal.SIGINT] + ([signal.SIGTERM] if hasattr(signal, "SIGTERM") else [])

    def handler(signum, frame):
        if stop.is_set():
            raise KeyboardInterrupt
        # Set from another thread: Event.set takes a lock the interrupted main thread may be
        # holding inside Event.wait, and locks are not reentrant.
        threading.Thread(target=stop.set, daemon=True).start()

    previous = {s: signal.signal(s, handler) for s in wanted}
    try:
        yield
    finally:
        for s, old in previous.items():
            signal.signal(s, old)
