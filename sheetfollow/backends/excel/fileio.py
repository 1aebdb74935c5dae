"""The workbook file on disk: reading it once, noticing when someone else holds or changed it,
and replacing it atomically with a rotating backup of the previous version (SPEC 9).

A crash or a kill at any moment leaves the previous file in place: the new version is written to
a temporary file in the same folder, flushed to disk, and only then renamed over the original.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import shutil
import stat
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ...errors import FileBusyError, SheetfollowError, TargetError

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
BACKUP_DIR = ".sheetfollow-backups"
STALE_AFTER = 60  # seconds: a temp file older than this was left by a crashed run


@dataclass(frozen=True)
class Snapshot:
    """The file's bytes as read, and what identifies that version of it."""

    data: bytes
    size: int
    mtime_ns: int
    digest: str


def load(path: Path) -> Snapshot:
    """Read the whole file, refusing what is not an xlsx/xlsm with a message that says why."""
    try:
        with open(path, "rb") as f:
            info = os.fstat(f.fileno())
            data = f.read()
    except FileNotFoundError as exc:
        raise TargetError(f"{path} does not exist; check the path "
                          "(or create a new workbook with `sheetfollow init`)") from exc
    except IsADirectoryError as exc:
        raise TargetError(f"{path} is a folder, not a workbook; give the path of the .xlsx file"
                          ) from exc
    except PermissionError as exc:
        raise TargetError(f"cannot read {path}: permission denied; "
                          "give your user read access to the file") from exc
    except OSError as exc:
        raise TargetError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if data.startswith(OLE_MAGIC):
        if "EncryptedPackage".encode("utf-16-le") in data:
            raise TargetError(f"{path} is encrypted (password-protected); open it in Excel, "
                              "remove the password (File > Info > Protect Workbook) and save")
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            # Excel saves a password-protected workbook in this format, under its .xlsx name.
            raise TargetError(f"{path} is password-protected or an old .xls workbook renamed; "
                              "open it in Excel, remove any password (File > Info > Protect "
                              "Workbook) and save it as an Excel Workbook (.xlsx)")
        raise TargetError(f"{path} is an old Excel 97-2003 workbook (.xls); open it in Excel "
                          "and save it as an Excel Workbook (.xlsx)")
    if path.suffix.lower() == ".xls":
        raise TargetError(f"{path} is an old-format .xls file; save it as .xlsx and sync that")
    return Snapshot(data, info.st_size, info.st_mtime_ns, hashlib.sha256(data).hexdigest())


def holder(path: Path) -> Path | None:
    """The lock file Excel (``~$name``) or LibreOffice (``.~lock.name#``) keeps beside a
    workbook it has open, if there is one."""
    name = path.name
    candidates = [f"~${name}", f".~lock.{name}#"]
    if len(path.stem) > 7:  # long names: Office may drop the first two characters
        candidates.append(f"~${name[2:]}")
    for candidate in candidates:
        lock = path.with_name(candidate)
        if lock.exists():
            return lock
    return None


def check_not_busy(path: Path) -> None:
    lock = holder(path)
    if lock is not None:
        program = "LibreOffice" if lock.name.startswith(".~lock.") else "Excel"
        raise FileBusyError(f"{path} is open in {program} ({lock.name} exists); close it there "
                            "and run the sync again")


def check_unchanged(path: Path, snap: Snapshot) -> None:
    """Refuse when the file is no longer the version that was read."""
    message = f"{path} changed on disk while sheetfollow was working; run the sync again"
    try:
        info = os.stat(path)
    except OSError as exc:
        raise FileBusyError(message) from exc
    if info.st_size != snap.size or info.st_mtime_ns != snap.mtime_ns:
        raise FileBusyError(message)
    try:
        with open(path, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
    except OSError as exc:
        raise FileBusyError(message) from exc
    if digest != snap.digest:
        raise FileBusyError(message)


def _read_only(target: Path) -> bool:
    info = os.stat(target)
    if not os.access(target, os.W_OK):
        return True
    # Even when privileges allow writing (root), a file its owner marked read-only stays so.
    return info.st_uid == _euid() and not info.st_mode & stat.S_IWUSR


def _euid() -> int:
    return os.geteuid() if hasattr(os, "geteuid") else -1


def check_writable(path: Path) -> None:
    if _read_only(path):
        raise FileBusyError(f"{path} is read-only; make it writable (chmod u+w, or untick "
                            "Read-only in its properties) and run the sync again")
    folder = path.parent
    if _read_only(folder):
        raise FileBusyError(f"the folder {folder} is read-only, so {path.name} cannot be saved "
                            "safely; make the folder writable and run the sync again")


def temp_prefix(path: Path) -> str:
    return f".{path.name}.sheetfollow-"


def remove_stale_temps(path: Path, max_age: float = STALE_AFTER) -> None:
    """Delete temp files a crashed or killed run left beside the workbook."""
    now = time.time()
    try:
        leftovers = list(path.parent.glob(f"{_glob_escape(temp_prefix(path))}*.tmp"))
    except OSError:
        return
    for leftover in leftovers:
        with contextlib.suppress(OSError):
            if now - leftover.stat().st_mtime > max_age:
                leftover.unlink()


def _glob_escape(text: str) -> str:
    return "".join(f"[{ch}]" if ch in "*?[]" else ch for ch in text)


def backup_path(path: Path, n: int) -> Path:
    return path.parent / BACKUP_DIR / f"{path.stem}.{n}{path.suffix}"


def rotate_backups(path: Path, keep: int) -> None:
    """Keep the current file as backup 1, shifting older backups up to ``keep``."""
    if keep <= 0:
        return
    folder = path.parent / BACKUP_DIR
    folder.mkdir(exist_ok=True)
    for old in folder.glob(f"{_glob_escape(path.stem)}.*{_glob_escape(path.suffix)}"):
        number = old.name[len(path.stem) + 1:len(old.name) - len(path.suffix)]
        if number.isdigit() and int(number) > keep:
            old.unlink()
    for n in range(keep - 1, 0, -1):
        if backup_path(path, n).exists():
            os.replace(backup_path(path, n), backup_path(path, n + 1))
    first = backup_path(path, 1)
    with contextlib.suppress(FileNotFoundError):
        first.unlink()
    try:
        os.link(path, first)  # the old version's own inode: instant, same permissions
    except OSError:
        shutil.copy2(path, first)


def save_atomically(path: Path, write: Callable, snap: Snapshot, backups: int) -> None:
    """Write a new version with ``write(fileobj)`` and put it in place of ``path``."""
    mode = stat.S_IMODE(os.stat(path).st_mode)
    try:
        fd, temp_name = tempfile.mkstemp(prefix=temp_prefix(path), suffix=".tmp",
                                         dir=path.parent)
    except OSError as exc:
        raise _save_error(path, exc) from exc
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(temp, mode)
        check_not_busy(path)
        check_unchanged(path, snap)
        rotate_backups(path, backups)
        os.replace(temp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            temp.unlink()
        if isinstance(exc, OSError):
            raise _save_error(path, exc) from exc
        raise
    _fsync_folder(path.parent)


def _fsync_folder(folder: Path) -> None:
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _save_error(path: Path, exc: OSError) -> SheetfollowError:
    if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return SheetfollowError(f"no space left on the disk of {path}; free some space and run "
                                "the sync again (the workbook was not changed)")
    if isinstance(exc, PermissionError) or exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return FileBusyError(f"cannot save {path}: permission denied; make the file and its "
                             "folder writable, close it in Excel or LibreOffice, and run again")
    return SheetfollowError(f"cannot save {path}: {exc.strerror or exc}; the workbook was not "
                            "changed")
