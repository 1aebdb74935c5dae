"""Errors a user can act on. Each message names the thing that is wrong and how to fix it."""

from __future__ import annotations


class SheetfollowError(Exception):
    """Base class: the CLI prints the message as one line and exits with status 1."""

    exit_code = 1


class TargetError(SheetfollowError):
    """The target is not a workbook sheetfollow can open (bad path, unknown kind, unreadable)."""


class WorkbookError(SheetfollowError):
    """The workbook cannot be synced as it is (no Leads tab, no Name column, ...)."""


class FileBusyError(SheetfollowError):
    """The file is open in Excel or LibreOffice, or changed on disk while we worked on it."""


class LockedError(SheetfollowError):
    """Another sheetfollow run is working on the same target."""

    exit_code = 75  # EX_TEMPFAIL: cron wrappers can tell "try later" from a real failure


class SheetsApiError(SheetfollowError):
    """Google Sheets answered with an error we cannot recover from."""


class TemplateError(SheetfollowError):
    """A template cannot be loaded or rendered."""
