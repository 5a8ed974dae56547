"""`python -m bridge pull` and `python -m bridge backfill` as processes, on the real stack.

The worker pulls from pstest and writes to the real Elasticsearch; counts come back from
both: what is stored, what each worker wrote, what the subscription still holds.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import orjson
import pytest
from google.cloud.logging_v2.types import LogEntry
from google.protobuf import json_format

from tests.integration.elasticsearch_support import Destination, entries, ids_of, wait_for
from tests.unit.logging_api import LoggingApiServer

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]
TIMESTAMP = "2024-05-01T12:00:00.123456789Z"


@pytest.fixture
def destination(stack):
    d = Destination.create(stack.config.es_url)
    yield d
    d.drop()


@pytest.fixture
def backlog(publisher, subscriber, project_id):
    """A topic and subscription with `count` entries published: returns (subscription path, entries)."""

    def make(count: int, start: int = 0, ack_deadline_s: int = 30):
        tag = uuid.uuid4().hex[:8]
        topic = publisher.create_topic(name=f"projects/{project_id}/topics/pull-{tag}").name
        sub = subscriber.create_subscription(
            request={"name": f"projects/{project_id}/subscriptions/pull-{tag}", "topic": topic, "ack_deadline_seconds": ack_deadline_s}
        ).name
        items = entries(count, TIMESTAMP, start=start)
        for future in [publisher.publish(topic, orjson.dumps(e)) for e in items]:
            future.result(timeout=60)
        return sub, items

    return make


def start_pull(stack, destination, subscription, tmp_path, label, *extra):
    stats = tmp_path / f"{label}.json"
    log = open(tmp_path / f"{label}.log", "wb")
    env = {**os.environ, **destination.env, "PUBSUB_EMULATOR_HOST": stack.config.pubsub_host}
    command = [sys.executable, "-m", "bridge", "pull", "--subscription", subscription, "--to", "elasticsearch", "--stats-file", str(stats), *extra]
    return subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT), stats


def finish(process, stats, timeout_s=180):
    assert process.wait(timeout_s) == 0, f"worker exited {process.returncode}"
    return orjson.loads(stats.read_bytes())


def left_in(subscriber, subscription, rounds=6):
    """Message data still in the subscription (pulled and nacked back), read within its ack deadline."""
    found, ack_ids = [], []
    for _ in range(rounds):
        pulled = subscriber.pull(subscription=subscription, max_messages=1000, timeout=10).received_messages
        found += [orjson.loads(m.message.data) for m in pulled]
        ack_ids += [m.ack_id for m in pulled]
    if ack_ids:
        subscriber.modify_ack_deadline(subscription=subscription, ack_ids=ack_ids, ack_deadline_seconds=0)
    return found


def consume_left(subscriber, subscription, expected: set[str], min_s: float, timeout_s: float) -> set[str]:
    """insertIds of every message Pub/Sub still delivers, acknowledging them, for at least `min_s` and until
    `expected` all came back (or `timeout_s`). Messages the stopped worker had leased come back only when
    their ack deadline expires, so the wait must outlast it: reading sooner would mistake a lease for a loss."""
    seen: set[str] = set()
    started = time.monotonic()
    while time.monotonic() - started < timeout_s and (time.monotonic() - started < min_s or not expected <= seen):
        pulled = subscriber.pull(subscription=subscription, max_messages=1000, timeout=5).received_messages
        seen |= {orjson.loads(m.message.data)["insertId"] for m in pulled}
        if pulled:
            subscriber.acknowledge(subscription=subscription, ack_ids=[m.ack_id for m in pulled])
        else:
            time.sleep(1)
    return seen


def test_a_backlog_is_written_once_in_batches_and_acknowledged(stack, destination, backlog, subscriber, tmp_path):
    subscription, items = backlog(3000)
    process, stats = start_pull(stack, destination, subscription, tmp_path, "one", "--receiver", "unary", "--idle-exit-s", "2")
    result = finish(process, stats)
    assert destination.count() == 3000
    assert set(destination.ids()) == ids_of(items)
    assert (result["entries"], result["written"], result["duplicates"], result["retry"]) == (3000, 3000, 0, 0)
    assert result["batches"] <= 6  # batches across messages: 1,000 entries each, give or take a partial one
    assert left_in(subscriber, subscription) == []  # every message acknowledged


def test_sigterm_stops_pulling_writes_and_acknowledges_what_it_holds_then_exits_0(stack, destination, backlog, subscriber, tmp_path):
    subscription, items = backlog(600)
    # The default streaming receiver; pstest feeds it about 100 messages/s, so most are still waiting at SIGTERM.
    process, stats = start_pull(stack, destination, subscription, tmp_path, "term", "--batch-wait-ms", "5000")
    wait_for(lambda: b"pull: projects/" in (tmp_path / "term.log").read_bytes(), 60, "the worker to start")
    time.sleep(3)  # it now holds a few hundred messages, none written yet (batches wait up to 5 s)
    assert destination.count() == 0
    process.send_signal(signal.SIGTERM)
    result = finish(process, stats, timeout_s=90)
    stored = set(destination.ids())
    stored_insert_ids = {e["insertId"] for e in items if ids_of([e]) <= stored}
    everything = {e["insertId"] for e in items}
    # Past the 30 s ack deadline, so a message written but never acknowledged would show up here too.
    remaining = consume_left(subscriber, subscription, everything - stored_insert_ids, min_s=40, timeout_s=90)
    assert result["written"] == len(stored) > 0  # what it held was written on the way out
    assert not remaining & stored_insert_ids  # nothing written was left unacknowledged
    assert remaining | stored_insert_ids == everything  # and nothing is lost


def test_two_workers_share_one_subscription_with_nothing_written_twice(stack, destination, backlog, tmp_path):
    subscription, items = backlog(6000)
    runs = [start_pull(stack, destination, subscription, tmp_path, f"w{n}", "--receiver", "unary", "--idle-exit-s", "3") for n in (1, 2)]
    results = [finish(process, stats) for process, stats in runs]
    assert destination.count() == 6000
    assert set(destination.ids()) == ids_of(items)
    assert sum(r["written"] for r in results) == 6000
    assert sum(r["duplicates"] for r in results) == 0
    assert all(r["written"] > 0 for r in results)  # both took a share


def test_backfill_over_entries_live_delivery_already_wrote_writes_nothing_twice(stack, destination, backlog, tmp_path):
    """Half the entries arrive live through Pub/Sub first; a backfill of all of them then adds only the rest."""
    subscription, items = backlog(1000, start=0)
    process, stats = start_pull(stack, destination, subscription, tmp_path, "live", "--receiver", "unary", "--idle-exit-s", "2")
    finish(process, stats)
    everything = entries(2000, TIMESTAMP)
    protos = [json_format.ParseDict(e, LogEntry.pb()()) for e in everything]
    checkpoint = tmp_path / "backfill.checkpoint"
    with LoggingApiServer(protos) as server:
        env = {**os.environ, **destination.env, "BRIDGE_LOGGING_EMULATOR_HOST": server.address}
        command = [
            sys.executable, "-m", "bridge", "backfill", "--project", "demo-project", "--to", "elasticsearch",
            "--filter", 'resource.type="k8s_container"', "--since", "2024-05-01T00:00:00Z", "--until", "2024-05-02T00:00:00Z",
            "--checkpoint", str(checkpoint), "--page-size", "300", "--requests-per-minute", "100000",
        ]
        done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    assert "entries=2000 written=1000 duplicates=1000" in done.stderr
    assert destination.count() == 2000
    assert set(destination.ids()) == ids_of(everything)
    assert orjson.loads(checkpoint.read_bytes())["complete"] is True


def test_the_worker_reports_its_writes_to_cloud_monitoring_like_the_functions(stack, destination, backlog, tmp_path):
    from tests.integration.monitoring_server import MonitoringServer

    server = MonitoringServer()
    endpoint = server.start()
    try:
        subscription, _ = backlog(500)
        env = {"BRIDGE_METRICS_PROJECT": "demo-project", "BRIDGE_MONITORING_ENDPOINT": endpoint, "BRIDGE_METRICS_LOCATION": "europe-west1"}
        stats = tmp_path / "metrics.json"
        process = subprocess.Popen(
            [sys.executable, "-m", "bridge", "pull", "--subscription", subscription, "--to", "elasticsearch",
             "--receiver", "unary", "--idle-exit-s", "2", "--stats-file", str(stats)],
            cwd=REPO, env={**os.environ, **destination.env, "PUBSUB_EMULATOR_HOST": stack.config.pubsub_host, **env},
            stdout=open(tmp_path / "metrics.log", "wb"), stderr=subprocess.STDOUT,
        )
        assert finish(process, stats)["written"] == 500
        written = [s for s in server.latest().values() if s.metric.type.endswith("/entries_written")]
        assert [(dict(s.metric.labels), s.points[0].value.int64_value) for s in written] == [({"destination": "elasticsearch"}, 500)]
        assert server.rejected == []
    finally:
        server.stop()
