"""``init`` on Google Sheets: the tabs of newbook.workbook_tabs set up in an empty spreadsheet,
with what the Excel ``init`` gives (bold frozen headers, widths, date and value formats, the
Stage, Method, Preferred Channel, Do Not Contact and Channel dropdowns), in one batchUpdate."""

from __future__ import annotations

import datetime as dt
import random

from ... import layout, newbook
from .a1 import grid_range
from .writes import DATE_FORMAT, NEW_TAB_COLUMNS, NEW_TAB_ROWS, SheetMeta, cell_data, update_cells

VALUE_FORMAT = {"type": "NUMBER", "pattern": newbook.VALUE_FORMAT}


def setup_requests(tabs: dict[str, list[list]], sheets: dict[str, SheetMeta]) -> list[dict]:
    """The requests that create (or reuse, when empty and of the same name) each tab and fill
    it. The first existing tab whose name is not wanted is renamed rather than left empty."""
    existing = {name.strip().casefold(): meta for name, meta in sheets.items()}
    spare = [m for key, m in existing.items()
             if key not in {t.strip().casefold() for t in tabs}]
    taken = {m.sheet_id for m in sheets.values()}
    structure: list[dict] = []
    values: list[dict] = []
    formats: list[dict] = []
    for name, rows in tabs.items():
        height = max(NEW_TAB_ROWS, len(rows) + 1)
        width = max([NEW_TAB_COLUMNS] + [len(r) for r in rows])
        meta = existing.get(name.strip().casefold())
        if meta is None and spare:
            meta = spare.pop(0)
            structure.append({"updateSheetProperties": {
                "properties": {"sheetId": meta.sheet_id, "title": name}, "fields": "title"}})
        if meta is None:
            sheet_id = random.randrange(1, 2**31 - 1)
            while sheet_id in taken:
                sheet_id = random.randrange(1, 2**31 - 1)
            taken.add(sheet_id)
            meta = SheetMeta(sheet_id, name, False, height, width)
            structure.append({"addSheet": {"properties": {
                "sheetId": sheet_id, "title": name,
                "gridProperties": {"rowCount": height, "columnCount": width}}}})
        for dimension, have, need in (("ROWS", meta.rows, height), ("COLUMNS", meta.cols, width)):
            if need > have:
                structure.append({"appendDimension": {
                    "sheetId": meta.sheet_id, "dimension": dimension, "length": need - have}})
        meta.rows, meta.cols = max(meta.rows, height), max(meta.cols, width)
        cells = {(r, c): cell_data(v) for r, row in enumerate(rows, start=1)
                 for c, v in enumerate(row, start=1) if v is not None and v != ""}
        values += update_cells(meta.sheet_id, cells)
        formats += _tab_formats(name, rows, meta)
    return structure + values + formats


def _repeat(meta: SheetMeta, row: int, col: int, rows: int, cols: int, fmt: dict,
            fields: str) -> dict:
    return {"repeatCell": {"range": grid_range(meta.sheet_id, row, col, rows, cols),
                           "cell": {"userEnteredFormat": fmt}, "fields": fields}}


def _tab_formats(name: str, rows: list[list], meta: SheetMeta) -> list[dict]:
    header = [str(v) if v is not None else None for v in (rows[0] if rows else [])]
    body = meta.rows - 1
    out: list[dict] = [{"updateSheetProperties": {
        "properties": {"sheetId": meta.sheet_id, "gridProperties": {"frozenRowCount": 1}},
        "fields": "gridProperties.frozenRowCount"}}]
    if header:
        out.append(_repeat(meta, 1, 1, 1, len(header), {"textFormat": {"bold": True}},
                           "userEnteredFormat.textFormat.bold"))
    widths = newbook.WIDTHS.get(name, {})
    for col, text in enumerate(header, start=1):
        if text is None:
            continue
        pixels = round(widths.get(text, newbook.DEFAULT_WIDTH) * 7 + 5)
        out.append({"updateDimensionProperties": {
            "range": {"sheetId": meta.sheet_id, "dimension": "COLUMNS", "startIndex": col - 1,
                      "endIndex": col}, "properties": {"pixelSize": pixels},
            "fields": "pixelSize"}})
    for col in {c for row in rows[1:] for c, v in enumerate(row, start=1)
                if isinstance(v, dt.date)}:
        out.append(_repeat(meta, 2, col, body, 1, {"numberFormat": DATE_FORMAT},
                           "userEnteredFormat.numberFormat"))
    if name == layout.LEADS:
        out += _leads_formats(header, meta)
    if name == layout.CADENCE and layout.CADENCE_HEADER[3] in header:
        out.append(_dropdown(meta, header.index(layout.CADENCE_HEADER[3]) + 1,
                             _one_of(layout.CHANNELS)))
    return out


def _leads_formats(header: list[str | None], meta: SheetMeta) -> list[dict]:
    def col(field: str) -> int | None:
        text = layout.LEAD_COLUMNS[field][0]
        return header.index(text) + 1 if text in header else None

    out = []
    for field in ("last_contact", "next_date"):
        if col(field):
            out.append(_repeat(meta, 2, col(field), meta.rows - 1, 1,
                               {"numberFormat": DATE_FORMAT}, "userEnteredFormat.numberFormat"))
    if col("value"):
        out.append(_repeat(meta, 2, col("value"), meta.rows - 1, 1,
                           {"numberFormat": VALUE_FORMAT}, "userEnteredFormat.numberFormat"))
    letter = chr(64 + newbook.STAGE_LIST_COLUMN)
    stages = {"type": "ONE_OF_RANGE", "values": [{"userEnteredValue": (
        f"='{layout.SETTINGS}'!${letter}$2:${letter}${newbook.STAGE_LIST_ROWS + 1}")}]}
    for field, condition in (("stage", stages), ("method", _one_of(layout.CHANNELS)),
                             ("preferred_channel", _one_of(layout.CHANNELS)),
                             ("dnc", _one_of(newbook.YES_NO))):
        if col(field):
            out.append(_dropdown(meta, col(field), condition))
    return out


def _one_of(values) -> dict:
    return {"type": "ONE_OF_LIST", "values": [{"userEnteredValue": v} for v in values]}


def _dropdown(meta: SheetMeta, col: int, condition: dict) -> dict:
    """A dropdown on every row below the header; other values get a warning, not a refusal
    (the sync reports values it cannot use), as with the Excel init."""
    return {"setDataValidation": {
        "range": grid_range(meta.sheet_id, 2, col, meta.rows - 1),
        "rule": {"condition": condition, "strict": False, "showCustomUi": True}}}
