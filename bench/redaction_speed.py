"""Redaction cost: the transform with and without the default rules, and `apply` alone.

    python -m bench.redaction_speed     # prints the figures, writes bench/results/redaction_overhead.json

The figure is the extra instructions per entry (valgrind's callgrind, the same on a busy
machine as on a quiet one); CPU time, which other work on a 2-core machine moves by +-15%,
is given beside it. Without valgrind the figure falls back to CPU time.

Same lines, same thread, rounds alternating, best round by CPU time (the machine is shared).
Entries are JSON-loaded once for the `apply`-only figure; the transform figures run the
whole hot path (decode, stable id, redaction, normalize, ECS document, bulk bytes) as
bench/transform.py does.
"""
from __future__ import annotations

import gc
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
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


COUNTED_ENTRIES = 2000
REPO = Path(__file__).resolve().parents[1]


def _counted_passes(redaction: bool, passes: int) -> None:
    """What valgrind runs: one warm-up pass over the mix, then `passes` more."""
    transform = Transform("elasticsearch", Redactor.default()) if redaction else Transform("elasticsearch")
    messages = [PubsubMessage(data=line) for line in repeated(COUNTED_ENTRIES)]
    gc.freeze()
    for _ in range(passes + 1):
        bridge_pass(transform, messages)


def instructions_per_entry(redaction: bool) -> float | None:
    """Instructions of one pass, as the difference of two runs (so start-up cancels out)."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        return None
    counts = []
    for passes in (0, 2):
        with tempfile.TemporaryDirectory() as tmp:
            run = subprocess.run(
                [valgrind, "--tool=callgrind", f"--callgrind-out-file={tmp}/out", sys.executable, "-m", "bench.redaction_speed",
                 "--count", "on" if redaction else "off", str(passes)],
                capture_output=True, text=True, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=900, check=True,
            )
        counts.append(int(re.search(r"Collected : (\d+)", run.stderr).group(1)))  # type: ignore[union-attr]
    return (counts[1] - counts[0]) / (2 * COUNTED_ENTRIES)


def run(*, entries: int = 30_000, rounds: int = 5) -> Result:
    lines = repeated(entries)
    messages = [PubsubMessage(data=line) for line in lines]
    loaded = [orjson.loads(line) for line in lines]
    redactor = Redactor.default()
    with_rules = Transform("elasticsearch", redactor)
    without = Transform("elasticsearch")
    if (with_rules.engine is None) != (without.engine is None):  # compare like with like
        with_rules, without = Transform("elasticsearch", redactor, native=False), Transform("elasticsearch", native=False)
    gc.freeze()  # as the worker does after start-up (and bench/transform.py): the sample itself is not garbage
    with_s, without_s, apply_s = [], [], []
    for _ in range(rounds):
        without_s.append(cpu_seconds(lambda: bridge_pass(without, messages)))
        with_s.append(cpu_seconds(lambda: bridge_pass(with_rules, messages)))
        apply_s.append(cpu_seconds(lambda: apply_pass(redactor, loaded)))
    rules = native_rules(redactor)
    native_apply = rules.time_apply(lines[: len(set(lines))], 200) if rules is not None else None
    rate_with = entries / min(with_s)
    rate_without = entries / min(without_s)
    time_slowdown = rate_without / rate_with - 1
    with_instructions, without_instructions = instructions_per_entry(True), instructions_per_entry(False)
    counted = with_instructions is not None and without_instructions is not None
    slowdown = with_instructions / without_instructions - 1 if counted else time_slowdown  # type: ignore[operator]
    return Result(
        "redaction_overhead",
        slowdown,
        "extra instructions with the default rules (fraction)" if counted else "extra time with the default rules (fraction)",
        without_instructions if counted else rate_without,  # type: ignore[arg-type]
        "instructions per entry without redaction" if counted else "entries/s/core without redaction",
        f"<= {TARGET_SLOWDOWN:.0%} slower than the transform without redaction",
        False,
        {
            "entries": entries,
            "rounds": rounds,
            "engine": "native" if with_rules.engine is not None else "python",
            "instructions_per_entry_with_redaction": with_instructions,
            "instructions_per_entry_without_redaction": without_instructions,
            "extra_cpu_time": time_slowdown,
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
    if sys.argv[1:2] == ["--count"]:  # under valgrind, for instructions_per_entry
        _counted_passes(sys.argv[2] == "on", int(sys.argv[3]))
        return 0
    result = run()
    d = result.details
    print(f"transform without redaction  {d['rate_without_redaction']:>10,.0f} entries/s/core")
    print(f"transform with default rules {d['rate_with_redaction']:>10,.0f} entries/s/core  (+{d['extra_cpu_time']:.1%} time, +{result.value:.1%} {result.unit})")
    print(f"Redactor.apply alone         {d['apply_only_rate']:>10,.0f} entries/s/core  ({d['apply_microseconds_per_entry']:.2f} us/entry)")
    print(f"wrote {result.write()}")
    return 0 if d["met"] else 1


if __name__ == "__main__":
    sys.exit(main())
