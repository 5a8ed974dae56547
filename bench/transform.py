"""Figure 1: the hot path (decode, normalize, serialize) against a plain json/dict/json baseline.

Both run in this one thread over the same lines, alternating, best of several rounds, timed
by CPU time: entries per second per core. The bridge side is what the Elasticsearch path
does per entry (decode the message, stable id, redaction as configured by default,
normalize, ECS document, bulk action bytes): the native core when it is installed, with the
pure-Python path measured beside it.
"""
from __future__ import annotations

import cProfile
import gc
import json
import pstats
import time

import orjson
from typing import Any, Callable, Sequence

from bridge.config import transform_from_env
from bridge.decode import decode_message
from bridge.model import PubsubMessage
from bridge.pipeline import Transform
from bridge.sinks.elasticsearch.bulk import Action, encode_action, encode_source
from bridge.sinks.elasticsearch.document import IndexNames, document

from .corpus import repeated
from .results import Result

TARGET_RATE = 50_000
TARGET_RATIO = 3.0


def bridge_pass(transform: Transform, messages: Sequence[PubsubMessage], names: IndexNames = IndexNames()) -> int:
    size = 0
    for message in messages:
        size += action_for(transform, message, names).size
    return size


def action_for(transform: Transform, message: PubsubMessage, names: IndexNames) -> Action:
    """What ElasticsearchWriter sends for one message: its bulk `create` action."""
    item = transform.prepare_message(message)
    source = item.document if item.document is not None else orjson.dumps(document(item.as_record()))
    return encode_source("create", names.for_entry(item.timestamp_ns), item.entry_id, source)


def native_share(transform: Transform, messages: Sequence[PubsubMessage]) -> float:
    """The fraction of messages the native core took (the rest it declined to the Python path)."""
    if transform.engine is None:
        return 0.0
    return sum(transform.engine.prepare(m.data, m.publish_time_ns) is not None for m in messages) / len(messages)


def baseline_pass(lines: Sequence[bytes]) -> int:
    """What a plain converter does: stdlib json in, a dict built field by field, stdlib json out."""
    size = 0
    for line in lines:
        entry = json.loads(line)
        resource = entry.get("resource") or {}
        labels = resource.get("labels") or {}
        payload = entry.get("jsonPayload") or {}
        doc: dict[str, Any] = {}
        doc["@timestamp"] = entry.get("timestamp") or entry.get("receiveTimestamp")
        doc["message"] = entry.get("textPayload") or payload.get("message")
        doc["log"] = {"level": entry.get("severity", "DEFAULT"), "logger": entry.get("logName")}
        doc["event"] = {"id": entry.get("insertId")}
        doc["cloud"] = {"provider": "gcp", "project": {"id": labels.get("project_id")}}
        doc["kubernetes"] = {
            "namespace": labels.get("namespace_name"),
            "pod": {"name": labels.get("pod_name")},
            "container": {"name": labels.get("container_name")},
        }
        doc["labels"] = entry.get("labels")
        doc["gcp"] = {
            "resource": resource,
            "json_payload": entry.get("jsonPayload"),
            "proto_payload": entry.get("protoPayload"),
            "http_request": entry.get("httpRequest"),
        }
        size += len(json.dumps(doc))
    return size


def cpu_seconds(work: Callable[[], object]) -> float:
    gc.collect()
    started = time.process_time()
    work()
    return time.process_time() - started


def stage_microseconds(transform: Transform, messages: Sequence[PubsubMessage], names: IndexNames = IndexNames()) -> dict[str, float]:
    """CPU microseconds per entry of each step of the hot path, each timed over the whole sample."""
    decoded = [decode_message(m) for m in messages]
    records = [transform.record(d) for d in decoded]
    documents = [document(r) for r in records]
    gc.freeze()  # the inputs are long-lived here; collections should not walk them (the worker freezes too)
    steps: dict[str, Callable[[], object]] = {
        "decode (orjson.loads, checks)": lambda: [decode_message(m) for m in messages],
        "prepare (stable id, redaction, normalize)": lambda: [transform.prepare(d) for d in decoded],
        "ECS document": lambda: [document(r) for r in records],
        "bulk action bytes (index name, orjson.dumps)": lambda: [
            encode_action("create", names.for_entry(r.timestamp_ns), r.entry_id, doc) for r, doc in zip(records, documents)
        ],
    }
    timed = {name: round(cpu_seconds(step) / len(messages) * 1e6, 2) for name, step in steps.items()}
    gc.unfreeze()
    return timed


def top_functions(work: Callable[[], object], limit: int = 12) -> list[dict[str, Any]]:
    """cProfile of one pass: the functions with the most time of their own."""
    profile = cProfile.Profile()
    profile.runcall(work)
    stats = pstats.Stats(profile)
    total = sum(row[2] for row in stats.stats.values()) or 1.0  # type: ignore[attr-defined]
    rows = sorted(stats.stats.items(), key=lambda item: item[1][2], reverse=True)[:limit]  # type: ignore[attr-defined]
    return [
        {"function": f"{path.rsplit('/', 2)[-1] if '/' in path else path}:{line}({name})", "own_share": round(own / total, 3), "calls": calls}
        for (path, line, name), (_, calls, own, _cumulative, _) in rows
    ]


def run(*, entries: int = 50_000, rounds: int = 5) -> Result:
    lines = repeated(entries)
    messages = [PubsubMessage(data=line) for line in lines]
    product = transform_from_env("elasticsearch", {})  # the defaults: redaction on
    plain = Transform("elasticsearch")
    python_path = Transform("elasticsearch", product.redactor, native=False)
    gc.freeze()  # as the worker does after start-up: the sample itself is not garbage
    bridge_s, plain_s, python_s, baseline_s = [], [], [], []
    for _ in range(rounds):
        bridge_s.append(cpu_seconds(lambda: bridge_pass(product, messages)))
        plain_s.append(cpu_seconds(lambda: bridge_pass(plain, messages)))
        python_s.append(cpu_seconds(lambda: bridge_pass(python_path, messages)))
        baseline_s.append(cpu_seconds(lambda: baseline_pass(lines)))
    rate = entries / min(bridge_s)
    baseline = entries / min(baseline_s)
    ok = rate >= TARGET_RATE and rate >= TARGET_RATIO * baseline
    details: dict[str, Any] = {
        "entries": entries,
        "rounds": rounds,
        "corpus_lines": len(set(lines)),
        "redaction": product.redactor is not None,
        "engine": "native" if product.engine is not None else "python",
        "native_share": native_share(product, messages),
        "rate_without_redaction": entries / min(plain_s),
        "rate_python_path": entries / min(python_s),
        "ratio_to_baseline": rate / baseline,
        "microseconds_per_entry": 1e6 / rate,
        "baseline_microseconds_per_entry": 1e6 / baseline,
        "met": ok,
    }
    if not ok:
        sample = messages[: min(entries, 20_000)]
        details["python_path_stages_microseconds_per_entry"] = stage_microseconds(python_path, sample)
        details["profile_top_own_time"] = top_functions(lambda: bridge_pass(product, sample))
    return Result(
        "transform",
        rate,
        "entries/s/core",
        baseline,
        "entries/s/core",
        f">= {TARGET_RATE:,} entries/s/core and >= {TARGET_RATIO:g}x baseline",
        True,
        details,
    )
