"""What passes through the fake: the request log, and the faults and write hooks queued for it."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import DEFAULT_MESSAGES, STATUS_BY_CODE

WriteHook = Callable[[str], None]


@dataclass
class RequestRecord:
    """One request the fake received. status is None when the connection was dropped."""

    method: str
    path: str  # percent-decoded, e.g. /v4/spreadsheets/KEY/values/'Leads'!A1
    raw_path: str
    query: dict[str, list[str]]
    body_bytes: int
    body: bytes = b""
    status: int | None = None
    email: str | None = None  # whose token made the call
    response_bytes: int = 0  # the answer's body (0 when the connection was dropped)

    @property
    def is_api(self) -> bool:
        """A Sheets API call (not the token endpoint or google-auth's side lookups)."""
        return self.path.startswith("/v4/")

    @property
    def is_write(self) -> bool:
        return self.is_api and self.method != "GET"

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class Fault:
    """An injected misbehaviour for the next `remaining` matching requests."""

    action: str  # fail | drop | delay
    remaining: int
    status: int = 503
    body: Any = None
    seconds: float = 0.0
    path_contains: str | None = None
    apply_first: bool = False

    def matches(self, path: str, query: str) -> bool:
        if self.path_contains is None:
            return path.startswith("/v4/")  # by default never the token endpoint
        return self.path_contains in (f"{path}?{query}" if query else path)

    def response(self) -> Any:
        """The body to answer with: the given one, else Google's JSON error for the status."""
        if self.body is not None:
            return self.body
        return {
            "error": {
                "code": self.status,
                "message": DEFAULT_MESSAGES.get(self.status, "Error"),
                "status": STATUS_BY_CODE.get(self.status, "UNKNOWN"),
            }
        }


@dataclass
class Hook:
    callback: WriteHook
    path_contains: str | None = None


class Traffic:
    """The request log plus the queues of faults and write hooks, safe across server threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._in_flight = 0  # requests received and not yet answered (or dropped)
        self._records: list[RequestRecord] = []
        self._faults: list[Fault] = []
        self._hooks: list[Hook] = []
        self._read_hooks: list[Hook] = []

    def record(self, record: RequestRecord) -> RequestRecord:
        with self._lock:
            self._records.append(record)
            self._in_flight += 1
        return record

    def finished(self) -> None:
        """One recorded request has been answered (or dropped)."""
        with self._lock:
            self._in_flight -= 1
            self._idle.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until every request received has been dealt with; False on timeout."""
        with self._lock:
            return self._idle.wait_for(lambda: self._in_flight == 0, timeout)

    def records(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._records)

    def reset(self) -> None:
        with self._lock:
            self._records.clear()

    def add_fault(self, fault: Fault) -> None:
        if fault.remaining < 1:
            raise ValueError("n must be at least 1")
        with self._lock:
            self._faults.append(fault)

    def take_fault(self, path: str, query: str) -> Fault | None:
        """The first queued fault matching a request, used up by one."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(path, query):
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def add_hook(self, hook: Hook) -> None:
        with self._lock:
            self._hooks.append(hook)

    def add_read_hook(self, hook: Hook) -> None:
        with self._lock:
            self._read_hooks.append(hook)

    def take_hook(self, rest: str, reads: bool = False) -> Hook | None:
        """The first write hook (or read hook) whose path_contains is in ``rest``, used up."""
        with self._lock:
            hooks = self._read_hooks if reads else self._hooks
            for hook in hooks:
                if hook.path_contains is None or hook.path_contains in rest:
                    hooks.remove(hook)
                    return hook
        return None

    def clear(self) -> None:
        """Forget queued faults and hooks (the log stays)."""
        with self._lock:
            self._faults.clear()
            self._hooks.clear()
            self._read_hooks.clear()


class TrafficControls:
    """FakeSheets' request log and fault injection (tests read and queue them through these)."""

    traffic: Traffic

    # ------------------------------------------------------------ request log
    @property
    def requests(self) -> list[RequestRecord]:
        """Every request received since the start or the last reset_requests()."""
        return self.traffic.records()

    @property
    def api_requests(self) -> list[RequestRecord]:
        """The Sheets API calls only (not the token endpoint or google-auth's side lookups)."""
        return [r for r in self.requests if r.is_api]

    def reset_requests(self) -> None:
        self.traffic.reset()

    # ------------------------------------------------------------ fault injection
    def fail_next(
        self,
        n: int = 1,
        status: int = 503,
        body: Any = None,
        path_contains: str | None = None,
        *,
        apply_first: bool = False,
    ) -> None:
        """Answer the next n matching requests with an error and do nothing else (with
        apply_first: after doing what they ask, as a 504 after a write was applied can).

        body None gives Google's JSON error for the status; a str (e.g. an HTML page) or dict
        is sent as is. Requests match when path_contains is in "path?query"; by default any
        Sheets API call (never the token endpoint).
        """
        self.traffic.add_fault(
            Fault(
                "fail",
                n,
                status=status,
                body=body,
                path_contains=path_contains,
                apply_first=apply_first,
            )
        )

    def drop_next(
        self, n: int = 1, path_contains: str | None = None, *, apply_first: bool = False
    ) -> None:
        """Close the connection of the next n matching requests without answering. With
        apply_first the request takes effect first: a write whose answer was lost."""
        self.traffic.add_fault(
            Fault("drop", n, path_contains=path_contains, apply_first=apply_first)
        )

    def delay_next(
        self, n: int, seconds: float, path_contains: str | None = None, *, apply_first: bool = False
    ) -> None:
        """Answer the next n matching requests late. With apply_first the request takes effect
        before the wait, so a client that timed out has still written (as can happen)."""
        self.traffic.add_fault(
            Fault("delay", n, seconds=seconds, path_contains=path_contains, apply_first=apply_first)
        )

    def before_next_write(self, callback: WriteHook, path_contains: str | None = None) -> None:
        """Call callback(spreadsheet_id) inside the server just before the next write request
        (values:batchUpdate, spreadsheets:batchUpdate, PUT values, append, clear) is applied,
        to simulate a user editing between a client's last read and its write."""
        self.traffic.add_hook(Hook(callback, path_contains))

    def after_next_read(self, callback: WriteHook, path_contains: str | None = None) -> None:
        """Call callback(spreadsheet_id) inside the server once the next read request has its
        answer, before it is sent: a user editing just after a client read the sheet. The read
        is the next GET whose path after the spreadsheet id plus its decoded query (such as
        "?fields=properties(title)" or "/values:batchGet?ranges=A1") holds path_contains."""
        self.traffic.add_read_hook(Hook(callback, path_contains))

    def clear_faults(self) -> None:
        """Forget faults and hooks not yet used."""
        self.traffic.clear()

    def wait_idle(self, timeout: float = 10.0) -> None:
        """Wait until every request received has been answered: a delayed write lands late,
        after its client gave up, and a test must not look at the sheet before it did."""
        if not self.traffic.wait_idle(timeout):
            raise TimeoutError(f"FakeSheets still busy after {timeout} s")

    # ------------------------------------------------------------ used by the handler
    def _run_write_hook(self, spreadsheet_id: str, rest: str) -> None:
        hook = self.traffic.take_hook(rest)
        if hook is not None:
            hook.callback(spreadsheet_id)

    def _run_read_hook(self, spreadsheet_id: str, rest: str, query: dict) -> None:
        text = "&".join(f"{k}={v}" for k, values in query.items() for v in values)
        hook = self.traffic.take_hook(f"{rest}?{text}" if text else rest, reads=True)
        if hook is not None:
            hook.callback(spreadsheet_id)
