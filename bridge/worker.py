"""`python -m bridge pull`: a pull worker that batches across messages.

A receiver (streaming pull by default, or unary Pull; see receivers.py) hands each
message over to `HeldMessages`; flusher threads take batches from it (by count, bytes
or the oldest message's age), run the one delivery path (`deliver`) and settle each
message after its entries are confirmed: acknowledged, or nacked so Pub/Sub redelivers.
Flow control (messages and bytes) bounds what the process holds, including what waits
here. On SIGTERM/SIGINT the worker stops taking messages (late arrivals are nacked at
once), writes and acknowledges what it holds, then stops the receiver, which sends the
queued acknowledgements before it ends. Many copies can share one subscription: Pub/Sub
spreads the messages, and the stable entry ids turn any redelivery into a no-op write.
"""
from __future__ import annotations

import argparse
import gc
import logging
import os
import resource
import signal
import sys
import threading
import time
from collections import Counter, deque
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, TextIO

import orjson

from .batch import BatchLimits
from .config import DESTINATIONS, max_entry_bytes, sink_from_env, transform_from_env
from .delivery import DeliveryReport, deliver
from .errors import ConfigError
from .metrics import record_report, recorder_from_env
from .model import PubsubMessage
from .pipeline import Transform
from .progress import Progress
from .receivers import RECEIVERS, FlowLimits, Receiver
from .sinks.base import Sink

log = logging.getLogger(__name__)

# Three flushers keep the destination busy while the next batch is transformed (measured on the local
# stack: 1,496 entries/s into Elasticsearch with two, 2,383 with three); flow control holds five
# batches: three being written, one being built, one arriving.
DEFAULT_FLUSHERS = 3
DEFAULT_FLOW = FlowLimits(max_messages=5000, max_bytes=64 * 1024 * 1024)
DEFAULT_BATCH = BatchLimits(max_messages=1000, max_bytes=8 * 1024 * 1024, max_wait_s=0.2)


@dataclass(frozen=True, slots=True)
class Held:
    handle: Any  # what the receiver settles by
    message: PubsubMessage
    size: int
    arrived: float


class HeldMessages:
    """Messages from the receiver waiting to be batched; closing it refuses new ones."""

    def __init__(self, limits: BatchLimits, clock: Callable[[], float] = time.monotonic) -> None:
        self._limits = limits
        self._clock = clock
        self._items: deque[Held] = deque()
        self._bytes = 0
        self._closed = False
        self._cond = threading.Condition()
        self.last_arrival: float | None = None

    def __len__(self) -> int:
        return len(self._items)

    def offer(self, handle: Any, message: PubsubMessage, size: int) -> bool:
        """False once closed: the receiver nacks the message so Pub/Sub redelivers it."""
        with self._cond:
            if self._closed:
                return False
            self.last_arrival = self._clock()
            self._items.append(Held(handle, message, size, self.last_arrival))
            self._bytes += size
            # Wake a flusher only when it has something new to decide on.
            if len(self._items) == 1 or self._full():
                self._cond.notify()
            return True

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def _full(self) -> bool:
        return len(self._items) >= self._limits.max_messages or self._bytes >= self._limits.max_bytes

    def take(self) -> list[Held]:
        """The next batch: full, or its oldest message waited `max_wait_s`, or closing. [] when closed and empty."""
        with self._cond:
            while True:
                if self._items:
                    wait = self._items[0].arrived + self._limits.max_wait_s - self._clock()
                    if self._closed or wait <= 0 or self._full():
                        return self._pop()
                    self._cond.wait(wait)
                elif self._closed:
                    return []
                else:
                    self._cond.wait()

    def _pop(self) -> list[Held]:
        batch: list[Held] = []
        size = 0
        items = self._items
        limits = self._limits
        while items and len(batch) < limits.max_messages and (not batch or size + items[0].size <= limits.max_bytes):
            held = items.popleft()
            batch.append(held)
            size += held.size
        self._bytes -= size
        if items:
            self._cond.notify()  # another flusher can start on the rest
        return batch


class PullWorker:
    """A receiver plus `flushers` threads writing batches through `deliver`."""

    def __init__(
        self,
        receiver: Receiver,
        transform: Transform,
        sink: Sink,
        *,
        batch: BatchLimits = DEFAULT_BATCH,
        flushers: int = DEFAULT_FLUSHERS,
        progress: Progress | None = None,
        entry_limit_bytes: int | None = None,
        redact_text: Callable[[str], str] | None = None,
        on_report: Callable[[DeliveryReport], None] | None = None,
    ) -> None:
        self._receiver = receiver
        self._on_report = on_report
        self._transform = transform
        self._sink = sink
        self._held = HeldMessages(batch)
        self._flusher_count = flushers
        self._progress = progress
        self._deliver_options: dict[str, Any] = {"redact_text": redact_text}
        if entry_limit_bytes is not None:
            self._deliver_options["max_entry_bytes"] = entry_limit_bytes
        self._in_flight = 0
        self._lock = threading.Lock()
        self._flushers: list[threading.Thread] = []
        self.batches = 0
        # Where the flushers' time goes: waiting for a batch, delivering it, settling it (summed over flushers).
        self.phase_seconds: Counter[str] = Counter()
        # The active window, from the first message taken to the last one settled (throughput figures).
        self.first_arrival: float | None = None
        self.last_settled: float | None = None
        self._started = time.monotonic()

    @property
    def outstanding(self) -> int:
        """Messages this worker holds: waiting for a batch or being written."""
        return len(self._held) + self._in_flight

    def start(self) -> None:
        for number in range(self._flusher_count):
            thread = threading.Thread(target=self._flush_loop, name=f"bridge-flusher-{number}", daemon=True)
            thread.start()
            self._flushers.append(thread)
        self._receiver.start(self._held.offer)

    def error(self) -> BaseException | None:
        return self._receiver.error()

    def receiver_counts(self) -> dict[str, float]:
        return dict(getattr(self._receiver, "counts", {}))

    def idle_s(self) -> float:
        """Seconds since a message last arrived or was settled (since start if none yet); 0 while holding any."""
        if self.outstanding:
            return 0.0
        last = max(self._held.last_arrival or self._started, self.last_settled or 0.0)
        return time.monotonic() - last

    def active_s(self) -> float:
        if self.first_arrival is None or self.last_settled is None:
            return 0.0
        return self.last_settled - self.first_arrival

    def _add(self, phase: str, seconds: float) -> None:
        with self._lock:
            self.phase_seconds[phase] += seconds

    def _flush_loop(self) -> None:
        while True:
            started = time.monotonic()
            batch = self._held.take()
            self._add("waiting_for_batch", time.monotonic() - started)
            if not batch:
                return
            with self._lock:
                self._in_flight += len(batch)
            try:
                self._deliver(batch)
            finally:
                with self._lock:
                    self._in_flight -= len(batch)

    def _deliver(self, batch: list[Held]) -> None:
        handles = [held.handle for held in batch]
        started = time.monotonic()
        try:
            report = deliver([held.message for held in batch], self._transform, self._sink, **self._deliver_options)
        except Exception:  # a bug or an unexpected client error: leave it to Pub/Sub to redeliver
            log.exception("batch of %d messages failed; nacking them for redelivery", len(batch))
            self._receiver.settle(handles, [False] * len(batch))
            return
        delivered = time.monotonic()
        self._add("delivering", delivered - started)
        self._receiver.settle(handles, report.ack)
        self._add("settling", time.monotonic() - delivered)
        if report.retry:
            log.warning("%d entries left for redelivery: %s", report.retry, "; ".join(report.reasons[:3]))
        with self._lock:
            self.batches += 1
            self.last_settled = time.monotonic()
            self.first_arrival = min(self.first_arrival or batch[0].arrived, batch[0].arrived)
        if self._progress is not None:
            self._progress.add(report, len(batch))
        if self._on_report is not None:
            self._on_report(report)

    def drain(self, timeout_s: float = 60.0) -> None:
        """Stop taking messages, write and settle what is held, then stop the receiver."""
        self._held.close()
        self._receiver.stop_receiving()
        deadline = time.monotonic() + timeout_s
        for thread in self._flushers:
            thread.join(max(0.0, deadline - time.monotonic()))
        self._receiver.stop(max(1.0, deadline - time.monotonic()))


def subscription_path(name: str, project: str | None) -> str:
    if name.startswith("projects/"):
        return name
    if not project:
        raise ConfigError(f"subscription {name!r} needs --project (or GOOGLE_CLOUD_PROJECT, or credentials with a project) or a full projects/.../subscriptions/... path")
    return f"projects/{project}/subscriptions/{name}"


def default_project(environ: Mapping[str, str]) -> str | None:
    """GOOGLE_CLOUD_PROJECT, else the credentials' project (the metadata server on Cloud Run and GKE)."""
    project = environ.get("GOOGLE_CLOUD_PROJECT") or environ.get("PUBSUB_PROJECT_ID")
    if project or environ.get("PUBSUB_EMULATOR_HOST"):
        return project
    import google.auth
    from google.auth.exceptions import DefaultCredentialsError

    try:
        return google.auth.default()[1]
    except DefaultCredentialsError:
        return None


def _backlog_status(worker: PullWorker, backlog: Callable[[], int | None] | None) -> str:
    value = backlog() if backlog is not None else None
    return f"backlog={value}" if value is not None else f"outstanding={worker.outstanding}"


def run_pull(
    args: argparse.Namespace,
    *,
    environ: Mapping[str, str] = os.environ,
    stdout: TextIO = sys.stdout,
    stderr: TextIO = sys.stderr,
    subscriber: Any = None,
    sink: Sink | None = None,
    stop: threading.Event | None = None,
) -> int:
    """The command: runs until SIGTERM/SIGINT (or `stop`), drains, prints a summary. Exit 0 after a clean drain."""
    from google.cloud import pubsub_v1

    from .backlog import backlog_reader

    subscription = subscription_path(args.subscription, args.project or default_project(environ))
    transform = transform_from_env(args.to, environ)
    progress = Progress("pull", stdout)
    metrics = recorder_from_env(environ)
    flow = FlowLimits(args.max_messages, args.max_bytes)
    receiver = RECEIVERS[args.receiver](subscriber or pubsub_v1.SubscriberClient(), subscription, flow, streams=args.streams)
    worker = PullWorker(
        receiver,
        transform,
        sink or sink_from_env(args.to, environ),
        batch=BatchLimits(args.batch_messages, args.batch_bytes, args.batch_wait_ms / 1000.0),
        flushers=args.flushers,
        progress=progress,
        entry_limit_bytes=max_entry_bytes(environ),
        redact_text=getattr(transform.redactor, "redact_text", None),
        on_report=(lambda report: record_report(metrics, args.to, report)) if metrics is not None else None,
    )
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
    backlog = backlog_reader(subscription, environ) if stdout.isatty() else None
    if metrics is not None:
        metrics.start(float(environ.get("BRIDGE_METRICS_FLUSH_S", 60)))
    worker.start()
    # Imports and clients are done: keep their objects out of every later garbage collection
    # (measured: a third of the delivery CPU per entry went to collections that found nothing).
    gc.freeze()
    startup_cpu_s = time.process_time()
    print(f"pull: {subscription} -> {args.to} ({args.receiver}, flow control {args.max_messages} messages / {args.max_bytes} bytes)", file=stderr)
    error: BaseException | None = None
    while not stop.wait(0.2):
        error = worker.error()
        if error is not None or (args.idle_exit_s is not None and worker.idle_s() >= args.idle_exit_s):
            break
        progress.tick(_backlog_status(worker, backlog))
    worker.drain(timeout_s=args.drain_timeout_s)
    if metrics is not None:
        metrics.close()
    print(progress.finish(f"batches={worker.batches}"), file=stderr)
    if args.stats_file:
        write_stats(Path(args.stats_file), worker, progress, subscription, args, startup_cpu_s)
    if error is not None:
        print(f"pull: receiving from {subscription} failed: {error}", file=stderr)
        return 1
    return 0


def peak_rss_bytes() -> int | None:
    """This process's high-water mark (VmHWM). Not ru_maxrss: Linux carries the parent's peak over exec."""
    try:
        with open("/proc/self/status", "rb") as status:
            for line in status:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _unix(monotonic: float | None) -> float | None:
    return None if monotonic is None else time.time() - (time.monotonic() - monotonic)


def write_stats(
    path: Path, worker: PullWorker, progress: Progress, subscription: str, args: argparse.Namespace, startup_cpu_s: float
) -> None:
    """The run's totals, active window, CPU time and peak memory as JSON (for jobs and benchmarks)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    active = worker.active_s()
    totals = progress.totals
    stats = {
        "subscription": subscription,
        "destination": args.to,
        **asdict(totals),
        "batches": worker.batches,
        "active_seconds": active,
        # The window on the wall clock, so runs of several processes can be put side by side.
        "active_from_unix": _unix(worker.first_arrival),
        "active_to_unix": _unix(worker.last_settled),
        "entries_per_second": totals.entries / active if active > 0 else None,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "startup_cpu_seconds": startup_cpu_s,  # imports and clients, before the first message
        "max_rss_bytes": peak_rss_bytes(),
        "flow_control": {"max_messages": args.max_messages, "max_bytes": args.max_bytes},
        "receiver": args.receiver,
        "flusher_seconds": dict(worker.phase_seconds),
        "receiver_counts": worker.receiver_counts(),
    }
    path.write_bytes(orjson.dumps(stats, option=orjson.OPT_INDENT_2))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--subscription", required=True, help="subscription id or projects/P/subscriptions/S")
    parser.add_argument("--to", choices=DESTINATIONS, required=True)
    parser.add_argument("--project", help="project of a short subscription id (default: GOOGLE_CLOUD_PROJECT)")
    parser.add_argument("--receiver", choices=sorted(RECEIVERS), default="streaming", help="Pub/Sub streaming pull or unary Pull")
    parser.add_argument("--streams", type=int, default=1, help="concurrent pull streams (or Pull loops)")
    parser.add_argument("--max-messages", type=int, default=DEFAULT_FLOW.max_messages, help="flow control: messages held at once")
    parser.add_argument("--max-bytes", type=int, default=DEFAULT_FLOW.max_bytes, help="flow control: message bytes held at once")
    parser.add_argument("--batch-messages", type=int, default=DEFAULT_BATCH.max_messages, help="entries per write")
    parser.add_argument("--batch-bytes", type=int, default=DEFAULT_BATCH.max_bytes, help="message bytes per write")
    parser.add_argument("--batch-wait-ms", type=float, default=DEFAULT_BATCH.max_wait_s * 1000, help="longest wait to fill a batch")
    parser.add_argument("--flushers", type=int, default=DEFAULT_FLUSHERS, help="batches written concurrently")
    parser.add_argument("--drain-timeout-s", type=float, default=60.0, help="how long a drain may take on SIGTERM")
    parser.add_argument("--idle-exit-s", type=float, help="drain and exit after this long without messages (empty a backlog, then stop)")
    parser.add_argument("--stats-file", help="write the run's totals, CPU seconds and peak memory here as JSON at exit")
