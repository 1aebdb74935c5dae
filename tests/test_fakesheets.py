"""The Sheets API fake, proved with gspread and google-auth themselves over loopback HTTP."""

from __future__ import annotations

import datetime as dt
import json
import time

import google.auth.transport.requests
import gspread
import pytest
import requests
from fakesheets import DEFAULT_CLIENT_EMAIL, SPREADSHEETS_SCOPE, FakeSheets, rebase_url
from fakesheets.a1 import (
    A1Range,
    column_index,
    column_letter,
    format_range,
    parse_cells,
    split_sheet,
)
from fakesheets.errors import ApiError
from google.auth.exceptions import RefreshError
from google.oauth2 import credentials as user_credentials
from google.oauth2 import service_account

LEADS = [
    ["Name", "Email", "Due", "Value", "Done"],
    ["Ada", "ada@example.com", dt.date(2024, 3, 5), 1200, False],
    ["Bob", "", dt.date(2024, 3, 1), 300.5, True],
    ["Cy", "cy@example.com", "", "", ""],
]


@pytest.fixture
def key(fake):
    return fake.create_spreadsheet("Pipeline", {"Leads": LEADS, "My Tab": [["x"]]})


@pytest.fixture
def gc(fake):
    return fake.gspread_client()


def _api_error(excinfo) -> gspread.exceptions.APIError:
    err = excinfo.value
    while not isinstance(err, gspread.exceptions.APIError):
        err = err.__cause__
    return err


# ---------------------------------------------------------------- auth


def test_service_account_gets_a_token_from_the_fake(fake):
    info = fake.service_account_info()
    assert info["type"] == "service_account"
    assert info["client_email"] == DEFAULT_CLIENT_EMAIL
    assert info["token_uri"] == fake.url + "/token"
    assert info["private_key"].startswith("-----BEGIN PRIVATE KEY-----")
    creds = service_account.Credentials.from_service_account_info(info, scopes=[SPREADSHEETS_SCOPE])
    creds.refresh(google.auth.transport.requests.Request())
    assert creds.token.startswith("ya29.")
    assert creds.expiry is not None
    assert [(r.method, r.path, r.status) for r in fake.requests] == [("POST", "/token", 200)]


def test_token_endpoint_checks_the_signature(fake):
    info = fake.service_account_info()
    info["private_key"] = fake.service_account_info("other@fake.iam.gserviceaccount.com")[
        "private_key"
    ]
    creds = service_account.Credentials.from_service_account_info(info, scopes=[SPREADSHEETS_SCOPE])
    with pytest.raises(RefreshError, match="Invalid JWT Signature"):
        creds.refresh(google.auth.transport.requests.Request())


def test_token_endpoint_requires_a_scope(fake):
    creds = service_account.Credentials.from_service_account_info(fake.service_account_info())
    with pytest.raises(RefreshError, match="invalid_scope"):
        creds.refresh(google.auth.transport.requests.Request())


def test_api_calls_without_a_valid_token_get_401(fake, key):
    url = f"{fake.url}/v4/spreadsheets/{key}"
    missing = requests.get(url, timeout=5)
    assert missing.status_code == 401
    assert missing.json()["error"]["status"] == "UNAUTHENTICATED"
    forged = requests.get(url, headers={"Authorization": "Bearer ya29.made-up"}, timeout=5)
    assert forged.status_code == 401


def test_expired_tokens_are_refreshed_by_google_auth(fake, key, gc):
    gc.open_by_key(key)
    fake.expire_tokens()
    assert gc.open_by_key(key).title == "Pipeline"
    assert fake.auth.grants == 2
    assert [r.status for r in fake.api_requests] == [200, 401, 200]


def test_oauth_user_login_refreshes_against_the_fake(fake):
    key = fake.create_spreadsheet("Mine", {"Leads": [["a"]]}, shared_with=["me@example.com"])
    info = fake.authorized_user_info("me@example.com")
    creds = user_credentials.Credentials.from_authorized_user_info(info, [SPREADSHEETS_SCOPE])
    # google-auth ignores token_uri in authorized_user info and uses Google's own; the rebased
    # http client sends google-auth's requests to the fake too, so this still stays offline.
    assert creds.token_uri == "https://oauth2.googleapis.com/token"
    gc = gspread.Client(creds, http_client=fake.http_client_class())
    assert gc.open_by_key(key).sheet1.get_all_values() == [["a"]]


def test_unshared_spreadsheet_is_permission_denied(fake, gc):
    key = fake.create_spreadsheet("Private", {"Leads": [["a"]]}, shared_with=["boss@example.com"])
    with pytest.raises(PermissionError) as excinfo:
        gc.open_by_key(key)
    err = _api_error(excinfo)
    assert err.response.status_code == 403
    assert err.error == {
        "code": 403,
        "message": "The caller does not have permission",
        "status": "PERMISSION_DENIED",
    }
    fake.share(key, DEFAULT_CLIENT_EMAIL)
    assert gc.open_by_key(key).title == "Private"


def test_reader_can_read_but_not_write(fake, gc):
    key = fake.create_spreadsheet(
        "RO", {"Leads": [["a"]]}, shared_with={DEFAULT_CLIENT_EMAIL: "reader"}
    )
    ws = gc.open_by_key(key).sheet1
    assert ws.get_all_values() == [["a"]]
    with pytest.raises(gspread.exceptions.APIError) as excinfo:
        ws.update([["b"]], "A1")
    assert excinfo.value.response.status_code == 403
    assert fake.get_values(key, "Leads") == [["a"]]


def test_missing_spreadsheet_is_404(gc):
    with pytest.raises(gspread.exceptions.SpreadsheetNotFound):
        gc.open_by_key("no-such-key")


# ---------------------------------------------------------------- reading


def test_open_by_key_lists_worksheets_with_properties(key, gc):
    sh = gc.open_by_key(key)
    assert sh.title == "Pipeline"
    assert sh.timezone == "Europe/London"
    assert [(ws.title, ws.index) for ws in sh.worksheets()] == [("Leads", 0), ("My Tab", 1)]
    leads = sh.worksheet("Leads")
    assert (leads.id, leads.row_count, leads.col_count, leads.isSheetHidden) == (0, 1000, 26, False)


def test_get_all_values_returns_formatted_text(key, gc):
    ws = gc.open_by_key(key).worksheet("Leads")
    assert ws.get_all_values() == [
        ["Name", "Email", "Due", "Value", "Done"],
        ["Ada", "ada@example.com", "2024-03-05", "1200", "FALSE"],
        ["Bob", "", "2024-03-01", "300.5", "TRUE"],
        ["Cy", "cy@example.com", "", "", ""],
    ]


def test_batch_get_unformatted_values_with_serial_dates(key, gc):
    sh = gc.open_by_key(key)
    response = sh.values_batch_get(
        ["Leads!A1:E", "'My Tab'", "Leads!B3:C10"],
        params={"valueRenderOption": "UNFORMATTED_VALUE", "dateTimeRenderOption": "SERIAL_NUMBER"},
    )
    leads, mine, block = response["valueRanges"]
    assert leads["range"] == "Leads!A1:E1000"
    assert leads["values"] == [
        ["Name", "Email", "Due", "Value", "Done"],
        ["Ada", "ada@example.com", 45356, 1200, False],
        ["Bob", "", 45352, 300.5, True],
        ["Cy", "cy@example.com"],  # trailing empty cells dropped
    ]
    assert isinstance(leads["values"][1][2], int)
    assert mine == {"range": "'My Tab'!A1:Z1000", "majorDimension": "ROWS", "values": [["x"]]}
    assert block["values"] == [["", 45352], ["cy@example.com"]]


def test_formatted_string_dates_and_column_major(key, gc):
    sh = gc.open_by_key(key)
    dates = sh.values_get(
        "Leads!C2:C3",
        params={
            "valueRenderOption": "UNFORMATTED_VALUE",
            "dateTimeRenderOption": "FORMATTED_STRING",
        },
    )
    assert dates["values"] == [["2024-03-05"], ["2024-03-01"]]
    columns = sh.values_get("Leads!A1:B2", params={"majorDimension": "COLUMNS"})
    assert columns["values"] == [["Name", "Ada"], ["Email", "ada@example.com"]]


def test_empty_rows_in_the_middle_read_as_empty_lists(fake, gc):
    key = fake.create_spreadsheet("Gaps", {"Leads": [["a"], [], ["", "b"], [""]]})
    ws = gc.open_by_key(key).sheet1
    assert ws.spreadsheet.values_get("Leads")["values"] == [["a"], [], ["", "b"]]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Leads", "Leads!A1:Z1000"),
        ("'Leads'", "Leads!A1:Z1000"),
        ("Leads!A:C", "Leads!A1:C1000"),
        ("Leads!1:1", "Leads!A1:Z1"),
        ("Leads!B2:C", "Leads!B2:C1000"),
        ("Leads!C3", "Leads!C3"),
        ("A1:B2", "Leads!A1:B2"),
        ("'My Tab'!A1:C", "'My Tab'!A1:C1000"),
        ("Leads!A1:ZZ5000", "Leads!A1:Z1000"),
    ],
)
def test_range_forms(key, gc, text, expected):
    assert gc.open_by_key(key).values_get(text)["range"] == expected


def test_range_naming_a_missing_sheet_is_400(key, gc):
    with pytest.raises(gspread.exceptions.APIError) as excinfo:
        gc.open_by_key(key).values_batch_get(["Leads!A1", "Nope!A1:B2"])
    assert excinfo.value.response.status_code == 400
    assert excinfo.value.error["message"] == "Unable to parse range: Nope!A1:B2"


def test_metadata_fields_mask(key, gc):
    sh = gc.open_by_key(key)
    meta = sh.fetch_sheet_metadata(params={"fields": "properties.timeZone,sheets.properties"})
    assert meta["properties"] == {"timeZone": "Europe/London"}
    assert [s["properties"]["title"] for s in meta["sheets"]] == ["Leads", "My Tab"]
    assert set(meta) == {"properties", "sheets"}
    nested = sh.fetch_sheet_metadata(params={"fields": "sheets(properties(title,sheetId))"})
    assert nested["sheets"][0] == {"properties": {"sheetId": 0, "title": "Leads"}}


def test_metadata_with_grid_data_shows_types_and_formats(key, gc):
    meta = gc.open_by_key(key).fetch_sheet_metadata(
        params={"includeGridData": "true", "ranges": "Leads!C2:D2"}
    )
    assert [s["properties"]["title"] for s in meta["sheets"]] == ["Leads"]
    data = meta["sheets"][0]["data"][0]
    assert (data["startRow"], data["startColumn"]) == (1, 2)
    due, value = data["rowData"][0]["values"]
    assert due["userEnteredValue"] == {"numberValue": 45356}
    assert due["userEnteredFormat"]["numberFormat"]["type"] == "DATE"
    assert due["formattedValue"] == "2024-03-05"
    assert value == {
        "userEnteredValue": {"numberValue": 1200},
        "effectiveValue": {"numberValue": 1200},
        "formattedValue": "1200",
    }


def test_a_field_mask_alone_decides_whether_grid_data_comes(key, gc):
    """Google ignores includeGridData when a field mask is set: a mask naming sheets.data gets
    the cells, and without ranges every sheet comes with its cells."""
    sh = gc.open_by_key(key)
    meta = sh.fetch_sheet_metadata(
        params={"fields": "sheets(properties(title),data(rowData(values(effectiveValue))))"}
    )
    assert [s["properties"]["title"] for s in meta["sheets"]] == ["Leads", "My Tab"]
    assert meta["sheets"][1]["data"] == [
        {"rowData": [{"values": [{"effectiveValue": {"stringValue": "x"}}]}]}
    ]
    leads = meta["sheets"][0]["data"][0]["rowData"]
    assert len(leads) == 4 and leads[0]["values"][0] == {"effectiveValue": {"stringValue": "Name"}}
    for params in (
        {"fields": "sheets.properties.title", "includeGridData": "true"},
        {"fields": "sheets.properties.title,sheets.merges"},
    ):
        assert all("data" not in s for s in sh.fetch_sheet_metadata(params=params)["sheets"])
    whole = sh.fetch_sheet_metadata(params={"fields": "sheets"})
    assert "data" in whole["sheets"][0]


# ---------------------------------------------------------------- writing values


def test_raw_keeps_text_as_text_and_user_entered_parses(fake, key, gc):
    ws = gc.open_by_key(key).worksheet("Leads")
    ws.update([["=1+1", "+44 20 7946 0000", "2024-04-01", "007"]], "A6", raw=True)
    ws.update([["=1+1", "+44 20 7946 0000", "2024-04-01", "007"]], "A7", raw=False)
    assert fake.get_values(key, "Leads", "A6:D7") == [
        ["=1+1", "+44 20 7946 0000", "2024-04-01", "007"],
        [2, "#ERROR!", 45383, 7],
    ]
    assert fake.cell(key, "Leads", "A6")["userEnteredValue"] == {"stringValue": "=1+1"}
    assert fake.cell(key, "Leads", "A7")["userEnteredValue"] == {"formulaValue": "=1+1"}
    assert fake.cell(key, "Leads", "C7")["userEnteredFormat"]["numberFormat"]["type"] == "DATE"
    assert fake.get_formulas(key, "Leads", "A7:B7") == [["=1+1", "=+44 20 7946 0000"]]


def test_update_response_shape(key, gc):
    sh = gc.open_by_key(key)
    response = sh.worksheet("Leads").update([["a", None], ["b", "c"]], "F2")
    assert response == {
        "spreadsheetId": key,
        "updatedRange": "Leads!F2:G3",
        "updatedRows": 2,
        "updatedColumns": 2,
        "updatedCells": 3,
    }


def test_values_batch_update_raw_with_serial_dates(fake, key, gc):
    sh = gc.open_by_key(key)
    response = sh.values_batch_update(
        {
            "valueInputOption": "RAW",
            "data": [
                {"range": "Leads!C4", "values": [[45400]]},
                {"range": "'My Tab'!B1:C1", "values": [["=SUM(A1)", True]]},
            ],
        }
    )
    assert (response["totalUpdatedCells"], response["totalUpdatedSheets"]) == (3, 2)
    assert [r["updatedRange"] for r in response["responses"]] == ["Leads!C4", "'My Tab'!B1:C1"]
    assert fake.get_values(key, "My Tab") == [["x", "=SUM(A1)", True]]
    assert fake.get_values(key, "Leads", "C4") == [[45400]]


def test_writes_beyond_the_grid_are_400_and_change_nothing(fake, gc):
    key = fake.create_spreadsheet("Small", {"Leads": [["a"]]})
    before = fake.snapshot(key)
    sh = gc.open_by_key(key)
    with pytest.raises(gspread.exceptions.APIError) as excinfo:
        sh.values_batch_update(
            {
                "valueInputOption": "RAW",
                "data": [
                    {"range": "Leads!A2", "values": [["fine"]]},
                    {"range": "Leads!Z1000", "values": [["x", "y"]]},
                ],
            }
        )
    assert excinfo.value.response.status_code == 400
    assert excinfo.value.error["status"] == "INVALID_ARGUMENT"
    assert excinfo.value.error["message"] == (
        "Range (Leads!AA1000) exceeds grid limits. Max rows: 1000, max columns: 26"
    )
    with pytest.raises(gspread.exceptions.APIError, match="Leads!A1001"):
        sh.sheet1.update([["x"]], "A1001")
    assert fake.snapshot(key) == before


def test_writing_more_than_a_bounded_range_holds_is_400(key, gc):
    with pytest.raises(gspread.exceptions.APIError, match="tried writing to column"):
        gc.open_by_key(key).sheet1.update([["a", "b", "c"]], "A1:B1")


def test_missing_value_input_option_is_400(key, gc):
    with pytest.raises(gspread.exceptions.APIError, match="valueInputOption"):
        gc.open_by_key(key).values_batch_update({"data": [{"range": "A1", "values": [["a"]]}]})


def test_append_writes_after_the_table_and_grows_the_grid(fake, gc):
    key = fake.create_spreadsheet(
        "Log", {"Log": [["When", "What"], ["1", "a"]]}, grid={"Log": (2, 2)}
    )
    ws = gc.open_by_key(key).sheet1
    response = ws.append_rows([[2, "b"], [3, "c"]])
    assert response["tableRange"] == "Log!A1:B2"
    assert response["updates"]["updatedRange"] == "Log!A3:B4"
    assert fake.get_values(key, "Log") == [["When", "What"], [1, "a"], [2, "b"], [3, "c"]]
    assert fake.sheet_properties(key, "Log")["gridProperties"]["rowCount"] == 4


def test_append_stops_the_table_at_a_blank_row(fake, gc):
    key = fake.create_spreadsheet("Gap", {"Log": [["a"], ["b"], [], ["d"]]})
    response = gc.open_by_key(key).sheet1.append_row(["c"])
    assert response["tableRange"] == "Log!A1:A2"
    assert fake.get_values(key, "Log") == [["a"], ["b"], ["c"], ["d"]]


def test_clear_keeps_formats(fake, key, gc):
    gc.open_by_key(key).values_clear("Leads!C2:C3")
    assert fake.cell(key, "Leads", "C2") == {
        "userEnteredFormat": {"numberFormat": {"type": "DATE", "pattern": "yyyy-mm-dd"}},
        "effectiveFormat": {"numberFormat": {"type": "DATE", "pattern": "yyyy-mm-dd"}},
    }


# ---------------------------------------------------------------- the model


@pytest.mark.parametrize(
    ("typed", "entered", "number_format"),
    [
        ("42", {"numberValue": 42}, None),
        ("1,234.5", {"numberValue": 1234.5}, None),
        ("-3", {"numberValue": -3}, None),
        ("12%", {"numberValue": 0.12}, "PERCENT"),
        ("TRUE", {"boolValue": True}, None),
        ("false", {"boolValue": False}, None),
        ("2024-03-05", {"numberValue": 45356}, "DATE"),
        ("3/5/2024", {"numberValue": 45356}, "DATE"),  # en_US: month first
        ("2024-03-05 12:00", {"numberValue": 45356.5}, "DATE_TIME"),
        ("'2024-03-05", {"stringValue": "2024-03-05"}, None),
        ("'=1+1", {"stringValue": "=1+1"}, None),
        ("hello", {"stringValue": "hello"}, None),
        ("=A1", {"formulaValue": "=A1"}, None),
        ("-foo", {"formulaValue": "=-foo"}, None),
    ],
)
def test_user_entered_parsing(fake, typed, entered, number_format):
    key = fake.create_spreadsheet("Typing", {"S": [[typed]]})
    cell = fake.cell(key, "S", "A1")
    assert cell["userEnteredValue"] == entered
    assert (cell.get("userEnteredFormat", {}).get("numberFormat") or {}).get("type") == (
        number_format
    )


def test_day_first_locale_reads_slash_dates_day_first(fake):
    key = fake.create_spreadsheet("UK", {"S": [["3/5/2024"]]}, locale="en_GB")
    assert fake.get_formatted(key, "S") == [["03/05/2024"]]
    assert fake.get_values(key, "S") == [[45415]]  # 3 May, not 5 March


@pytest.mark.parametrize(
    ("formula", "shown"),
    [
        ('=HYPERLINK("https://example.com/a","Profile")', "Profile"),
        ('=HYPERLINK("https://example.com/a")', "https://example.com/a"),
        ("=A1+14", 45370),
        ("=(A1-1)*2", 90710),
        ('=IMPORTXML("https://example.com","//a")', "#N/A"),
        ("=TODAY()", "#NAME?"),
        ("=B1", "#REF!"),  # circular: B1 refers to itself
        ("=1/0", "#DIV/0!"),
        ("='Other'!A1&\"!\"", "hi!"),
    ],
)
def test_formulas_have_effective_values(fake, formula, shown):
    key = fake.create_spreadsheet("F", {"S": [[dt.date(2024, 3, 5), formula]], "Other": [["hi"]]})
    assert fake.get_values(key, "S", "B1") == [[shown]]
    assert fake.get_formulas(key, "S", "B1") == [[formula]]


def test_date_arithmetic_keeps_the_date_format(fake):
    key = fake.create_spreadsheet("F", {"S": [[dt.date(2024, 3, 5), "=A1+14"]]})
    assert fake.get_formatted(key, "S") == [["2024-03-05", "2024-03-19"]]


def test_set_values_types_like_a_user_and_grows_the_grid(fake):
    key = fake.create_spreadsheet("S", {"S": [["a"]]}, grid={"S": (1, 1)})
    fake.set_values(key, "S", [["1", None], ["", "TRUE"]], start="A1")
    assert fake.get_values(key, "S") == [[1], ["", True]]
    assert fake.sheet_properties(key, "S")["gridProperties"] == {"rowCount": 2, "columnCount": 2}


# ---------------------------------------------------------------- spreadsheets:batchUpdate


def test_batch_update_adds_a_hidden_sheet(fake, key, gc):
    sh = gc.open_by_key(key)
    response = sh.batch_update(
        {
            "requests": [
                {
                    "addSheet": {
                        "properties": {
                            "title": "Sheetfollow Log",
                            "hidden": True,
                            "gridProperties": {
                                "rowCount": 50,
                                "columnCount": 6,
                                "frozenRowCount": 1,
                            },
                        }
                    }
                }
            ]
        }
    )
    props = response["replies"][0]["addSheet"]["properties"]
    assert props["title"] == "Sheetfollow Log"
    assert props["hidden"] is True
    assert props["gridProperties"] == {"rowCount": 50, "columnCount": 6, "frozenRowCount": 1}
    assert fake.sheet_properties(key, "Sheetfollow Log")["sheetId"] == props["sheetId"]
    assert [ws.title for ws in sh.worksheets(exclude_hidden=True)] == ["Leads", "My Tab"]
    with pytest.raises(gspread.exceptions.APIError, match="already exists"):
        sh.add_worksheet("Sheetfollow Log", 10, 10)


def test_update_sheet_properties_with_a_field_mask(fake, key, gc):
    sh = gc.open_by_key(key)
    sh.batch_update(
        {
            "requests": [
                {
                    "updateSheetProperties": {
                        "properties": {
                            "sheetId": 0,
                            "title": "Renamed",
                            "gridProperties": {"frozenRowCount": 1, "rowCount": 5},
                        },
                        "fields": "title,gridProperties.frozenRowCount",
                    }
                }
            ]
        }
    )
    props = fake.sheet_properties(key, "Renamed")
    assert props["gridProperties"] == {"rowCount": 1000, "columnCount": 26, "frozenRowCount": 1}


def test_sort_range_and_insert_dimension_change_what_is_read(fake, key, gc):
    sh = gc.open_by_key(key)
    sh.batch_update(
        {
            "requests": [
                {
                    "sortRange": {
                        "range": {
                            "sheetId": 0,
                            "startRowIndex": 1,
                            "endRowIndex": 4,
                            "startColumnIndex": 0,
                            "endColumnIndex": 5,
                        },
                        "sortSpecs": [{"dimensionIndex": 2, "sortOrder": "ASCENDING"}],
                    }
                },
                {
                    "insertDimension": {
                        "range": {
                            "sheetId": 0,
                            "dimension": "ROWS",
                            "startIndex": 1,
                            "endIndex": 2,
                        },
                        "inheritFromBefore": False,
                    }
                },
            ]
        }
    )
    names = [row[0] if row else "" for row in sh.sheet1.get_values("A1:A5")]
    assert names == ["Name", "", "Bob", "Ada", "Cy"]  # blank due date sorts last
    assert fake.sheet_properties(key, "Leads")["gridProperties"]["rowCount"] == 1001
    sh.batch_update(
        {
            "requests": [
                {
                    "deleteDimension": {
                        "range": {"sheetId": 0, "dimension": "ROWS", "startIndex": 1, "endIndex": 2}
                    }
                }
            ]
        }
    )
    fake.sort_rows(key, "Leads", 0, descending=True)
    assert [r[0] for r in fake.get_values(key, "Leads")] == ["Name", "Cy", "Bob", "Ada"]


def _merges(sh) -> list[dict]:
    meta = sh.fetch_sheet_metadata(params={"fields": "sheets(properties.title,merges)"})
    return meta["sheets"][0].get("merges", [])


def _grid(r1: int, c1: int, r2: int, c2: int) -> dict:
    """A GridRange on sheet 0 as Google writes it: zero values left out."""
    bounds = {"startRowIndex": r1, "endRowIndex": r2, "startColumnIndex": c1, "endColumnIndex": c2}
    return {k: v for k, v in bounds.items() if v}


def test_merged_cells_keep_the_top_left_value_and_move_with_rows(fake, key, gc):
    sh = gc.open_by_key(key)
    ws = sh.sheet1
    ws.merge_cells("A1:B1")
    ws.merge_cells("C2:D3", merge_type="MERGE_ROWS")
    assert _merges(sh) == [_grid(0, 0, 1, 2), _grid(1, 2, 2, 4), _grid(2, 2, 3, 4)]
    # Only the top-left cell of a merge keeps its value (formats stay).
    assert fake.get_values(key, "Leads", "A1:D3") == [
        ["Name", "", "Due", "Value"],
        ["Ada", "ada@example.com", 45356],
        ["Bob", "", 45352],
    ]
    fake.insert_rows(key, "Leads", 2)  # between the two row merges
    fake.delete_rows(key, "Leads", 0)  # the header row, and the merge on it
    assert _merges(sh) == [_grid(0, 2, 1, 4), _grid(2, 2, 3, 4)]
    assert fake.snapshot(key)["sheets"][0]["merges"] == _merges(sh)
    with pytest.raises(gspread.exceptions.APIError) as excinfo:
        ws.merge_cells("D1:E1")  # half of C1:D1
    assert "You must select all cells in a merged range" in excinfo.value.error["message"]
    ws.merge_cells("C1:E3")  # takes in the merges inside it
    assert _merges(sh) == [_grid(0, 2, 3, 5)]
    sh.batch_update({"requests": [{"unmergeCells": {"range": {"sheetId": 0}}}]})
    assert _merges(sh) == []


def test_sorting_moves_row_merges_and_refuses_column_merges(fake, key, gc):
    sh = gc.open_by_key(key)
    sh.sheet1.merge_cells("B2:C2")  # Ada's row
    fake.sort_rows(key, "Leads", 0, descending=True)
    assert [r[0] for r in fake.get_values(key, "Leads")] == ["Name", "Cy", "Bob", "Ada"]
    assert _merges(sh) == [_grid(3, 1, 4, 3)]
    sh.sheet1.merge_cells("E2:E3")
    with pytest.raises(ApiError, match="vertically merged"):
        fake.sort_rows(key, "Leads", 0)


def test_formats_validation_and_charts_are_stored(fake, key, gc):
    sh = gc.open_by_key(key)
    response = sh.batch_update(
        {
            "requests": [
                {
                    "repeatCell": {
                        "range": {
                            "sheetId": 0,
                            "startRowIndex": 1,
                            "startColumnIndex": 3,
                            "endColumnIndex": 4,
                        },
                        "cell": {
                            "userEnteredFormat": {
                                "numberFormat": {"type": "CURRENCY", "pattern": '"£"#,##0.00'}
                            }
                        },
                        "fields": "userEnteredFormat.numberFormat",
                    }
                },
                {
                    "setDataValidation": {
                        "range": {
                            "sheetId": 0,
                            "startRowIndex": 1,
                            "endRowIndex": 4,
                            "startColumnIndex": 4,
                            "endColumnIndex": 5,
                        },
                        "rule": {"condition": {"type": "BOOLEAN"}},
                    }
                },
                {
                    "updateCells": {
                        "start": {"sheetId": 0, "rowIndex": 3, "columnIndex": 3},
                        "rows": [{"values": [{"userEnteredValue": {"numberValue": 9}}]}],
                        "fields": "userEnteredValue",
                    }
                },
                {
                    "addChart": {
                        "chart": {"spec": {"title": "Pipeline"}, "position": {"newSheet": True}}
                    }
                },
                {"autoResizeDimensions": {"dimensions": {"sheetId": 0, "dimension": "COLUMNS"}}},
            ]
        }
    )
    assert response["replies"][3]["addChart"]["chart"]["chartId"] == 1
    assert fake.get_formatted(key, "Leads", "D2:D4") == [["£1,200.00"], ["£300.50"], ["£9.00"]]
    assert fake.cell(key, "Leads", "E2")["dataValidation"] == {"condition": {"type": "BOOLEAN"}}
    assert fake.charts(key, "Leads")[0]["spec"] == {"title": "Pipeline"}


def test_gspread_worksheet_helpers_work_against_the_fake(fake, key, gc):
    sh = gc.open_by_key(key)
    ws = sh.worksheet("Leads")
    ws.add_rows(5)
    ws.add_cols(2)
    assert (ws.row_count, ws.col_count) == (1005, 28)
    ws.resize(rows=20)
    ws.freeze(rows=1)
    ws.format("C2:C", {"numberFormat": {"type": "DATE", "pattern": "dd mmm yyyy"}})
    ws.insert_row(["New", "new@example.com"], 2)
    ws.delete_rows(2)
    ws.append_row(["Dee", "dee@example.com", "2024-05-01"], value_input_option="USER_ENTERED")
    ws.set_basic_filter()
    other = sh.worksheet("My Tab")
    other.update_title("Other")
    other.hide()
    copied = sh.duplicate_sheet(other.id, new_sheet_name="Copy")
    sh.del_worksheet(copied)
    assert fake.sheet_properties(key, "Leads")["gridProperties"] == {
        "rowCount": 20,
        "columnCount": 28,
        "frozenRowCount": 1,
    }
    assert fake.sheet_properties(key, "Other")["hidden"] is True
    assert [p["title"] for p in fake.sheet_properties(key)] == ["Leads", "Other"]
    assert ws.col_values(3) == ["Due", "05 Mar 2024", "01 Mar 2024", "", "01 May 2024"]
    assert ws.get_all_records()[3] == {
        "Name": "Dee",
        "Email": "dee@example.com",
        "Due": "01 May 2024",
        "Value": "",
        "Done": "",
    }


def test_update_cells_over_a_range_clears_what_the_mask_names(fake, key, gc):
    sh = gc.open_by_key(key)
    sh.batch_update(
        {
            "requests": [
                {
                    "updateCells": {
                        "range": {
                            "sheetId": 0,
                            "startRowIndex": 1,
                            "endRowIndex": 3,
                            "startColumnIndex": 0,
                            "endColumnIndex": 2,
                        },
                        "rows": [{"values": [{"userEnteredValue": {"stringValue": "Ann"}}]}],
                        "fields": "userEnteredValue",
                    }
                },
                {"appendDimension": {"sheetId": 0, "dimension": "COLUMNS", "length": 4}},
                {
                    "updateSpreadsheetProperties": {
                        "properties": {"title": "Renamed", "timeZone": "America/New_York"},
                        "fields": "title,timeZone",
                    }
                },
            ]
        }
    )
    assert fake.get_values(key, "Leads", "A1:B4") == [
        ["Name", "Email"],
        ["Ann"],
        [],
        ["Cy", "cy@example.com"],
    ]
    assert fake.sheet_properties(key, "Leads")["gridProperties"]["columnCount"] == 30
    assert gc.open_by_key(key).timezone == "America/New_York"
    with pytest.raises(gspread.exceptions.APIError, match="Invalid field mask"):
        sh.batch_update(
            {
                "requests": [
                    {
                        "updateSheetProperties": {
                            "properties": {"sheetId": 0},
                            "fields": "gridProperties/rowCont",
                        }
                    }
                ]
            }
        )


def test_unknown_request_kind_is_400_and_the_batch_is_atomic(fake, key, gc):
    before = fake.snapshot(key)
    with pytest.raises(gspread.exceptions.APIError) as excinfo:
        gc.open_by_key(key).batch_update(
            {
                "requests": [
                    {"addSheet": {"properties": {"title": "New"}}},
                    {"frobnicate": {}},
                ]
            }
        )
    assert excinfo.value.response.status_code == 400
    assert 'Unknown name "frobnicate"' in excinfo.value.error["message"]
    assert fake.snapshot(key) == before


# ---------------------------------------------------------------- faults and the request log


@pytest.mark.parametrize("status", [429, 500, 503])
def test_injected_json_errors_surface_then_clear(fake, key, gc, status):
    sh = gc.open_by_key(key)
    fake.fail_next(1, status=status)
    with pytest.raises(gspread.exceptions.APIError) as excinfo:
        sh.values_get("Leads")
    assert excinfo.value.response.status_code == status
    assert excinfo.value.code == status
    assert sh.values_get("Leads")["values"][0][0] == "Name"


def test_injected_html_502_is_not_json(fake, key, gc):
    sh = gc.open_by_key(key)
    fake.fail_next(1, status=502, body="<html><body>502. That's an error.</body></html>")
    with pytest.raises(gspread.exceptions.APIError) as excinfo:
        sh.values_batch_update({"valueInputOption": "RAW", "data": []})
    assert excinfo.value.response.status_code == 502
    assert excinfo.value.code == -1  # gspread could not parse the body
    assert excinfo.value.response.headers["Content-Type"].startswith("text/html")


def test_faults_can_target_a_path(fake, key, gc):
    sh = gc.open_by_key(key)
    fake.fail_next(1, status=429, path_contains="values:batchUpdate")
    assert sh.values_get("Leads!A1")["values"] == [["Name"]]
    with pytest.raises(gspread.exceptions.APIError):
        sh.values_batch_update({"valueInputOption": "RAW", "data": []})


def test_backoff_client_retries_injected_429(fake, key, monkeypatch):
    monkeypatch.setattr(gspread.http_client.time, "sleep", lambda seconds: None)
    gc = fake.gspread_client(http_client=gspread.http_client.BackOffHTTPClient)
    sh = gc.open_by_key(key)
    fake.fail_next(2, status=429)
    assert sh.values_get("Leads!A1")["values"] == [["Name"]]
    assert [r.status for r in fake.api_requests][-3:] == [429, 429, 200]


def test_dropped_connection_is_a_connection_error(fake, key, gc):
    sh = gc.open_by_key(key)
    fake.drop_next(1)
    with pytest.raises(requests.exceptions.ConnectionError):
        sh.values_get("Leads")
    assert fake.api_requests[-1].status is None
    assert sh.values_get("Leads!A1")["values"] == [["Name"]]


def test_delay_triggers_client_timeouts(fake, key, gc):
    sh = gc.open_by_key(key)
    gc.set_timeout(0.2)
    fake.delay_next(1, 1.0)
    with pytest.raises(requests.exceptions.Timeout):
        sh.values_get("Leads")
    ws = sh.sheet1
    fake.delay_next(1, 1.0, apply_first=True)
    with pytest.raises(requests.exceptions.Timeout):
        ws.update([["late"]], "F1")
    assert fake.get_values(key, "Leads", "F1") == [["late"]]  # the write landed anyway


def test_a_write_can_land_although_its_answer_is_lost(fake, key, gc):
    """drop_next and fail_next with apply_first: the request takes effect, then the client
    sees a dropped connection or an error (as with a 504 after Google applied a write)."""
    ws = gc.open_by_key(key).sheet1
    fake.drop_next(1, apply_first=True)
    with pytest.raises(requests.exceptions.ConnectionError):
        ws.update([["dropped"]], "F1")
    fake.fail_next(1, status=504, apply_first=True)
    with pytest.raises(gspread.exceptions.APIError):
        ws.update([["failed"]], "F2")
    assert fake.get_values(key, "Leads", "F1:F2") == [["dropped"], ["failed"]]
    assert [r.status for r in fake.api_requests[-2:]] == [None, 504]


def test_wait_idle_waits_for_late_answers(fake, key, gc):
    ws = gc.open_by_key(key).sheet1
    gc.set_timeout(0.1)
    fake.delay_next(1, 0.4)  # applied after the wait, long after the client gave up
    with pytest.raises(requests.exceptions.Timeout):
        ws.update([["late"]], "F1")
    assert fake.get_values(key, "Leads", "F1") == []
    fake.wait_idle()
    assert fake.get_values(key, "Leads", "F1") == [["late"]]


def test_after_next_read_runs_once_the_read_is_answered(fake, key, gc):
    sh = gc.open_by_key(key)
    fake.after_next_read(lambda spreadsheet_id: fake.set_values(spreadsheet_id, "Leads", [["Zed"]],
                                                                start="A2"),
                         path_contains="batchGet")
    assert sh.values_get("Leads!A2")["values"] == [["Ada"]]  # not the path asked for
    assert sh.values_batch_get(["Leads!A2"])["valueRanges"][0]["values"] == [["Ada"]]
    assert sh.values_get("Leads!A2")["values"] == [["Zed"]]  # the edit came after the read
    fake.set_values(key, "Leads", [["Ada"]], start="A2")
    assert sh.values_batch_get(["Leads!A2"])["valueRanges"][0]["values"] == [["Ada"]]


def test_oversized_bodies_are_refused():
    with FakeSheets(max_body_bytes=2000) as small:
        key = small.create_spreadsheet("Big", {"Leads": [["a"]]})
        sh = small.gspread_client().open_by_key(key)
        with pytest.raises(gspread.exceptions.APIError) as excinfo:
            sh.sheet1.update([["x" * 100] * 5] * 10, "A1")
        assert excinfo.value.response.status_code == 400
        assert "payload size exceeds the limit: 2000 bytes" in excinfo.value.error["message"]
        assert small.get_values(key, "Leads") == [["a"]]
        sh.sheet1.update([["x" * 100] * 5], "A1")  # a smaller write still goes through


def test_request_log_counts_requests_and_bytes(fake, key, gc):
    sh = gc.open_by_key(key)
    fake.reset_requests()
    answer = sh.values_batch_get(["Leads"], params={"valueRenderOption": "UNFORMATTED_VALUE"})
    body = {"valueInputOption": "RAW", "data": [{"range": "Leads!F2", "values": [["x"]]}]}
    sh.values_batch_update(body)
    log = fake.requests
    assert [(r.method, r.path.rsplit("/", 1)[-1]) for r in log] == [
        ("GET", "values:batchGet"),
        ("POST", "values:batchUpdate"),
    ]
    assert log[0].query["ranges"] == ["Leads"]
    assert log[1].body_bytes == len(json.dumps(body).encode())
    assert log[1].json() == body
    assert log[1].email == DEFAULT_CLIENT_EMAIL
    assert log[0].response_bytes == len(json.dumps(answer).encode())
    assert [r.is_write for r in log] == [False, True]


def test_before_next_write_runs_between_read_and_write(fake, key, gc):
    sh = gc.open_by_key(key)
    rows = sh.values_get("Leads!A1:A4")["values"]
    assert rows[1] == ["Ada"]
    seen = []

    def user_edits(spreadsheet_id):
        seen.append(fake.get_values(spreadsheet_id, "Leads", "F2"))
        fake.insert_rows(spreadsheet_id, "Leads", 1)  # a user inserts a row above Ada
        fake.set_values(spreadsheet_id, "Leads", [["Zed"]], start="A2")

    fake.before_next_write(user_edits)
    sh.values_batch_update(
        {"valueInputOption": "RAW", "data": [{"range": "Leads!F2", "values": [["for Ada"]]}]}
    )
    assert seen == [[]]  # ran once, before the write
    # The write landed at the address the client computed, now Zed's row: the race a sync
    # must guard against by re-reading IDs before writing.
    assert fake.get_values(key, "Leads", "A2:F3") == [
        ["Zed", "", "", "", "", "for Ada"],
        ["Ada", "ada@example.com", 45356, 1200, False],
    ]
    sh.values_batch_update({"valueInputOption": "RAW", "data": []})
    assert len(seen) == 1


def test_write_hook_may_edit_over_http_too(fake, key):
    user, sync = fake.gspread_client(), fake.gspread_client()
    user_sheet = user.open_by_key(key).sheet1
    fake.before_next_write(lambda _: user_sheet.update([["edited by user"]], "B3"))
    sync.open_by_key(key).sheet1.update([["from sync"]], "F3")
    assert fake.get_values(key, "Leads", "B3:F3") == [
        ["edited by user", 45352, 300.5, True, "from sync"]
    ]
    assert [r.path.rsplit("/", 1)[-1] for r in fake.api_requests if r.is_write] == [
        "'Leads'!F3",
        "'Leads'!B3",
    ]


# ---------------------------------------------------------------- plumbing


def test_token_path_is_configurable():
    with FakeSheets(token_path="/oauth2/v4/token") as other:
        key = other.create_spreadsheet("T", {"S": [["a"]]})
        assert other.service_account_info()["token_uri"].endswith("/oauth2/v4/token")
        assert other.gspread_client().open_by_key(key).sheet1.get_all_values() == [["a"]]
        assert other.requests[0].path == "/oauth2/v4/token"


def test_drive_urls_are_rewritten_too_so_tests_never_reach_google(fake, key, gc):
    assert rebase_url("https://www.googleapis.com/drive/v3/files/x", fake.url) == (
        fake.url + "/drive/v3/files/x"
    )
    assert rebase_url("https://example.com/x", fake.url) == "https://example.com/x"
    with pytest.raises(gspread.exceptions.APIError) as excinfo:
        gc.get_file_drive_metadata(key)
    assert excinfo.value.response.status_code == 404


def test_stop_is_prompt_with_idle_keep_alive_connections(key, gc, fake):
    gc.open_by_key(key)  # leaves a pooled keep-alive connection open
    started = time.monotonic()
    fake.stop()
    assert time.monotonic() - started < 2
    with pytest.raises(requests.exceptions.ConnectionError):
        gc.open_by_key(key)


def test_env_names_the_base_url(fake):
    assert fake.env() == {"SHEETFOLLOW_SHEETS_API": fake.url}
    assert fake.url.startswith("http://127.0.0.1:")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A1", A1Range(0, 0, 1, 1, single_cell=True)),
        ("B2:C", A1Range(1, 1, None, 3)),
        ("A:Z", A1Range(0, 0, None, 26)),
        ("1:1", A1Range(0, 0, 1, None)),
        ("$C$3:A1", A1Range(0, 0, 3, 3)),
        ("", A1Range()),
    ],
)
def test_a1_parsing(text, expected):
    assert parse_cells(text) == expected


def test_a1_helpers():
    assert split_sheet("'It''s'!A1") == ("It's", "A1")
    assert split_sheet("Leads!A1") == ("Leads", "A1")
    assert split_sheet("A1:B2") == (None, "A1:B2")
    assert [column_letter(i) for i in (0, 25, 26, 701, 702)] == ["A", "Z", "AA", "ZZ", "AAA"]
    assert column_index("AAA") == 702
    assert format_range("My Tab", 0, 0, 2, 3) == "'My Tab'!A1:C2"
    assert format_range("A1", 0, 0, 1, 1) == "'A1'!A1"
