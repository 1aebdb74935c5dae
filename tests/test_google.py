"""The Google Sheets backend against the fake Sheets API: requests per sync, live edits, retries,
errors, credentials and doctor. No test touches the network (SPEC 11.7)."""

from __future__ import annotations

import datetime as dt
import functools
import json
import re

import pytest
from click.testing import CliRunner
from fakesheets import DEFAULT_CLIENT_EMAIL
from googlebook import ANA, BEN, CHLOE, HEADER, MON, TUE, GoogleBook, leads, names_to
from helpers import serial

from sheetfollow import api
from sheetfollow.backends.google import GoogleBackend
from sheetfollow.backends.google.auth import load_identity
from sheetfollow.backends.google.doctor import doctor
from sheetfollow.backends.google.writes import MAX_REQUEST_BYTES, cell_data, hyperlink_formula
from sheetfollow.cli import cli
from sheetfollow.cli_google import doctor as doctor_command
from sheetfollow.errors import SheetsApiError, TargetError
from sheetfollow.layout import READ_TABS
from sheetfollow.model import Link
from sheetfollow.newbook import workbook_tabs

EMAIL = DEFAULT_CLIENT_EMAIL
SHARE = f"Share the sheet with {EMAIL} as Editor"


@pytest.fixture
def env(fake, tmp_path, monkeypatch):
    """The product pointed at the fake: API base and a service account key file."""
    key_file = tmp_path / "service-account.json"
    key_file.write_text(json.dumps(fake.service_account_info()))
    for name in ("SHEETFOLLOW_SERVICE_ACCOUNT_JSON", "SHEETFOLLOW_OAUTH_CLIENT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SHEETFOLLOW_SHEETS_API", fake.url)
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(key_file))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setattr("time.sleep", lambda seconds: None)  # the CLI retries without waiting
    return key_file


def book_on(fake, tmp_path, tabs) -> GoogleBook:
    return GoogleBook(tabs, tmp_path, fake)


def kinds(fake) -> list[str]:
    """The API calls made: "read" (the whole spreadsheet), "re-read" (the Leads and Due tabs
    just before writing) or "write"."""
    out = []
    for r in fake.api_requests:
        if r.method == "POST":
            out.append("write")
        else:
            out.append("re-read" if "ranges" in r.query else "read")
    return out


# ---------------------------------------------------------------- requests per sync


def many_leads(n: int) -> dict:
    """n leads: one in 50 overdue in the proposal cadence, the rest nurtured (no draft)."""
    rows = [HEADER]
    for i in range(n):
        due = i % 50 == 0
        last = MON - dt.timedelta(days=(10 + i % 7) if due else (1 + i % 5))
        rows.append([f"Lead {i}", f"Co {i % 300}", f"lead{i}@example.com", "", last, "email",
                     f"Talked about project {i}", None, "Proposal Sent" if due else "Nurture",
                     1000 + i, ""])
    return {"Leads": rows}


@pytest.fixture
def quick_dates(monkeypatch):
    """The fake formats every date cell of a grid-data read; memoize it to keep 10,000 leads in
    seconds (the result is the same)."""
    import fakesheets.cells as cells

    original = cells.format_date

    @functools.cache
    def cached(value, kind, pattern):
        return original(value, {"type": kind, **({"pattern": pattern} if pattern else {})})

    monkeypatch.setattr(cells, "format_date",
                        lambda value, fmt: cached(value, fmt.get("type"), fmt.get("pattern")))


@pytest.mark.parametrize("size", [100, 10_000])
def test_requests_per_sync(fake, tmp_path, size, quick_dates):
    book = book_on(fake, tmp_path, many_leads(size))
    seen = {}
    for name, day in (("first", MON), ("unchanged", MON), ("next day", TUE)):
        fake.reset_requests()
        report = book.sync(day)
        seen[name] = kinds(fake)
        assert report.applied.requests == len(seen[name])
        assert all(r.body_bytes <= MAX_REQUEST_BYTES for r in fake.api_requests)
    # 10,000 new IDs and states: over 9 MB, so the first write is split in two.
    assert seen["first"] == ["read", "re-read"] + ["write"] * (1 if size == 100 else 2)
    assert seen["unchanged"] == ["read"]
    assert seen["next day"] == ["read", "re-read", "write"]  # flags change: re-read
    read = fake.api_requests[0]
    assert "includeGridData" not in read.query and "ranges" not in read.query


def test_a_sync_writing_only_tool_tabs_skips_the_re_read(fake, tmp_path):
    book = book_on(fake, tmp_path, leads(ANA, BEN))
    book.sync(MON)
    fake.set_values(book.key, "Due", [["stray"]], "Q1")  # someone typed into the Due tab
    fake.reset_requests()
    assert book.sync(MON).written
    assert kinds(fake) == ["read", "write"]
    assert fake.get_values(book.key, "Due", "Q1") == []


def test_no_change_sync_writes_nothing(fake, tmp_path):
    book = book_on(fake, tmp_path, leads(ANA, BEN, CHLOE))
    book.sync(MON)
    before = fake.snapshot(book.key)
    report = book.sync(MON)
    assert not report.written and fake.snapshot(book.key) == before


def test_big_writes_are_split_below_the_limit(fake, tmp_path):
    book = book_on(fake, tmp_path, leads(ANA, BEN, CHLOE))
    twin = book_on(fake, tmp_path, leads(ANA, BEN, CHLOE))
    fake.reset_requests()
    book.sync(MON, max_request_bytes=4000)
    posts = [r for r in fake.api_requests if r.method == "POST"]
    assert len(posts) > 2 and all(r.body_bytes <= 4000 for r in posts)
    twin.sync(MON)
    for tab in ("Leads", "Due", "Log", "_sheetfollow"):
        assert book.rows(tab) == twin.rows(tab)


# ---------------------------------------------------------------- live edits between read and write


def edit_after_read(monkeypatch, edit):
    """Run ``edit()`` right after the sync has read the sheet, as a user typing meanwhile."""
    original = GoogleBackend.read

    def read(self, tabs):
        data = original(self, tabs)
        if set(tabs) == set(READ_TABS):
            edit()
        return data

    monkeypatch.setattr(GoogleBackend, "read", read)


def test_rows_sorted_and_inserted_meanwhile_get_the_right_values(fake, tmp_path, monkeypatch):
    twin = book_on(fake, tmp_path, leads(ANA, BEN, CHLOE))
    twin.sync(MON)
    twin.sync(TUE)
    expected = names_to(twin, "ID", "Flag", "Next Step", "Next Date")

    book = book_on(fake, tmp_path, leads(ANA, BEN, CHLOE))

    def shuffle():  # new leads are found by their inputs (they have no ID yet)
        fake.sort_rows(book.key, "Leads", 0, descending=True)
        fake.insert_rows(book.key, "Leads", 1)

    edit_after_read(monkeypatch, shuffle)
    assert book.sync(MON).applied.skipped_rows == []
    assert book.rows("Leads")[1][:3] == [None, None, None]  # the inserted row stays empty

    def move_again():  # known leads are found by their ID
        fake.delete_rows(book.key, "Leads", 1)
        fake.sort_rows(book.key, "Leads", 2)
        fake.insert_rows(book.key, "Leads", 2, 2)

    edit_after_read(monkeypatch, move_again)
    report = book.sync(TUE)
    assert report.written and report.applied.skipped_rows == []
    assert names_to(book, "ID", "Flag", "Next Step", "Next Date") == expected


def test_a_row_edited_meanwhile_is_left_alone_and_reported(fake, tmp_path, monkeypatch):
    book = book_on(fake, tmp_path, leads(ANA, BEN))
    book.sync(MON)
    before = names_to(book, "Flag", "Next Step")
    state = book.rows("_sheetfollow")
    log = book.rows("Log")
    book.set("Leads", 2, HEADER.index("Last Contact") + 1, serial(MON))  # Ana's touch, seen
    edit_after_read(monkeypatch, lambda: book.set("Leads", 3, HEADER.index("Stage") + 1, "Won"))
    report = book.sync(TUE)
    assert report.applied.skipped_rows == [
        "Leads row 3 (L-0002): it was edited during the sync; left as it was, the next sync "
        "will update it"]
    after = names_to(book, "Flag", "Next Step")
    assert after["Ben Okafor"] == before["Ben Okafor"]
    assert after["Ana Souza"] != before["Ana Souza"]  # the other lead was synced
    assert book.rows("_sheetfollow")[2] == state[2]  # Ben's state row as before
    assert [r for r in book.rows("Log")[len(log):] if r[2] == "L-0002"] == []
    monkeypatch.undo()
    book.sync(TUE)
    assert names_to(book, "Flag")["Ben Okafor"] == ("WON",)
    events = [r[1] for r in book.rows("Log")[1:] if r[2] == "L-0002"]
    assert events.count("stage") == 1


def test_a_done_tick_made_meanwhile_is_kept_for_the_next_sync(fake, tmp_path, monkeypatch):
    book = book_on(fake, tmp_path, leads(ANA, BEN))
    book.sync(MON)
    row = next(i for i, r in enumerate(book.rows("Due"), 1) if r[3] == "Ana Souza")
    edit_after_read(monkeypatch, lambda: book.set("Due", row, 1, True))
    assert book.sync(TUE).plan.done == []
    assert [r[0] for r in book.rows("Due") if r[3] == "Ana Souza"] == [True]
    monkeypatch.undo()
    assert book.sync(TUE).plan.done == ["L-0001"]
    assert book.cell("Leads", 2, "Last Contact") == serial(TUE)


def test_a_header_changed_meanwhile_leaves_the_leads_tab_alone(fake, tmp_path, monkeypatch):
    book = book_on(fake, tmp_path, leads(ANA, BEN))
    before = book.rows("Leads")
    edit_after_read(monkeypatch, lambda: book.set("Leads", 1, 12, "Source"))
    report = book.sync(MON)
    assert len(report.applied.skipped_rows) == 2
    assert "the header row changed during the sync" in report.applied.skipped_rows[0]
    rows = book.rows("Leads")
    assert rows[0][11] == "Source" and [r[:11] for r in rows] == [r[:11] for r in before]


def test_a_formula_in_next_date_is_never_overwritten(fake, tmp_path):
    book = book_on(fake, tmp_path, leads(ANA))
    fake.set_values(book.key, "Leads", [["=E2+30"]], "H2")
    book.sync(MON)
    assert fake.cell(book.key, "Leads", "H2")["userEnteredValue"] == {"formulaValue": "=E2+30"}
    assert book.cell("Leads", 2, "Flag") == "AGREED"


# ---------------------------------------------------------------- what is written


def test_text_that_looks_like_a_formula_is_stored_as_text(fake, tmp_path):
    tricky = ["@foo", '=IMPORTXML("http://evil.example","//a")', "ana@example.com",
              "+44 20 7946 0000", None, "", "-x", None, "New", 100, "=1+1"]
    book = book_on(fake, tmp_path, leads(tricky))
    book.sync(MON)
    due = book.rows("Due")
    header = due[0]
    for column, text in (("Lead", "@foo"), ("Company", tricky[1])):
        a1 = f"{chr(65 + header.index(column))}2"
        assert fake.cell(book.key, "Due", a1)["userEnteredValue"] == {"stringValue": text}
    message = fake.cell(book.key, "Due", f"{chr(65 + header.index('Message'))}2")
    assert "stringValue" in message["userEnteredValue"]
    for a1 in ("A2", "B2", "D2", "G2", "K2"):  # the user's cells stay text too
        assert "stringValue" in fake.cell(book.key, "Leads", a1)["userEnteredValue"]


def test_open_links_are_escaped_hyperlink_formulas(fake, tmp_path):
    book = book_on(fake, tmp_path, leads(ANA))
    book.sync(MON)
    col = chr(65 + book.rows("Due")[0].index("Open"))
    entered = fake.cell(book.key, "Due", f"{col}2")["userEnteredValue"]["formulaValue"]
    assert entered.startswith('=HYPERLINK("mailto:ana@example.com?')
    assert book.cell("Due", 2, "Open") == "Email"
    assert hyperlink_formula(Link('https://wa.me/1?text=say "hi"', 'a "b"')) == \
        '=HYPERLINK("https://wa.me/1?text=say ""hi""","a ""b""")'
    for url in ("javascript:alert(1)", "http://example.com", "file:///etc/passwd", "tel:1\n2"):
        assert hyperlink_formula(Link(url, "x")) is None
        assert cell_data(Link(url, "x")) == {"userEnteredValue": {"stringValue": "x"}}


def test_new_tabs_formats_and_checkboxes(fake, tmp_path):
    book = book_on(fake, tmp_path, leads(ANA, BEN))
    book.sync(MON)
    state = fake.sheet_properties(book.key, "_sheetfollow")
    assert state.get("hidden") is True
    assert fake.cell(book.key, "Due", "A2")["dataValidation"]["condition"]["type"] == "BOOLEAN"
    for tab, a1 in (("Due", "B2"), ("Leads", "H2"), ("Log", "A2")):
        fmt = fake.cell(book.key, tab, a1)["userEnteredFormat"]["numberFormat"]
        assert fmt["type"] == "DATE"
    assert fake.cell(book.key, "Due", "A1")["userEnteredFormat"]["textFormat"]["bold"] is True


def test_tool_columns_and_rows_beyond_the_grid_are_added(fake, tmp_path):
    tabs = leads(ANA, BEN)
    key = fake.create_spreadsheet("Tight", tabs, grid={"Leads": (3, 11)}, value_input="RAW")
    book = book_on(fake, tmp_path, {"Other": [["x"]]})
    book.key = key
    book.sync(MON)
    assert fake.sheet_properties(key, "Leads")["gridProperties"]["columnCount"] == 14
    assert book.column("Leads", "ID") == ["L-0001", "L-0002"]


def test_one_read_gives_every_tab_the_time_zone_and_the_cells_asked_for(fake, tmp_path, env):
    tabs = {**leads(ANA), "My notes": [["Call list"], ["Zed"]], " due ": [["Done"]]}
    key = fake.create_spreadsheet("Zoned", tabs, time_zone="Pacific/Auckland")
    fake.reset_requests()
    data = GoogleBackend(key).read(READ_TABS)
    assert len(fake.api_requests) == 1  # the user's own tab came too, and was dropped
    assert data.tab_names == ["Leads", "My notes", " due "]
    assert set(data.grids) == {"Leads", " due "} and data.grid("Due").rows == [["Done"]]
    assert data.time_zone == "Pacific/Auckland"


# ---------------------------------------------------------------- retries and errors


def test_a_429_storm_ends_in_a_one_line_error_and_no_write(fake, tmp_path):
    book = book_on(fake, tmp_path, leads(ANA, BEN))
    book.sync(MON)
    before = fake.snapshot(book.key)
    fake.fail_next(50, status=429, path_contains=":batchUpdate")
    waits = []
    with pytest.raises(SheetsApiError) as excinfo:
        book.sync(TUE, sleep=waits.append)
    assert str(excinfo.value) == ("Google Sheets kept answering 429 Too Many Requests after 5 "
                                  "tries; wait a minute and run the sync again")
    assert fake.snapshot(book.key) == before
    assert len(waits) == 4
    for attempt, wait in enumerate(waits):
        assert 0.5 * 2**attempt <= wait <= min(32, 2**attempt)
    fake.clear_faults()


def test_a_429_storm_in_the_cli_is_one_line(fake, tmp_path, env):
    key = fake.create_spreadsheet("Busy", leads(ANA))
    fake.fail_next(50, status=429)
    result = CliRunner().invoke(cli, ["sync", f"gsheet:{key}", "--today", "2026-11-23"])
    assert result.exit_code == 1
    assert result.output == ("Error: Google Sheets kept answering 429 Too Many Requests after 5 "
                             "tries; wait a minute and run the sync again\n")
    fake.clear_faults()


def test_a_non_json_502_is_retried(fake, tmp_path):
    book = book_on(fake, tmp_path, leads(ANA))
    fake.fail_next(1, status=502, body="<html><body><h1>502 Bad Gateway</h1></body></html>")
    waits = []
    report = book.sync(MON, sleep=waits.append)
    assert report.written and len(waits) == 1
    assert [r.status for r in fake.api_requests][:2] == [502, 200]


def test_dropped_connections_and_timeouts_are_retried(fake, tmp_path):
    book = book_on(fake, tmp_path, leads(ANA))
    fake.drop_next(1)
    fake.delay_next(1, 1.0, path_contains="ranges")
    assert book.sync(MON, timeout=0.3).written
    assert book.column("Leads", "ID") == ["L-0001"]


def test_a_write_whose_answer_was_lost_is_not_applied_twice(fake, tmp_path):
    book = book_on(fake, tmp_path, leads(ANA, BEN))
    fake.delay_next(1, 1.0, path_contains=":batchUpdate", apply_first=True)
    report = book.sync(MON, timeout=0.3)
    assert report.written
    posts = [r for r in fake.api_requests if r.method == "POST"]
    assert len(posts) == 2 and posts[1].status == 400  # "already exists": it was applied
    assert book.tabs() == ["Leads", "Due", "_sheetfollow", "Metrics", "Log"]
    assert book.column("Leads", "ID") == ["L-0001", "L-0002"]


def test_connection_failures_end_in_a_clear_error(fake, tmp_path):
    book = book_on(fake, tmp_path, leads(ANA))
    fake.drop_next(10)
    with pytest.raises(SheetsApiError, match=r"^could not reach Google Sheets \(the connection "
                                             r"failed\) after 5 tries; check the internet"):
        book.sync(MON)
    fake.clear_faults()


def test_permission_denied_names_the_email_to_share_with(fake, tmp_path):
    book = book_on(fake, tmp_path, leads(ANA))
    fake.unshare(book.key, EMAIL)
    with pytest.raises(SheetsApiError) as excinfo:
        book.sync(MON)
    assert str(excinfo.value) == (f"{EMAIL} has no access to the Google Sheet {book.key}: "
                                  f"{SHARE} (Share button, top right of the sheet)")
    fake.share(book.key, EMAIL, "reader")
    with pytest.raises(SheetsApiError, match=f"{EMAIL} can only view .*: {SHARE}"):
        book.sync(MON)


def test_an_unknown_sheet_is_not_found(fake, tmp_path):
    book = book_on(fake, tmp_path, leads(ANA))
    book.key = "x" * 44
    with pytest.raises(SheetsApiError, match="there is no Google Sheet with the key x{44}: check"):
        book.sync(MON)


# ---------------------------------------------------------------- credentials


def test_missing_credentials(env, monkeypatch):
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS")
    with pytest.raises(TargetError) as excinfo:
        load_identity()
    assert str(excinfo.value) == (
        "no Google credentials: set GOOGLE_APPLICATION_CREDENTIALS or pass --credentials "
        "(a service account's JSON key file), or log in as yourself with --oauth-client FILE")


def test_service_account_from_a_file_option(fake, tmp_path, env, monkeypatch):
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS")
    key = fake.create_spreadsheet("Pipeline", leads(ANA))
    report = api.sync(f"gsheet:{key}", MON, credentials=str(env))
    assert report.written and report.target == "Google Sheet 'Pipeline'"


def test_service_account_from_env_json(fake, tmp_path, env, monkeypatch):
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS")
    monkeypatch.setenv("SHEETFOLLOW_SERVICE_ACCOUNT_JSON", env.read_text())
    key = fake.create_spreadsheet("Pipeline", leads(ANA))
    assert api.sync(f"https://docs.google.com/spreadsheets/d/{key}/edit", MON).written
    assert {r.email for r in fake.api_requests} == {EMAIL}


def test_saved_oauth_login(fake, tmp_path, env, monkeypatch):
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS")
    token = tmp_path / "config" / "sheetfollow" / "token.json"
    token.parent.mkdir(parents=True)
    token.write_text(json.dumps(fake.authorized_user_info("me@example.com")))
    key = fake.create_spreadsheet("Mine", leads(ANA), shared_with=["me@example.com"])
    assert api.sync(f"gsheet:{key}", MON).written
    assert {r.email for r in fake.api_requests} == {"me@example.com"}
    identity = load_identity()
    assert not identity.service_account and identity.email == "me@example.com"


def test_an_oauth_login_is_asked_for_only_in_a_terminal(fake, tmp_path, env):
    client = tmp_path / "client.json"
    client.write_text(json.dumps({"installed": {"client_id": "x", "client_secret": "y"}}))
    token = tmp_path / "token.json"
    with pytest.raises(TargetError, match=re.escape(
            f"no saved Google login in {token}: run 'sheetfollow doctor --oauth-client {client}' "
            "once in a terminal to log in")):
        load_identity(oauth_client=client, token_file=token, interactive=False)
    token.write_text(json.dumps(fake.authorized_user_info("me@example.com")))
    identity = load_identity(oauth_client=client, token_file=token, interactive=False)
    assert identity.email == "me@example.com" and not identity.service_account


def test_the_api_override_covers_googles_own_token_uri(fake, tmp_path, env, monkeypatch):
    info = fake.service_account_info()
    info["token_uri"] = "https://oauth2.googleapis.com/token"
    monkeypatch.setenv("SHEETFOLLOW_SERVICE_ACCOUNT_JSON", json.dumps(info))
    key = fake.create_spreadsheet("Pipeline", leads(ANA))
    assert api.sync(f"gsheet:{key}", MON).written
    assert fake.requests[0].path == "/token"


@pytest.mark.parametrize("content, message", [
    ("not json", "is not a Google credentials file (Expecting value at line 1 column 1)"),
    ('{"type": "service_account", "client_email": "x@y"}', "is not a usable Google key"),
    ('{"installed": {"client_id": "x"}}', "is an OAuth client file, not a key"),
])
def test_bad_credentials_files(tmp_path, content, message):
    path = tmp_path / "key.json"
    path.write_text(content)
    with pytest.raises(TargetError, match=re.escape(message)):
        load_identity(path)
    with pytest.raises(TargetError, match="does not exist"):
        load_identity(tmp_path / "nope.json")


def test_credentials_never_appear_in_output(fake, tmp_path, env, monkeypatch):
    info = json.loads(env.read_text())
    secrets = [info["private_key_id"]] + [line for line in info["private_key"].splitlines()
                                          if "PRIVATE KEY" not in line]
    key = fake.create_spreadsheet("Pipeline", leads(ANA, BEN))
    hidden = fake.create_spreadsheet("Private", leads(ANA), shared_with=["boss@example.com"])
    runner = CliRunner()
    outputs = [
        runner.invoke(cli, ["sync", f"gsheet:{key}", "--today", "2026-11-23", "--json"]),
        runner.invoke(cli, ["sync", f"gsheet:{key}", "--today", "2026-11-24", "--dry-run",
                            "--json"]),
        runner.invoke(cli, ["sync", f"gsheet:{hidden}"]),
        runner.invoke(doctor_command, [f"gsheet:{hidden}", "--json"]),
        runner.invoke(doctor_command, []),
    ]
    damaged = dict(info, private_key=info["private_key"][:200])
    monkeypatch.setenv("SHEETFOLLOW_SERVICE_ACCOUNT_JSON", json.dumps(damaged))
    outputs.append(runner.invoke(cli, ["sync", f"gsheet:{key}"]))
    monkeypatch.setenv("SHEETFOLLOW_SERVICE_ACCOUNT_JSON", json.dumps(info)[:-30])
    outputs.append(runner.invoke(cli, ["sync", f"gsheet:{key}"]))
    assert [r.exit_code for r in outputs] == [0, 0, 1, 1, 0, 1, 1]
    assert "not a usable Google key" in outputs[5].output
    assert "does not hold a JSON key" in outputs[6].output
    for result in outputs:
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert len(result.output.strip().splitlines()) >= 1
        for secret in secrets:
            assert secret not in result.output


# ---------------------------------------------------------------- doctor and init


def test_doctor(fake, tmp_path, env):
    key = fake.create_spreadsheet("Pipeline", leads(ANA))
    report = doctor(f"gsheet:{key}")
    assert report.ok and report.email == EMAIL
    assert report.lines == [
        f"Credentials: the key file {env} (GOOGLE_APPLICATION_CREDENTIALS).",
        f"Account: {EMAIL} (a service account: share each sheet with this address as Editor)",
        "Login: OK, Google accepted the credentials.",
        f"Sheet 'Pipeline' ({key}): {EMAIL} can read and edit it. Ready to sync.",
    ]
    fake.unshare(key, EMAIL)
    result = CliRunner().invoke(doctor_command, [f"https://docs.google.com/spreadsheets/d/{key}"])
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == (
        f"Problem: {EMAIL} has no access to the Google Sheet {key}: {SHARE} (Share button, top "
        "right of the sheet)")
    fake.share(key, EMAIL, "reader")
    assert f"can only view the Google Sheet {key}: {SHARE}" in doctor(f"gsheet:{key}").lines[-1]


def test_doctor_without_credentials_or_target(env, monkeypatch):
    result = CliRunner().invoke(doctor_command, [])
    assert result.exit_code == 0
    assert result.output.splitlines()[-1] == (
        f"To sync a sheet, share it with {EMAIL} as Editor, then run: sheetfollow doctor "
        "<sheet URL>")
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS")
    result = CliRunner().invoke(doctor_command, ["gsheet:" + "k" * 30])
    assert result.exit_code == 1
    assert result.output.startswith("Problem: no Google credentials: set "
                                    "GOOGLE_APPLICATION_CREDENTIALS or pass --credentials")
    assert doctor("book.xlsx").ok


def test_doctor_reports_a_refused_key(fake, env, monkeypatch):
    info = fake.service_account_info()
    info["private_key"] = fake.service_account_info("other@x.iam.gserviceaccount.com")[
        "private_key"]
    monkeypatch.setenv("SHEETFOLLOW_SERVICE_ACCOUNT_JSON", json.dumps(info))
    report = doctor()
    assert not report.ok
    assert report.lines[-1].startswith(
        "Problem: Google refused the credentials from the SHEETFOLLOW_SERVICE_ACCOUNT_JSON "
        "environment variable (invalid_grant: Invalid JWT Signature.)")


def test_initialize_an_empty_sheet(fake, tmp_path, env):
    key = fake.create_spreadsheet("New", {"Sheet1": []})
    fake.reset_requests()
    GoogleBackend(key).initialize(workbook_tabs(True, MON))
    assert kinds(fake) == ["read", "write"]
    assert [p["title"] for p in fake.sheet_properties(key)] == [
        "Leads", "Settings", "Cadence", "Templates"]
    leads_tab = fake.get_values(key, "Leads")
    assert leads_tab[0][:3] == ["Name", "Company", "Email"] and len(leads_tab) > 1
    assert fake.cell(key, "Leads", "I2")["dataValidation"]["condition"]["type"] == "ONE_OF_RANGE"
    assert fake.cell(key, "Leads", "E500")["userEnteredFormat"]["numberFormat"]["type"] == "DATE"
    assert fake.sheet_properties(key, "Leads")["gridProperties"]["frozenRowCount"] == 1
    assert fake.get_values(key, "Cadence")[1][:3] == ["prospect", 1, 3]
    report = api.sync(f"gsheet:{key}", MON)
    assert report.written and not report.plan.problems
    with pytest.raises(TargetError, match="is not empty .* init never overwrites a sheet"):
        GoogleBackend(key).initialize(workbook_tabs(False, MON))


def test_a_tab_replaced_without_being_read_is_emptied_first(fake, tmp_path, env):
    from sheetfollow.changeset import ChangeSet, TabWrite

    key = fake.create_spreadsheet("Pipeline", {**leads(ANA), "Metrics": [["old"] * 5] * 30})
    backend = GoogleBackend(key)
    backend.read(READ_TABS)
    backend.apply(ChangeSet(tabs=[TabWrite("Metrics", [["Figure", "Value"], ["Due", 3]])]))
    assert fake.get_values(key, "Metrics") == [["Figure", "Value"], ["Due", 3]]
