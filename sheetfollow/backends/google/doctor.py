"""``sheetfollow doctor``: are the credentials good, whose are they, and can they open the sheet?

It says exactly what to do when something is wrong, above all which email address to share the
sheet with. It never prints a key, a token or a secret.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

from ...errors import SheetfollowError
from ...targets import is_google, sheet_key
from .auth import Identity, api_base, load_identity
from .http import RetryPolicy, SheetsHTTP


@dataclass
class DoctorReport:
    """What doctor found: one line per check; ``ok`` is False when something must be fixed."""

    ok: bool = True
    lines: list[str] = field(default_factory=list)
    email: str | None = None  # the address to share sheets with (service accounts)

    def fail(self, line: str) -> DoctorReport:
        self.ok = False
        self.lines.append(f"Problem: {line}")
        return self

    def to_json(self) -> dict:
        return {"ok": self.ok, "email": self.email, "lines": self.lines}


def doctor(target: str | None = None, *, credentials: str | os.PathLike | None = None,
           oauth_client: str | os.PathLike | None = None,
           token_file: str | os.PathLike | None = None, interactive: bool | None = None,
           tries: int = 3, sleep: Callable[[float], None] | None = None) -> DoctorReport:
    """Check the credentials (and, given a Google Sheet ``target``, access to it)."""
    report = DoctorReport()
    key = None
    if target is not None:
        if not is_google(str(target)):
            report.lines.append(f"{target} is not a Google Sheet: Excel workbooks need no "
                                "credentials.")
            return report
        key = sheet_key(str(target))
        if key is None:
            return report.fail(f"'{target}' is not a Google Sheets address: use the sheet's URL "
                               "(https://docs.google.com/spreadsheets/d/KEY/edit) or gsheet:KEY")
    try:
        identity = load_identity(credentials, oauth_client, token_file=token_file,
                                 interactive=interactive)
    except SheetfollowError as exc:
        return report.fail(str(exc))
    _describe(report, identity)
    http = SheetsHTTP(identity, key or "", base=api_base(), policy=RetryPolicy(tries=tries),
                      sleep=sleep)
    try:
        http.login()
    except SheetfollowError as exc:
        return report.fail(str(exc))
    report.lines.append("Login: OK, Google accepted the credentials.")
    if key is None:
        if identity.email and identity.service_account:
            report.lines.append(f"To sync a sheet, share it with {identity.email} as Editor, "
                                "then run: sheetfollow doctor <sheet URL>")
        return report
    try:
        meta = http.get({"fields": "properties(title)"})
        title = meta.get("properties", {}).get("title", key)
        http.check_write()
    except SheetfollowError as exc:
        return report.fail(str(exc))
    report.lines.append(f"Sheet '{title}' ({key}): {identity.who} can read and edit it. "
                        "Ready to sync.")
    return report


def _describe(report: DoctorReport, identity: Identity) -> None:
    report.lines.append(f"Credentials: {identity.source}.")
    if identity.service_account and identity.email:
        report.email = identity.email
        report.lines.append(f"Account: {identity.email} (a service account: share each sheet "
                            "with this address as Editor)")
    else:
        report.lines.append(f"Account: {identity.who} (your own login: sheets shared with you "
                            "work)")
