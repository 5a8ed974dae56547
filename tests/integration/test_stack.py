"""The local stack really works: each component is the real thing, reachable, and stops and starts as tests need."""

from __future__ import annotations

import base64
import json
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from google.cloud import bigquery

from tools.push_relay import PushRelay
from tools.stack import REPO, Stack, StackConfig, StackError, free_port

pytestmark = pytest.mark.integration

SCHEMA_DIR = REPO / "bridge" / "schema"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


# --------------------------------------------------------------------------- Elasticsearch


def test_elasticsearch_is_a_real_server_that_indexes_and_searches(es):
    # GET / (es.info) lives in the rest-root module, which this distribution does not ship.
    assert [node["version"] for node in es.nodes.info(node_id="_local")["nodes"].values()] == ["8.19.7"]
    index = unique("stack-check")
    es.index(index=index, id="doc-1", document={"@timestamp": "2024-05-01T10:00:00.123456789Z", "message": "hello from the stack"}, refresh=True)
    hits = es.search(index=index, query={"match": {"message": "hello"}})["hits"]["hits"]
    assert [(h["_id"], h["_source"]["message"]) for h in hits] == [("doc-1", "hello from the stack")]


def test_elasticsearch_stopped_and_started_again_keeps_its_data(stack, es):
    index = unique("stack-restart")
    es.index(index=index, id="kept", document={"message": "survives a restart"}, refresh=True)
    stack.stop("es")
    with pytest.raises(requests.ConnectionError):
        requests.get(stack.config.es_url, timeout=2)
    stack.start("es")
    es.cluster.health(index=index, wait_for_status="yellow", timeout="30s")
    assert es.get(index=index, id="kept")["_source"] == {"message": "survives a restart"}


# --------------------------------------------------------------------------- Pub/Sub (pstest)


@pytest.fixture
def topic(publisher, project_id) -> str:
    return publisher.create_topic(name=publisher.topic_path(project_id, unique("topic"))).name


def make_subscription(subscriber, topic: str, **settings) -> str:
    name = subscriber.subscription_path(topic.split("/")[1], unique("sub"))
    return subscriber.create_subscription(request={"name": name, "topic": topic, **settings}).name


def pull(subscriber, subscription: str, max_messages: int = 100) -> list:
    response = subscriber.pull(request={"subscription": subscription, "max_messages": max_messages}, timeout=10)
    return list(response.received_messages)


def test_pubsub_publish_pull_ack(publisher, subscriber, topic):
    subscription = make_subscription(subscriber, topic)
    sent = {publisher.publish(topic, f"entry {i}".encode(), source="test").result() for i in range(3)}
    received = pull(subscriber, subscription)
    assert {m.message.message_id for m in received} == sent
    assert sorted(m.message.data for m in received) == [b"entry 0", b"entry 1", b"entry 2"]
    assert {m.message.attributes["source"] for m in received} == {"test"}
    subscriber.acknowledge(request={"subscription": subscription, "ack_ids": [m.ack_id for m in received]})
    assert pull(subscriber, subscription) == []


def test_pubsub_redelivers_after_a_nack_and_after_the_ack_deadline(publisher, subscriber, topic):
    subscription = make_subscription(subscriber, topic, ack_deadline_seconds=10)
    message_id = publisher.publish(topic, b"again").result()
    first = pull(subscriber, subscription)
    assert pull(subscriber, subscription) == []  # leased: not delivered twice at once
    subscriber.modify_ack_deadline(request={"subscription": subscription, "ack_ids": [first[0].ack_id], "ack_deadline_seconds": 0})
    second = pull(subscriber, subscription)
    assert [m.message.message_id for m in second] == [message_id]
    subscriber.modify_ack_deadline(request={"subscription": subscription, "ack_ids": [second[0].ack_id], "ack_deadline_seconds": 1})
    deadline = time.monotonic() + 15
    third: list = []
    while not third and time.monotonic() < deadline:
        time.sleep(0.5)
        third = pull(subscriber, subscription)
    assert [m.message.message_id for m in third] == [message_id]


def test_pubsub_dead_letters_after_the_maximum_delivery_attempts(publisher, subscriber, topic, project_id):
    dead_topic = publisher.create_topic(name=publisher.topic_path(project_id, unique("dead"))).name
    dead_subscription = make_subscription(subscriber, dead_topic)
    subscription = make_subscription(subscriber, topic, dead_letter_policy={"dead_letter_topic": dead_topic, "max_delivery_attempts": 5})
    publisher.publish(topic, b"poison", kind="bad").result()
    attempts = []
    for _ in range(8):
        for received in pull(subscriber, subscription):
            attempts.append(received.delivery_attempt)
            subscriber.modify_ack_deadline(request={"subscription": subscription, "ack_ids": [received.ack_id], "ack_deadline_seconds": 0})
    assert attempts == [1, 2, 3, 4, 5]
    dead = pull(subscriber, dead_subscription)
    assert [(m.message.data, dict(m.message.attributes)) for m in dead] == [(b"poison", {"kind": "bad"})]


# --------------------------------------------------------------------------- BigQuery (bqemulator)


def test_bigquery_table_from_the_schema_files_takes_rows_and_answers_queries(bq, project_id):
    table_settings = json.loads((SCHEMA_DIR / "bigquery_table.json").read_text())
    schema = [bigquery.SchemaField.from_api_repr(f) for f in json.loads((SCHEMA_DIR / "bigquery_logs.json").read_text())]
    dataset = bq.create_dataset(unique("stack_check").replace("-", "_"))
    table = bigquery.Table(f"{project_id}.{dataset.dataset_id}.{table_settings['table_id']}", schema=schema)
    table.time_partitioning = bigquery.TimePartitioning(type_=table_settings["time_partitioning"]["type"], field=table_settings["time_partitioning"]["field"])
    table.clustering_fields = table_settings["clustering"]
    bq.create_table(table)
    stored = bq.get_table(table.reference)
    assert (stored.time_partitioning.type_, stored.time_partitioning.field) == ("DAY", "timestamp")
    assert stored.clustering_fields == table_settings["clustering"]
    assert {f.name: f.field_type for f in stored.schema}["json_payload"] == "JSON"

    rows = [bigquery_row("a", "2024-05-01T23:59:59.999999Z", {"msg": "late", "n": 1}), bigquery_row("b", "2024-05-02T00:00:00Z", {"msg": "early", "n": 2})]
    assert bq.insert_rows_json(table.reference, rows, row_ids=["a", "b"]) == []
    found = bq.query(
        f"SELECT entry_id, JSON_VALUE(json_payload, '$.msg') AS msg, LAX_INT64(json_payload.n) AS n, DATE(timestamp) AS day "
        f"FROM `{table.reference}` ORDER BY entry_id"
    ).result()
    assert [(r.entry_id, r.msg, r.n, r.day.isoformat()) for r in found] == [("a", "late", 1, "2024-05-01"), ("b", "early", 2, "2024-05-02")]
    partitions = bq.query(
        f"SELECT partition_id, total_rows FROM `{project_id}.{dataset.dataset_id}.INFORMATION_SCHEMA.PARTITIONS` WHERE table_name = 'logs'"
    ).result()
    assert sorted((p.partition_id, p.total_rows) for p in partitions) == [("20240501", 1), ("20240502", 1)]


def bigquery_row(entry_id: str, timestamp: str, payload: dict) -> dict:
    return {
        "timestamp": timestamp, "timestamp_ns": 0, "timestamp_source": "timestamp", "log_name": "projects/p/logs/stdout",
        "entry_id": entry_id, "severity": "INFO", "severity_number": 200, "json_payload": json.dumps(payload),
        "ingest_time": "2024-05-02T00:00:01Z",
    }  # fmt: skip


def test_bigquery_emulator_stopped_and_started_again_keeps_its_rows(bigquery_emulator, bq, project_id):
    dataset = bq.create_dataset(unique("stack_restart").replace("-", "_"))
    table = bq.create_table(bigquery.Table(f"{project_id}.{dataset.dataset_id}.t", schema=[bigquery.SchemaField("n", "INTEGER")]))
    assert bq.insert_rows_json(table.reference, [{"n": i} for i in range(25)]) == []
    bigquery_emulator.stop()
    bigquery_emulator.start()
    fresh = bigquery_emulator.client()
    # Written first thing after the start, before any query (the health probe must leave inserts working).
    assert fresh.insert_rows_json(table.reference, [{"n": 100}], retry=bigquery.DEFAULT_RETRY.with_deadline(10)) == []
    assert [tuple(r.values()) for r in fresh.query(f"SELECT COUNT(*), SUM(n) FROM `{table.reference}`").result()] == [(26, 400)]


# --------------------------------------------------------------------------- push relay


class PushEndpoint:
    """A local HTTP server that records push requests and answers with the status `answer(n)` gives the n-th."""

    def __init__(self, answer: Callable[[int], int], delay_s: float = 0.0) -> None:
        self.requests: list[tuple[dict, str]] = []
        self.concurrent = self.max_concurrent = 0
        lock = threading.Lock()
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                with lock:
                    endpoint.concurrent += 1
                    endpoint.max_concurrent = max(endpoint.max_concurrent, endpoint.concurrent)
                    endpoint.requests.append((json.loads(self.rfile.read(int(self.headers["Content-Length"]))), self.headers["Content-Type"]))
                    status = answer(len(endpoint.requests))
                time.sleep(delay_s)
                with lock:
                    endpoint.concurrent -= 1
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/push"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def push_endpoint() -> Iterator[Callable[..., PushEndpoint]]:
    endpoints: list[PushEndpoint] = []

    def make(answer: Callable[[int], int], delay_s: float = 0.0) -> PushEndpoint:
        endpoints.append(PushEndpoint(answer, delay_s))
        return endpoints[-1]

    yield make
    for endpoint in endpoints:
        endpoint.close()


def test_push_relay_posts_the_real_push_body_and_acks_on_success(publisher, subscriber, topic, push_endpoint):
    subscription = make_subscription(subscriber, topic)
    endpoint = push_endpoint(lambda n: 204)
    message_id = publisher.publish(topic, b'{"textPayload": "hi"}', logging_googleapis_com_timestamp="2024-05-01T10:00:00Z").result()
    relay = PushRelay(subscriber, subscription, endpoint.url)
    stats = relay.run_until_idle(timeout_s=30)
    relay.close()
    assert (stats.delivered, stats.acked, stats.nacked, stats.idle) == (1, 1, 0, True)
    [(body, content_type)] = endpoint.requests
    assert content_type == "application/json"
    assert set(body) == {"message", "subscription"}  # no deliveryAttempt without a dead-letter policy
    assert body["subscription"] == subscription
    message = body["message"]
    assert base64.b64decode(message["data"]) == b'{"textPayload": "hi"}'
    assert message["attributes"] == {"logging_googleapis_com_timestamp": "2024-05-01T10:00:00Z"}
    assert message["messageId"] == message["message_id"] == message_id
    assert message["publishTime"] == message["publish_time"]
    assert datetime.fromisoformat(message["publishTime"].replace("Z", "+00:00")).tzinfo is not None
    assert pull(subscriber, subscription) == []  # acknowledged


def test_push_relay_nacks_a_failure_so_pubsub_redelivers_with_growing_delivery_attempts(publisher, subscriber, topic, project_id, push_endpoint):
    dead_topic = publisher.create_topic(name=publisher.topic_path(project_id, unique("dead"))).name
    dead_subscription = make_subscription(subscriber, dead_topic)
    subscription = make_subscription(subscriber, topic, dead_letter_policy={"dead_letter_topic": dead_topic, "max_delivery_attempts": 5})
    endpoint = push_endpoint(lambda n: 500 if n <= 2 else 200)
    message_id = publisher.publish(topic, b"flaky").result()
    relay = PushRelay(subscriber, subscription, endpoint.url)
    stats = relay.run_until_idle(timeout_s=30)
    relay.close()
    assert (stats.delivered, stats.acked, stats.nacked) == (3, 1, 2)
    assert [(b["message"]["messageId"], b["deliveryAttempt"]) for b, _ in endpoint.requests] == [(message_id, 1), (message_id, 2), (message_id, 3)]
    assert pull(subscriber, subscription) == [] and pull(subscriber, dead_subscription) == []


def test_push_relay_failing_endpoint_ends_on_the_dead_letter_topic(publisher, subscriber, topic, project_id, push_endpoint):
    dead_topic = publisher.create_topic(name=publisher.topic_path(project_id, unique("dead"))).name
    dead_subscription = make_subscription(subscriber, dead_topic)
    subscription = make_subscription(subscriber, topic, dead_letter_policy={"dead_letter_topic": dead_topic, "max_delivery_attempts": 5})
    endpoint = push_endpoint(lambda n: 503)
    publisher.publish(topic, b"never accepted").result()
    relay = PushRelay(subscriber, subscription, endpoint.url)
    stats = relay.run_until_idle(timeout_s=30)
    relay.close()
    assert (stats.delivered, stats.acked, stats.nacked) == (5, 0, 5)
    assert [m.message.data for m in pull(subscriber, dead_subscription)] == [b"never accepted"]


def test_push_relay_keeps_several_requests_in_flight(publisher, subscriber, topic, push_endpoint):
    subscription = make_subscription(subscriber, topic)
    endpoint = push_endpoint(lambda n: 200, delay_s=0.5)
    for i in range(24):
        publisher.publish(topic, f"m{i}".encode()).result()
    relay = PushRelay(subscriber, subscription, endpoint.url, max_in_flight=8)
    stats = relay.run_until_idle(timeout_s=60)
    relay.close()
    assert (stats.delivered, stats.acked) == (24, 24)
    assert 2 <= endpoint.max_concurrent <= 8
    assert sorted(base64.b64decode(b["message"]["data"]) for b, _ in endpoint.requests) == sorted(f"m{i}".encode() for i in range(24))


def test_push_relay_cli_drains_and_stops_on_sigterm(stack, publisher, subscriber, topic, push_endpoint):
    subscription = make_subscription(subscriber, topic)
    endpoint = push_endpoint(lambda n: 200)
    publisher.publish(topic, b"via the cli").result()
    relay = subprocess.Popen(
        [sys.executable, str(REPO / "tools/push_relay.py"), "--subscription", subscription, "--endpoint", endpoint.url],
        stdout=subprocess.PIPE, text=True, cwd=REPO,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while not endpoint.requests and time.monotonic() < deadline:
        time.sleep(0.1)
    relay.terminate()
    output, _ = relay.communicate(timeout=30)
    assert relay.returncode == 0
    assert "push relay stopped: delivered=1 acked=1 nacked=0" in output
    assert [base64.b64decode(b["message"]["data"]) for b, _ in endpoint.requests] == [b"via the cli"]


# --------------------------------------------------------------------------- functions and process handling


ECHO_FUNCTION = '''
import os
import functions_framework


@functions_framework.http
def echo(request):
    return {"setting": os.environ.get("BRIDGE_TEST_SETTING"), "body": request.get_json(silent=True)}
'''


def test_a_function_runs_in_functions_framework_with_its_env_and_stops(stack, start_function, tmp_path):
    source = tmp_path / "main.py"
    source.write_text(ECHO_FUNCTION)
    url = start_function("echo", env={"BRIDGE_TEST_SETTING": "from-the-stack"}, source=source)
    response = requests.post(url, json={"hello": "world"}, timeout=10)
    assert response.status_code == 200
    assert response.json() == {"setting": "from-the-stack", "body": {"hello": "world"}}
    [name] = [n for n in stack.status() if n.startswith("fn-test-echo")]
    assert stack.status()[name]["running"]
    stack.stop(name)
    assert name not in stack.status()
    with pytest.raises(requests.ConnectionError):
        requests.post(url, json={}, timeout=2)


def test_a_function_that_fails_to_load_fails_the_start_naming_its_log(stack, tmp_path):
    source = tmp_path / "main.py"
    source.write_text("raise RuntimeError('broken on import')\n")
    with pytest.raises(StackError) as failure:
        stack.start_function("anything", free_port(), {}, source=source, name="fn-test-broken")
    assert "fn-test-broken.log" in str(failure.value) and "broken on import" in str(failure.value)
    assert "fn-test-broken" not in stack.status()


def test_a_busy_port_fails_the_start_with_a_clear_message(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        other = Stack(StackConfig(state_dir=tmp_path, pubsub_port=busy.getsockname()[1]))
        with pytest.raises(StackError, match=f"port {busy.getsockname()[1]} .* already in use"):
            other.start("pubsub")
    assert other.status() == {}


def test_the_cli_prints_exports_for_the_configured_ports(tmp_path):
    env = {"BRIDGE_STACK_DIR": str(tmp_path), "BRIDGE_ES_PORT": "19999", "BRIDGE_PUBSUB_PORT": "18999", "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, str(REPO / "tools/stack.py"), "env"], capture_output=True, text=True, env=env, check=True)
    exports = dict(line.removeprefix("export ").split("=", 1) for line in result.stdout.splitlines())
    assert exports["PUBSUB_EMULATOR_HOST"] == "127.0.0.1:18999"
    assert exports["BRIDGE_ES_URL"] == "http://127.0.0.1:19999"
    assert exports["BRIDGE_STACK_DIR"] == str(tmp_path)
    assert exports["BRIDGE_BQ_ENDPOINT"] == "http://127.0.0.1:9050"
