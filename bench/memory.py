"""Figure 6: peak RSS of a pull worker facing a 100,000-message backlog with flow control at M bytes.

Flow control is set by bytes only (the message limit far above what M holds), so M is the
binding limit, and the worker runs against the backlog for a fixed time (it cannot empty
it sooner on this machine), then drains on SIGTERM. The kernel's high-water mark of the
process (VmHWM) is the figure; the baseline is the same worker's on an empty subscription.
"""
from __future__ import annotations

from bridge.worker import DEFAULT_FLOW

from .corpus import unique_entries
from .es_path import DAY_NS, FLUSHERS
from .procs import start_worker
from .pubsub import PubSub
from .results import Result
from .stack import Endpoints

MIB = 1024 * 1024
FLOW_CONTROL_BYTES = DEFAULT_FLOW.max_bytes  # the worker's default, 64 MiB
BACKLOG = 100_000


def run(stack: Endpoints, pubsub: PubSub, *, backlog: int = BACKLOG, seconds: float = 40.0, flow_bytes: int = FLOW_CONTROL_BYTES) -> Result:
    topic = pubsub.topic("memory", ["memory", "memory-idle"])
    flow = ["--receiver", "unary", "--flushers", str(FLUSHERS), "--max-messages", "10000000", "--max-bytes", str(flow_bytes)]
    env = stack.bridge_env(es_prefix="bench-memory")
    idle = start_worker(env, "memory-idle", "elasticsearch", stack.work_dir, "memory-idle", flow, idle_exit_s=3.0).wait(120)
    pubsub.publish(topic, unique_entries(backlog, "memory", DAY_NS))
    loaded = start_worker(env, "memory", "elasticsearch", stack.work_dir, "memory", flow, idle_exit_s=3.0).stop_after(seconds)
    for subscription in ("memory", "memory-idle"):
        pubsub.delete_subscription(subscription)
    bound = 2 * flow_bytes + 128 * MIB
    peak = loaded["max_rss_bytes"]
    details = {
        "flow_control_bytes": flow_bytes,
        "backlog_messages": backlog,
        "bound_bytes": bound,
        "peak_rss_bytes": peak,
        "idle_rss_bytes": idle["max_rss_bytes"],
        "held_above_idle_bytes": peak - idle["max_rss_bytes"],
        "entries_written_while_measured": loaded["written"],
        "seconds": seconds,
        "met": peak <= bound,
    }
    return Result(
        "memory", peak / MIB, "MiB peak RSS", idle["max_rss_bytes"] / MIB, "MiB (same worker, empty subscription)",
        f"<= 2 x M + 128 MiB = {bound / MIB:.0f} MiB (M = {flow_bytes / MIB:.0f} MiB)", False, details,
    )
