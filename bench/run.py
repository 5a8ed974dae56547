"""`make bench`: every figure with its baseline, measured in one run on the real local stack.

    python -m bench.run [--only transform,push_path,...] [--quick] [--keep-stack]

Starts Elasticsearch, the Pub/Sub emulator and the BigQuery emulator through tools/stack.py
on free ports, runs the figures, writes bench/results/<name>.json, prints the table and
stops the stack. A figure that fails is written with its error and the run exits 1.
"""
from __future__ import annotations

import argparse
import logging
import math
import sys
import time
import traceback
from dataclasses import dataclass
from typing import Any, Callable

from . import bigquery_path, cost, es_path, latency, memory, push_path, redaction_quality, redaction_speed, transform
from .pubsub import PubSub
from .results import ORDER, Result, load_all, table
from .stack import Endpoints, local_stack


@dataclass(frozen=True, slots=True)
class Sizes:
    transform_entries: int = 30_000
    es_entries: int = 50_000
    push_messages: int = 8000
    plain_messages: int = 3000
    bq_entries: int = 6000
    latency_seconds: float = 15.0
    memory_backlog: int = 100_000
    memory_seconds: float = 30.0


STACK_FIGURES = ("elasticsearch_path", "push_path", "bigquery_path", "latency_p99", "memory", "scale_out", "cost_pull")
QUICK = Sizes(20_000, 10_000, 2000, 800, 2000, 8.0, 100_000, 20.0)


def failed(name: str, error: BaseException) -> Result:
    return Result(name, math.nan, "-", math.nan, "-", "-", True, {"error": "".join(traceback.format_exception_only(error)).strip(), "met": False})


class Runner:
    def __init__(self, only: set[str]) -> None:
        self.only = only
        self.results: dict[str, Result] = {}
        self.shared: dict[str, Any] = {}

    def wanted(self, *names: str) -> bool:
        return not self.only or bool(self.only.intersection(names))

    def figure(self, names: tuple[str, ...], measure: Callable[[], tuple[Result, ...]], needed_by: tuple[str, ...] = ()) -> None:
        """Runs `measure` for the figures `names` (or when a figure in `needed_by` uses what it measures)."""
        if not self.wanted(*names, *needed_by):
            return
        started = time.monotonic()
        try:
            produced = measure()
        except Exception as error:  # one broken figure must not hide the others
            traceback.print_exc()
            produced = tuple(failed(name, error) for name in names)
        for result in produced:
            result.details.setdefault("bench_seconds", round(time.monotonic() - started, 1))
            result.write()
            self.results[result.name] = result
            print(f"bench: {result.name} = {result.value:,.4g} {result.unit} (baseline {result.baseline:,.4g}) "
                  f"in {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run")
    parser.add_argument("--only", default="", help=f"comma-separated figures ({', '.join(ORDER)})")
    parser.add_argument("--quick", action="store_true", help="smaller samples, for trying the harness")
    parser.add_argument("--keep-stack", action="store_true", help="leave the stack's state dir for reading its logs")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    sizes = QUICK if args.quick else Sizes()
    runner = Runner({name for name in args.only.split(",") if name})
    started = time.monotonic()

    runner.figure(("transform",), lambda: (transform.run(entries=sizes.transform_entries, rounds=3),))
    runner.figure(("redaction_quality",), lambda: (redaction_quality.run()[1],))
    runner.figure(("redaction_overhead",), lambda: (redaction_speed.run(entries=sizes.transform_entries, rounds=3),))
    if runner.wanted(*STACK_FIGURES):
        with local_stack(keep=args.keep_stack) as stack:
            run_on_stack(runner, stack, sizes)

    results = [runner.results[name] for name in ORDER if name in runner.results]
    print(table(results or load_all()))
    print(f"bench: {time.monotonic() - started:.0f} s", file=sys.stderr)
    return 1 if any("error" in r.details for r in results) else 0


def run_on_stack(runner: Runner, stack: Endpoints, sizes: Sizes) -> None:
    pubsub = PubSub(stack.pubsub_host, stack.project)
    shared = runner.shared

    def elasticsearch() -> tuple[Result, ...]:
        es_result, scale_result = es_path.run(stack, pubsub, entries=sizes.es_entries)
        shared["pull_cpu_s_per_entry"] = es_result.details["worker_cpu_seconds_per_entry"]
        return es_result, scale_result

    def push() -> tuple[Result, ...]:
        result = push_path.run(stack, messages=sizes.push_messages, plain_messages=sizes.plain_messages)
        shared["push_cpu_s_per_entry"] = result.details["bridge"]["cpu_seconds_per_entry"]
        return (result,)

    def costs() -> tuple[Result, ...]:
        if "pull_cpu_s_per_entry" not in shared or "push_cpu_s_per_entry" not in shared:
            raise RuntimeError("cost needs the Elasticsearch path and the push path from this run")
        return (cost.run(shared["pull_cpu_s_per_entry"], shared["push_cpu_s_per_entry"]),)

    runner.figure(("elasticsearch_path", "scale_out"), elasticsearch, needed_by=("cost_pull",))
    runner.figure(("push_path",), push, needed_by=("cost_pull",))
    runner.figure(("bigquery_path",), lambda: (bigquery_path.run(stack, pubsub, entries=sizes.bq_entries),))
    runner.figure(("latency_p99",), lambda: (latency.run(stack, pubsub, seconds=sizes.latency_seconds),))
    runner.figure(("memory",), lambda: (memory.run(stack, pubsub, backlog=sizes.memory_backlog, seconds=sizes.memory_seconds),))
    runner.figure(("cost_pull",), costs)


if __name__ == "__main__":
    sys.exit(main())
