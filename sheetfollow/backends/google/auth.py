"""Google credentials: a service account key (a file, or JSON in an environment variable) for
scheduled runs, or the user's own OAuth login for interactive use (SPEC 9).

Only the spreadsheets scope is ever requested: sheetfollow opens a sheet by its key, so it needs no
Drive access. Nothing here ever puts a key, a token or a secret into a message.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ...errors import TargetError

SPREADSHEETS_SCOPE = "https://www.googleapis.com/auth/spreadsheets"
SCOPES = (SPREADSHEETS_SCOPE,)

API_ENV = "SHEETFOLLOW_SHEETS_API"  # another base URL for every Google API (a local server)
SERVICE_ACCOUNT_ENV = "SHEETFOLLOW_SERVICE_ACCOUNT_JSON"  # the key's JSON itself (CI secrets)
KEY_FILE_ENV = "GOOGLE_APPLICATION_CREDENTIALS"
OAUTH_CLIENT_ENV = "SHEETFOLLOW_OAUTH_CLIENT"

MISSING = ("no Google credentials: set GOOGLE_APPLICATION_CREDENTIALS or pass --credentials "
           "(a service account's JSON key file), or log in as yourself with --oauth-client FILE")


@dataclass(frozen=True)
class Identity:
    """Credentials plus what messages may say about them: whose they are and where from."""

    credentials: object  # google.auth.credentials.Credentials
    email: str | None  # the service account's address, or the user's when known
    service_account: bool
    source: str  # e.g. "the key file sa.json (GOOGLE_APPLICATION_CREDENTIALS)"

    @property
    def who(self) -> str:
        return self.email or "your Google account"


def api_base(env: Mapping[str, str] | None = None) -> str | None:
    """The override of https://sheets.googleapis.com (and every other googleapis.com host)."""
    value = (os.environ if env is None else env).get(API_ENV, "").strip()
    return value.rstrip("/") or None


def default_token_file() -> Path:
    """Where the user's OAuth login is remembered, e.g. ~/.config/sheetfollow/token.json."""
    import click

    return Path(click.get_app_dir("sheetfollow")) / "token.json"


def load_identity(credentials: str | os.PathLike | None = None,
                  oauth_client: str | os.PathLike | None = None, *,
                  token_file: str | os.PathLike | None = None, interactive: bool | None = None,
                  env: Mapping[str, str] | None = None) -> Identity:
    """The credentials to use, first found: ``credentials`` (--credentials), ``oauth_client``
    (--oauth-client), $SHEETFOLLOW_SERVICE_ACCOUNT_JSON, $GOOGLE_APPLICATION_CREDENTIALS,
    $SHEETFOLLOW_OAUTH_CLIENT, then a login saved by an earlier --oauth-client run."""
    env = os.environ if env is None else env
    token = Path(token_file) if token_file else default_token_file()
    if credentials:
        return _from_file(Path(credentials), "--credentials")
    if oauth_client:
        return _oauth(Path(oauth_client), "--oauth-client", token, interactive)
    text = env.get(SERVICE_ACCOUNT_ENV, "").strip()
    if text:
        if not text.startswith("{"):  # a path put where the JSON was expected: accept it
            return _from_file(Path(text), SERVICE_ACCOUNT_ENV)
        try:
            info = json.loads(text)
        except ValueError as exc:
            raise TargetError(f"{SERVICE_ACCOUNT_ENV} does not hold a JSON key ({_where(exc)}): "
                              "paste the whole content of the service account's key file") from None
        return _from_info(info, f"the {SERVICE_ACCOUNT_ENV} environment variable")
    if env.get(KEY_FILE_ENV, "").strip():
        return _from_file(Path(env[KEY_FILE_ENV].strip()), KEY_FILE_ENV)
    if env.get(OAUTH_CLIENT_ENV, "").strip():
        return _oauth(Path(env[OAUTH_CLIENT_ENV].strip()), OAUTH_CLIENT_ENV, token, interactive)
    if token.is_file():
        return _saved_login(token)
    raise TargetError(MISSING)


def _where(exc: ValueError) -> str:
    """Where JSON parsing failed, without quoting the text (it may hold a private key)."""
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at line {exc.lineno} column {exc.colno}"
    return "not valid JSON"


def _from_file(path: Path, via: str) -> Identity:
    if not path.is_file():
        raise TargetError(f"the credentials file {path} (from {via}) does not exist: give the path "
                          "of the service account's JSON key file")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not a text file"
        raise TargetError(f"cannot read the credentials file {path} ({reason}): check the path "
                          "and its permissions") from None
    try:
        info = json.loads(text)
    except ValueError as exc:
        raise TargetError(f"{path} (from {via}) is not a Google credentials file ({_where(exc)}): "
                          "download the service account's key again, as JSON") from None
    return _from_info(info, f"the key file {path} ({via})")


def _from_info(info: object, source: str) -> Identity:
    from google.oauth2 import credentials as user_credentials
    from google.oauth2 import service_account

    kind = info.get("type") if isinstance(info, dict) else None
    try:
        if kind == "service_account":
            creds = service_account.Credentials.from_service_account_info(info, scopes=SCOPES)
            return Identity(creds, creds.service_account_email, True, source)
        if kind == "authorized_user":
            creds = user_credentials.Credentials.from_authorized_user_info(info, list(SCOPES))
            return Identity(creds, info.get("account") or None, False, source)
    except (ValueError, TypeError, KeyError, IndexError):
        # The library's messages are safe, but a damaged key is best described in our words.
        raise TargetError(f"{source} is not a usable Google key (a field is missing or damaged): "
                          "create a new JSON key for the service account and use that") from None
    if isinstance(info, dict) and ("installed" in info or "web" in info):
        raise TargetError(f"{source} is an OAuth client file, not a key: pass it with "
                          "--oauth-client to log in as yourself")
    raise TargetError(f"{source} is not a service account key (its type is {kind!r}): in the "
                      "Google Cloud console, create a key for the service account, type JSON")


def _saved_login(token: Path) -> Identity:
    try:
        info = json.loads(token.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        info = None
    if not isinstance(info, dict) or info.get("type", "authorized_user") != "authorized_user":
        raise TargetError(f"the saved Google login {token} is damaged: delete it and log in again "
                          "with --oauth-client FILE")
    info = {**info, "type": "authorized_user"}
    return _from_info(info, f"your Google login saved in {token}")


def _oauth(client_file: Path, via: str, token: Path, interactive: bool | None) -> Identity:
    """The saved login if there is one, else a browser login, saved for next time."""
    if token.is_file():
        return _saved_login(token)
    if not client_file.is_file():
        raise TargetError(f"the OAuth client file {client_file} (from {via}) does not exist: "
                          "download it from the Google Cloud console (Credentials, OAuth client "
                          "ID, Desktop app)")
    if interactive is None:
        interactive = sys.stdin.isatty() and sys.stdout.isatty()
    if not interactive:
        raise TargetError(f"no saved Google login in {token}: run 'sheetfollow doctor "
                          f"--oauth-client {client_file}' once in a terminal to log in")
    from google_auth_oauthlib.flow import InstalledAppFlow

    try:
        flow = InstalledAppFlow.from_client_secrets_file(str(client_file), scopes=list(SCOPES))
    except ValueError:
        raise TargetError(f"{client_file} is not an OAuth client file for a Desktop app: download "
                          "it again from the Google Cloud console") from None
    creds = flow.run_local_server(port=0, open_browser=True)  # not tested: needs a browser
    save_login(creds, token)
    return Identity(creds, None, False, f"your Google login saved in {token}")


def save_login(creds, token: Path) -> None:
    """Remember an OAuth login, readable by the user only."""
    token.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(token, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(creds.to_json())
