"""What the BigQuery integration tests share: a fresh dataset pair per test, entries, delivery, queries."""
from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from typing import Any, Iterable

import orjson
from google.cloud import bigquery

from bridge.model import PubsubMessage
from bridge.pipeline import Transform
from bridge.retry import RetryBudget, RetryPolicy
from bridge.sinks.bigquery.schema import TableSpec, load_spec
from bridge.sinks.bigquery.settings import BigQuerySettings
from bridge.sinks.bigquery.setup import ensure_all, saved_query, template_names
from bridge.sinks.bigquery.writer import BigQuerySink, WriterLimits
from bridge.timestamps import format_ns, parse_rfc3339_ns
from tests.golden.cases import CORPUS

TRANSFORM = Transform("bigquery")
_message_ids = itertools.count(1)


@dataclass
class Destination:
    """One test's own datasets on the shared emulator, set up by the bridge's own bq-setup code."""

    settings: BigQuerySettings
    client: bigquery.Client
    spec: TableSpec
    changes: list = field(default_factory=list)  # what bq-setup did

    @classmethod
    def create(cls, endpoint: str, project: str) -> Destination:
        suffix = uuid.uuid4().hex[:10]
        settings = BigQuerySettings(project=project, dataset=f"raw_{suffix}", views_dataset=f"views_{suffix}", endpoint=endpoint)
        client = settings.client()
        destination = cls(settings, client, load_spec())
        destination.changes = ensure_all(client, settings)
        return destination

    def sink(self, budget: RetryPolicy | None = None, limits: WriterLimits = WriterLimits()) -> BigQuerySink:
        policy = budget or RetryPolicy(initial_delay_s=0.05, max_delay_s=0.5, deadline_s=10.0)
        return BigQuerySink(self.client, self.settings.dataset, limits=limits, new_budget=lambda: RetryBudget(policy))

    def table(self, name: str) -> str:
        """A raw-dataset table or a view, fully qualified."""
        dataset = self.settings.dataset if name in (self.spec.table_id, self.spec.dead_letter_table_id) else self.settings.views_dataset
        return f"`{self.settings.project}.{dataset}.{name}`"

    def query(self, sql: str, **params: Any) -> list[dict[str, Any]]:
        config = bigquery.QueryJobConfig(query_parameters=[_parameter(k, v) for k, v in params.items()])
        return [dict(row) for row in self.client.query(sql, job_config=config).result()]

    def rows(self, name: str, where: str = "TRUE") -> list[dict[str, Any]]:
        return self.query(f"SELECT * FROM {self.table(name)} WHERE {where}")

    def count(self, name: str, where: str = "TRUE") -> int:
        return self.query(f"SELECT COUNT(*) AS n FROM {self.table(name)} WHERE {where}")[0]["n"]

    def saved(self, name: str, **params: Any) -> list[dict[str, Any]]:
        return self.query(saved_query(name, template_names(self.settings, self.spec)), **params)


def _parameter(name: str, value: Any) -> bigquery.ScalarQueryParameter:
    kind = {str: "STRING", int: "INT64", float: "FLOAT64"}.get(type(value), "TIMESTAMP")
    return bigquery.ScalarQueryParameter(name, kind, value)


def messages(entries: Iterable[dict[str, Any]]) -> list[PubsubMessage]:
    """What a Cloud Logging sink publishes: one LogEntry per message, each with its own id."""
    return [PubsubMessage(data=orjson.dumps(e), message_id=f"m{next(_message_ids)}", publish_time_ns=1_764_000_000_000_000_000) for e in entries]


def corpus_entries() -> list[dict[str, Any]]:
    entries = []
    for path in sorted((CORPUS / "entries").glob("*.jsonl")):
        entries.extend(orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip())
    assert len(entries) >= 100, f"the shared corpus at {CORPUS} is missing or short"
    return entries


def entry_ids(entries: Iterable[dict[str, Any]]) -> set[str]:
    """The stable ids the bridge gives these entries (those the core accepts)."""
    return {record.entry_id for record in records(entries)}


def records(entries: Iterable[dict[str, Any]]) -> list[Any]:
    from bridge.decode import decode_document
    from bridge.errors import BridgeError

    found = []
    for entry in entries:
        try:
            found.append(TRANSFORM.record(decode_document(entry)))
        except BridgeError:
            pass
    return found


# Synthetic entries shaped like what Cloud Logging exports for GKE, load balancers and audit logs.
PROJECT = "shop-prod"
CLUSTER, LOCATION = "prod-seoul", "asia-northeast3"
# (namespace, pod, container, app label or None): Deployment, StatefulSet and DaemonSet pods.
PODS = (
    ("payments", "checkout-6b7c9d8f5-x2k9p", "app", "checkout"),
    ("payments", "checkout-6b7c9d8f5-q7w4z", "app", "checkout"),
    ("payments", "ledger-0", "db", None),
    ("web", "frontend-5f6d7c8b9-m3n4p", "nginx", None),
    ("kube-system", "fluentbit-gke-8kz2t", "fluentbit", None),
)
WORKLOAD_OF_POD = {"checkout-6b7c9d8f5-x2k9p": "checkout", "checkout-6b7c9d8f5-q7w4z": "checkout", "ledger-0": "ledger",
                   "frontend-5f6d7c8b9-m3n4p": "frontend", "fluentbit-gke-8kz2t": "fluentbit-gke"}
SEVERITIES = ("DEBUG", "INFO", "INFO", "WARNING", "ERROR", "CRITICAL")


def at(base: str, seconds: float) -> str:
    return format_ns(parse_rfc3339_ns(base) + int(seconds * 1e9))


def gke_entries(count: int, start: str) -> list[dict[str, Any]]:
    entries = []
    for n in range(count):
        namespace, pod, container, app = PODS[n % 8 if n % 8 < len(PODS) else 0]  # the first pod is the noisiest
        entry = {
            "insertId": f"gke-{n:05d}",
            "logName": f"projects/{PROJECT}/logs/{'stderr' if n % 3 == 0 else 'stdout'}",
            "resource": {"type": "k8s_container", "labels": {"project_id": PROJECT, "location": LOCATION, "cluster_name": CLUSTER,
                                                               "namespace_name": namespace, "pod_name": pod, "container_name": container}},
            "timestamp": at(start, n * 37.0),
            "severity": SEVERITIES[n % len(SEVERITIES)],
            "labels": {"k8s-pod/app": app} if app else {},
        }
        if n % 2:
            entry["jsonPayload"] = {"message": f"request {n} handled", "latency_ms": n % 90}
        else:
            entry["textPayload"] = f"line {n} of {pod}"
        entries.append(entry)
    return entries


def lb_entries(count: int, start: str) -> list[dict[str, Any]]:
    statuses = (200, 200, 301, 404, 200, 503, 502, 429)
    return [
        {
            "insertId": f"lb-{n:05d}",
            "logName": f"projects/{PROJECT}/logs/requests",
            "resource": {"type": "http_load_balancer", "labels": {"project_id": PROJECT, "zone": "global", "url_map_name": ("shop", "api")[n % 2],
                                                                    "forwarding_rule_name": "shop-https", "backend_service_name": ("web-be", "api-be")[n % 2]}},
            "timestamp": at(start, n * 53.0),
            "severity": "ERROR" if statuses[n % len(statuses)] >= 500 else "INFO",
            "httpRequest": {"requestMethod": ("GET", "POST")[n % 2], "requestUrl": f"https://shop.example.com/p/{n}",
                            "status": statuses[n % len(statuses)], "latency": f"{0.004 + n * 0.0125:.4f}s",
                            "responseSize": str(100 * n), "remoteIp": f"203.0.113.{n % 250}", "userAgent": "curl/8.5"},
            "jsonPayload": {"@type": "type.googleapis.com/google.cloud.loadbalancing.type.LoadBalancerLogEntry",
                            "statusDetails": "response_sent_by_backend"},
        }
        for n in range(count)
    ]


PRINCIPALS = ("deploy-bot@shop-prod.iam.gserviceaccount.com", "kim.minji@example.com", "ci@shop-prod.iam.gserviceaccount.com")
METHODS = ("io.k8s.apps.v1.deployments.patch", "io.k8s.core.v1.pods.delete", "google.container.v1.ClusterManager.UpdateCluster")


def audit_entries(count: int, start: str) -> list[dict[str, Any]]:
    return [
        {
            "insertId": f"audit-{n:05d}",
            "logName": f"projects/{PROJECT}/logs/cloudaudit.googleapis.com%2F{('activity', 'data_access')[n % 5 == 4]}",
            "resource": {"type": "k8s_cluster", "labels": {"project_id": PROJECT, "location": LOCATION, "cluster_name": CLUSTER}},
            "timestamp": at(start, n * 71.0),
            "severity": "NOTICE",
            "protoPayload": {
                "@type": "type.googleapis.com/google.cloud.audit.AuditLog",
                "authenticationInfo": {"principalEmail": PRINCIPALS[n % len(PRINCIPALS)]},
                "serviceName": "k8s.io",
                "methodName": METHODS[n % len(METHODS)],
                **({"status": {"code": 7, "message": "PERMISSION_DENIED"}} if n % 4 == 3 else {}),
            },
        }
        for n in range(count)
    ]
