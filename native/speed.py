"""By hand, not a test: CPU microseconds per corpus-mix entry, engine vs Python path vs baseline.

PYTHONPATH=. python native/speed.py  (after building and copying bridge_native.abi3.so)
"""
from __future__ import annotations

import gc
import time
from typing import Callable

import orjson

import bridge_native
from bench.corpus import repeated
from bench.transform import baseline_pass, bridge_pass
from bridge.config import transform_from_env
from bridge.model import PubsubMessage
from bridge.native import ElasticsearchEngine, elasticsearch_engine
from bridge.pipeline import Transform
from bridge.sinks.elasticsearch.document import IndexNames

ENTRIES = 20_000
ROUNDS = 7


def best_us(steps: dict[str, Callable[[], object]]) -> dict[str, float]:
    """Best CPU time of each step over ROUNDS, the steps interleaved so that load on the machine hits all alike."""
    best = dict.fromkeys(steps, float("inf"))
    for _ in range(ROUNDS):
        for name, work in steps.items():
            gc.collect()
            started = time.process_time()
            work()
            best[name] = min(best[name], time.process_time() - started)
    return {name: seconds / ENTRIES * 1e6 for name, seconds in best.items()}


def engine_pass(engine: ElasticsearchEngine, lines: list[bytes]) -> int:
    """Bytes of documents made; a declined entry (None) counts nothing (the caller would run Python)."""
    size = 0
    for line in lines:
        prepared = engine.prepare(line, None)
        size += len(prepared[2]) if prepared is not None else 0
    return size


def engine_action_pass(engine: ElasticsearchEngine, lines: list[bytes], names: IndexNames = IndexNames()) -> int:
    """The engine plus what the bulk writer adds per entry: index name and action line."""
    size = 0
    for line in lines:
        prepared = engine.prepare(line, None)
        assert prepared is not None
        entry_id, timestamp_ns, document, _, _ = prepared
        header = orjson.dumps({"create": {"_index": names.for_entry(timestamp_ns), "_id": entry_id}})
        size += len(header + b"\n" + document + b"\n")
    return size


def main() -> None:
    lines = repeated(ENTRIES)
    messages = [PubsubMessage(data=line) for line in lines]
    engine = bridge_native.ElasticsearchEngine()
    assert all(engine.prepare(line, None) is not None for line in set(lines)), "a corpus line was declined"
    redacting, plain = transform_from_env("elasticsearch", {}), Transform("elasticsearch")
    steps: dict[str, Callable[[], object]] = {}
    redacting_engine = elasticsearch_engine(redacting)
    if redacting_engine is None:
        print("no native redaction rules: the engine with redaction on is not timed")
    else:
        declined = sum(redacting_engine.prepare(line, None) is None for line in lines)
        print(f"engine with redaction on declines {declined} of {len(lines)} entries")
        steps["engine.prepare (redaction on)"] = lambda: engine_pass(redacting_engine, lines)
    gc.freeze()
    rows = best_us(
        {
            **steps,
            "engine.prepare (no redaction)": lambda: engine_pass(engine, lines),
            "engine.prepare + bulk action line": lambda: engine_action_pass(engine, lines),
            "python bridge_pass, redaction on": lambda: bridge_pass(redacting, messages),
            "python bridge_pass, no redaction": lambda: bridge_pass(plain, messages),
            "baseline_pass (json + dict + json)": lambda: baseline_pass(lines),
        }
    )
    for name, us in rows.items():
        print(f"{name:40s} {us:8.2f} us/entry")
    print(f"baseline / engine: {rows['baseline_pass (json + dict + json)'] / rows['engine.prepare (no redaction)']:.1f}x")


if __name__ == "__main__":
    main()
