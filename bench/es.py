"""Elasticsearch as the benchmarks see it: counts, the server's own bulk request counter, a plain _bulk loop."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import orjson
import urllib3
from elasticsearch import Elasticsearch

from bridge.sinks.elasticsearch.cluster import install_templates
from bridge.sinks.elasticsearch.document import IndexNames
from bridge.sinks.elasticsearch.template import index_templates

from .loops import send_all

_http = urllib3.PoolManager(maxsize=16, timeout=urllib3.Timeout(connect=5, read=120))


def request(url: str, method: str, path: str, body: bytes | None = None) -> Any:
    response = _http.request(method, url + path, body=body, headers={"Content-Type": "application/json"})
    if response.status >= 300:
        raise RuntimeError(f"{method} {path}: HTTP {response.status}: {response.data[:300]!r}")
    return orjson.loads(response.data) if response.data else None


def count(url: str, pattern: str) -> int:
    request(url, "POST", f"/{pattern}/_refresh")
    return int(request(url, "GET", f"/{pattern}/_count")["count"])


def searchable(url: str, pattern: str) -> int:
    """Documents a search sees now, without forcing a refresh (the index's own 1 s refresh applies)."""
    try:
        return int(request(url, "GET", f"/{pattern}/_count?ignore_unavailable=true&allow_no_indices=true")["count"])
    except RuntimeError:
        return 0


def bulk_requests(url: str) -> int:
    """Bulk requests the node has received so far, by its HTTP route statistics (every /_bulk route)."""
    stats = request(url, "GET", "/_nodes/stats/http?filter_path=nodes.*.http.routes")
    total = 0
    for node in stats["nodes"].values():
        for route, numbers in node["http"]["routes"].items():
            if route.endswith("/_bulk"):
                total += numbers["requests"]["count"]
    return total


def install_bridge_templates(url: str, names: IndexNames) -> None:
    """The bridge's own templates for another prefix, so a baseline writes into identical mappings."""
    install_templates(Elasticsearch(url), index_templates(names))


def delete_indices(url: str, pattern: str) -> None:
    """By name: the server refuses wildcard deletes (action.destructive_requires_name)."""
    names = [row["index"] for row in request(url, "GET", f"/_cat/indices/{pattern}?format=json&h=index&expand_wildcards=all")]
    if names:
        request(url, "DELETE", "/" + ",".join(names))


@dataclass(frozen=True, slots=True)
class LoopResult:
    documents: int
    seconds: float
    requests: int

    @property
    def rate(self) -> float:
        return self.documents / self.seconds


def bulk_loop(url: str, bodies: Sequence[bytes], documents_per_body: Sequence[int], concurrency: int) -> LoopResult:
    """A plain loop of _bulk requests (one per body) on `concurrency` connections; every item must succeed."""

    def send(body: bytes) -> None:
        response = _http.request("POST", url + "/_bulk", body=body, headers={"Content-Type": "application/x-ndjson"})
        if response.status != 200 or orjson.loads(response.data).get("errors"):
            raise RuntimeError(f"plain _bulk loop had failures: {response.data[:300]!r}")

    seconds = send_all(bodies, concurrency, send)
    return LoopResult(sum(documents_per_body), seconds, len(bodies))
