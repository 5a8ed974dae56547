"""Record -> Elasticsearch document with ECS field names (Kibana and Elastic's GCP content read them)."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ...model import Record
from ...resources import is_zone, location_of
from ...timestamps import format_ns, utc_date

# Well-known log ids whose ECS dataset is not simply their first word.
_DATASET_BY_LOG_ID = {
    "compute.googleapis.com/vpc_flows": "gcp.vpcflow",
    "compute.googleapis.com/firewall": "gcp.firewall",
    "requests": "gcp.loadbalancing",
    "dns.googleapis.com/dns_queries": "gcp.dns",
}
_DATASET_SAFE = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")


@dataclass(frozen=True, slots=True)
class IndexNames:
    """Daily indices named by the entry's own UTC date; search through the pattern or alias."""

    prefix: str = "gcp-logs"
    dead_letter_prefix: str = "gcp-deadletter"

    def for_entry(self, timestamp_ns: int) -> str:
        return f"{self.prefix}-{utc_date(timestamp_ns)}"

    def for_dead_letter(self, failed_at_ns: int) -> str:
        return f"{self.dead_letter_prefix}-{utc_date(failed_at_ns)}"

    @property
    def pattern(self) -> str:
        return f"{self.prefix}-*"

    @property
    def dead_letter_pattern(self) -> str:
        return f"{self.dead_letter_prefix}-*"


@lru_cache(maxsize=1024)
def dataset_of(log_id: str) -> str:
    """'stdout' -> 'gcp.stdout', 'cloudaudit.googleapis.com/activity' -> 'gcp.cloudaudit'."""
    known = _DATASET_BY_LOG_ID.get(log_id)
    if known:
        return known
    word = log_id.split(".", 1)[0].split("/", 1)[0].lower()
    return "gcp." + ("".join(c if c in _DATASET_SAFE else "_" for c in word) or "unknown")


# http.response.status_code is a `long`; anything else stays only in gcp.http_request (flattened),
# so an odd value never makes Elasticsearch reject the entry.
_STATUS_RANGE = range(0, 1000)


def _status_code(http_request: Any) -> int | None:
    status = http_request.get("status")
    if isinstance(status, str) and status.isascii() and status.isdigit():
        status = int(status)
    if isinstance(status, int) and not isinstance(status, bool) and status in _STATUS_RANGE:
        return status
    return None


def _put(target: dict[str, Any], key: str, value: Any) -> None:
    if value is not None:
        target[key] = value


def document(record: Record) -> dict[str, Any]:
    """The `_source`. Free-form parts (labels, payloads) go to fields the template maps as flattened."""
    doc: dict[str, Any] = {
        "@timestamp": format_ns(record.timestamp_ns),
        "log": {"level": record.severity, "logger": record.log_name},
        "event": {"dataset": dataset_of(record.log_id), "id": record.insert_id or record.entry_id},
        "cloud": {"provider": "gcp"},
    }
    _put(doc, "message", record.message)
    cloud = doc["cloud"]
    if record.project_id:
        cloud["project"] = {"id": record.project_id}
    location = record.k8s_location or location_of(record.resource_labels)
    if location:
        if is_zone(location):
            cloud["availability_zone"] = location
            cloud["region"] = location[:-2]
        else:
            cloud["region"] = location
    if record.k8s_cluster:
        doc["orchestrator"] = {"type": "kubernetes", "cluster": {"name": record.k8s_cluster}}
    kubernetes: dict[str, Any] = {}
    _put(kubernetes, "namespace", record.k8s_namespace)
    if record.k8s_pod:
        kubernetes["pod"] = {"name": record.k8s_pod}
    if record.k8s_container:
        kubernetes["container"] = {"name": record.k8s_container}
    if record.k8s_node:
        kubernetes["node"] = {"name": record.k8s_node}
    if kubernetes:
        doc["kubernetes"] = kubernetes
    if record.trace:
        doc["trace"] = {"id": record.trace.rpartition("/traces/")[2] or record.trace}
    if record.span_id:
        doc["span"] = {"id": record.span_id}
    http_request = record.http_request
    if http_request:
        http: dict[str, Any] = {}
        method = http_request.get("requestMethod")
        if isinstance(method, str):
            http["request"] = {"method": method}
        status = _status_code(http_request)
        if status is not None:
            http["response"] = {"status_code": status}
        if http:
            doc["http"] = http
        url = http_request.get("requestUrl")
        if isinstance(url, str):
            doc["url"] = {"original": url}
        agent = http_request.get("userAgent")
        if isinstance(agent, str):
            doc["user_agent"] = {"original": agent}
    if record.labels:
        doc["labels"] = record.labels
    gcp: dict[str, Any] = {
        "entry_id": record.entry_id,
        "log_id": record.log_id,
        "severity_number": record.severity_number,
        "timestamp_source": record.timestamp_source,
        "resource": {"type": record.resource_type, "labels": record.resource_labels},
    }
    _put(gcp, "json_payload", record.json_payload)
    _put(gcp, "proto_payload", record.proto_payload)
    _put(gcp, "http_request", http_request)
    _put(gcp, "operation", record.operation)
    _put(gcp, "source_location", record.source_location)
    _put(gcp, "trace_sampled", record.trace_sampled)
    if record.receive_timestamp_ns is not None:
        gcp["receive_timestamp"] = format_ns(record.receive_timestamp_ns)
    if record.publish_time_ns is not None:
        gcp["publish_time"] = format_ns(record.publish_time_ns)
    if record.redactions:
        gcp["redactions"] = record.redactions
    doc["gcp"] = gcp
    return doc
