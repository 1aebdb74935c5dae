"""Google's OAuth token endpoint, faked: service-account JWT grants and refresh-token grants.

Keys are real RSA keys generated here, so google-auth signs a real JWT assertion and the fake
verifies its signature, issuer, audience, lifetime and scopes before issuing a bearer token.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from google.auth import crypt

from .errors import ApiError

SPREADSHEETS_SCOPE = "https://www.googleapis.com/auth/spreadsheets"
# Scopes that let a token call the Sheets API at all, and those that only let it read.
SHEETS_SCOPES = frozenset(
    {
        SPREADSHEETS_SCOPE,
        "https://www.googleapis.com/auth/spreadsheets.readonly",
        "https://www.googleapis.com/auth/drive",
        "https://www.googleapis.com/auth/drive.file",
        "https://www.googleapis.com/auth/drive.readonly",
    }
)
READ_ONLY_SCOPES = frozenset(
    {
        "https://www.googleapis.com/auth/spreadsheets.readonly",
        "https://www.googleapis.com/auth/drive.readonly",
    }
)
# google-auth always puts Google's own token URL in `aud`, whatever token_uri says.
GOOGLE_TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
DEFAULT_CLIENT_EMAIL = "sheetfollow-test@fake-project.iam.gserviceaccount.com"
PROJECT_ID = "fake-project"

_KEYS: dict[str, rsa.RSAPrivateKey] = {}  # one key per email per process: generation is slow
_KEYS_LOCK = threading.Lock()


def _private_key(email: str) -> rsa.RSAPrivateKey:
    with _KEYS_LOCK:
        if email not in _KEYS:
            _KEYS[email] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return _KEYS[email]


@functools.cache
def _signer(private_key: str, key_id: str) -> crypt.RSASigner:
    return crypt.RSASigner.from_string(private_key, key_id)


def cached_signer(info: dict) -> crypt.RSASigner:
    """google-auth's signer for a key file, parsed once (parsing a PEM key takes ~40 ms)."""
    return _signer(info["private_key"], info["private_key_id"])


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


@dataclass
class ServiceAccount:
    email: str
    key_id: str
    client_id: str
    key: rsa.RSAPrivateKey

    def info(self, token_uri: str) -> dict:
        """The service account JSON key file, as a dict."""
        pem = self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        quoted = self.email.replace("@", "%40")
        return {
            "type": "service_account",
            "project_id": PROJECT_ID,
            "private_key_id": self.key_id,
            "private_key": pem,
            "client_email": self.email,
            "client_id": self.client_id,
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": token_uri,
            "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
            "client_x509_cert_url": f"https://www.googleapis.com/robot/v1/metadata/x509/{quoted}",
            "universe_domain": "googleapis.com",
        }


@dataclass(frozen=True)
class Token:
    email: str
    scopes: frozenset
    expires_at: float

    def can_write(self) -> bool:
        return bool(self.scopes - READ_ONLY_SCOPES)


class OAuthError(Exception):
    """A token-endpoint error, answered as {"error": ..., "error_description": ...}."""

    def __init__(self, error: str, description: str, status: int = 400):
        super().__init__(f"{error}: {description}")
        self.status = status
        self.body = {"error": error, "error_description": description}


class TokenAuthority:
    """Registers service accounts and users, grants tokens, and checks bearer tokens."""

    def __init__(self, token_lifetime: int = 3600):
        self.token_lifetime = token_lifetime
        self._accounts: dict[str, ServiceAccount] = {}
        self._refresh_tokens: dict[str, tuple[str, frozenset]] = {}
        self._tokens: dict[str, Token] = {}
        self._lock = threading.Lock()
        self.grants = 0  # tokens issued, so tests can see a client reuse its token

    # -- registration
    def service_account(self, email: str = DEFAULT_CLIENT_EMAIL) -> ServiceAccount:
        with self._lock:
            if email not in self._accounts:
                key = _private_key(email)
                # Stable per key, like Google's key ids, so parsed keys can be cached.
                public = key.public_key().public_bytes(
                    serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
                )
                digest = hashlib.sha1(public).hexdigest()
                self._accounts[email] = ServiceAccount(
                    email=email,
                    key_id=digest,
                    client_id=str(int(digest[:16], 16)).rjust(21, "1"),
                    key=key,
                )
            return self._accounts[email]

    def user(self, email: str, scopes: tuple[str, ...] = (SPREADSHEETS_SCOPE,)) -> str:
        """Register an OAuth user login; returns its refresh token."""
        refresh = "1//fake-" + secrets.token_urlsafe(24)
        with self._lock:
            self._refresh_tokens[refresh] = (email, frozenset(scopes))
        return refresh

    # -- the token endpoint
    def grant(self, form: dict[str, str], token_url: str) -> dict:
        grant_type = form.get("grant_type")
        if grant_type == JWT_GRANT:
            email, scopes = self._check_assertion(form.get("assertion", ""), token_url)
        elif grant_type == "refresh_token":
            found = self._refresh_tokens.get(form.get("refresh_token", ""))
            if found is None:
                raise OAuthError("invalid_grant", "Token has been expired or revoked.")
            email, scopes = found
            if form.get("scope"):
                scopes = frozenset(form["scope"].split())
        else:
            raise OAuthError("unsupported_grant_type", f"Invalid grant_type: {grant_type}")
        token = "ya29.fake-" + secrets.token_urlsafe(32)
        with self._lock:
            self._tokens[token] = Token(email, scopes, time.time() + self.token_lifetime)
            self.grants += 1
        return {
            "access_token": token,
            "expires_in": self.token_lifetime,
            "scope": " ".join(sorted(scopes)),
            "token_type": "Bearer",
        }

    def _check_assertion(self, assertion: str, token_url: str) -> tuple[str, frozenset]:
        bad_signature = OAuthError("invalid_grant", "Invalid JWT Signature.")
        try:
            header_b64, payload_b64, signature_b64 = assertion.split(".")
            header = json.loads(_b64decode(header_b64))
            claims = json.loads(_b64decode(payload_b64))
            signature = _b64decode(signature_b64)
        except ValueError:
            raise OAuthError("invalid_grant", "Invalid JWT: malformed assertion.") from None
        account = self._accounts.get(claims.get("iss", ""))
        if account is None:
            raise OAuthError("invalid_grant", "Invalid grant: account not found")
        if header.get("alg") != "RS256" or header.get("kid") not in (None, account.key_id):
            raise bad_signature
        try:
            account.key.public_key().verify(
                signature,
                f"{header_b64}.{payload_b64}".encode(),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except InvalidSignature:
            raise bad_signature from None
        if claims.get("aud") not in (GOOGLE_TOKEN_AUDIENCE, token_url):
            raise OAuthError("invalid_grant", "Invalid JWT: Failed audience check.")
        now, iat, exp = time.time(), claims.get("iat", 0), claims.get("exp", 0)
        if not (iat - 300 <= now <= exp + 300) or exp - iat > 3600:
            raise OAuthError(
                "invalid_grant",
                "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable "
                "timeframe. Check your iat and exp values in the JWT claim.",
            )
        scopes = frozenset(str(claims.get("scope", "")).split())
        if not scopes:
            raise OAuthError("invalid_scope", "Invalid OAuth scope or ID token audience provided.")
        return account.email, scopes

    # -- the API side
    def check_bearer(self, authorization: str | None) -> Token:
        """The token behind an Authorization header, or a 401 like Google's."""
        if not authorization or not authorization.startswith("Bearer "):
            raise ApiError(
                401,
                "Request is missing required authentication credential. Expected OAuth 2 access "
                "token, login cookie or other valid authentication credential. See "
                "https://developers.google.com/identity/sign-in/web/devconsole-project.",
            )
        token = self._tokens.get(authorization[len("Bearer ") :].strip())
        if token is None or token.expires_at < time.time():
            raise ApiError(401)
        if not token.scopes & SHEETS_SCOPES:
            raise ApiError(403, "Request had insufficient authentication scopes.")
        return token

    def expire_all(self) -> None:
        """Make every issued token invalid, as if an hour had passed."""
        with self._lock:
            self._tokens.clear()
