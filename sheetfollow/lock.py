"""One sync at a time per target: a lock file, so cron firing while a manual sync runs waits
briefly and then gives up with a clear message instead of overlapping (SPEC 10).

The lock is an OS lock (``filelock``): it is released when its process ends, however it ends, so
a crashed or killed run never leaves a stale lock behind. Who holds it (pid, start time) goes in
a sidecar ``.info`` file, because a waiting process may not read the lock file itself.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import click
from filelock import FileLock, Timeout

from .errors import LockedError, TargetError
from .targets import EXCEL_SUFFIXES, is_google, sheet_key

LOCK_DIR_ENV = "SHEETFOLLOW_LOCK_DIR"  # where Google Sheets' locks live (tests, shared machines)
WAIT_ENV = "SHEETFOLLOW_LOCK_WAIT"  # seconds to wait for another run (default 10)
DEFAULT_WAIT = 10.0

# Lock files this process holds, per thread: a nested target_lock on the same target (watch
# calling sync, a library caller wrapping sync) re-enters instead of waiting for itself.
_held: dict[tuple[str, int], int] = {}
_held_guard = threading.Lock()


def lock_path(target: str) -> Path | None:
    """The lock file for ``target``, or None for a target no sync can write (the backend then
    reports what is wrong with it): a missing workbook, an unknown kind of file."""
    text = os.fspath(target).strip()
    if is_google(text):
        key = sheet_key(text)
        if key is None:
            return None
        folder = os.environ.get(LOCK_DIR_ENV) or os.path.join(click.get_app_dir("sheetfollow"),
                                                               "locks")
        return Path(folder) / f"{key}.lock"
    from .backends.excel.fileio import BACKUP_DIR  # where the Excel backend keeps its backups

    path = Path(text)
    if path.suffix.casefold() not in EXCEL_SUFFIXES or not path.is_file():
        return None
    # The resolved folder, so "leads.xlsx" and "/home/ana/leads.xlsx" share one lock.
    return path.absolute().parent.resolve() / BACKUP_DIR / f"{path.name}.lock"


@contextlib.contextmanager
def target_lock(target: str | os.PathLike, wait: float | None = None) -> Iterator[None]:
    """Hold the lock of ``target`` while the block runs; wait up to ``wait`` seconds (default
    10, or $SHEETFOLLOW_LOCK_WAIT) for another run to finish, then raise ``LockedError``."""
    path = lock_path(os.fspath(target))
    if path is None:
        yield
        return
    key = (str(path), threading.get_ident())
    with _held_guard:
        if key in _held:
            _held[key] += 1
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield
        finally:
            with _held_guard:
                _held[key] -= 1
        return
    _make_folder(path.parent, target)
    lock = FileLock(str(path))
    try:
        lock.acquire(timeout=_wait(wait))
    except Timeout:
        raise LockedError(locked_message(os.fspath(target), read_info(path))) from None
    info = info_path(path)
    with _held_guard:
        _held[key] = 1
    try:
        _write_info(info)
        yield
    finally:
        with _held_guard:
            del _held[key]
        with contextlib.suppress(OSError):
            info.unlink()
        lock.release()


def info_path(lock: Path) -> Path:
    return lock.with_name(lock.name + ".info")


def read_info(lock: Path) -> dict:
    """What the holder wrote about itself; {} when it is unknown (an older run, a race)."""
    try:
        data = json.loads(info_path(lock).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def locked_message(target: str, info: dict, now: dt.datetime | None = None) -> str:
    """The LockedError message: who holds the target since when, and what to do."""
    holder = ""
    try:
        started = dt.datetime.fromisoformat(info["started"]).astimezone()
    except (KeyError, TypeError, ValueError):
        started = None
    if started is not None:
        today = (now or dt.datetime.now().astimezone()).date()
        holder = (f"; it was started at {started:%H:%M}" if started.date() == today else
                  f"; it was started on {started:%Y-%m-%d} at {started:%H:%M}")
    pid = info.get("pid")
    if isinstance(pid, int):
        host = info.get("host")
        where = f" on {host}" if host and host != _host() else ""
        holder += (" by" if holder else "; it is") + f" pid {pid}{where}"
    return (f"another sheetfollow run is syncing {target}{holder}; "
            "try again when it has finished")


def _wait(wait: float | None) -> float:
    if wait is not None:
        return wait
    try:
        return max(float(os.environ.get(WAIT_ENV, DEFAULT_WAIT)), 0.0)
    except ValueError:
        return DEFAULT_WAIT


def _make_folder(folder: Path, target) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise TargetError(f"cannot create {folder} for the lock of {os.fspath(target)}: "
                          f"{exc.strerror or exc}; give your user write access to that folder"
                          ) from exc


def _write_info(info: Path) -> None:
    """Best effort: the lock works without it, the message is just less specific."""
    record = {"pid": os.getpid(), "host": _host(),
              "started": dt.datetime.now().astimezone().isoformat(timespec="seconds")}
    with contextlib.suppress(OSError):
        info.write_text(json.dumps(record), encoding="utf-8")


def _host() -> str:
    """This computer's name (without importing socket where the system tells it directly)."""
    if hasattr(os, "uname"):
        return os.uname().nodename
    import socket

    return socket.gethostname()
