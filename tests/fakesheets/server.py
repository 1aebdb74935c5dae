"""FakeSheets: a local Google Sheets API v4 (and OAuth token endpoint) over loopback HTTP.

    with FakeSheets() as fake:
        key = fake.create_spreadsheet("Leads", {"Leads": [["Name", "Due"], ["Ada", date(...)]]})
        gc = fake.gspread_client()          # real gspread, real HTTP, service-account auth
        gc.open_by_key(key).sheet1.get_all_values()

Tests seed and inspect spreadsheets directly (create_spreadsheet, set_values, get_values,
snapshot), read the request log (requests, reset_requests) and inject faults (fail_next,
drop_next, delay_next, before_next_write, after_next_read) and wait for late answers
(wait_idle).
"""

from __future__ import annotations

import copy
import secrets
import socket
import socketserver
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any

import gspread
from google.oauth2 import service_account
from gspread.http_client import HTTPClient

from . import values as values_api
from .a1 import cell_name, parse_cells
from .auth import DEFAULT_CLIENT_EMAIL, SPREADSHEETS_SCOPE, TokenAuthority, cached_signer
from .batch import apply_batch
from .cells import Parsed, parse_python
from .client import rebased_http_client
from .grid import DEFAULT_COLUMNS, DEFAULT_ROWS, Sheet, Spreadsheet
from .handler import Handler
from .traffic import Traffic, TrafficControls

Rows = list[list[Any]]


@dataclass
class _Connections:
    lock: threading.Lock = field(default_factory=threading.Lock)
    open: set = field(default_factory=set)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks up the host's FQDN (a DNS query); loopback needs none.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]


class FakeSheets(TrafficControls):
    """The fake service: spreadsheets in memory, an HTTP server on 127.0.0.1 in a thread. The
    request log and the fault injection come from TrafficControls (traffic.py)."""

    def __init__(
        self,
        *,
        max_body_bytes: int = 10 * 1024 * 1024,
        token_path: str = "/token",
        token_lifetime: int = 3600,
    ):
        self.max_body_bytes = max_body_bytes
        self.token_path = token_path
        self.auth = TokenAuthority(token_lifetime)
        self.server_errors: list[str] = []  # tracebacks of 500s the fake itself caused
        self._lock = threading.RLock()
        self._spreadsheets: dict[str, Spreadsheet] = {}
        self.traffic = Traffic()
        self._stopping = threading.Event()
        self._connections = _Connections()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------ lifecycle
    def start(self) -> FakeSheets:
        server = _Server(("127.0.0.1", 0), Handler)
        server.fake = self  # type: ignore[attr-defined]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.01},
            name="fakesheets",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close open connections and wait (bounded) for the server thread."""
        if self._server is None:
            return
        self._stopping.set()
        self._server.shutdown()
        with self._connections.lock:
            for conn in list(self._connections.open):
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None

    def __enter__(self) -> FakeSheets:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The base URL to use instead of https://sheets.googleapis.com."""
        if self._server is None:
            raise RuntimeError("FakeSheets is not running: call start() or use it as a context")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def token_url(self) -> str:
        return self.url + self.token_path

    def env(self) -> dict[str, str]:
        """Environment variables that point the product at this fake."""
        return {"SHEETFOLLOW_SHEETS_API": self.url}

    # ------------------------------------------------------------ credentials and clients
    def service_account_info(self, client_email: str = DEFAULT_CLIENT_EMAIL) -> dict:
        """A service-account JSON key (as a dict) whose token_uri is this fake's token endpoint."""
        return self.auth.service_account(client_email).info(self.token_url)

    def authorized_user_info(
        self, email: str = "user@example.com", scopes: Iterable[str] = (SPREADSHEETS_SCOPE,)
    ) -> dict:
        """An OAuth user login (authorized_user JSON) refreshing against this fake."""
        return {
            "type": "authorized_user",
            "client_id": "fake-client.apps.googleusercontent.com",
            "client_secret": "fake-secret",
            "refresh_token": self.auth.user(email, tuple(scopes)),
            "token_uri": self.token_url,
            "account": email,
        }

    def credentials(
        self,
        client_email: str = DEFAULT_CLIENT_EMAIL,
        scopes: Iterable[str] = (SPREADSHEETS_SCOPE,),
    ) -> service_account.Credentials:
        """Service-account credentials, the same as from_service_account_info(...) gives but
        with the parsed key reused (parsing a PEM key costs ~40 ms a time)."""
        info = self.service_account_info(client_email)
        return service_account.Credentials(
            cached_signer(info),
            client_email,
            info["token_uri"],
            scopes=list(scopes),
            project_id=info["project_id"],
        )

    def http_client_class(self, base: type[HTTPClient] = HTTPClient) -> type[HTTPClient]:
        """gspread's HTTPClient (or a subclass, e.g. BackOffHTTPClient) aimed at this fake."""
        return rebased_http_client(self.url, base)

    def gspread_client(
        self,
        client_email: str = DEFAULT_CLIENT_EMAIL,
        scopes: Iterable[str] = (SPREADSHEETS_SCOPE,),
        http_client: type[HTTPClient] = HTTPClient,
        timeout: float | None = 10,
    ) -> gspread.Client:
        """A real gspread.Client with service-account credentials, talking to this fake."""
        client = gspread.Client(
            self.credentials(client_email, scopes), http_client=self.http_client_class(http_client)
        )
        client.set_timeout(timeout)
        return client

    def expire_tokens(self) -> None:
        """Invalidate every issued token (clients must refresh, as after an hour)."""
        self.auth.expire_all()

    # ------------------------------------------------------------ seeding and inspecting
    def create_spreadsheet(
        self,
        title: str,
        tabs: Mapping[str, Rows],
        *,
        time_zone: str = "Europe/London",
        locale: str = "en_US",
        shared_with: Iterable[str] | Mapping[str, str] | None = None,
        grid: Mapping[str, tuple[int, int]] | None = None,
        value_input: str = "USER_ENTERED",
        spreadsheet_id: str | None = None,
    ) -> str:
        """Create a spreadsheet; returns its id.

        Values are entered as a user would type them (value_input="RAW" stores strings as
        text); date/datetime objects become date serials with a date format. Each tab's grid is
        1000x26 or larger to fit its values, unless grid={"Tab": (rows, columns)} says otherwise.
        shared_with defaults to the default service account; a mapping gives roles
        (reader/writer/owner).
        """
        spreadsheet_id = spreadsheet_id or secrets.token_urlsafe(33)[:44]
        if shared_with is None:
            shared_with = [DEFAULT_CLIENT_EMAIL]
        roles = (
            dict(shared_with)
            if isinstance(shared_with, Mapping)
            else {email: "writer" for email in shared_with}
        )
        ss = Spreadsheet(
            spreadsheet_id, title, locale=locale, time_zone=time_zone, shared_with=roles
        )
        for tab, rows in (tabs or {"Sheet1": []}).items():
            height, width = len(rows), max((len(r) for r in rows), default=0)
            size = (grid or {}).get(tab, (max(DEFAULT_ROWS, height), max(DEFAULT_COLUMNS, width)))
            sheet = ss.add_sheet(tab, row_count=size[0], column_count=size[1])
            self._store(ss, sheet, 0, 0, rows, value_input)
        with self._lock:
            self._spreadsheets[spreadsheet_id] = ss
        return spreadsheet_id

    def copy_spreadsheet(self, spreadsheet_id: str) -> str:
        """A copy of a spreadsheet under a new id (Drive's "Make a copy"); returns the id."""
        with self._lock:
            twin = self._get(spreadsheet_id).clone()
            twin.spreadsheet_id = secrets.token_urlsafe(33)[:44]
            self._spreadsheets[twin.spreadsheet_id] = twin
            return twin.spreadsheet_id

    def share(self, spreadsheet_id: str, email: str, role: str = "writer") -> None:
        with self._lock:
            self._get(spreadsheet_id).shared_with[email] = role

    def unshare(self, spreadsheet_id: str, email: str) -> None:
        with self._lock:
            self._get(spreadsheet_id).shared_with.pop(email, None)

    def spreadsheet(self, spreadsheet_id: str) -> Spreadsheet:
        """The live model object (for inspection beyond the helpers)."""
        return self._get(spreadsheet_id)

    def get_values(
        self,
        spreadsheet_id: str,
        tab: str,
        range_: str | None = None,
        *,
        render: str = "UNFORMATTED_VALUE",
        dates: str = "SERIAL_NUMBER",
    ) -> Rows:
        """Typed values as values.get returns them (trailing empties dropped)."""
        text = f"{_quoted(tab)}!{range_}" if range_ else _quoted(tab)
        with self._lock:
            return values_api.read(self._get(spreadsheet_id), text, render, dates).get("values", [])

    def get_formulas(self, spreadsheet_id: str, tab: str, range_: str | None = None) -> Rows:
        """Formula text for formula cells, unformatted values for the rest."""
        return self.get_values(spreadsheet_id, tab, range_, render="FORMULA")

    def get_formatted(self, spreadsheet_id: str, tab: str, range_: str | None = None) -> Rows:
        """What the user sees: every value as displayed text."""
        return self.get_values(spreadsheet_id, tab, range_, render="FORMATTED_VALUE")

    def set_values(
        self,
        spreadsheet_id: str,
        tab: str,
        rows: Rows,
        start: str = "A1",
        *,
        value_input: str = "USER_ENTERED",
    ) -> None:
        """Type values into a tab from a cell on, as a user editing the sheet would.

        The grid grows if needed (a user can always add rows); None leaves a cell alone, ""
        clears it.
        """
        with self._lock:
            ss = self._get(spreadsheet_id)
            sheet = self._sheet(ss, tab)
            anchor = values_api.resolve(ss, f"{_quoted(tab)}!{start}")[1]
            self._store(ss, sheet, anchor.start_row, anchor.start_col, rows, value_input)

    def cell(self, spreadsheet_id: str, tab: str, a1: str) -> dict:
        """The API's CellData of one cell: userEnteredValue, effectiveValue, formattedValue,
        userEnteredFormat, dataValidation ({} for a blank cell)."""
        with self._lock:
            ss = self._get(spreadsheet_id)
            sheet, rng = values_api.resolve(ss, f"{_quoted(tab)}!{a1}")
            return copy.deepcopy(ss.cell_data(sheet, rng.start_row, rng.start_col))

    def sheet_properties(self, spreadsheet_id: str, tab: str | None = None) -> Any:
        """SheetProperties of one tab, or of every tab (a list) when tab is None."""
        with self._lock:
            ss = self._get(spreadsheet_id)
            if tab is None:
                return [s.properties() for s in ss.sheets]
            return self._sheet(ss, tab).properties()

    def spreadsheet_properties(self, spreadsheet_id: str) -> dict:
        with self._lock:
            return self._get(spreadsheet_id).properties()

    def charts(self, spreadsheet_id: str, tab: str) -> list[dict]:
        with self._lock:
            return copy.deepcopy(self._sheet(self._get(spreadsheet_id), tab).charts)

    def snapshot(self, spreadsheet_id: str) -> dict:
        """Everything about a spreadsheet as plain data, to compare before and after a sync."""
        with self._lock:
            ss = self._get(spreadsheet_id)
            return copy.deepcopy(
                {
                    "properties": ss.properties(),
                    "sheets": [
                        {
                            "properties": s.properties(),
                            "cells": {
                                cell_name(r, c): ss.cell_data(s, r, c) for (r, c) in sorted(s.cells)
                            },
                            "merges": s.merge_ranges(),
                            "charts": s.charts,
                            "conditionalFormats": s.conditional_formats,
                            "basicFilter": s.basic_filter,
                        }
                        for s in ss.sheets
                    ],
                }
            )

    def batch_update(self, spreadsheet_id: str, requests: list[dict]) -> dict:
        """Apply spreadsheets:batchUpdate requests directly (a user changing the sheet)."""
        with self._lock:
            updated, response = apply_batch(self._get(spreadsheet_id), {"requests": requests})
            self._spreadsheets[spreadsheet_id] = updated
            return response

    def insert_rows(self, spreadsheet_id: str, tab: str, at: int, count: int = 1) -> None:
        """Insert blank rows before zero-based row `at` (1 = just below the header)."""
        sheet_id = self.sheet_properties(spreadsheet_id, tab)["sheetId"]
        self.batch_update(
            spreadsheet_id,
            [
                {
                    "insertDimension": {
                        "range": {
                            "sheetId": sheet_id,
                            "dimension": "ROWS",
                            "startIndex": at,
                            "endIndex": at + count,
                        }
                    }
                }
            ],
        )

    def delete_rows(self, spreadsheet_id: str, tab: str, at: int, count: int = 1) -> None:
        sheet_id = self.sheet_properties(spreadsheet_id, tab)["sheetId"]
        self.batch_update(
            spreadsheet_id,
            [
                {
                    "deleteDimension": {
                        "range": {
                            "sheetId": sheet_id,
                            "dimension": "ROWS",
                            "startIndex": at,
                            "endIndex": at + count,
                        }
                    }
                }
            ],
        )

    def sort_rows(
        self,
        spreadsheet_id: str,
        tab: str,
        column: int,
        *,
        descending: bool = False,
        header_rows: int = 1,
    ) -> None:
        """Sort a tab's rows below the header by a zero-based column, as a user would."""
        sheet_id = self.sheet_properties(spreadsheet_id, tab)["sheetId"]
        self.batch_update(
            spreadsheet_id,
            [
                {
                    "sortRange": {
                        "range": {"sheetId": sheet_id, "startRowIndex": header_rows},
                        "sortSpecs": [
                            {
                                "dimensionIndex": column,
                                "sortOrder": "DESCENDING" if descending else "ASCENDING",
                            }
                        ],
                    }
                }
            ],
        )

    def merge_cells(
        self, spreadsheet_id: str, tab: str, cells: str, merge_type: str = "MERGE_ALL"
    ) -> None:
        """Merge a range such as `A4:F4`, as a user would (only its top-left value stays)."""
        sheet_id = self.sheet_properties(spreadsheet_id, tab)["sheetId"]
        rng = parse_cells(cells)
        grid = {
            "sheetId": sheet_id,
            "startRowIndex": rng.start_row,
            "endRowIndex": rng.end_row,
            "startColumnIndex": rng.start_col,
            "endColumnIndex": rng.end_col,
        }
        request = {"mergeCells": {"range": grid, "mergeType": merge_type}}
        self.batch_update(spreadsheet_id, [request])

    def merges(self, spreadsheet_id: str, tab: str) -> list[str]:
        """A tab's merged ranges in A1 notation (`C1:D1`), top to bottom, left to right."""
        with self._lock:
            sheet = self._sheet(self._get(spreadsheet_id), tab)
            return [
                f"{cell_name(r1, c1)}:{cell_name(r2 - 1, c2 - 1)}"
                for r1, c1, r2, c2 in sorted(sheet.merges)
            ]

    # ------------------------------------------------------------ used by the handler
    def _sleep(self, seconds: float) -> None:
        self._stopping.wait(seconds)  # returns at once when the fake stops

    def _connection_opened(self, conn: socket.socket) -> None:
        with self._connections.lock:
            self._connections.open.add(conn)

    def _connection_closed(self, conn: socket.socket) -> None:
        with self._connections.lock:
            self._connections.open.discard(conn)

    # ------------------------------------------------------------ internals
    def _get(self, spreadsheet_id: str) -> Spreadsheet:
        try:
            return self._spreadsheets[spreadsheet_id]
        except KeyError:
            raise KeyError(f"no spreadsheet {spreadsheet_id!r} in the fake") from None

    @staticmethod
    def _sheet(ss: Spreadsheet, tab: str) -> Sheet:
        sheet = ss.sheet_by_title(tab)
        if sheet is None:
            raise KeyError(f"no tab {tab!r} in spreadsheet {ss.title!r}")
        return sheet

    @staticmethod
    def _store(
        ss: Spreadsheet, sheet: Sheet, r1: int, c1: int, rows: Rows, value_input: str
    ) -> None:
        parsed: list[list[Parsed | None]] = [
            [None if v is None else parse_python(v, value_input, ss.locale) for v in row]
            for row in rows
        ]
        height, width = len(parsed), max((len(r) for r in parsed), default=0)
        sheet.row_count = max(sheet.row_count, r1 + height)
        sheet.column_count = max(sheet.column_count, c1 + width)
        values_api.store_block(ss, sheet, r1, c1, parsed)


def _quoted(tab: str) -> str:
    return "'" + tab.replace("'", "''") + "'"
