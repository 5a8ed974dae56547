"""`python -m bridge kibana-import --url URL`: load the saved objects through Kibana's import API.

POST {url}[/s/{space}]/api/saved_objects/_import?overwrite=true, multipart/form-data with
one `file` part (an .ndjson file) and the `kbn-xsrf` header Kibana requires.
Credentials: BRIDGE_KIBANA_API_KEY[_SECRET] or BRIDGE_KIBANA_USERNAME/PASSWORD[_SECRET],
falling back to the BRIDGE_ES_* ones; TLS CA from BRIDGE_KIBANA_CA_FILE.
"""
from __future__ import annotations

import base64
import os
from dataclasses import dataclass, field
from typing import Any, Mapping

import orjson
import urllib3

from ..errors import BridgeError, ConfigError
from ..sinks.elasticsearch.settings import Secret, SecretFetcher, credential, scrub


@dataclass(frozen=True, slots=True)
class KibanaTarget:
    url: str
    api_key: Secret | None = None
    username: str | None = None
    password: Secret | None = None
    ca_file: str | None = None
    space: str | None = None
    secrets: tuple[Secret, ...] = field(default=(), repr=False)

    def headers(self) -> dict[str, str]:
        headers = {"kbn-xsrf": "gcp-log-bridge"}
        if self.api_key is not None:
            headers["Authorization"] = f"ApiKey {self.api_key.reveal()}"
        elif self.username is not None:
            token = base64.b64encode(f"{self.username}:{self.password.reveal() if self.password else ''}".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        return headers

    def scrub(self, text: str) -> str:
        """Without the secrets, raw or as the encoded Authorization value."""
        authorization = self.headers().get("Authorization", "").partition(" ")[2]
        return scrub(text, (*self.secrets, Secret(authorization)))

    def import_url(self) -> str:
        space = f"/s/{self.space}" if self.space else ""
        return f"{self.url.rstrip('/')}{space}/api/saved_objects/_import?overwrite=true"


def target_from_env(url: str, space: str | None = None, env: Mapping[str, str] | None = None,
                    fetch_secret: SecretFetcher | None = None) -> KibanaTarget:
    env = os.environ if env is None else env

    def first(suffix: str) -> tuple[Secret | None, str | None]:
        for prefix in ("BRIDGE_KIBANA_", "BRIDGE_ES_"):
            value = credential(env, prefix + suffix, fetch_secret)
            if value is not None:
                return value, prefix
        return None, None

    api_key, _ = first("API_KEY")
    password, prefix = first("PASSWORD")
    username = env.get(f"{prefix}USERNAME") if prefix else None
    if password is not None and not username:
        raise ConfigError(f"{prefix}PASSWORD is set without {prefix}USERNAME", reason="incomplete_credentials")
    return KibanaTarget(
        url=url, api_key=api_key, username=username, password=password,
        ca_file=env.get("BRIDGE_KIBANA_CA_FILE") or None, space=space,
        secrets=tuple(s for s in (api_key, password) if s is not None),
    )


@dataclass(frozen=True, slots=True)
class ImportResult:
    success: bool
    success_count: int
    errors: list[dict[str, Any]]


def import_saved_objects(target: KibanaTarget, ndjson: bytes, filename: str = "gcp-log-bridge.ndjson", timeout_s: float = 30.0) -> ImportResult:
    body, content_type = urllib3.encode_multipart_formdata({"file": (filename, ndjson, "application/ndjson")})
    pool = urllib3.PoolManager(ca_certs=target.ca_file) if target.ca_file else urllib3.PoolManager()
    try:
        response = pool.request(
            "POST", target.import_url(), body=body, headers={**target.headers(), "Content-Type": content_type},
            timeout=timeout_s, retries=False,
        )
    except urllib3.exceptions.HTTPError as exc:
        raise BridgeError(target.scrub(f"cannot reach Kibana at {target.url}: {exc}"), reason="kibana_unreachable") from None
    try:
        answer = orjson.loads(response.data)
    except orjson.JSONDecodeError:
        answer = {"message": response.data[:500].decode("utf-8", "replace")}
    if response.status != 200:
        raise BridgeError(target.scrub(f"Kibana answered {response.status}: {answer.get('message', answer)}"), reason="kibana_refused")
    return ImportResult(bool(answer.get("success")), int(answer.get("successCount", 0)), list(answer.get("errors", [])))
