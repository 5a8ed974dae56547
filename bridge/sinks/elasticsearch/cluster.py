"""The network edge: the official client, the bulk transport the writer uses, template installation.

Every client exception becomes TransientWriteError or PermanentWriteError with a
scrubbed message, so no credential reaches a log line, a dead letter or an HTTP answer.
"""
from __future__ import annotations

import logging
from typing import Any, Callable, Mapping, Sequence

from elasticsearch import ApiError, Elasticsearch, TransportError
from elasticsearch.serializer import OrjsonSerializer

from ...errors import PermanentWriteError, TransientWriteError
from .bulk import error_text
from .settings import ElasticsearchSettings, parse_size

log = logging.getLogger(__name__)

NDJSON_HEADERS = {"content-type": "application/x-ndjson", "accept": "application/json"}
# Only what classification reads: a 1,000-item response stays small.
BULK_FILTER = "errors,items.*.status,items.*.error"
# Statuses where the request itself (not the cluster's state) is at fault.
REQUEST_REJECTED_STATUSES = frozenset({400, 413})
_FIND_BATCH = 1000


def build_client(settings: ElasticsearchSettings) -> Elasticsearch:
    return Elasticsearch(serializer=OrjsonSerializer(), **settings.client_options())


def _api_error_text(exc: ApiError) -> str:
    body = exc.body
    error = body.get("error") if isinstance(body, Mapping) else body
    return f"{error_text(error)} (status {exc.meta.status})"


def translate_errors(scrub: Callable[[str], str]) -> Callable[[Callable[[], Any]], Any]:
    """Runs a client call; raises the bridge's write errors instead of the client's."""

    def call(fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except ApiError as exc:
            text = scrub(_api_error_text(exc))
            if exc.meta.status in REQUEST_REJECTED_STATUSES:
                raise PermanentWriteError(text, reason="request_rejected") from None
            raise TransientWriteError(text, reason=f"http_{exc.meta.status}") from None
        except TransportError as exc:  # connection refused/reset, timeout, TLS
            underlying = exc.errors[0] if exc.errors else exc.__cause__  # where the client keeps the useful part
            cause = f" ({underlying})" if underlying is not None and str(underlying) not in str(exc) else ""
            raise TransientWriteError(scrub(f"{type(exc).__name__}: {exc}{cause}"), reason="connection") from None

    return call


class ClientTransport:
    """The writer's view of a cluster: bulk bodies in, per-item results out."""

    def __init__(self, client: Elasticsearch, scrub: Callable[[str], str] = str) -> None:
        self._client = client
        self._call = translate_errors(scrub)

    def bulk(self, body: bytes, *, timeout_s: float, refresh: str | None = None) -> list[Mapping[str, Any]]:
        params = {"filter_path": BULK_FILTER, "timeout": f"{max(1, int(timeout_s))}s"}
        if refresh:
            params["refresh"] = refresh
        client = self._client.options(request_timeout=timeout_s + 1)
        response = self._call(lambda: client.perform_request("POST", "/_bulk", params=params, headers=NDJSON_HEADERS, body=body))
        return response.body.get("items", [])

    def find(self, pattern: str, ids: Sequence[str], *, timeout_s: float) -> dict[str, str]:
        """doc id -> index, for those of `ids` stored in an index matching `pattern`."""
        client = self._client.options(request_timeout=timeout_s)
        found: dict[str, str] = {}
        for start in range(0, len(ids), _FIND_BATCH):
            batch = list(ids[start : start + _FIND_BATCH])
            response = self._call(
                lambda: client.search(
                    index=pattern, query={"ids": {"values": batch}}, source=False, size=len(batch),
                    ignore_unavailable=True, allow_no_indices=True,
                )
            )
            found.update((hit["_id"], hit["_index"]) for hit in response["hits"]["hits"])
        return found


def install_templates(client: Elasticsearch, templates: Mapping[str, Mapping[str, Any]]) -> None:
    for name, body in templates.items():
        client.indices.put_index_template(name=name, **body)


def outdated_templates(client: Elasticsearch, templates: Mapping[str, Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    """The templates that are missing or differ (by digest) from the installed ones."""
    outdated = {}
    for name, body in templates.items():
        installed = client.options(ignore_status=404).indices.get_index_template(name=name).body.get("index_templates", [])
        digest = installed[0]["index_template"].get("_meta", {}).get("digest") if installed else None
        if digest != body["_meta"]["digest"]:
            outdated[name] = body
    return outdated


def max_content_length(client: Elasticsearch) -> int:
    """The node's http.max_content_length (needs the `monitor` cluster privilege)."""
    response = client.cluster.get_settings(include_defaults=True, filter_path="**.http.max_content_length", flat_settings=True)
    for section in ("transient", "persistent", "defaults"):
        value = response.body.get(section, {}).get("http.max_content_length")
        if value:
            return parse_size(str(value))
    return parse_size("100mb")


_PREPARED: dict[tuple[str, ...], int | None] = {}


def prepare_once(client: Elasticsearch, templates: Mapping[str, Mapping[str, Any]], scrub: Callable[[str], str] = str) -> int | None:
    """Once per process and cluster: install missing or changed templates and learn the node's
    http.max_content_length. A role without the privileges for either is fine (es-setup installs
    the templates; the configured limit applies). Raises TransientWriteError when unreachable."""
    key = (*sorted(node.base_url for node in client.transport.node_pool.all()),
           *sorted(body["_meta"]["digest"] for body in templates.values()))
    if key in _PREPARED:
        return _PREPARED[key]
    call = translate_errors(scrub)
    learned: int | None = None
    try:
        missing = call(lambda: outdated_templates(client, templates))
        if missing:
            call(lambda: install_templates(client, missing))
            log.info("installed index templates %s", ", ".join(missing))
    except TransientWriteError as exc:
        if exc.reason not in ("http_401", "http_403"):
            raise
        log.warning("cannot check index templates (%s); run `python -m bridge es-setup` with an admin role", exc)
    try:
        learned = call(lambda: max_content_length(client))
    except TransientWriteError as exc:
        if exc.reason not in ("http_401", "http_403"):
            raise
        log.info("cannot read http.max_content_length (%s); using the configured limit", exc)
    _PREPARED[key] = learned
    return learned
