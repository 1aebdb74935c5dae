"""The HTTP side: parse a request, apply injected faults, route it to the model, answer JSON."""

from __future__ import annotations

import json
import re
import traceback
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

from . import values as values_api
from .auth import OAuthError, Token
from .batch import apply_batch
from .errors import ApiError, invalid, not_found, permission_denied
from .fields import apply_mask, parse_mask, selects_grid_data
from .grid import Spreadsheet
from .traffic import RequestRecord

if TYPE_CHECKING:
    from .server import FakeSheets

_SPREADSHEET_PATH = re.compile(r"/v4/spreadsheets/([^/:]+)(.*)")
# google-auth's background "regional access boundary" lookup (iamcredentials.googleapis.com).
_ALLOWED_LOCATIONS = re.compile(r"/v1/.+/allowedLocations")
_READ_CHUNK = 1 << 16


class Handler(BaseHTTPRequestHandler):
    """One connection; keep-alive like Google's front end, so clients reuse connections."""

    protocol_version = "HTTP/1.1"
    timeout = 30  # an idle keep-alive connection is closed after this many seconds
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms stalls
    server_version = "FakeSheets/1"
    sys_version = ""

    @property
    def fake(self) -> FakeSheets:
        return self.server.fake  # type: ignore[attr-defined]

    def setup(self) -> None:
        super().setup()
        self.fake._connection_opened(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.fake._connection_closed(self.connection)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass  # the request log replaces stderr chatter

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        self._handle()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    # ------------------------------------------------------------ one request
    def _handle(self) -> None:
        fake = self.fake
        split = urlsplit(self.path)
        query = parse_qs(split.query, keep_blank_values=True)
        path = unquote(split.path)
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            self._send(411, {"error": {"code": 411, "message": "Length Required"}})
            return
        length = int(self.headers.get("Content-Length") or 0)
        too_big = length > fake.max_body_bytes
        body = self._read_body(length, keep=not too_big)
        record = fake.traffic.record(
            RequestRecord(self.command, path, split.path, query, length, body)
        )
        try:
            self._respond(record, split, query, body, too_big)
        finally:
            fake.traffic.finished()

    def _respond(self, record: RequestRecord, split, query: dict, body: bytes,
                 too_big: bool) -> None:
        fake = self.fake
        fault = fake.traffic.take_fault(record.path, split.query)
        action = fault.action if fault is not None else None
        if action == "delay" and not fault.apply_first:
            fake._sleep(fault.seconds)
        if action in ("drop", "fail") and not fault.apply_first:
            status, payload = fault.status, fault.response()  # nothing done
        elif too_big:
            err = invalid(f"Request payload size exceeds the limit: {fake.max_body_bytes} bytes.")
            status, payload = err.code, err.body()
        else:
            status, payload = self._answer(split.path, query, body, record)
        if action == "delay" and fault.apply_first:
            fake._sleep(fault.seconds)
        if action == "fail":
            status, payload = fault.status, fault.response()
        if action == "drop":
            record.status = None
            self.close_connection = True  # no answer at all: the client sees a dropped connection
            return
        record.status = status
        record.response_bytes = self._send(status, payload)

    def _read_body(self, length: int, keep: bool) -> bytes:
        chunks, left = [], length
        while left > 0:
            chunk = self.rfile.read(min(left, _READ_CHUNK))
            if not chunk:
                break
            left -= len(chunk)
            if keep:
                chunks.append(chunk)
        return b"".join(chunks)

    def _answer(
        self, raw_path: str, query: dict, body: bytes, record: RequestRecord
    ) -> tuple[int, Any]:
        fake = self.fake
        try:
            if unquote(raw_path) == fake.token_path and self.command == "POST":
                form = {k: v[-1] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
                return 200, fake.auth.grant(form, fake.token_url)
            if _ALLOWED_LOCATIONS.fullmatch(unquote(raw_path)):
                return 200, {"locations": [], "encodedLocations": "0x0"}
            match = _SPREADSHEET_PATH.fullmatch(raw_path)
            if match is None:
                raise not_found(f"No such method: {self.command} {unquote(raw_path)}")
            token = fake.auth.check_bearer(self.headers.get("Authorization"))
            record.email = token.email
            return 200, route(fake, self.command, unquote(match[1]), match[2], query, body, token)
        except ApiError as err:
            return err.code, err.body()
        except OAuthError as err:
            return err.status, err.body
        except Exception:  # a bug in the fake or a test callback: answer 500, keep the trace
            fake.server_errors.append(traceback.format_exc())
            return 500, ApiError(500).body()

    def _send(self, status: int, payload: Any) -> int:
        """Answer; returns the size of the body sent."""
        if isinstance(payload, (bytes, str)):
            data = payload.encode() if isinstance(payload, str) else payload
            kind = "text/html; charset=UTF-8" if data.lstrip()[:1] == b"<" else "text/plain"
        else:
            data, kind = json.dumps(payload).encode(), "application/json; charset=UTF-8"
        try:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            if status == 401:
                self.send_header("WWW-Authenticate", 'Bearer realm="https://accounts.google.com/"')
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            self.close_connection = True  # the client gave up (timeout) before the answer
        return len(data)


# ---------------------------------------------------------------- routing


def _one(query: dict, name: str) -> str | None:
    found = query.get(name)
    return found[-1] if found else None


def _flat(query: dict) -> dict:
    return {name: found[-1] for name, found in query.items() if found}


def _json(body: bytes) -> dict:
    if not body:
        return {}
    try:
        parsed = json.loads(body)
    except ValueError:
        raise invalid("Invalid JSON payload received. Unexpected token.") from None
    if not isinstance(parsed, dict):
        raise invalid("Invalid JSON payload received. Expected an object.")
    return parsed


def route(
    fake: FakeSheets,
    method: str,
    spreadsheet_id: str,
    rest: str,
    query: dict,
    body: bytes,
    token: Token,
) -> Any:
    """Answer one Sheets API call for an authenticated token."""
    with fake._lock:
        ss = _permitted(fake, spreadsheet_id, token, write=method != "GET")
        if method == "GET":
            answer = _read(ss, rest, query)
        else:
            data = _json(body)
    if method == "GET":
        # A user's edit just after the client read: the answer already holds the sheet as it was.
        fake._run_read_hook(spreadsheet_id, rest, query)
        return answer
    # A user's edit between the client's read and this write. It runs outside the lock, so the
    # callback may change the sheet through the helpers or even over HTTP.
    fake._run_write_hook(spreadsheet_id, rest)
    with fake._lock:
        ss = _permitted(fake, spreadsheet_id, token, write=True)
        return _write(fake, ss, method, rest, query, data)


def _permitted(fake: FakeSheets, spreadsheet_id: str, token: Token, write: bool) -> Spreadsheet:
    """The spreadsheet, if this token's account may read (or write) it; else 404 or 403."""
    ss = fake._spreadsheets.get(spreadsheet_id)
    if ss is None:
        raise not_found()
    role = ss.shared_with.get(token.email)
    if role is None or (write and role not in ("writer", "owner")):
        raise permission_denied()
    if write and not token.can_write():
        raise ApiError(403, "Request had insufficient authentication scopes.")
    return ss


def _read(ss: Spreadsheet, rest: str, query: dict) -> Any:
    if rest == "":
        return _metadata(ss, query)
    if rest == "/values:batchGet":
        ranges = query.get("ranges")
        if not ranges:
            raise invalid("Must specify at least one range.")
        options = [
            _one(query, n) for n in ("valueRenderOption", "dateTimeRenderOption", "majorDimension")
        ]
        return {
            "spreadsheetId": ss.spreadsheet_id,
            "valueRanges": [values_api.read(ss, r, *options) for r in ranges],
        }
    if rest.startswith("/values/"):
        rng = unquote(rest[len("/values/") :])
        return values_api.read(
            ss,
            rng,
            _one(query, "valueRenderOption"),
            _one(query, "dateTimeRenderOption"),
            _one(query, "majorDimension"),
        )
    raise not_found()


def _metadata(ss: Spreadsheet, query: dict) -> dict:
    fields = _one(query, "fields")
    mask = parse_mask(fields) if fields else None
    # Google: "If a field mask is set, the includeGridData parameter is ignored": the mask
    # alone says whether the cells come.
    if mask is not None:
        with_data = selects_grid_data(mask)
    else:
        with_data = (_one(query, "includeGridData") or "").lower() == "true"
    grid_ranges = None
    if query.get("ranges"):
        grid_ranges = []
        for text in query["ranges"]:
            sheet, rng = values_api.resolve(ss, text)
            grid_ranges.append((sheet, values_api.read_bounds(sheet, rng) if with_data else None))
    elif with_data:
        grid_ranges = [(s, (0, 0, s.row_count, s.column_count)) for s in ss.sheets]
    if grid_ranges is not None:
        grid_ranges = [(s, _used(s, b)) for s, b in grid_ranges]
    result = ss.metadata(grid_ranges)
    return apply_mask(result, mask) if mask is not None else result


def _used(sheet: Any, bounds: tuple[int, int, int, int] | None) -> Any:
    """Shrink grid-data bounds to the populated part: the rest would be dropped anyway."""
    if bounds is None or not sheet.cells:
        return bounds
    r1, c1, r2, c2 = bounds
    last_row = max(r for r, _ in sheet.cells) + 1
    last_col = max(c for _, c in sheet.cells) + 1
    return r1, c1, max(r1, min(r2, last_row)), max(c1, min(c2, last_col))


def _write(
    fake: FakeSheets, ss: Spreadsheet, method: str, rest: str, query: dict, data: dict
) -> Any:
    if rest == ":batchUpdate" and method == "POST":
        updated, response = apply_batch(ss, data)
        fake._spreadsheets[ss.spreadsheet_id] = updated
        return response
    if rest == "/values:batchUpdate" and method == "POST":
        return values_api.batch_write(ss, data)
    if rest == "/values:batchClear" and method == "POST":
        ranges = data.get("ranges") or []
        for text in ranges:
            values_api.resolve(ss, text)  # validate all before clearing any
        return {
            "spreadsheetId": ss.spreadsheet_id,
            "clearedRanges": [values_api.clear(ss, text) for text in ranges],
        }
    if rest.startswith("/values/"):
        rng = unquote(rest[len("/values/") :])
        if rng.endswith(":append") and method == "POST":
            response = values_api.append(
                ss,
                rng[: -len(":append")],
                data.get("values"),
                data.get("majorDimension"),
                _one(query, "valueInputOption"),
                _one(query, "insertDataOption"),
            )
            response["updates"] = values_api.with_values(ss, response["updates"], _flat(query))
            return response
        if rng.endswith(":clear") and method == "POST":
            return {
                "spreadsheetId": ss.spreadsheet_id,
                "clearedRange": values_api.clear(ss, rng[: -len(":clear")]),
            }
        if method == "PUT":
            response = values_api.write(
                ss,
                rng,
                data.get("values"),
                data.get("majorDimension"),
                _one(query, "valueInputOption"),
            )
            return values_api.with_values(ss, response, _flat(query))
    raise not_found()
