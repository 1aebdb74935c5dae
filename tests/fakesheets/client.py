"""Point an unmodified gspread (and google-auth's side traffic) at another base URL.

gspread 6 builds every URL from the constants in `gspread.urls`, sends it through
`HTTPClient.request`, and `gspread.Client` takes the HTTPClient *class*; so a subclass that
rewrites the scheme and host of each Google API URL redirects all of gspread.

google-auth needs the same treatment: besides the token endpoint (token_uri, already the fake),
google-auth >= 2.5x looks up the service account's "regional access boundary" at
https://iamcredentials.googleapis.com in a background thread after each token refresh. That
request goes through the AuthorizedSession's auth_request, so the subclass also gives the
session an auth_request whose URLs are rewritten. Nothing reaches the real network.
"""

from __future__ import annotations

import re
from typing import Any

import requests
from google.auth.transport.requests import AuthorizedSession, Request
from gspread.http_client import HTTPClient
from gspread.utils import convert_credentials

# Every Google API host (sheets, www for Drive, oauth2, iamcredentials, ...).
GOOGLE_API = re.compile(r"^https://(?:[a-z0-9-]+\.)*googleapis\.com(?=/|$)")


def rebase_url(url: str, base_url: str) -> str:
    """`https://sheets.googleapis.com/v4/...` -> `{base_url}/v4/...`; other URLs unchanged."""
    return GOOGLE_API.sub(base_url.rstrip("/"), url, count=1)


class RebasedSession(requests.Session):
    """A requests session that sends Google API URLs to base_url instead."""

    def __init__(self, base_url: str):
        super().__init__()
        self.base_url = base_url

    def request(
        self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any
    ) -> requests.Response:
        if isinstance(url, str):
            url = rebase_url(url, self.base_url)
        return super().request(method, url, *args, **kwargs)


def rebased_http_client(base_url: str, base: type[HTTPClient] = HTTPClient) -> type[HTTPClient]:
    """An HTTPClient class (for `gspread.Client(auth, http_client=...)`) that calls base_url."""

    class RebasedHTTPClient(base):  # type: ignore[valid-type, misc]
        api_base_url = base_url

        def __init__(self, auth: Any, session: requests.Session | None = None) -> None:
            if session is None and auth is not None:
                auth = convert_credentials(auth)
                session = AuthorizedSession(auth, auth_request=Request(RebasedSession(base_url)))
            super().__init__(auth, session)
            if auth is not None:
                self.auth = auth  # gspread sets it only when it builds the session itself

        def request(self, method: str, endpoint: str, *args: Any, **kwargs: Any) -> Any:
            return super().request(method, rebase_url(endpoint, self.api_base_url), *args, **kwargs)

    RebasedHTTPClient.__name__ = f"Rebased{base.__name__}"
    RebasedHTTPClient.__qualname__ = RebasedHTTPClient.__name__
    return RebasedHTTPClient
