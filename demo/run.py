"""`make demo`: the main job end to end on the local stack, ending in one line of counts.

Starts Elasticsearch, the Pub/Sub emulator, the BigQuery emulator and the two functions;
creates the topic and subscriptions the Terraform creates; publishes entries the way a
Cloud Logging sink does (simulated GKE workloads, the shared real samples, a few poison
messages); delivers them to the functions as Pub/Sub push would (tools/push_relay.py,
since the emulator never pushes); then counts what each store holds, by stable id.

    published=N elasticsearch=N bigquery=N dead_letter=N lost=0

`lost` counts published entries found neither in a store nor in that store's dead letters.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import orjson

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))

from stack import Stack, StackConfig  # noqa: E402  (tools/ is not a package)

from bridge.normalize import entry_id  # noqa: E402
from demo.topology import Topology  # noqa: E402
from demo.workloads import generate  # noqa: E402

CORPUS = Path(os.environ.get("BRIDGE_CORPUS_DIR", REPO.parent / "shared" / "corpus"))
POISON = (
    b"this is not a LogEntry",
    b'{"textPayload": "a JSON object without logName"}',
    b'{"logName": "projects/demo-project/logs/app", "timestamp": "yesterday at noon", "textPayload": "unreadable time"}',
)


@dataclass(frozen=True)
class Published:
    message_id: str
    entry_id: str | None  # None for poison that never decodes


def corpus_entries() -> list[bytes]:
    return [line for path in sorted((CORPUS / "entries").glob("*.jsonl")) for line in path.read_bytes().splitlines() if line.strip()]


def publish_all(publisher, topic: str, count: int) -> list[Published]:
    """One LogEntry JSON per message with the sink's timestamp attribute, like a Log Router sink."""
    payloads = [orjson.dumps(e) for e in generate(count, time.time_ns() - count * 3_000_000)] + corpus_entries()
    futures = []
    for data in payloads:
        entry = orjson.loads(data)
        attributes = {"logging.googleapis.com/timestamp": entry.get("timestamp", "")}
        futures.append((publisher.publish(topic, data, **attributes), entry_id(entry)))
    futures += [(publisher.publish(topic, data), None) for data in POISON]
    return [Published(future.result(timeout=60), stable_id) for future, stable_id in futures]


def elasticsearch_ids(es_url: str) -> tuple[set[str], set[str]]:
    from elasticsearch import Elasticsearch

    es = Elasticsearch(es_url)
    es.indices.refresh(index="gcp-logs-*,gcp-deadletter-*", ignore_unavailable=True, allow_no_indices=True)
    stored = {hit["_id"] for hit in _scan(es, "gcp-logs-*", ["_id"])}
    dead = set()
    for hit in _scan(es, "gcp-deadletter-*", ["entry_id", "message_id"]):
        source = hit.get("_source", {})
        dead.update(v for v in (source.get("entry_id"), source.get("message_id")) if v)
    return stored, dead


def _scan(es, index: str, fields: list[str]):
    from elasticsearch.helpers import scan

    return scan(es, index=index, query={"query": {"match_all": {}}}, _source=[f for f in fields if f != "_id"] or False,
                ignore_unavailable=True, allow_no_indices=True)


def bigquery_ids(config: StackConfig) -> tuple[set[str], set[str], int]:
    """Ids in the deduplicated view (the documented place to query), dead-letter ids, and raw row count."""
    from bridge.sinks.bigquery.settings import BigQuerySettings

    settings = BigQuerySettings.from_env(config.exports())
    client = settings.client()
    views, tables = f"`{config.bq_project}.{settings.views_dataset}`", f"`{config.bq_project}.{settings.dataset}`"
    everything = "WHERE timestamp >= TIMESTAMP '1970-01-01'"  # the table requires a partition filter
    stored = [row[0] for row in client.query(f"SELECT entry_id FROM {views}.logs_dedup {everything}").result()]
    raw_rows = next(iter(client.query(f"SELECT COUNT(*) FROM {tables}.logs {everything}").result()))[0]
    dead = set()
    for row in client.query(f"SELECT entry_id, message_id FROM {tables}.logs_dead_letter").result():
        dead.update(v for v in row.values() if v)
    if len(stored) != len(set(stored)):
        raise SystemExit(f"the deduplicated view returned {len(stored) - len(set(stored))} duplicate entries")
    return set(stored), dead, raw_rows


def drain_pubsub_dead_letters(subscriber, subscription: str) -> set[str]:
    """Messages Pub/Sub itself moved after too many failed deliveries (none when all went well)."""
    ids: set[str] = set()
    while True:
        response = subscriber.pull(subscription=subscription, max_messages=1000, timeout=5)
        if not response.received_messages:
            return ids
        ids.update(m.message.message_id for m in response.received_messages)
        subscriber.acknowledge(subscription=subscription, ack_ids=[m.ack_id for m in response.received_messages])


def lost(published: list[Published], stored: set[str], dead: set[str]) -> list[Published]:
    return [p for p in published if p.entry_id not in stored and p.entry_id not in dead and p.message_id not in dead]


def setup_destinations(config: StackConfig) -> None:
    """What `terraform apply` provides in GCP: the index templates and the BigQuery tables and views."""
    env = {**os.environ, **config.exports()}
    for command in ("es-setup", "bq-setup"):
        subprocess.run([sys.executable, "-m", "bridge", command], env=env, check=True, stdout=subprocess.DEVNULL)


def run(count: int, stack: Stack) -> str:
    from google.cloud import pubsub_v1
    from push_relay import PushRelay

    config = stack.config
    os.environ["PUBSUB_EMULATOR_HOST"] = config.pubsub_host
    publisher, subscriber = pubsub_v1.PublisherClient(), pubsub_v1.SubscriberClient()
    topology = Topology(project=config.bq_project)
    topology.create(publisher, subscriber)
    setup_destinations(config)
    published = publish_all(publisher, topology.topic, count)
    relays = [
        PushRelay(subscriber, topology.subscription("elasticsearch"), config.function_url("to_elasticsearch"), max_in_flight=32),
        PushRelay(subscriber, topology.subscription("bigquery"), config.function_url("to_bigquery"), max_in_flight=32),
    ]
    with ThreadPoolExecutor(len(relays)) as pool:
        stats = list(pool.map(lambda relay: relay.run_until_idle(timeout_s=600.0, idle_s=5.0), relays))
    for relay in relays:
        relay.close()
    print(f"push deliveries: {[vars(s) if hasattr(s, '__dict__') else s for s in stats]}", file=sys.stderr)
    pubsub_dead = drain_pubsub_dead_letters(subscriber, topology.dead_letter_subscription)
    es_stored, es_dead = elasticsearch_ids(config.es_url)
    bq_stored, bq_dead, bq_rows = bigquery_ids(config)
    print(f"bigquery: {bq_rows} rows in the table, {len(bq_stored)} entries in the deduplicated view", file=sys.stderr)
    es_lost = lost(published, es_stored, es_dead | pubsub_dead)
    bq_lost = lost(published, bq_stored, bq_dead | pubsub_dead)
    published_ids = {p.entry_id for p in published if p.entry_id}
    print(f"published {len(published)} messages carrying {len(published_ids)} distinct entries and {len(POISON)} poison "
          f"messages; {len(published) - len(published_ids) - len(POISON)} repeat an earlier entry (same logName, insertId and "
          "timestamp, as a redelivery would) and must be stored once", file=sys.stderr)
    all_dead = es_dead | bq_dead | pubsub_dead
    dead_letter = sum(1 for p in published if p.message_id in all_dead or (p.entry_id and p.entry_id in all_dead))
    for name, missing in (("elasticsearch", es_lost), ("bigquery", bq_lost)):
        for p in missing[:5]:
            print(f"LOST in {name}: message {p.message_id} entry {p.entry_id}", file=sys.stderr)
    return (
        f"published={len(published)} elasticsearch={len(es_stored & published_ids)} "
        f"bigquery={len(bq_stored & published_ids)} dead_letter={dead_letter} lost={len(es_lost) + len(bq_lost)}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=2000, help="simulated GKE entries to publish (plus the corpus)")
    parser.add_argument("--keep-running", action="store_true", help="leave the stack up afterwards")
    args = parser.parse_args(argv)
    stack = Stack(StackConfig.from_env())
    try:
        print("starting the local stack (first run installs Elasticsearch and builds the Pub/Sub emulator)...", file=sys.stderr)
        stack.up()
        line = run(args.entries, stack)
    finally:
        if not args.keep_running:
            stack.down()
    print(line)
    return 0 if line.endswith(" lost=0") else 1


if __name__ == "__main__":
    sys.exit(main())
