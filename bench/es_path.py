"""Figures 2 and 7: Pub/Sub emulator -> pull worker -> Elasticsearch, against a plain _bulk loop; then two workers.

One backlog is published once to a topic with two subscriptions: one worker empties the
first (figure 2), two workers share the second (figure 7). The ceiling sends the very
documents the worker builds (same transform, same template, another prefix) as pre-built
_bulk bodies of 1,000, on as many connections as the worker has flushers. Bulk requests
are counted by Elasticsearch itself (its HTTP route statistics).
"""
from __future__ import annotations

import time
from typing import Any

from bridge.config import transform_from_env
from bridge.model import PubsubMessage
from bridge.sinks.elasticsearch.bulk import bulk_body
from bridge.sinks.elasticsearch.document import IndexNames
from bridge.timestamps import parse_rfc3339_ns
from bridge.worker import DEFAULT_FLUSHERS

from . import es
from .corpus import unique_entries
from .feeder import Feeder
from .procs import start_worker, tree_cpu_seconds
from .pubsub import PubSub
from .results import Result
from .stack import Endpoints
from .transform import action_for

DAY_NS = parse_rfc3339_ns("2025-06-02T00:00:00Z")
BULK_DOCUMENTS = 1000
FLUSHERS = DEFAULT_FLUSHERS  # the worker's batches in flight; the ceiling loop gets as many connections
TARGET_RATIO = 0.8
TARGET_BULKS_PER_1000 = 1.0
# A fed subscription can run dry for a moment while the feeder waits for _count to catch up.
IDLE_EXIT_S = 5.0


def worker_args(flushers: int = FLUSHERS) -> list[str]:
    # The emulator feeds a streaming pull one message per stream per 10 ms; see details.
    return ["--receiver", "unary", "--flushers", str(flushers)]


def prebuilt_bodies(raw: list[bytes], names: IndexNames) -> tuple[list[bytes], list[int]]:
    """The worker's own documents (same transform and defaults), as _bulk bodies of 1,000 creates."""
    transform = transform_from_env("elasticsearch", {})
    actions = [bulk_body([action_for(transform, PubsubMessage(data=data), names)]) for data in raw]
    bodies = [b"".join(actions[i : i + BULK_DOCUMENTS]) for i in range(0, len(actions), BULK_DOCUMENTS)]
    return bodies, [min(BULK_DOCUMENTS, len(actions) - i) for i in range(0, len(actions), BULK_DOCUMENTS)]


def _window(stats: list[dict[str, Any]]) -> float:
    return max(s["active_to_unix"] for s in stats) - min(s["active_from_unix"] for s in stats)


def _cpu(stack: Endpoints) -> dict[str, float]:
    """CPU seconds so far of the servers this figure shares two cores with."""
    status = stack.stack.status()
    return {name: tree_cpu_seconds(status[name]["pid"]) for name in ("es", "pubsub") if name in status}


def quiesce(stack: Endpoints, timeout_s: float = 30.0) -> float:
    """Let Elasticsearch finish what earlier runs left (refreshes, flushes, merges) before a measured run,
    so no run pays for its predecessor: waits until the server uses under 10% of a core. Returns seconds waited."""
    started = time.monotonic()
    es.request(stack.es_url, "POST", "/_refresh")
    es.request(stack.es_url, "POST", "/_flush")
    pid = stack.stack.status()["es"]["pid"]
    while time.monotonic() - started < timeout_s:
        before = tree_cpu_seconds(pid)
        time.sleep(1.0)
        if tree_cpu_seconds(pid) - before < 0.1:
            break
    return time.monotonic() - started


def _spent(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {f"{name}_cpu_seconds": round(after[name] - before[name], 2) for name in before}


def _ceiling(stack: Endpoints, raw: list[bytes], tag: str) -> dict[str, Any]:
    names = IndexNames(prefix=f"bench-ceiling{tag}", dead_letter_prefix=f"deadletter-bench-ceiling{tag}")
    es.install_bridge_templates(stack.es_url, names)
    bodies, sizes = prebuilt_bodies(raw, names)
    quiesce(stack)
    poller = Feeder(stack.es_url, f"{names.prefix}-2*")  # the same search load as the worker's runs
    poller.start()
    bulks, cpu = es.bulk_requests(stack.es_url), _cpu(stack)
    loop = es.bulk_loop(stack.es_url, bodies, sizes, FLUSHERS)
    spent = _spent(cpu, _cpu(stack))
    poller.stop()
    assert es.count(stack.es_url, f"{names.prefix}-2*") == len(raw), "the plain _bulk loop did not store every document"
    return {"rate": loop.rate, "seconds": loop.seconds, "bulk_requests": es.bulk_requests(stack.es_url) - bulks, **spent}


def _fed_workers(stack: Endpoints, pubsub: PubSub, raw: list[bytes], name: str, prefix: str, copies: int = 1) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """`copies` workers on one subscription that a Feeder fills with `raw` as they empty it."""
    topic = pubsub.topic(name, [name])
    feeder = Feeder(stack.es_url, f"{prefix}-2*", pubsub, topic, raw)
    feeder.publish_first()
    quiesce(stack)
    bulks, cpu = es.bulk_requests(stack.es_url), _cpu(stack)
    feeder.start()
    env = stack.bridge_env(es_prefix=prefix)
    started = [start_worker(env, name, "elasticsearch", stack.work_dir, f"{name}-{n}", worker_args(), idle_exit_s=IDLE_EXIT_S) for n in range(copies)]
    stats = [worker.wait(900) for worker in started]
    spent = _spent(cpu, _cpu(stack))
    feeder.stop()
    pubsub.delete_subscription(name)
    if feeder.published != len(raw):
        raise RuntimeError(f"the feeder published {feeder.published} of {len(raw)}: a worker went idle too soon")
    totals = {
        "stored": es.count(stack.es_url, f"{prefix}-2*"),
        "bulk_requests": es.bulk_requests(stack.es_url) - bulks,
        "worker_cpu_seconds": round(sum(s["cpu_seconds"] - s["startup_cpu_seconds"] for s in stats), 2),
        **spent,
    }
    return stats, totals


def _through_worker(stack: Endpoints, pubsub: PubSub, raw: list[bytes], tag: str) -> dict[str, Any]:
    [stats], totals = _fed_workers(stack, pubsub, raw, f"es-path{tag}", f"bench-one{tag}")
    keep = ("written", "duplicates", "dead_lettered", "retry", "batches", "active_seconds", "max_rss_bytes", "flusher_seconds", "receiver_counts")
    return {"rate": stats["entries"] / stats["active_seconds"], **totals, "stats": {k: stats[k] for k in keep}}


def run(stack: Endpoints, pubsub: PubSub, *, entries: int = 40_000, rounds: int = 2, streaming_sample: int = 1000) -> tuple[Result, Result]:
    # Warm the JVM and the shared mappings code on another prefix first, so neither side pays for it.
    warm = IndexNames(prefix="bench-warmup", dead_letter_prefix="deadletter-bench-warmup")
    es.install_bridge_templates(stack.es_url, warm)
    es.bulk_loop(stack.es_url, *prebuilt_bodies(unique_entries(10_000, "warm", DAY_NS), warm), FLUSHERS)

    # Alternating rounds, best of each side: the machine is shared, its noise hits both alike.
    ceilings, workers = [], []
    for number in range(rounds):
        raw = unique_entries(entries, f"es{number}", DAY_NS)
        ceilings.append(_ceiling(stack, raw, f"-r{number}"))
        workers.append(_through_worker(stack, pubsub, raw, f"-r{number}"))
    ceiling = max(ceilings, key=lambda c: c["rate"])
    best = max(workers, key=lambda w: w["rate"])
    rate = best["rate"]
    per_1000 = best["bulk_requests"] / entries * 1000
    ratio = rate / ceiling["rate"]
    es_details = {
        "entries": entries,
        "rounds": rounds,
        "ratio_to_ceiling": ratio,
        "bulk_requests_per_1000": per_1000,
        "ceiling_connections": FLUSHERS,
        "backlog": "fed: at most 20,000 entries published and not yet searchable (bench/feeder.py), so the emulator's "
        "per-message scans stay small; the ceiling runs under the same _count polling",
        "ceiling_rounds": ceilings,
        "worker_rounds": workers,
        "worker_cpu_seconds_per_entry": best["worker_cpu_seconds"] / entries,
        "met": ratio >= TARGET_RATIO and per_1000 <= TARGET_BULKS_PER_1000 and all(w["stored"] == entries for w in workers),
    }

    # Two copies on one subscription: nothing lost, nothing written twice, and how the rate compares.
    both, pair_totals = _fed_workers(stack, pubsub, unique_entries(entries, "two", DAY_NS), "es-two", "bench-two", copies=2)
    stored_two = pair_totals["stored"]
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
        "cpu": {k: v for k, v in pair_totals.items() if k.endswith("cpu_seconds")},
        "met": stored_two == entries and written == entries and duplicates == 0 and rate_two >= rate,
    }

    if streaming_sample:
        # The production default receiver, on the emulator: shows what pstest's delivery loop allows.
        subscription = pubsub.backlog("es-streaming", unique_entries(streaming_sample, "stream", DAY_NS))
        streamed = start_worker(
            stack.bridge_env(es_prefix="bench-streaming"), subscription, "elasticsearch", stack.work_dir, subscription, ["--receiver", "streaming"]
        ).wait(300)
        pubsub.delete_subscription(subscription)
        es_details["streaming_receiver_on_emulator"] = {
            "entries": streamed["entries"],
            "entries_per_second": streamed["entries_per_second"],
            "why": "pstest sends a streaming pull one message per stream per 10 ms delivery tick (fake.go: deliver every 10 ms, "
            "unbuffered per-stream channel); real Pub/Sub sends many messages per response",
        }

    es_result = Result(
        "elasticsearch_path", rate, "entries/s", ceiling["rate"], "entries/s (plain _bulk loop)",
        f">= {TARGET_RATIO} x ceiling and <= {TARGET_BULKS_PER_1000:g} bulk request per 1,000 entries", True, es_details,
    )
    scale_result = Result(
        "scale_out", rate_two, "entries/s (2 workers)", rate, "entries/s (1 worker)",
        "no entry lost or written twice; 2 workers >= 1 worker", True, scale_details,
    )
    return es_result, scale_result
