"""The analyst views and saved queries on the BigQuery emulator, with real rows.

Rows: every entry of the shared corpus plus synthetic GKE, load balancer and audit entries,
delivered twice through the real pipeline. Each view's expected rows are computed here in
Python from the Records the core made, not from BigQuery.
"""
from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
import pytest

from tests.integration.bigquery_support import (
    WORKLOAD_OF_POD,
    Destination,
    audit_entries,
    corpus_entries,
    gke_entries,
    lb_entries,
    messages,
    records,
)
from tests.integration.delivery_support import deliver_until_acked

pytestmark = pytest.mark.integration

SYNTHETIC = [*gke_entries(60, "2024-05-01T09:30:00Z"), *lb_entries(40, "2024-05-01T09:40:00Z"), *audit_entries(30, "2024-05-01T09:00:00Z")]
ENTRIES = [*corpus_entries(), *SYNTHETIC]


@pytest.fixture(scope="module")
def loaded(bigquery_emulator):
    d = Destination.create(bigquery_emulator.endpoint, bigquery_emulator.project)
    first = deliver_until_acked(messages(ENTRIES), d.sink(), rounds=1)[0]
    again = deliver_until_acked(messages(SYNTHETIC), d.sink(), rounds=1)[0]  # redelivered: the views must not count it twice
    assert all(first.ack) and all(again.ack) and again.written == len(SYNTHETIC)
    unique = {r.entry_id: r for r in records(ENTRIES)}
    print(f"\nviews data: entries={len(ENTRIES)} raw_rows={d.count('logs')} distinct={len(unique)}")
    return d, list(unique.values())


EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def when(record) -> dt.datetime:
    """The entry's time as BigQuery keeps it (microseconds)."""
    return EPOCH + dt.timedelta(microseconds=record.timestamp_ns // 1000)


def hour(record) -> dt.datetime:
    return when(record).replace(minute=0, second=0, microsecond=0)


def service(record) -> str:
    labels = record.resource_labels or {}
    for key in ("service_name", "function_name", "module_id", "backend_service_name"):
        if labels.get(key):
            return labels[key]
    return (record.labels or {}).get("k8s-pod/app") or record.k8s_container or record.log_id


def test_logs_dedup_has_every_entry_once(loaded):
    d, unique = loaded
    assert d.count("logs_dedup") == len(unique)
    assert d.count("logs") > len(unique)


def test_errors_by_service_hourly(loaded):
    d, unique = loaded
    groups: dict[tuple, Counter] = defaultdict(Counter)
    for r in unique:
        key = (hour(r), r.project_id, r.resource_type, r.k8s_namespace, service(r))
        groups[key]["entries"] += 1
        groups[key]["errors"] += r.severity_number >= 500
        groups[key]["critical_or_worse"] += r.severity_number >= 600
    expected = {k: dict(v) for k, v in groups.items() if v["errors"]}
    rows = d.rows("errors_by_service_hourly")
    got = {(r["hour"], r["project_id"], r["resource_type"], r["namespace"], r["service"]):
           {"entries": r["entries"], "errors": r["errors"], "critical_or_worse": r["critical_or_worse"]} for r in rows}
    assert len(rows) == len(got) == len(expected) >= 6
    assert got == expected
    # GKE errors split across the 10:00 boundary, and the load balancer's 5xx are under its backend service.
    assert {k[0].hour for k in got if k[2] == "k8s_container"} == {9, 10}
    assert {k[4] for k in got if k[2] == "http_load_balancer"} == {"web-be", "api-be"}


def test_top_noisy_pods(loaded):
    d, unique = loaded
    counts = Counter((when(r).date(), r.k8s_cluster, r.k8s_namespace, r.k8s_pod) for r in unique if r.k8s_pod)
    errors = Counter((when(r).date(), r.k8s_cluster, r.k8s_namespace, r.k8s_pod) for r in unique if r.k8s_pod and r.severity_number >= 500)
    rows = d.rows("top_noisy_pods")
    assert {(r["day"], r["cluster"], r["namespace"], r["pod"]): (r["entries"], r["errors"]) for r in rows} == {
        k: (n, errors[k]) for k, n in counts.items()
    }
    for r in rows:  # RANK(): 1 + the pods of that day with more entries
        assert r["rank_in_day"] == 1 + sum(1 for k, n in counts.items() if k[0] == r["day"] and n > r["entries"])
        assert r["payload_bytes"] > 0
    noisiest = [r["pod"] for r in rows if r["rank_in_day"] == 1 and r["day"] == dt.date(2024, 5, 1)]
    assert noisiest == [max((k for k in counts if k[0] == dt.date(2024, 5, 1)), key=counts.get)[3]]


def test_gke_container_logs_name_each_pods_workload(loaded):
    d, unique = loaded
    containers = [r for r in unique if r.resource_type in ("k8s_container", "container")]
    rows = d.rows("gke_container_logs")
    assert len(rows) == len(containers)
    workloads = {r["pod"]: r["workload"] for r in rows}
    assert {pod: workloads[pod] for pod in WORKLOAD_OF_POD} == WORKLOAD_OF_POD
    # From the real corpus: a Deployment pod without an app label.
    assert workloads["event-exporter-gke-664546f4f8-4s526"] == "event-exporter-gke"
    assert {r["entry_id"]: r["message"] for r in rows} == {r.entry_id: r.message for r in containers}


def test_audit_activity_by_principal(loaded):
    d, unique = loaded
    groups: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for r in unique:
        if not r.log_id.startswith("cloudaudit.googleapis.com/"):
            continue
        proto = r.proto_payload or {}
        key = (when(r).date(), (proto.get("authenticationInfo") or {}).get("principalEmail"), r.log_id.split("/", 1)[1],
               proto.get("serviceName"), proto.get("methodName"))
        groups[key][0] += 1
        groups[key][1] += int((proto.get("status") or {}).get("code") or 0) != 0
    rows = d.rows("audit_activity_by_principal")
    got = {(r["day"], r["principal"], r["audit_log"], r["service_name"], r["method_name"]): [r["calls"], r["failed"]] for r in rows}
    assert got == dict(groups)
    synthetic = {k: v for k, v in got.items() if k[0] == dt.date(2024, 5, 1)}
    assert sum(v[0] for v in synthetic.values()) == 30 and sum(v[1] for v in synthetic.values()) == 7
    assert any(k[1] == "robot@test-project.iam.gserviceaccount.com" for k in got)  # from the corpus


def latency_ms(record) -> float:
    return float(re.fullmatch(r"([0-9.]+)s", record.http_request["latency"]).group(1)) * 1000


def test_lb_requests_parse_status_and_latency(loaded):
    d, unique = loaded
    lb = {r.entry_id: r for r in unique if r.resource_type == "http_load_balancer"}
    rows = d.rows("lb_requests")
    assert len(rows) == len(lb) == 40  # corpus entries with httpRequest are not load balancer logs
    for row in rows:
        r = lb[row["entry_id"]]
        assert (row["status"], row["method"], row["url_map"], row["backend_service"]) == (
            r.http_request["status"], r.http_request["requestMethod"], r.resource_labels["url_map_name"], r.resource_labels["backend_service_name"])
        assert row["latency_ms"] == pytest.approx(latency_ms(r))
        assert row["response_bytes"] == int(r.http_request["responseSize"])


def test_saved_query_lb_latency_hourly(loaded):
    d, unique = loaded
    since, until = dt.datetime(2024, 5, 1, 9, tzinfo=dt.timezone.utc), dt.datetime(2024, 5, 1, 11, tzinfo=dt.timezone.utc)
    groups: dict[tuple, list] = defaultdict(list)
    for r in unique:
        if r.resource_type == "http_load_balancer" and since <= when(r) < until:
            groups[(hour(r), r.resource_labels["url_map_name"], r.resource_labels["backend_service_name"])].append(r)
    rows = d.saved("lb_latency_hourly", since=since, until=until)
    assert [(r["hour"], r["url_map"], r["backend_service"]) for r in rows] == sorted(groups)
    for row in rows:
        group = groups[(row["hour"], row["url_map"], row["backend_service"])]
        statuses = [g.http_request["status"] for g in group]
        assert (row["requests"], row["ok"], row["client_errors"], row["server_errors"]) == (
            len(group), sum(200 <= s < 400 for s in statuses), sum(400 <= s < 500 for s in statuses), sum(s >= 500 for s in statuses))
        latencies = [latency_ms(g) for g in group]
        assert row["max_ms"] == pytest.approx(max(latencies))
        assert min(latencies) - 1e-6 <= row["p50_ms"] <= row["p95_ms"] <= row["p99_ms"] <= row["max_ms"] + 1e-6


def test_saved_query_workload_logs(loaded):
    d, unique = loaded
    since, until = dt.datetime(2024, 5, 1, 9, 45, tzinfo=dt.timezone.utc), dt.datetime(2024, 5, 1, 10, 15, tzinfo=dt.timezone.utc)
    expected = sorted(
        (when(r), r.k8s_pod, r.severity)
        for r in unique
        if r.k8s_namespace == "payments" and WORKLOAD_OF_POD.get(r.k8s_pod) == "checkout" and since <= when(r) < until and r.severity_number >= 400
    )
    rows = d.saved("workload_logs", namespace="payments", workload="checkout", since=since, until=until, min_severity=400)
    assert [(r["timestamp"], r["pod"], r["severity"]) for r in rows] == expected
    assert len(expected) >= 2
