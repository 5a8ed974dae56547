"""The HMAC key for the `hash` action: from the environment or from Secret Manager.

`BRIDGE_REDACTION_HMAC_KEY` holds the key itself (local runs, tests); otherwise
`BRIDGE_REDACTION_HMAC_SECRET` names a Secret Manager secret ("projects/P/secrets/S",
optionally ".../versions/V"; latest by default) read once, on the first hash, through an
injectable fetch. The key never appears in a repr, a log line or an error message.
"""
from __future__ import annotations

import base64
import os
import threading
from typing import Callable, Mapping

from ..errors import ConfigError

HMAC_KEY_ENV = "BRIDGE_REDACTION_HMAC_KEY"
HMAC_SECRET_ENV = "BRIDGE_REDACTION_HMAC_SECRET"

SecretFetch = Callable[[str], bytes]  # secret version name -> payload bytes


def secret_version_name(secret: str) -> str:
    parts = secret.strip("/").split("/")
    if len(parts) == 4 and parts[0] == "projects" and parts[2] == "secrets":
        return f"{secret.strip('/')}/versions/latest"
    if len(parts) == 6 and parts[0] == "projects" and parts[2] == "secrets" and parts[4] == "versions":
        return secret.strip("/")
    raise ConfigError(
        f"{HMAC_SECRET_ENV} must be projects/PROJECT/secrets/NAME[/versions/VERSION], got {secret!r}",
        reason="redaction_key",
    )


def access_secret_version(name: str) -> bytes:
    """Secret Manager's REST `access` call with application default credentials."""
    import google.auth
    from google.auth.transport.requests import AuthorizedSession

    credentials, _ = google.auth.default(scopes=["https://www.googleapis.com/auth/cloud-platform"])
    response = AuthorizedSession(credentials).get(f"https://secretmanager.googleapis.com/v1/{name}:access", timeout=30)
    response.raise_for_status()
    return base64.b64decode(response.json()["payload"]["data"])


class HmacKey:
    """Resolved on first use, once, even with concurrent callers."""

    def __init__(self, load: Callable[[], bytes], origin: str) -> None:
        self._load = load
        self._origin = origin
        self._key: bytes | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"HmacKey(from {self._origin})"

    def get(self) -> bytes:
        if self._key is None:
            with self._lock:
                if self._key is None:
                    self._key = self._fetch()
        return self._key

    def _fetch(self) -> bytes:
        try:
            key = self._load()
        except ConfigError:
            raise
        except Exception as error:  # any transport or auth failure; the message names no key
            raise ConfigError(f"cannot read the redaction HMAC key from {self._origin}: {type(error).__name__}", reason="redaction_key") from None
        if not key:
            raise ConfigError(f"the redaction HMAC key from {self._origin} is empty", reason="redaction_key")
        return key


def key_from_environment(environ: Mapping[str, str] | None = None, fetch_secret: SecretFetch | None = None) -> HmacKey | None:
    """The configured key source, or None when neither variable is set. Nothing is fetched here."""
    environ = os.environ if environ is None else environ
    value = environ.get(HMAC_KEY_ENV)
    if value:
        return HmacKey(value.encode, HMAC_KEY_ENV)
    secret = environ.get(HMAC_SECRET_ENV)
    if secret:
        name = secret_version_name(secret)
        fetch = fetch_secret or access_secret_version
        return HmacKey(lambda: fetch(name), f"Secret Manager secret {name}")
    return None
