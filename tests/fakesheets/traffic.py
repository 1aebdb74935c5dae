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
        self._records: list[RequestRecord] = []
        self._faults: list[Fault] = []
        self._hooks: list[Hook] = []

    def record(self, record: RequestRecord) -> RequestRecord:
        with self._lock:
            self._records.append(record)
        return record

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

    def take_hook(self, rest: str) -> Hook | None:
        with self._lock:
            for hook in self._hooks:
                if hook.path_contains is None or hook.path_contains in rest:
                    self._hooks.remove(hook)
                    return hook
        return None

    def clear(self) -> None:
        """Forget queued faults and hooks (the log stays)."""
        with self._lock:
            self._faults.clear()
            self._hooks.clear()
