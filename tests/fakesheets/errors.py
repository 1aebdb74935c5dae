"""Google-shaped API errors: the model raises them, the HTTP handler turns them into JSON."""

from __future__ import annotations

# The canonical status Google puts next to each HTTP code in its JSON error body.
STATUS_BY_CODE = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    413: "INVALID_ARGUMENT",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}

# What Google says for the codes the fault injector produces when no body is given.
DEFAULT_MESSAGES = {
    400: "Request contains an invalid argument.",
    401: "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
    "cookie or other valid authentication credential. See "
    "https://developers.google.com/identity/sign-in/web/devconsole-project.",
    403: "The caller does not have permission",
    404: "Requested entity was not found.",
    429: "Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute "
    "per user' of service 'sheets.googleapis.com' for consumer 'project_number:000000000000'.",
    500: "Internal error encountered.",
    502: "Bad Gateway",
    503: "The service is currently unavailable.",
    504: "The service is currently unavailable.",
}


class ApiError(Exception):
    """An error the fake answers with, in Google's `{"error": {...}}` shape."""

    def __init__(self, code: int, message: str | None = None, status: str | None = None):
        self.code = code
        self.message = message if message is not None else DEFAULT_MESSAGES.get(code, "Error")
        self.status = status or STATUS_BY_CODE.get(code, "UNKNOWN")
        super().__init__(f"{self.code} {self.status}: {self.message}")

    def body(self) -> dict:
        return {"error": {"code": self.code, "message": self.message, "status": self.status}}


def invalid(message: str) -> ApiError:
    """A 400 INVALID_ARGUMENT, the error of almost every malformed request."""
    return ApiError(400, message)


def permission_denied(message: str = "The caller does not have permission") -> ApiError:
    return ApiError(403, message)


def not_found(message: str = "Requested entity was not found.") -> ApiError:
    return ApiError(404, message)
