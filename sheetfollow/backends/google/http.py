"""The HTTP layer: gspread's HTTPClient aimed at the right base URL, with an explicit timeout,
bounded retries with jitter, and one-line errors that say what to do next.

gspread's own ``BackOffHTTPClient`` (6.2) retries forever and fails on error pages that are not
JSON, so this client does its own retrying. Every googleapis.com URL, the token endpoint and
google-auth's side lookups included, goes to ``base`` when one is set (SHEETFOLLOW_SHEETS_API).
"""

from __future__ import annotations

import json as jsonlib
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import requests
from google.auth.exceptions import RefreshError, TransportError
from google.auth.transport.requests import AuthorizedSession, Request
from gspread.http_client import HTTPClient
from gspread.urls import (
    SPREADSHEET_BATCH_UPDATE_URL,
    SPREADSHEET_URL,
    SPREADSHEET_VALUES_BATCH_UPDATE_URL,
)

from ...errors import SheetsApiError, TargetError
from .auth import Identity

GOOGLE_API = re.compile(r"^https://(?:[a-z0-9-]+\.)*googleapis\.com(?=/|$)")
_CONNECTION_ERRORS = (requests.ConnectionError, requests.Timeout,
                      requests.exceptions.ChunkedEncodingError, TransportError)


def rebase(url: str, base: str | None) -> str:
    """``https://sheets.googleapis.com/v4/...`` -> ``{base}/v4/...`` (other URLs unchanged)."""
    return GOOGLE_API.sub(base, url, count=1) if base else url


class RebasingSession(requests.Session):
    """The session google-auth refreshes tokens through, sending Google API URLs to ``base``."""

    def __init__(self, base: str):
        super().__init__()
        self.base = base

    def request(self, method, url, *args, **kwargs):  # type: ignore[override]
        return super().request(method, rebase(url, self.base) if isinstance(url, str) else url,
                               *args, **kwargs)


def retryable(status: int) -> bool:
    return status in (408, 429) or 500 <= status <= 599


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: ``tries`` attempts, waits doubling from ``first_wait`` up to
    ``max_wait`` seconds (each scaled by a random 50-100%), ``timeout`` seconds per request."""

    tries: int = 5
    first_wait: float = 1.0
    max_wait: float = 32.0
    timeout: float = 30.0

    def wait(self, attempt: int, jitter: float, retry_after: float | None = None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        base = min(self.max_wait, self.first_wait * 2 ** (attempt - 1))
        wait = base * (0.5 + 0.5 * jitter)
        if retry_after is not None:
            wait = max(wait, min(retry_after, self.max_wait))
        return wait


class SheetsHTTP(HTTPClient):
    """One spreadsheet's HTTP client. ``requests`` counts every attempt sent to Google."""

    def __init__(self, identity: Identity, key: str, *, base: str | None = None,
                 policy: RetryPolicy = RetryPolicy(), sleep: Callable[[float], None] | None = None,
                 jitter: Callable[[], float] = random.random):
        auth_request = Request(RebasingSession(base)) if base else Request()
        session = AuthorizedSession(identity.credentials, auth_request=auth_request)
        super().__init__(identity.credentials, session)
        self.auth = identity.credentials
        self.auth_request = auth_request
        self.identity, self.key, self.base, self.policy = identity, key, base, policy
        self.sleep, self.jitter = sleep or time.sleep, jitter
        self.set_timeout(policy.timeout)
        self.requests = 0

    # ------------------------------------------------------------------ the calls sheetfollow makes
    def get(self, params: dict) -> dict:
        """``spreadsheets.get`` with ``params`` (fields, ranges, includeGridData)."""
        return _json(self.request("get", SPREADSHEET_URL % self.key, params=params))

    def batch_update(self, body: bytes) -> dict:
        """``spreadsheets:batchUpdate`` with an already serialized body."""
        response = self.request("post", SPREADSHEET_BATCH_UPDATE_URL % self.key, data=body,
                                headers={"Content-Type": "application/json; charset=UTF-8"})
        return _json(response) if response.ok else {}

    def check_write(self) -> None:
        """Ask to write nothing: Google answers 403 when the sheet is view-only for us."""
        self.request("post", SPREADSHEET_VALUES_BATCH_UPDATE_URL % self.key,
                     json={"valueInputOption": "RAW", "data": []})

    def login(self) -> None:
        """Get a token now (doctor): a refused key is reported as such."""
        try:
            self.auth.refresh(self.auth_request)
        except RefreshError as exc:
            if getattr(exc, "retryable", False):
                raise SheetsApiError("Google's token service failed; try again in a few "
                                     "minutes") from None
            raise self._refused(exc) from None
        except TransportError:
            raise SheetsApiError("could not reach Google to log in; check the internet "
                                 "connection and try again") from None

    # ------------------------------------------------------------------ retrying
    def request(self, method: str, endpoint: str, params=None, data=None, json=None,
                files=None, headers=None) -> requests.Response:
        url = rebase(endpoint, self.base)
        policy = self.policy
        writing = method.upper() != "GET"
        failure = ""
        status = None
        # Whether a write may have been applied although no attempt was answered with success:
        # its answer was lost, timed out, or was a 5xx (Google can answer 504 after applying).
        maybe_applied = False
        for attempt in range(1, policy.tries + 1):
            self.requests += 1
            retry_after = None
            try:
                response = self.session.request(method, url, params=params, data=data, json=json,
                                                files=files, headers=headers,
                                                timeout=self.timeout)
            except RefreshError as exc:
                if not getattr(exc, "retryable", False):
                    raise self._refused(exc) from None
                status, failure = None, "the token endpoint failed"
            except _CONNECTION_ERRORS as exc:
                status = None
                failure = (f"no answer within {policy.timeout:g} s"
                           if isinstance(exc, requests.Timeout) else "the connection failed")
                maybe_applied = maybe_applied or writing
            else:
                if response.ok:
                    return response
                status = response.status_code
                if not retryable(status):
                    if maybe_applied and status == 400 and "already exists" in _message(response):
                        # An earlier attempt was a success: the batch (all or nothing) was
                        # applied and its addSheet now collides with itself.
                        return response
                    raise self._error(method, response)
                maybe_applied = maybe_applied or (writing and status != 429)  # 429: refused
                retry_after = _retry_after(response)
            if attempt < policy.tries:
                self.sleep(policy.wait(attempt, self.jitter(), retry_after))
        raise self._exhausted(status, failure, maybe_applied)

    # ------------------------------------------------------------------ messages
    def _exhausted(self, status: int | None, failure: str,
                   maybe_applied: bool = False) -> SheetsApiError:
        tries = self.policy.tries
        # A write Google may have applied all the same: say so, or the user who sees the sheet
        # updated after an error would not know what to believe. The next sync completes it.
        saved = ", so the changes may or may not be saved (never half)" if maybe_applied else ""
        if status is None:
            return SheetsApiError(f"could not reach Google Sheets ({failure}) after {tries} "
                                  f"tries{saved}; check the internet connection and try again")
        name = f"{status} {_phrase(status)}"
        if status == 429:
            return SheetsApiError(f"Google Sheets kept answering {name} after {tries} "
                                  f"tries{saved}; wait a minute and run the sync again")
        return SheetsApiError(f"Google Sheets kept answering {name} after {tries} tries{saved}; "
                              "Google may be having trouble: try again in a few minutes")

    def _refused(self, exc: RefreshError) -> TargetError:
        reason = _one_line(str(exc.args[0]) if exc.args else "refused")
        return TargetError(f"Google refused the credentials from {self.identity.source} "
                           f"({reason}): the key may have been deleted or disabled; create a new "
                           "key (or log in again) and retry")

    def _error(self, method: str, response: requests.Response) -> SheetsApiError:
        status, message = response.status_code, _message(response)
        sheet = f"the Google Sheet {self.key}"
        who = self.identity.who
        if status == 403:
            low = message.lower()
            if "scope" in low:
                return SheetsApiError(f"the credentials from {self.identity.source} do not allow "
                                      f"Google Sheets access ({message}); use a service account "
                                      "key, or log in again with --oauth-client")
            if "has not been used" in low or "disabled" in low:
                return SheetsApiError(
                    f"the Google Sheets API is not enabled for the project of {who}: enable it at "
                    "https://console.cloud.google.com/apis/library/sheets.googleapis.com, wait a "
                    "minute and try again")
            return SheetsApiError(share_advice(self.identity, sheet, write=method.upper() != "GET"))
        if status == 404:
            return SheetsApiError(f"there is no Google Sheet with the key {self.key}: check the "
                                  "address you gave (the sheet may have been deleted)")
        if status == 401:
            return SheetsApiError(f"Google did not accept the credentials from "
                                  f"{self.identity.source} ({message}); check that the key or "
                                  "login is still valid")
        return SheetsApiError(f"Google Sheets refused a request to {sheet} ({status} "
                              f"{_phrase(status)}: {message})")


def share_advice(identity: Identity, sheet: str, write: bool = False) -> str:
    """The fix for "permission denied": whom to share the sheet with, and how."""
    if identity.service_account and identity.email:
        access = "can only view" if write else "has no access to"
        return (f"{identity.email} {access} {sheet}: Share the sheet with {identity.email} as "
                "Editor (Share button, top right of the sheet)")
    if write:
        return f"{identity.who} can only view {sheet}: ask its owner to make you an Editor"
    return f"{identity.who} has no access to {sheet}: ask its owner to share it with you as Editor"


def _json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        raise SheetsApiError("Google Sheets answered with something that is not JSON (a proxy or "
                             "captive portal?); check the connection and try again") from None


def _message(response: requests.Response) -> str:
    """Google's error message, or the HTTP reason when the body is not Google's JSON."""
    try:
        error = response.json().get("error")
        message = error.get("message") if isinstance(error, dict) else error
    except (ValueError, AttributeError):
        message = None
    return _one_line(str(message) if message else _phrase(response.status_code))


def _one_line(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _retry_after(response: requests.Response) -> float | None:
    try:
        return max(0.0, float(response.headers.get("Retry-After", "")))
    except ValueError:
        return None


def dumps(value: Any) -> str:
    """Compact JSON, as sent to Google."""
    return jsonlib.dumps(value, separators=(",", ":"), ensure_ascii=False)
