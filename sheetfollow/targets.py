"""Choosing a backend from the target the user names: a file path or a Google Sheet."""

from __future__ import annotations

import os
import re
from pathlib import Path

from .backends.base import Backend
from .errors import TargetError

_SHEETS_URL = re.compile(r"https://docs\.google\.com/spreadsheets/d/([A-Za-z0-9_-]{20,})")
_KEY = re.compile(r"gsheet:([A-Za-z0-9_-]{20,})")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")


def sheet_key(target: str) -> str | None:
    """The spreadsheet key of a Google Sheets URL or ``gsheet:KEY``; None for anything else."""
    m = _SHEETS_URL.match(target.strip()) or _KEY.fullmatch(target.strip())
    return m[1] if m else None


def is_google(target: str) -> bool:
    return target.strip().startswith(("gsheet:", "https://docs.google.com/"))


def open_backend(target: str | os.PathLike, **options) -> Backend:
    """The backend for ``target``: a path ending .xlsx/.xlsm, a Sheets URL, or gsheet:KEY."""
    text = os.fspath(target)
    if is_google(text):
        key = sheet_key(text)
        if key is None:
            raise TargetError(f"'{text}' is not a Google Sheets address: use the sheet's URL "
                              "(https://docs.google.com/spreadsheets/d/KEY/edit) or gsheet:KEY")
        from .backends.google import GoogleBackend

        return GoogleBackend(key, **options)
    suffix = Path(text).suffix.casefold()
    if suffix in EXCEL_SUFFIXES:
        from .backends.excel import ExcelBackend

        return ExcelBackend(text)
    if suffix in (".xls", ".ods", ".csv", ".numbers"):
        raise TargetError(f"{text}: sheetfollow works on .xlsx and .xlsm files; open it in your "
                          "spreadsheet program and save a copy as Excel Workbook (.xlsx)")
    raise TargetError(f"'{text}' is neither an Excel workbook (.xlsx, .xlsm) nor a Google Sheet "
                      "(a docs.google.com/spreadsheets URL or gsheet:KEY)")
