"""Elasticsearch connection and writer settings from the environment or Secret Manager.

Secrets are held in `Secret`, whose repr and str never show the value, and every
error text the bridge builds from a client exception goes through `scrub`.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterable, Mapping
from urllib.parse import unquote, urlsplit, urlunsplit

from ...errors import ConfigError
from ...retry import RetryPolicy
from .document import IndexNames
from .template import TemplateOptions

SecretFetcher = Callable[[str], str]

_SIZE_UNITS = {"b": 1, "kb": 1024, "mb": 1024**2, "gb": 1024**3}
MASK = "***"
DEFAULT_URL = "http://127.0.0.1:9200"


class Secret:
    """A credential. Only `reveal()` gives the value; printing or logging shows ***."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret({MASK})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def parse_size(text: str) -> int:
    """'100mb' -> 104857600 (Elasticsearch byte-size units, binary)."""
    cleaned = text.strip().lower()
    for unit in sorted(_SIZE_UNITS, key=len, reverse=True):
        if cleaned.endswith(unit) and cleaned[: -len(unit)].strip().isdigit():
            return int(cleaned[: -len(unit)]) * _SIZE_UNITS[unit]
    if cleaned.isdigit():
        return int(cleaned)
    raise ConfigError(f"cannot read byte size {text!r} (use e.g. 10mb)", reason="bad_size")


@dataclass(frozen=True, slots=True)
class BulkLimits:
    """A bulk request holds at most `max_actions` entries and `max_bytes` bytes of body."""

    max_actions: int = 1000
    max_bytes: int = 16 * 1024**2
    # The server refuses bodies over http.max_content_length (100mb by default).
    max_content_length: int = 100 * 1024**2

    @property
    def body_bytes(self) -> int:
        return min(self.max_bytes, self.max_content_length)


@dataclass(frozen=True, slots=True)
class ElasticsearchSettings:
    url: str = DEFAULT_URL
    api_key: Secret | None = None
    username: str | None = None
    password: Secret | None = None
    ca_file: str | None = None
    request_timeout_s: float = 30.0
    names: IndexNames = IndexNames()
    limits: BulkLimits = BulkLimits()
    template: TemplateOptions = TemplateOptions()
    retry: RetryPolicy = RetryPolicy()
    dead_letter_retry: RetryPolicy = RetryPolicy(deadline_s=10.0)
    http_compress: bool = False
    secrets: tuple[Secret, ...] = field(default=(), repr=False)

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments for `elasticsearch.Elasticsearch`. The client retries nothing itself:
        the writer's RetryBudget decides, bounded by the ack deadline."""
        options: dict[str, Any] = {
            "hosts": [self.url],
            "request_timeout": self.request_timeout_s,
            "max_retries": 0,
            "retry_on_timeout": False,
            "http_compress": self.http_compress,
        }
        if self.api_key is not None:
            options["api_key"] = self.api_key.reveal()
        elif self.username is not None:
            options["basic_auth"] = (self.username, self.password.reveal() if self.password else "")
        if self.ca_file:
            options["ca_certs"] = self.ca_file
        return options

    def scrub(self, text: str) -> str:
        return scrub(text, self.secrets)


def scrub(text: str, secrets: Iterable[Secret]) -> str:
    """Error text with every known secret value replaced by ***."""
    for secret in secrets:
        if secret.reveal():
            text = text.replace(secret.reveal(), MASK)
    return text


def secret_manager_fetcher(project: str | None = None) -> SecretFetcher:
    """Reads a secret version through google-cloud-secret-manager (imported only when used)."""

    def fetch(name: str) -> str:
        try:
            from google.cloud import secretmanager  # type: ignore[attr-defined]
        except ImportError:
            raise ConfigError(
                "a *_SECRET variable is set but google-cloud-secret-manager is not installed", reason="missing_dependency"
            ) from None
        response = secretmanager.SecretManagerServiceClient().access_secret_version(name=secret_version_name(name, project))
        return response.payload.data.decode("utf-8")

    return fetch


def secret_version_name(name: str, project: str | None) -> str:
    """'es-api-key' / 'projects/p/secrets/es-api-key' -> 'projects/p/secrets/es-api-key/versions/latest'."""
    if not name.startswith("projects/"):
        if not project:
            raise ConfigError(
                f"secret {name!r} is not a full resource name and GOOGLE_CLOUD_PROJECT is not set", reason="bad_secret_name"
            )
        name = f"projects/{project}/secrets/{name}"
    return name if "/versions/" in name else f"{name}/versions/latest"


def credential(env: Mapping[str, str], variable: str, fetch: SecretFetcher | None) -> Secret | None:
    """The value of VARIABLE, or of the Secret Manager secret named by VARIABLE_SECRET."""
    if env.get(variable):
        return Secret(env[variable])
    secret_name = env.get(f"{variable}_SECRET")
    if not secret_name:
        return None
    fetcher = fetch or secret_manager_fetcher(env.get("GOOGLE_CLOUD_PROJECT"))
    try:
        return Secret(fetcher(secret_name).strip())
    except ConfigError:
        raise
    except Exception as exc:  # the Secret Manager client raises many types; the name is safe to show
        raise ConfigError(
            f"cannot read secret {secret_name!r} for {variable}: {type(exc).__name__}", reason="secret_unavailable"
        ) from None


def _split_userinfo(url: str) -> tuple[str, str | None, Secret | None]:
    """Credentials written into the URL move to basic auth, so the URL is safe to show."""
    parts = urlsplit(url)
    if parts.username is None:
        return url, None, None
    netloc = parts.hostname or ""
    if parts.port:
        netloc = f"{netloc}:{parts.port}"
    password = Secret(unquote(parts.password)) if parts.password is not None else None
    return urlunsplit(parts._replace(netloc=netloc)), unquote(parts.username), password


def _number(env: Mapping[str, str], variable: str, default: float, cast: Callable[[str], Any] = int) -> Any:
    value = env.get(variable)
    if not value:
        return default
    try:
        return cast(value)
    except ValueError:
        raise ConfigError(f"{variable} is not a number", reason="bad_number") from None


def settings_from_env(env: Mapping[str, str] | None = None, fetch_secret: SecretFetcher | None = None) -> ElasticsearchSettings:
    """BRIDGE_ES_URL, BRIDGE_ES_API_KEY[_SECRET], BRIDGE_ES_USERNAME, BRIDGE_ES_PASSWORD[_SECRET],
    BRIDGE_ES_CA_FILE, and the tuning variables listed in the README."""
    env = os.environ if env is None else env
    url, url_user, url_password = _split_userinfo(env.get("BRIDGE_ES_URL") or DEFAULT_URL)
    api_key = credential(env, "BRIDGE_ES_API_KEY", fetch_secret)
    password = credential(env, "BRIDGE_ES_PASSWORD", fetch_secret) or url_password
    username = env.get("BRIDGE_ES_USERNAME") or url_user
    if password is not None and username is None:
        raise ConfigError("BRIDGE_ES_PASSWORD is set without BRIDGE_ES_USERNAME", reason="incomplete_credentials")
    ca_file = env.get("BRIDGE_ES_CA_FILE") or None
    if ca_file and not os.path.isfile(ca_file):
        raise ConfigError(f"BRIDGE_ES_CA_FILE {ca_file!r} is not a file", reason="missing_ca_file")
    defaults = ElasticsearchSettings()
    limits = BulkLimits(
        max_actions=_number(env, "BRIDGE_ES_BULK_MAX_ACTIONS", defaults.limits.max_actions),
        max_bytes=parse_size(env["BRIDGE_ES_BULK_MAX_BYTES"]) if env.get("BRIDGE_ES_BULK_MAX_BYTES") else defaults.limits.max_bytes,
        max_content_length=parse_size(env["BRIDGE_ES_MAX_CONTENT_LENGTH"])
        if env.get("BRIDGE_ES_MAX_CONTENT_LENGTH")
        else defaults.limits.max_content_length,
    )
    return ElasticsearchSettings(
        url=url,
        api_key=api_key,
        username=username,
        password=password,
        ca_file=ca_file,
        request_timeout_s=_number(env, "BRIDGE_ES_REQUEST_TIMEOUT_S", defaults.request_timeout_s, float),
        names=IndexNames(
            prefix=env.get("BRIDGE_ES_INDEX_PREFIX") or defaults.names.prefix,
            dead_letter_prefix=env.get("BRIDGE_ES_DEADLETTER_PREFIX") or defaults.names.dead_letter_prefix,
        ),
        limits=limits,
        template=replace(defaults.template, replicas=_number(env, "BRIDGE_ES_REPLICAS", defaults.template.replicas)),
        retry=replace(defaults.retry, deadline_s=_number(env, "BRIDGE_ES_RETRY_DEADLINE_S", defaults.retry.deadline_s, float)),
        http_compress=env.get("BRIDGE_ES_HTTP_COMPRESS", "").lower() in ("1", "true", "yes"),
        secrets=tuple(secret for secret in (api_key, password) if secret is not None),
    )
