"""Pub/Sub (emulator) -> push relay -> functions-framework serving functions/main.py -> real stores.

The whole push path on the real stack, with secrets configured the way a deployment has them
(an Elasticsearch API key, an HMAC key for redaction hashes) and metrics sent to a local
server speaking the Monitoring API. After the run, every place a secret could leak is read:
the function logs, the HTTP answers, every Elasticsearch document (entries and dead letters),
the BigQuery tables and every metric series.
"""
from __future__ import annotations

import time
import urllib.error
import urllib.request
from importlib import resources
from pathlib import Path

import orjson
import pytest

from bridge.normalize import entry_id
from bridge.sinks.bigquery.settings import BigQuerySettings
from bridge.sinks.bigquery.setup import ensure_all
from demo.topology import Topology
from tests.integration.monitoring_server import MonitoringServer
from tools.push_relay import PushRelay
from tools.stack import free_port

pytestmark = pytest.mark.integration

ES_API_KEY = "ZXMtYXBpLWtleS1zZW50aW5lbC0wMDc="
HMAC_KEY = "hmac-key-sentinel-9f2c4e"
SECRETS = (ES_API_KEY, HMAC_KEY)
POISON = (b"definitely not json", b'{"logName": "projects/p/logs/app", "timestamp": "noon"}')
HASH_EMAILS_IN_ELASTICSEARCH = '''
[[destinations.elasticsearch.rules]]
name = "email"
action = "hash"
'''


def entries(count: int, tag: str) -> list[dict]:
    base = time.time_ns() - count * 1_000_000
    return [
        {
            "insertId": f"{tag}-{n:05d}",
            "logName": "projects/e2e/logs/stdout",
            "timestamp": f"{time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime((base + n * 1_000_000) // 10**9))}.{n:06d}Z",
            "severity": ("INFO", "ERROR")[n % 2],
            "resource": {"type": "k8s_container", "labels": {"project_id": "e2e", "location": "asia-northeast3-a", "cluster_name": "c1",
                                                             "namespace_name": "shop", "pod_name": f"web-{n % 3}", "container_name": "app"}},
            "jsonPayload": {"message": f"order {n} for user{n % 4}@example.com", "n": n},
        }
        for n in range(count)
    ]


def publish(publisher, topic: str, items: list[dict]) -> list[str]:
    futures = [publisher.publish(topic, orjson.dumps(e), **{"logging.googleapis.com/timestamp": e["timestamp"]}) for e in items]
    futures += [publisher.publish(topic, data) for data in POISON]
    return [f.result(timeout=30) for f in futures]


def post(url: str, body: bytes) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.fixture
def monitoring():
    server = MonitoringServer()
    address = server.start()
    yield server, address
    server.stop()


@pytest.fixture
def topology(stack, publisher, subscriber) -> Topology:
    made = Topology(project=f"e2e-{free_port()}")
    made.create(publisher, subscriber)
    return made


def deliver(subscriber, subscription: str, url: str) -> None:
    relay = PushRelay(subscriber, subscription, url, max_in_flight=32)
    try:
        stats = relay.run_until_idle(timeout_s=180, idle_s=3)
    finally:
        relay.close()
    assert stats.idle, f"relay did not finish: {stats}"


def test_elasticsearch_push_path_writes_once_hashes_personal_data_and_leaks_no_secret(
    stack, es, publisher, subscriber, topology, start_function, monitoring, tmp_path
):
    server, address = monitoring
    rules = tmp_path / "rules.toml"
    rules.write_text((resources.files("bridge.redaction") / "default_rules.toml").read_text() + HASH_EMAILS_IN_ELASTICSEARCH)
    secret_env = {
        "BRIDGE_ES_API_KEY": ES_API_KEY,
        "BRIDGE_REDACTION_RULES": str(rules),
        "BRIDGE_REDACTION_HMAC_KEY": HMAC_KEY,
        "BRIDGE_METRICS_PROJECT": "e2e-project",
        "BRIDGE_MONITORING_ENDPOINT": address,
        "BRIDGE_METRICS_INTERVAL_S": "5",
        "BRIDGE_METRICS_FLUSH_S": "5",
    }
    url = start_function("to_elasticsearch", {**secret_env, "BRIDGE_ES_URL": stack.config.es_url})
    # The same secrets with Elasticsearch unreachable: the error paths must not print them either.
    broken_url = start_function("to_elasticsearch", {**secret_env, "BRIDGE_ES_URL": f"http://127.0.0.1:{free_port()}",
                                                     "BRIDGE_ES_RETRY_DEADLINE_S": "2"})

    items = entries(300, "es")
    publish(publisher, topology.topic, items + items[:50])  # 50 entries published twice, as a redelivery would
    deliver(subscriber, topology.subscription("elasticsearch"), url)
    es.indices.refresh(index="gcp-logs-*,gcp-deadletter-*")

    stored = {h["_id"]: h["_source"] for h in es.search(index="gcp-logs-*", size=10_000, query={"term": {"cloud.project.id": "e2e"}})["hits"]["hits"]}
    assert set(stored) == {entry_id(e) for e in items}
    assert es.count(index="gcp-logs-*", query={"term": {"cloud.project.id": "e2e"}})["count"] == 300  # no duplicate
    dead = es.search(index="gcp-deadletter-*", size=100)["hits"]["hits"]
    assert sorted(h["_source"]["reason"].split(":")[0] for h in dead) == ["bad_timestamp", "not_json"]

    messages = [doc["message"] for doc in stored.values()]
    assert not any("@example.com" in m for m in messages)
    hashes = {m.split(" for ")[1] for m in messages}
    assert len(hashes) == 4 and all(h.startswith("hmac:") for h in hashes)  # four users, four stable hashes

    status, answer = post(broken_url, orjson.dumps({"message": {"data": "eyJsb2dOYW1lIjoicC9sb2dzL3gifQ==", "messageId": "x1"}}))
    assert status == 503

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not any(
        s.metric.type.endswith("entries_written") and s.points[0].value.int64_value >= 300 for r in server.requests for s in r.time_series
    ):
        time.sleep(1)
    written = max(s.points[0].value.int64_value for r in server.requests for s in r.time_series if s.metric.type.endswith("entries_written"))
    assert written == 300

    everything = [answer, orjson.dumps(stored), orjson.dumps(dead)]
    everything += [Path(stack.log_path(name)).read_bytes() for name in ("fn-test-to_elasticsearch-0", "fn-test-to_elasticsearch-1")]
    everything += [type(r).serialize(r) for r in server.requests]
    everything += [orjson.dumps(h) for h in es.search(index="*", size=10_000)["hits"]["hits"]]
    for secret in SECRETS:
        leaks = [i for i, blob in enumerate(everything) if secret.encode() in blob]
        assert not leaks, f"secret found in sources {leaks}"


def test_bigquery_push_path_writes_each_entry_once_in_the_deduplicated_view(stack, bq, publisher, subscriber, topology, start_function):
    env = {"BRIDGE_BQ_ENDPOINT": stack.config.bq_endpoint, "BRIDGE_BQ_PROJECT": stack.config.bq_project, "BRIDGE_BQ_DATASET": "e2e_logs",
           "BRIDGE_BQ_VIEWS_DATASET": "e2e_views"}
    settings = BigQuerySettings.from_env(env)
    ensure_all(settings.client(), settings)
    url = start_function("to_bigquery", env)
    items = entries(120, "bq")
    publish(publisher, topology.topic, items + items[:30])
    deliver(subscriber, topology.subscription("bigquery"), url)

    where = "WHERE timestamp >= TIMESTAMP '1970-01-01'"
    project = stack.config.bq_project
    raw = next(iter(bq.query(f"SELECT COUNT(*) FROM `{project}.e2e_logs.logs` {where}").result()))[0]
    ids = [r[0] for r in bq.query(f"SELECT entry_id FROM `{project}.e2e_views.logs_dedup` {where}").result()]
    dead = [r[0] for r in bq.query(f"SELECT reason FROM `{project}.e2e_logs.logs_dead_letter`").result()]
    assert raw >= 120  # a redelivered entry may be a second row (insertId dedup is best effort) ...
    assert sorted(ids) == sorted(entry_id(e) for e in items)  # ... but the view shows each entry once
    assert sorted(r.split(":")[0] for r in dead) == ["bad_timestamp", "not_json"]
