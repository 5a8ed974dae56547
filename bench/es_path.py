"""Figures 2 and 7: Pub/Sub emulator -> pull worker -> Elasticsearch, against a plain _bulk loop; then two workers.

One backlog is published once to a topic with two subscriptions: one worker empties the
first (figure 2), two workers share the second (figure 7). The ceiling sends the very
documents the worker builds (same transform, same template, another prefix) as pre-built
_bulk bodies of 1,000, on as many connections as the worker has flushers. Bulk requests
are counted by Elasticsearch itself (its HTTP route statistics).
"""
from __future__ import annotations

from typing import Any

from bridge.config import transform_from_env
from bridge.decode import decode_message
from bridge.model import PubsubMessage
from bridge.sinks.elasticsearch.bulk import encode_action
from bridge.sinks.elasticsearch.document import IndexNames, document
from bridge.timestamps import parse_rfc3339_ns

from . import es
from .corpus import unique_entries
from .procs import start_worker
from .pubsub import PubSub
from .results import Result
from .stack import Endpoints

DAY_NS = parse_rfc3339_ns("2025-06-02T00:00:00Z")
BULK_DOCUMENTS = 1000
FLUSHERS = 2
TARGET_RATIO = 0.8
TARGET_BULKS_PER_1000 = 1.0


def worker_args(flushers: int = FLUSHERS) -> list[str]:
    # The emulator feeds a streaming pull one message per stream per 10 ms; see details.
    return ["--receiver", "unary", "--flushers", str(flushers)]


def prebuilt_bodies(raw: list[bytes], names: IndexNames) -> tuple[list[bytes], list[int]]:
    """The worker's own documents (same transform and defaults), as _bulk bodies of 1,000 creates."""
    transform = transform_from_env("elasticsearch", {})
    actions = []
    for data in raw:
        record = transform.prepare(decode_message(PubsubMessage(data=data))).record
        actions.append(encode_action("create", names.for_entry(record.timestamp_ns), record.entry_id, document(record)).body)
    bodies = [b"".join(actions[i : i + BULK_DOCUMENTS]) for i in range(0, len(actions), BULK_DOCUMENTS)]
    return bodies, [min(BULK_DOCUMENTS, len(actions) - i) for i in range(0, len(actions), BULK_DOCUMENTS)]


def _window(stats: list[dict[str, Any]]) -> float:
    return max(s["active_to_unix"] for s in stats) - min(s["active_from_unix"] for s in stats)


def run(stack: Endpoints, pubsub: PubSub, *, entries: int = 60_000, streaming_sample: int = 1000) -> tuple[Result, Result]:
    url = stack.es_url
    raw = unique_entries(entries, "es", DAY_NS)

    # Warm the JVM and the shared mappings code on another prefix first, so neither side pays for it.
    warm = IndexNames(prefix="bench-warmup", dead_letter_prefix="deadletter-bench-warmup")
    es.install_bridge_templates(url, warm)
    bodies, sizes = prebuilt_bodies(unique_entries(5000, "warm", DAY_NS), warm)
    es.bulk_loop(url, bodies, sizes, FLUSHERS)

    ceiling_names = IndexNames(prefix="bench-ceiling", dead_letter_prefix="deadletter-bench-ceiling")
    es.install_bridge_templates(url, ceiling_names)
    bodies, sizes = prebuilt_bodies(raw, ceiling_names)
    before = es.bulk_requests(url)
    ceiling = es.bulk_loop(url, bodies, sizes, FLUSHERS)
    ceiling_bulks = es.bulk_requests(url) - before
    assert es.count(url, "bench-ceiling-2*") == entries, "the plain _bulk loop did not store every document"

    topic = pubsub.topic("es-path", ["es-one", "es-two"])
    pubsub.publish(topic, raw)

    before = es.bulk_requests(url)
    one = start_worker(stack.bridge_env(es_prefix="bench-one"), "es-one", "elasticsearch", stack.work_dir, "es-one", worker_args())
    single = one.wait(900)
    bulks = es.bulk_requests(url) - before
    stored = es.count(url, "bench-one-2*")
    rate = single["entries"] / single["active_seconds"]
    per_1000 = bulks / entries * 1000
    ratio = rate / ceiling.rate
    es_details = {
        "entries": entries,
        "stored": stored,
        "ratio_to_ceiling": ratio,
        "bulk_requests": bulks,
        "bulk_requests_per_1000": per_1000,
        "ceiling_bulk_requests": ceiling_bulks,
        "ceiling_connections": FLUSHERS,
        "worker": {k: single[k] for k in ("written", "duplicates", "dead_lettered", "retry", "batches", "active_seconds", "cpu_seconds", "startup_cpu_seconds", "max_rss_bytes", "receiver")},
        "worker_cpu_seconds_per_entry": (single["cpu_seconds"] - single["startup_cpu_seconds"]) / entries,
        "met": ratio >= TARGET_RATIO and per_1000 <= TARGET_BULKS_PER_1000 and stored == entries,
    }

    # Two copies on one subscription: nothing lost, nothing written twice, and how the rate compares.
    pair = [
        start_worker(stack.bridge_env(es_prefix="bench-two"), "es-two", "elasticsearch", stack.work_dir, f"es-two-{n}", worker_args())
        for n in (1, 2)
    ]
    both = [worker.wait(900) for worker in pair]
    stored_two = es.count(url, "bench-two-2*")
    written = sum(s["written"] for s in both)
    duplicates = sum(s["duplicates"] for s in both)
    rate_two = entries / _window(both)
    scale_details = {
        "entries": entries,
        "stored": stored_two,
        "lost": entries - stored_two,
        "written_by_each": [s["written"] for s in both],
        "written_twice": duplicates,  # a second create of a stable id answers 409: counted as duplicate
        "rate_one_worker": rate,
        "ratio": rate_two / rate,
        "cores": 2,
        "note": "two cores shared by both workers, Elasticsearch and the emulator",
        "met": stored_two == entries and written == entries and duplicates == 0 and rate_two >= rate,
    }

    if streaming_sample:
        # The production default receiver, on the emulator: shows what pstest's delivery loop allows.
        topic = pubsub.topic("es-streaming", ["es-streaming"])
        pubsub.publish(topic, unique_entries(streaming_sample, "stream", DAY_NS))
        streamed = start_worker(
            stack.bridge_env(es_prefix="bench-streaming"), "es-streaming", "elasticsearch", stack.work_dir, "es-streaming", ["--receiver", "streaming"]
        ).wait(300)
        es_details["streaming_receiver_on_emulator"] = {
            "entries": streamed["entries"],
            "entries_per_second": streamed["entries_per_second"],
            "why": "pstest sends a streaming pull one message per stream per 10 ms delivery tick (fake.go: deliver every 10 ms, "
            "unbuffered per-stream channel); real Pub/Sub sends many messages per response",
        }

    es_result = Result(
        "elasticsearch_path", rate, "entries/s", ceiling.rate, "entries/s (plain _bulk loop)",
        f">= {TARGET_RATIO} x ceiling and <= {TARGET_BULKS_PER_1000:g} bulk request per 1,000 entries", True, es_details,
    )
    scale_result = Result(
        "scale_out", rate_two, "entries/s (2 workers)", rate, "entries/s (1 worker)",
        "no entry lost or written twice; 2 workers >= 1 worker", True, scale_details,
    )
    return es_result, scale_result
