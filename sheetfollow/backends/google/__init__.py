"""The Google Sheets backend (SPEC 9): gspread + google-auth, a few requests per sync."""

from .backend import GoogleBackend

__all__ = ["GoogleBackend"]
