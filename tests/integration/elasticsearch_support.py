"""What the Elasticsearch integration tests share: a fresh index prefix per test, entries, delivery, counts."""
from __future__ import annotations

import itertools
import time
import uuid
from dataclasses import dataclass, replace
from typing import Any, Iterable

import orjson
from elasticsearch import Elasticsearch

from bridge.model import PubsubMessage
from bridge.normalize import entry_id
from bridge.pipeline import Transform
from bridge.retry import RetryPolicy
from bridge.sinks.elasticsearch.cluster import build_client
from bridge.sinks.elasticsearch.settings import ElasticsearchSettings, settings_from_env
from bridge.sinks.elasticsearch.writer import ElasticsearchWriter, writer_for_client
from bridge.timestamps import parse_rfc3339_ns

TRANSFORM = Transform("elasticsearch")
# Small budgets keep a fault test to seconds; the defaults (45 s) are for the ack deadline.
SHORT = RetryPolicy(initial_delay_s=0.05, max_delay_s=0.3, deadline_s=1.5)
# Enough for a cold server creating its first index on a busy machine.
NORMAL = RetryPolicy(initial_delay_s=0.1, max_delay_s=1.0, deadline_s=20.0)
_message_ids = itertools.count(1)


@dataclass
class Destination:
    """One test's own templates and indices (`t<hex>-logs-*`, `t<hex>-dead-*`) on the shared server."""

    settings: ElasticsearchSettings
    client: Elasticsearch

    @classmethod
    def create(cls, url: str, **env: str) -> Destination:
        tag = f"t{uuid.uuid4().hex[:10]}"
        settings = settings_from_env({
            "BRIDGE_ES_URL": url, "BRIDGE_ES_INDEX_PREFIX": f"{tag}-logs", "BRIDGE_ES_DEADLETTER_PREFIX": f"{tag}-dead",
            "BRIDGE_ES_REPLICAS": "0", "BRIDGE_ES_REQUEST_TIMEOUT_S": "10", **env,
        })
        return cls(settings, build_client(settings))

    @property
    def env(self) -> dict[str, str]:
        """The environment a `python -m bridge` command needs to work on this destination."""
        return {"BRIDGE_ES_URL": self.settings.url, "BRIDGE_ES_INDEX_PREFIX": self.settings.names.prefix,
                "BRIDGE_ES_DEADLETTER_PREFIX": self.settings.names.dead_letter_prefix, "BRIDGE_ES_REPLICAS": "0",
                "BRIDGE_REDACTION": "off"}

    def writer(self, policy: RetryPolicy = NORMAL, **overrides: Any) -> ElasticsearchWriter:
        settings = replace(self.settings, retry=policy, dead_letter_retry=policy)
        return writer_for_client(self.client, settings, **overrides)

    def refresh(self) -> None:
        self.client.indices.refresh(index=f"{self.settings.names.prefix}-*,{self.settings.names.dead_letter_prefix}-*",
                                    ignore_unavailable=True, allow_no_indices=True)

    def count(self, query: dict[str, Any] | None = None, *, dead: bool = False) -> int:
        self.refresh()
        pattern = self.settings.names.dead_letter_pattern if dead else self.settings.names.pattern
        return self.client.count(index=pattern, query=query or {"match_all": {}}, allow_no_indices=True)["count"]

    def per_index(self, *, dead: bool = False) -> dict[str, int]:
        self.refresh()
        pattern = self.settings.names.dead_letter_pattern if dead else self.settings.names.pattern
        rows = self.client.cat.indices(index=pattern, h="index,docs.count", format="json")
        return {row["index"]: int(row["docs.count"]) for row in rows.body}

    def docs(self, *, dead: bool = False, size: int = 10000) -> list[dict[str, Any]]:
        self.refresh()
        pattern = self.settings.names.dead_letter_pattern if dead else self.settings.names.pattern
        return self.client.search(index=pattern, size=size, allow_no_indices=True)["hits"]["hits"]

    def ids(self) -> list[str]:
        return [hit["_id"] for hit in self.docs()]

    def drop(self) -> None:
        names = self.settings.names
        found = self.client.cat.indices(index=f"{names.prefix}-*,{names.dead_letter_prefix}-*", h="index", format="json", expand_wildcards="all")
        for row in found.body:  # by name: the server refuses wildcard deletes
            self.client.options(ignore_status=404).indices.delete(index=row["index"])
        for template in (names.prefix, names.dead_letter_prefix):
            self.client.options(ignore_status=404).indices.delete_index_template(name=template)


def entry(n: int, timestamp: str, *, namespace: str = "shop", text: str | None = None, **extra: Any) -> dict[str, Any]:
    """A GKE container LogEntry as a Cloud Logging sink publishes it."""
    return {
        "logName": "projects/demo-project/logs/stdout",
        "insertId": f"ins-{n:06d}",
        "timestamp": timestamp,
        "receiveTimestamp": timestamp,
        "severity": "ERROR" if n % 5 == 0 else "INFO",
        "resource": {"type": "k8s_container", "labels": {
            "project_id": "demo-project", "location": "europe-west1-b", "cluster_name": "prod",
            "namespace_name": namespace, "pod_name": f"{namespace}-{n % 7}", "container_name": "app"}},
        "textPayload": text if text is not None else f"request {n} handled",
        **extra,
    }


def entries(count: int, timestamp: str, start: int = 0, **options: Any) -> list[dict[str, Any]]:
    return [entry(n, timestamp, **options) for n in range(start, start + count)]


def messages(items: Iterable[dict[str, Any]], publish_time: str = "2024-05-01T12:00:00Z") -> list[PubsubMessage]:
    """One LogEntry per message, each message with its own id (as Pub/Sub gives a redelivered entry too)."""
    published = parse_rfc3339_ns(publish_time)
    return [PubsubMessage(data=orjson.dumps(e), message_id=f"m{next(_message_ids)}", publish_time_ns=published) for e in items]


def ids_of(items: Iterable[dict[str, Any]]) -> set[str]:
    return {entry_id(e) for e in items}


def wait_for(condition: Any, timeout_s: float, what: str, interval_s: float = 0.5) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval_s)
    raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")
