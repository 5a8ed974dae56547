"""Redaction cost: the transform with and without the default rules, and `apply` alone.

    python -m bench.redaction_speed     # prints the figures, writes bench/results/redaction_overhead.json

Same lines, same thread, rounds alternating, best round by CPU time (the machine is shared).
Entries are JSON-loaded once for the `apply`-only figure; the transform figures run the
whole hot path (decode, stable id, redaction, normalize, ECS document, bulk bytes) as
bench/transform.py does.
"""
from __future__ import annotations

import sys
from typing import Any, Sequence

import orjson

from bridge.model import PubsubMessage
from bridge.pipeline import Transform
from bridge.redact import Redactor
from bridge.redaction.native import native_rules

from .corpus import repeated
from .results import Result
from .transform import bridge_pass, cpu_seconds

TARGET_SLOWDOWN = 0.25


def apply_pass(redactor: Redactor, entries: Sequence[dict[str, Any]]) -> int:
    fired = 0
    for entry in entries:
        fired += len(redactor.apply(entry).fired)
    return fired


def run(*, entries: int = 30_000, rounds: int = 5) -> Result:
    lines = repeated(entries)
    messages = [PubsubMessage(data=line) for line in lines]
    loaded = [orjson.loads(line) for line in lines]
    redactor = Redactor.default()
    with_rules = Transform("elasticsearch", redactor)
    without = Transform("elasticsearch")
    if (with_rules.engine is None) != (without.engine is None):  # compare like with like
        with_rules, without = Transform("elasticsearch", redactor, native=False), Transform("elasticsearch", native=False)
    with_s, without_s, apply_s = [], [], []
    for _ in range(rounds):
        without_s.append(cpu_seconds(lambda: bridge_pass(without, messages)))
        with_s.append(cpu_seconds(lambda: bridge_pass(with_rules, messages)))
        apply_s.append(cpu_seconds(lambda: apply_pass(redactor, loaded)))
    rules = native_rules(redactor)
    native_apply = rules.time_apply(lines[: len(set(lines))], 200) if rules is not None else None
    rate_with = entries / min(with_s)
    rate_without = entries / min(without_s)
    slowdown = rate_without / rate_with - 1
    return Result(
        "redaction_overhead",
        slowdown,
        "extra time with the default rules (fraction)",
        rate_without,
        "entries/s/core without redaction",
        f"<= {TARGET_SLOWDOWN:.0%} slower than the transform without redaction",
        False,
        {
            "entries": entries,
            "rounds": rounds,
            "engine": "native" if with_rules.engine is not None else "python",
            "rate_with_redaction": rate_with,
            "rate_without_redaction": rate_without,
            "apply_only_rate": entries / min(apply_s),
            "apply_microseconds_per_entry": 1e6 * min(apply_s) / entries,
            # The native rules alone over the distinct corpus lines, parsed beforehand (native/src/redact).
            "native_apply_microseconds_per_entry": native_apply[0] / 1000 / len(set(lines)) if native_apply else None,
            "met": slowdown <= TARGET_SLOWDOWN,
        },
    )


def main() -> int:
    result = run()
    d = result.details
    print(f"transform without redaction  {d['rate_without_redaction']:>10,.0f} entries/s/core")
    print(f"transform with default rules {d['rate_with_redaction']:>10,.0f} entries/s/core  (+{result.value:.1%} time)")
    print(f"Redactor.apply alone         {d['apply_only_rate']:>10,.0f} entries/s/core  ({d['apply_microseconds_per_entry']:.2f} us/entry)")
    print(f"wrote {result.write()}")
    return 0 if d["met"] else 1


if __name__ == "__main__":
    sys.exit(main())
