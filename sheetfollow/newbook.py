"""``init``: a new workbook with the user tabs a sync reads, set up for people to type into.

``workbook_tabs`` says what the tabs hold, as plain values, so the Excel and Google Sheets backends
create the same workbook; ``create_excel_workbook`` writes it as a new .xlsx with openpyxl, adding
what only a spreadsheet has: dropdowns, date formats, widths, a frozen header. The tool tabs (Due,
Log, Metrics, _sheetfollow) are left to the first sync, which creates any that are missing.
"""

from __future__ import annotations

import datetime as dt
import io
import os
from pathlib import Path

from . import layout
from .errors import TargetError
from .examples import example_leads

# How many rows of Leads the dropdowns cover (a sheet-wide validation would also cover the
# header); the date and number formats are column styles, so they cover every row.
VALIDATION_ROWS = 5000

# Settings column E lists the stage names the Leads Stage dropdown offers: the "Stage: ..." keys
# cannot feed a dropdown (they carry the prefix), and a list on the sheet is one a user can extend
# without opening Excel's validation dialog. STAGE_LIST_ROWS bounds the range the dropdown reads.
STAGE_LIST_HEADER = "Stage list"
STAGE_LIST_NOTE = "Stages offered by the Stage dropdown on Leads: add a name to offer it"
STAGE_LIST_COLUMN = 5
STAGE_LIST_ROWS = 100

TEMPLATES_NOTE = ("Add a row to override a template: Template name, Channel (email/call/text/"
                  "letter), Subject, Body (Jinja2)")
TEMPLATES_NOTE_COLUMN = 6

YES_NO = ("yes", "no")
DATE_FORMAT = "yyyy-mm-dd"
VALUE_FORMAT = "#,##0"

# Column widths in characters, by header; any other column gets DEFAULT_WIDTH.
DEFAULT_WIDTH = 14
WIDTHS = {
    layout.LEADS: {"Name": 22, "Company": 26, "Email": 32, "Phone": 18, "Last Contact": 13,
                   "Method": 10, "Notes": 60, "Next Date": 13, "Stage": 15, "Value": 11,
                   "Preferred Channel": 12, "Do Not Contact": 10, "ID": 9, "Flag": 18,
                   "Next Step": 40},
    layout.SETTINGS: {"Setting": 24, "Value": 26, "Notes": 72, STAGE_LIST_HEADER: 18},
    layout.CADENCE: {"Cadence": 12, "Step": 6, "Wait days": 10, "Channel": 10, "Template": 22,
                     "Purpose": 60},
    layout.TEMPLATES: {"Template": 20, "Channel": 10, "Subject": 40, "Body": 80},
}


def _header(field: str) -> str:
    """The header ``init`` gives a Leads field (its canonical name)."""
    return layout.LEAD_COLUMNS[field][0]


def _cadence_names() -> list[str]:
    """The default cadences, in order of first appearance."""
    return list(dict.fromkeys(cadence for cadence, *_ in layout.DEFAULT_CADENCE))


def _leads_rows(example: bool, today: dt.date) -> list[list]:
    rows: list[list] = [list(layout.NEW_LEADS_HEADER)]
    if example:
        for lead in example_leads(today):
            rows.append([lead.get(header) for header in layout.NEW_LEADS_HEADER])
    return rows


def _settings_rows() -> list[list]:
    kinds = ", ".join(_cadence_names())
    stage_note = f"A cadence from the Cadence tab ({kinds}), or won, lost or stop"
    rows: list[list] = [[*layout.SETTINGS_HEADER, None, STAGE_LIST_HEADER]]
    # A number is written as one, as if typed ("7" as text would get Excel's green triangle).
    rows += [[key, int(value) if value.isdigit() else value, note]
             for key, value, note in layout.DEFAULT_SETTINGS]
    rows.append([])
    rows += [[layout.STAGE_KEY_PREFIX + stage, kind, stage_note]
             for stage, kind in layout.DEFAULT_STAGES]
    # The stage list sits beside the settings, from row 2 down.
    for i, (stage, _kind) in enumerate(layout.DEFAULT_STAGES, start=1):
        row = rows[i]
        row += [None] * (STAGE_LIST_COLUMN - 1 - len(row))
        row.append(stage)
    return rows


def _cadence_rows() -> list[list]:
    rows: list[list] = [list(layout.CADENCE_HEADER)]
    steps: dict[str, int] = {}
    for cadence, wait, channel, template, purpose in layout.DEFAULT_CADENCE:
        steps[cadence] = steps.get(cadence, 0) + 1
        rows.append([cadence, steps[cadence], wait, channel, template, purpose])
    return rows


def _templates_rows() -> list[list]:
    header: list = list(layout.TEMPLATES_HEADER)
    header += [None] * (TEMPLATES_NOTE_COLUMN - 1 - len(header))
    header.append(TEMPLATES_NOTE)
    return [header]


def workbook_tabs(example: bool, today: dt.date) -> dict[str, list[list]]:
    """The user tabs of a new workbook, in order: tab name -> rows of cell values (row 1 first).

    Values are text, numbers, ``datetime.date`` or None (an empty cell); rows may be ragged.
    With ``example``, Leads holds the example leads, dated relative to ``today``.
    """
    return {
        layout.LEADS: _leads_rows(example, today),
        layout.SETTINGS: _settings_rows(),
        layout.CADENCE: _cadence_rows(),
        layout.TEMPLATES: _templates_rows(),
    }


def _check_target(path: Path) -> None:
    if path.suffix.lower() != ".xlsx":
        raise TargetError(f"{path.name}: init makes .xlsx files; use a name ending in .xlsx")
    if path.exists():
        raise TargetError(f"{path} already exists and init never overwrites a workbook; "
                          f"choose another name, such as {_free_name(path).name}")
    if not path.parent.is_dir():
        raise TargetError(f"cannot create {path}: the folder {path.parent} does not exist")


def _free_name(path: Path) -> Path:
    """``leads-2.xlsx``, ``leads-3.xlsx``...: the first that does not exist yet."""
    n = 2
    while (candidate := path.with_name(f"{path.stem}-{n}{path.suffix}")).exists():
        n += 1
    return candidate


def create_excel_workbook(path: str | os.PathLike[str], *, example: bool = False,
                          today: dt.date) -> None:
    """Write a new .xlsx workbook at ``path`` (see ``workbook_tabs``); never overwrite a file."""
    target = Path(path)
    _check_target(target)
    buffer = io.BytesIO()
    _build(workbook_tabs(example, today)).save(buffer)
    try:
        # "x": a file that appeared since the check above is refused, not overwritten.
        out = open(target, "xb")
    except FileExistsError:
        _check_target(target)  # raises the usual message
        raise
    except OSError as exc:
        raise TargetError(f"cannot create {target}: {exc.strerror or exc}") from exc
    try:
        with out:
            out.write(buffer.getvalue())
    except BaseException:
        target.unlink(missing_ok=True)  # no half-written workbook left behind
        raise


def _build(tabs: dict[str, list[list]]):
    """An openpyxl workbook holding ``tabs``, formatted for people."""
    # openpyxl is imported here so the core (and ``workbook_tabs``) never pays for it.
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    bold = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    tool_fill = PatternFill("solid", fgColor="EDEDED")  # columns the sync writes
    tool_headers = {_header(field) for field in layout.TOOL_COLUMNS}
    note_font = Font(italic=True, color="808080")
    for name, rows in tabs.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
        for cell in ws[1]:
            if cell.value is None:
                continue
            header = str(cell.value)
            note = name == layout.TEMPLATES and cell.column == TEMPLATES_NOTE_COLUMN
            cell.font = note_font if note else bold
            if not note:
                in_tool = name == layout.LEADS and header in tool_headers
                cell.fill = tool_fill if in_tool else header_fill
            width = WIDTHS.get(name, {}).get(header, DEFAULT_WIDTH)
            ws.column_dimensions[get_column_letter(cell.column)].width = width
        ws.freeze_panes = "A2"
    _format_leads(wb[layout.LEADS])
    _format_settings(wb[layout.SETTINGS])
    _format_cadence(wb[layout.CADENCE])
    return wb


def _columns(ws) -> dict[str, int]:
    """Header text -> 1-based column number, from row 1."""
    return {str(cell.value): cell.column for cell in ws[1] if cell.value is not None}


def _dropdown(ws, column: int, source: str, message: str) -> None:
    """A list dropdown on rows 2..VALIDATION_ROWS of ``column``.

    A typed value outside the list gets a warning the user can accept (a new stage, a method
    such as "meeting"): the sync reports values it cannot use, so blocking them helps nobody.
    """
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    letter = get_column_letter(column)
    dv = DataValidation(type="list", formula1=source, allow_blank=True,
                        showErrorMessage=True, errorStyle="warning",
                        errorTitle="Not in the list", error=f"{message} Keep it anyway?")
    dv.add(f"{letter}2:{letter}{VALIDATION_ROWS}")
    ws.add_data_validation(dv)


def _inline_list(values) -> str:
    return '"' + ",".join(values) + '"'


def stage_list_source() -> str:
    """The Stage dropdown's source: the filled cells of the Stage list on the Settings tab.

    OFFSET trims the range to the names present, so the dropdown shows no empty entries.
    """
    from openpyxl.utils import get_column_letter

    col = get_column_letter(STAGE_LIST_COLUMN)
    first = f"{layout.SETTINGS}!${col}$2"
    whole = f"{first}:${col}${STAGE_LIST_ROWS + 1}"
    return f"OFFSET({first},0,0,MAX(1,COUNTA({whole})),1)"


def _format_leads(ws) -> None:
    from openpyxl.styles import Alignment
    from openpyxl.utils import get_column_letter

    columns = _columns(ws)
    channels = "The channels sheetfollow knows are " + ", ".join(layout.CHANNELS) + "."
    _dropdown(ws, columns[_header("stage")], stage_list_source(),
              f"That stage is not in the Stage list on the {layout.SETTINGS} tab.")
    _dropdown(ws, columns[_header("method")], _inline_list(layout.CHANNELS), channels)
    _dropdown(ws, columns[_header("preferred_channel")], _inline_list(layout.CHANNELS), channels)
    _dropdown(ws, columns[_header("dnc")], _inline_list(YES_NO), "Use yes or no.")
    # Column styles: Excel and LibreOffice give them to every cell typed into the column,
    # without a thousand empty styled cells that would make the sheet look 1,000 rows long.
    formats = {_header("last_contact"): DATE_FORMAT, _header("next_date"): DATE_FORMAT,
               _header("value"): VALUE_FORMAT}
    for header, number_format in formats.items():
        column = columns[header]
        ws.column_dimensions[get_column_letter(column)].number_format = number_format
        for (cell,) in ws.iter_rows(min_row=2, min_col=column, max_col=column):
            if not isinstance(cell.value, str):  # text stays as the user typed it
                cell.number_format = number_format
    notes = columns[_header("notes")]
    for (cell,) in ws.iter_rows(min_row=2, min_col=notes, max_col=notes):
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.auto_filter.ref = f"A1:{get_column_letter(ws.max_column)}{ws.max_row}"


def _format_settings(ws) -> None:
    from openpyxl.styles import Alignment

    notes = _columns(ws)[layout.SETTINGS_HEADER[2]]
    for (cell,) in ws.iter_rows(min_row=2, min_col=notes, max_col=notes):
        cell.alignment = Alignment(wrap_text=True, vertical="top")


def _format_cadence(ws) -> None:
    channel = _columns(ws)[layout.CADENCE_HEADER[3]]
    _dropdown(ws, channel, _inline_list(layout.CHANNELS),
              "The channels sheetfollow knows are " + ", ".join(layout.CHANNELS) + ".")
