"""Figure 5: publish -> searchable in Elasticsearch at a fixed 1,000 entries/s, p50 and p99.

A publisher thread publishes 10 entries every 10 ms (each stamped with its publish time
and a sequence number); one in ten is timed: the main thread searches for the timed
entries not yet seen (by id) every 100 ms and records the first search that finds each
(so every latency is an upper bound by up to one poll).
The baseline is the floor Elasticsearch itself sets: the same entries written straight
to it with a plain _bulk every 10 ms (no Pub/Sub, no worker), found the same way.
"""
from __future__ import annotations

import threading
import time
from typing import Callable

import orjson

from bridge.config import transform_from_env
from bridge.model import PubsubMessage
from bridge.sinks.elasticsearch.bulk import bulk_body
from bridge.sinks.elasticsearch.document import IndexNames
from bridge.timestamps import format_ns

from . import es
from .corpus import corpus_lines
from .es_path import FLUSHERS
from .procs import start_worker
from .pubsub import PubSub
from .results import Result
from .stack import Endpoints
from .transform import action_for

RATE = 1000
TICK_S = 0.01
POLL_S = 0.1
SAMPLE_EVERY = 10  # one entry in ten is timed: 100 a second, looked up by id, so polling stays light
TARGET_P99_S = 2.0


def _entry(lines: list[bytes], run: str, sequence: int) -> bytes:
    entry = orjson.loads(lines[sequence % len(lines)])
    entry["insertId"] = f"{run}-{sequence}"
    entry["timestamp"] = format_ns(time.time_ns())
    return orjson.dumps(entry)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def measure(es_url: str, pattern: str, run: str, send: Callable[[list[bytes]], None], seconds: float) -> dict[str, float | int]:
    """Sends RATE entries/s for `seconds` through `send`, returns latency percentiles to searchable."""
    lines = corpus_lines()
    per_tick = int(RATE * TICK_S)
    total = int(RATE * seconds)
    sampled = total // SAMPLE_EVERY
    published: dict[str, float] = {}  # sampled entry -> when it was sent
    lock = threading.Lock()

    def publisher() -> None:
        started = time.monotonic()
        for tick in range(total // per_tick):
            pause = started + tick * TICK_S - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            batch = [_entry(lines, run, tick * per_tick + n) for n in range(per_tick)]
            now = time.time()
            with lock:
                for n in range(0, per_tick, SAMPLE_EVERY):
                    published[f"{run}-{tick * per_tick + n}"] = now
            send(batch)

    thread = threading.Thread(target=publisher)
    thread.start()
    latencies: list[float] = []
    seen: set[str] = set()
    deadline = time.monotonic() + seconds + 30
    while time.monotonic() < deadline and len(seen) < sampled:
        time.sleep(POLL_S)
        with lock:
            unseen = [key for key in published if key not in seen]
        if not unseen:
            continue
        query = {"size": len(unseen), "_source": False, "fields": ["event.id"], "query": {"terms": {"event.id": unseen}}}
        try:
            hits = es.request(es_url, "POST", f"/{pattern}/_search?ignore_unavailable=true", orjson.dumps(query))["hits"]["hits"]
        except RuntimeError:
            continue  # the index does not exist yet
        found_at = time.time()
        with lock:
            for hit in hits:
                key = hit["fields"]["event.id"][0]
                if key not in seen:
                    seen.add(key)
                    latencies.append(found_at - published[key])
    thread.join()
    return {
        "entries": total,
        "sampled": sampled,
        "found": len(seen),
        "p50_s": _percentile(latencies, 0.50) if latencies else float("inf"),
        "p99_s": _percentile(latencies, 0.99) if len(seen) == sampled else float("inf"),
        "max_s": max(latencies) if latencies else float("inf"),
    }


def run(stack: Endpoints, pubsub: PubSub, *, seconds: float = 15.0) -> Result:
    url = stack.es_url
    topic = pubsub.topic("latency", ["latency"])
    worker = start_worker(
        stack.bridge_env(es_prefix="bench-latency"), "latency", "elasticsearch", stack.work_dir, "latency",
        ["--receiver", "unary", "--flushers", str(FLUSHERS)], idle_exit_s=5.0,
    )
    # Ready when a first entry is searchable (the worker is up, the index exists).
    pubsub.publish(topic, [_entry(corpus_lines(), "ready", 0)])
    ready = time.monotonic() + 120
    while time.monotonic() < ready:
        try:
            if es.count(url, "bench-latency-2*"):
                break
        except RuntimeError:
            pass
        time.sleep(0.5)
    bridge = measure(url, "bench-latency-2*", "lat", lambda batch: pubsub.publish(topic, batch), seconds)
    stats = worker.wait(120)
    pubsub.delete_subscription("latency")

    names = IndexNames(prefix="bench-direct", dead_letter_prefix="deadletter-bench-direct")
    es.install_bridge_templates(url, names)
    transform = transform_from_env("elasticsearch", {})

    def direct(batch: list[bytes]) -> None:
        es.request(url, "POST", "/_bulk", bulk_body([action_for(transform, PubsubMessage(data=data), names) for data in batch]))

    direct([_entry(corpus_lines(), "ready-direct", 0)])  # creates the index before the clock starts
    floor = measure(url, "bench-direct-2*", "direct", direct, seconds)
    details = {
        "rate": RATE,
        "seconds": seconds,
        "p50_s": bridge["p50_s"],
        "p99_s": bridge["p99_s"],
        "max_s": bridge["max_s"],
        "found": bridge["found"],
        "sampled": bridge["sampled"],
        "entries": bridge["entries"],
        "worker_flusher_seconds": stats["flusher_seconds"],
        "worker_receiver_counts": stats["receiver_counts"],
        "baseline_p50_s": floor["p50_s"],
        "baseline": "the same entries written straight to Elasticsearch with a plain _bulk every 10 ms",
        "poll_interval_s": POLL_S,
        "worker_batches": stats["batches"],
        "met": bridge["p99_s"] <= TARGET_P99_S,
    }
    return Result("latency_p99", bridge["p99_s"], "s", floor["p99_s"], "s (direct _bulk, no Pub/Sub)", f"p99 <= {TARGET_P99_S:g} s", False, details)
