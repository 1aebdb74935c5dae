"""Excel (.xlsx/.xlsm) backend: edits the workbook in place, part by part, and saves atomically."""

from .backend import ExcelBackend

__all__ = ["ExcelBackend"]
