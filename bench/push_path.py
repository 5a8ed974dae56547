"""Figure 3: concurrent push requests into one functions-framework instance serving functions/main.py,
against a plain function (bench/plain_function.py) that makes one index call per message.

Both get the same concurrency (gunicorn threads = client connections, as a Cloud Run
function's concurrency setting would), the same entries and the same index template.
Bulk requests are counted by Elasticsearch; CPU seconds are read from /proc (for the cost figure).
"""
from __future__ import annotations

from typing import Any

from bridge.sinks.elasticsearch.document import IndexNames

from . import es
from .corpus import unique_entries
from .es_path import DAY_NS
from .load import push, push_body
from .procs import REPO, tree_cpu_seconds
from .results import Result
from .stack import Endpoints

CONCURRENCY = 128
WARM_UP = 300
TARGET_PER_BULK = 20
TARGET_RATIO = 5.0


def _start(stack: Endpoints, source: str, target: str, prefix: str) -> tuple[str, int, int]:
    env = {**stack.bridge_env(es_prefix=prefix), "THREADS": str(CONCURRENCY)}
    name = f"bench-{target}"
    url, pid = stack.start_function(name, REPO / source, target, env)
    return name, pid, int(url.rsplit(":", 1)[1])


def _floor(stack: Endpoints, messages: int) -> dict[str, Any]:
    """The same load on a function that does nothing: functions-framework's own ceiling here."""
    name, pid, port = _start(stack, "bench/plain_function.py", "framework_floor", "bench-floor")
    try:
        push(port, [push_body(b"{}", f"warm-{n}") for n in range(WARM_UP)], CONCURRENCY)
        bodies = [push_body(data, str(n)) for n, data in enumerate(unique_entries(messages, "floor", DAY_NS))]
        cpu_before = tree_cpu_seconds(pid)
        load = push(port, bodies, CONCURRENCY)
        cpu = tree_cpu_seconds(pid) - cpu_before
    finally:
        stack.stop_function(name)
    return {"messages": messages, "rate": load.rate, "statuses": load.statuses, "cpu_seconds_per_request": cpu / messages}


def _measure(stack: Endpoints, source: str, target: str, prefix: str, messages: int) -> dict[str, Any]:
    name, pid, port = _start(stack, source, target, prefix)
    try:
        warm = [push_body(data, f"warm-{n}") for n, data in enumerate(unique_entries(WARM_UP, f"{prefix}-warm", DAY_NS))]
        push(port, warm, CONCURRENCY)  # first write installs templates and creates the index
        bodies = [push_body(data, str(n)) for n, data in enumerate(unique_entries(messages, prefix, DAY_NS))]
        bulks_before, cpu_before = es.bulk_requests(stack.es_url), tree_cpu_seconds(pid)
        load = push(port, bodies, CONCURRENCY)
        cpu = tree_cpu_seconds(pid) - cpu_before
        bulks = es.bulk_requests(stack.es_url) - bulks_before
    finally:
        stack.stop_function(name)
    stored = es.count(stack.es_url, f"{prefix}-2*")
    return {
        "messages": messages,
        "rate": load.rate,
        "seconds": load.seconds,
        "statuses": load.statuses,
        "bulk_requests": bulks,
        "messages_per_bulk": messages / bulks if bulks else None,
        "cpu_seconds": cpu,
        "cpu_seconds_per_entry": cpu / messages,
        "stored": stored,
        "lost": messages + WARM_UP - stored,
    }


def run(stack: Endpoints, *, messages: int = 8000, plain_messages: int = 3000) -> Result:
    bridge = _measure(stack, "functions/main.py", "to_elasticsearch", "bench-push", messages)
    es.install_bridge_templates(stack.es_url, IndexNames(prefix="bench-plain", dead_letter_prefix="deadletter-bench-plain"))
    plain = _measure(stack, "bench/plain_function.py", "plain_to_elasticsearch", "bench-plain", plain_messages)
    floor = _floor(stack, messages)
    ratio = bridge["rate"] / plain["rate"]
    per_bulk = bridge["messages_per_bulk"] or 0.0
    details = {
        "concurrency": CONCURRENCY,
        "messages_per_bulk": per_bulk,
        "ratio": ratio,
        "bridge": bridge,
        "plain": plain,
        "framework_floor": floor,
        "floor_ratio_to_plain": floor["rate"] / plain["rate"],
        "met": per_bulk >= TARGET_PER_BULK and ratio >= TARGET_RATIO and bridge["lost"] == 0 and set(bridge["statuses"]) == {200},
    }
    return Result(
        "push_path", bridge["rate"], "messages/s", plain["rate"], "messages/s (one index call per message)",
        f">= {TARGET_PER_BULK} messages per bulk request and >= {TARGET_RATIO:g}x throughput", True, details,
    )
