"""A local fake of the Google Sheets API v4 and Google's OAuth token endpoint, for offline tests.

gspread itself (unmodified, over real loopback HTTP) and google-auth's service-account flow talk
to it. Start one with `with FakeSheets() as fake:`; see server.py for the helpers.
"""

from .auth import DEFAULT_CLIENT_EMAIL, SPREADSHEETS_SCOPE
from .cells import from_serial, to_serial
from .client import rebase_url, rebased_http_client
from .server import FakeSheets
from .traffic import Fault, RequestRecord

__all__ = [
    "DEFAULT_CLIENT_EMAIL",
    "SPREADSHEETS_SCOPE",
    "FakeSheets",
    "Fault",
    "RequestRecord",
    "from_serial",
    "rebase_url",
    "rebased_http_client",
    "to_serial",
]
