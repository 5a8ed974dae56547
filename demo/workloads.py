"""Simulated GKE workloads emitting what Cloud Logging would export: deterministic for a seed.

Plain text lines, multi-line stack traces, structured JSON logs, Kubernetes audit entries
and load-balancer request logs, some carrying personal data for the redaction rules.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Iterator

from bridge.timestamps import format_ns

PROJECT = "demo-project"
CLUSTER = "prod-seoul"
LOCATION = "asia-northeast3-a"


@dataclass(frozen=True)
class Workload:
    namespace: str
    app: str
    container: str
    style: str  # text | json | trace


WORKLOADS = (
    Workload("payments", "checkout", "app", "json"),
    Workload("payments", "ledger", "app", "trace"),
    Workload("web", "frontend", "nginx", "text"),
    Workload("web", "frontend", "app", "json"),
    Workload("kube-system", "kube-dns", "dnsmasq", "text"),
)
_JSON_MESSAGES = (
    ("INFO", "order placed", {"order_id": "ORD-2024-000{n}", "amount": 129.5}),
    ("INFO", "payment authorised for customer kim.minji@example.co.kr", {"card": "4111 1111 1111 1111"}),
    ("WARNING", "slow upstream", {"latency_ms": 812, "upstream": "ledger"}),
    ("ERROR", "payment declined", {"code": "card_declined", "phone": "010-2345-6789"}),
    ("DEBUG", "cache refresh", {"keys": 42, "hit_ratio": "0.93"}),
)
_TEXT_LINES = (
    '10.8.0.{n} - - "GET /products/{n} HTTP/1.1" 200 5120 "-" "Mozilla/5.0"',
    '10.8.0.{n} - - "POST /cart HTTP/1.1" 201 312 "-" "okhttp/4.12"',
    "I1125 12:00:0{d} 1 dns.go:48] cache miss for service-{n}.svc.cluster.local",
)
_TRACE = (
    "java.lang.IllegalStateException: ledger entry {n} out of balance\n"
    "\tat com.example.ledger.Book.post(Book.java:88)\n"
    "\tat com.example.ledger.Api.handle(Api.java:41)\n"
    "\tat java.base/java.lang.Thread.run(Thread.java:840)"
)


def _container_entry(w: Workload, n: int, ts_ns: int, rng: random.Random) -> dict[str, Any]:
    pod = f"{w.app}-7d9f8b6c5-{n % 7:05d}"
    entry: dict[str, Any] = {
        "insertId": f"demo-{w.namespace}-{w.app}-{w.container}-{n:07d}",
        "logName": f"projects/{PROJECT}/logs/{'stderr' if w.style == 'trace' else 'stdout'}",
        "resource": {
            "type": "k8s_container",
            "labels": {"project_id": PROJECT, "location": LOCATION, "cluster_name": CLUSTER,
                       "namespace_name": w.namespace, "pod_name": pod, "container_name": w.container},
        },
        "labels": {"k8s-pod/app": w.app, "compute.googleapis.com/resource_name": f"gke-{CLUSTER}-pool-1-{n % 3}"},
        "timestamp": format_ns(ts_ns),
        "receiveTimestamp": format_ns(ts_ns + rng.randrange(50_000_000, 900_000_000)),
    }
    if w.style == "json":
        severity, message, extra = _JSON_MESSAGES[(n // len(WORKLOADS)) % len(_JSON_MESSAGES)]
        entry["severity"] = severity
        entry["jsonPayload"] = {"message": message, **{k: (v.format(n=n) if isinstance(v, str) else v) for k, v in extra.items()}}
    elif w.style == "trace":
        entry["severity"] = "ERROR"
        entry["textPayload"] = _TRACE.format(n=n)
    else:
        entry["severity"] = "INFO"
        entry["textPayload"] = _TEXT_LINES[(n // len(WORKLOADS)) % len(_TEXT_LINES)].format(n=n % 250, d=n % 10)
    return entry


def _audit_entry(n: int, ts_ns: int) -> dict[str, Any]:
    return {
        "insertId": f"demo-audit-{n:07d}",
        "logName": f"projects/{PROJECT}/logs/cloudaudit.googleapis.com%2Factivity",
        "resource": {"type": "k8s_cluster", "labels": {"project_id": PROJECT, "location": LOCATION, "cluster_name": CLUSTER}},
        "timestamp": format_ns(ts_ns),
        "severity": "NOTICE",
        "protoPayload": {
            "@type": "type.googleapis.com/google.cloud.audit.AuditLog",
            "authenticationInfo": {"principalEmail": ("deploy-bot@demo-project.iam.gserviceaccount.com", "lee.jiwoo@example.com")[n % 2]},
            "methodName": ("io.k8s.apps.v1.deployments.patch", "io.k8s.core.v1.pods.delete")[n % 2],
            "resourceName": f"apps/v1/namespaces/payments/deployments/checkout-{n % 3}",
            "serviceName": "k8s.io",
        },
    }


def _lb_entry(n: int, ts_ns: int) -> dict[str, Any]:
    status = (200, 200, 200, 404, 502)[n % 5]
    return {
        "insertId": f"demo-lb-{n:07d}",
        "logName": f"projects/{PROJECT}/logs/requests",
        "resource": {"type": "http_load_balancer", "labels": {"project_id": PROJECT, "zone": "global", "url_map_name": "shop", "forwarding_rule_name": "shop-https"}},
        "timestamp": format_ns(ts_ns),
        "severity": "ERROR" if status >= 500 else "INFO",
        "httpRequest": {"requestMethod": "GET", "requestUrl": f"https://shop.example.com/products/{n % 50}", "status": status,
                        "latency": f"{0.005 + (n % 40) / 100:.3f}s", "remoteIp": f"203.0.113.{n % 200}", "userAgent": "Mozilla/5.0"},
        "jsonPayload": {"@type": "type.googleapis.com/google.cloud.loadbalancing.type.LoadBalancerLogEntry", "statusDetails": "response_sent_by_backend"},
    }


def generate(count: int, start_ns: int, seed: int = 7, spacing_ns: int = 3_000_000) -> Iterator[dict[str, Any]]:
    """`count` LogEntries starting at `start_ns`: 80% container logs, 10% audit, 10% load balancer."""
    rng = random.Random(seed)
    for n in range(count):
        ts_ns = start_ns + n * spacing_ns + rng.randrange(0, 1000)
        kind = n % 10
        if kind == 8:
            yield _audit_entry(n // 10, ts_ns)
        elif kind == 9:
            yield _lb_entry(n // 10, ts_ns)
        else:
            yield _container_entry(WORKLOADS[n % len(WORKLOADS)], n, ts_ns, rng)
