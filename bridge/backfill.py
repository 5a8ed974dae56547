"""`python -m bridge backfill`: past entries from Cloud Logging (entries.list) -> the same pipeline.

Reads page by page, oldest first, and writes each page through `deliver` with the
same stable ids as live delivery, so an overlap with what Pub/Sub delivered writes
nothing twice. After every fully written page a checkpoint file records the next
page token and the last entry time; an interrupted run resumes from the token, or,
when Cloud Logging no longer accepts it, from that time (the overlap is absorbed by
the ids). A page with entries left to retry is written again, never skipped.
"""
from __future__ import annotations

import argparse
import base64
import os
import signal
import sys
import threading
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Callable, Mapping, TextIO

import orjson

from .config import DESTINATIONS, max_entry_bytes, sink_from_env, transform_from_env
from .delivery import deliver
from .errors import ConfigError, NormalizeError
from .model import PubsubMessage
from .pipeline import Transform
from .progress import Progress
from .retry import RetryBudget, RetryPolicy
from .sinks.base import Sink
from .timestamps import format_ns, parse_rfc3339_ns

# entries.list allows 1,000 entries a page and, by default quota, 60 calls a minute per project.
DEFAULT_PAGE_SIZE = 1000
DEFAULT_REQUESTS_PER_MINUTE = 60
ORDER_BY = "timestamp asc"
EXIT_COMPLETE, EXIT_INCOMPLETE = 0, 3
_UNITS_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_when(value: str, now_ns: int) -> int:
    """RFC 3339 ('2024-05-01T00:00:00Z') or an age ('90m', '36h', '7d') -> ns since the epoch."""
    unit = _UNITS_S.get(value[-1:])
    if unit is not None and value[:-1].isdigit():
        return now_ns - int(value[:-1]) * unit * 1_000_000_000
    try:
        return parse_rfc3339_ns(value)
    except NormalizeError:
        raise ConfigError(f"cannot read time {value!r}: use RFC 3339 or an age like 36h / 7d") from None


@dataclass(frozen=True, slots=True)
class Query:
    resource_names: tuple[str, ...]
    filter: str
    since_ns: int
    until_ns: int
    page_size: int = DEFAULT_PAGE_SIZE

    def logging_filter(self, from_ns: int | None = None) -> str:
        """The user's filter bounded to [since, until); `from_ns` restarts at a time (inclusive)."""
        start = format_ns(self.since_ns if from_ns is None else from_ns)
        bounds = f'timestamp >= "{start}" AND timestamp < "{format_ns(self.until_ns)}"'
        return f"({self.filter}) AND {bounds}" if self.filter.strip() else bounds

    def key(self) -> str:
        """What a checkpoint must match to be resumed by this query."""
        return orjson.dumps([list(self.resource_names), self.filter, self.since_ns, self.until_ns]).decode()


@dataclass(frozen=True, slots=True)
class Checkpoint:
    query: str
    started_ns: int  # ages like --since 7d count from the first run, so a resume reads the same range
    page_token: str = ""
    token_from_ns: int | None = None  # the lower bound of the filter `page_token` belongs to (None: since)
    last_timestamp_ns: int | None = None
    entries: int = 0
    pages: int = 0
    complete: bool = False

    @staticmethod
    def started(path: Path | None, now_ns: int) -> int:
        if path is None or not path.exists():
            return now_ns
        return int(orjson.loads(path.read_bytes())["started_ns"])

    @classmethod
    def load(cls, path: Path | None, query: Query, started_ns: int) -> "Checkpoint":
        if path is None or not path.exists():
            return cls(query.key(), started_ns)
        checkpoint = cls(**orjson.loads(path.read_bytes()))
        if checkpoint.query != query.key():
            raise ConfigError(f"checkpoint {path} belongs to another query ({checkpoint.query}); use a new file")
        return checkpoint

    def save(self, path: Path) -> None:
        """Atomic: a crash leaves the previous checkpoint or this one, never half of one."""
        partial = path.with_name(path.name + ".partial")
        partial.write_bytes(orjson.dumps(asdict(self)))
        os.replace(partial, path)


def entry_json(entry: Any) -> dict[str, Any]:
    """A LogEntry protobuf -> the JSON a Cloud Logging sink publishes (camelCase, enum names)."""
    from google.protobuf import json_format

    try:
        return json_format.MessageToDict(entry)
    except TypeError:  # a protoPayload type this process has no descriptor for: keep its bytes
        payload = entry.proto_payload
        stripped = type(entry)()
        stripped.CopyFrom(entry)
        stripped.ClearField("proto_payload")
        document = json_format.MessageToDict(stripped)
        document["protoPayload"] = {"@type": payload.type_url, "value": base64.b64encode(payload.value).decode()}
        return document


def _register_payload_types() -> None:
    """Descriptors for the protoPayload types Cloud Logging writes (audit, App Engine request logs)."""
    import google.cloud.appengine_logging  # noqa: F401
    import google.cloud.audit.audit_log_pb2  # noqa: F401


class Pacer:
    """At most `per_minute` calls a minute (the entries.list quota), spread evenly."""

    def __init__(self, per_minute: float, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> None:
        self._interval = 60.0 / per_minute
        self._clock, self._sleep = clock, sleep
        self._next = clock()

    def wait(self) -> None:
        delay = self._next - self._clock()
        if delay > 0:
            self._sleep(delay)
        self._next = max(self._next, self._clock()) + self._interval


class Backfill:
    def __init__(
        self,
        client: Any,  # google.cloud.logging_v2.services.logging_service_v2.LoggingServiceV2Client
        query: Query,
        transform: Transform,
        sink: Sink,
        *,
        checkpoint_path: Path | None = None,
        progress: Progress | None = None,
        stop: threading.Event | None = None,
        pacer: Pacer | None = None,
        page_policy: RetryPolicy = RetryPolicy(deadline_s=300.0),
        deliver_options: Mapping[str, Any] | None = None,
        started_ns: int | None = None,
    ) -> None:
        self._client = client
        self._query = query
        self._transform = transform
        self._sink = sink
        self._path = checkpoint_path
        self._progress = progress
        self._stop = stop or threading.Event()
        self._pacer = pacer or Pacer(DEFAULT_REQUESTS_PER_MINUTE)
        self._page_policy = page_policy
        self._deliver_options = dict(deliver_options or {})
        self.checkpoint = Checkpoint.load(checkpoint_path, query, started_ns or time.time_ns())

    def run(self) -> bool:
        """True when the whole range is written; False when stopped or a page could not be written."""
        from google.api_core import exceptions

        _register_payload_types()
        checkpoint = self.checkpoint
        budget = RetryBudget(self._page_policy)
        while not checkpoint.complete and not self._stop.is_set():
            self._pacer.wait()
            try:
                page = self._list(checkpoint.page_token, checkpoint.token_from_ns)
            except exceptions.InvalidArgument:
                if not checkpoint.page_token:
                    raise
                # The token expired (or Cloud Logging no longer knows it): restart at the last entry's
                # time, inclusive, so entries sharing that timestamp are not skipped; ids absorb the overlap.
                checkpoint = replace(checkpoint, page_token="", token_from_ns=checkpoint.last_timestamp_ns)
                continue
            except (exceptions.ResourceExhausted, exceptions.ServiceUnavailable, exceptions.DeadlineExceeded):
                if budget.backoff():
                    continue
                return False
            if not self._write(page.entries):
                if budget.backoff():
                    continue
                return False
            budget = RetryBudget(self._page_policy)
            last_ns = checkpoint.last_timestamp_ns
            if page.entries:
                stamp = page.entries[-1].timestamp
                last_ns = stamp.seconds * 1_000_000_000 + stamp.nanos
            checkpoint = replace(
                checkpoint,
                page_token=page.next_page_token,
                last_timestamp_ns=last_ns,
                entries=checkpoint.entries + len(page.entries),
                pages=checkpoint.pages + 1,
                complete=not page.next_page_token,
            )
            self._commit(checkpoint)
        return checkpoint.complete

    def _list(self, token: str, from_ns: int | None) -> Any:
        """One page (a ListLogEntriesResponse protobuf); the pager fetches nothing beyond its first page."""
        from google.cloud.logging_v2.types import ListLogEntriesResponse

        pager = self._client.list_log_entries(
            request={
                "resource_names": list(self._query.resource_names),
                "filter": self._query.logging_filter(from_ns),
                "order_by": ORDER_BY,
                "page_size": self._query.page_size,
                "page_token": token,
            }
        )
        return ListLogEntriesResponse.pb(next(iter(pager.pages)))

    def _write(self, entries: Any) -> bool:
        if not entries:
            return True
        messages = [PubsubMessage(data=orjson.dumps(entry_json(entry)), message_id=entry.insert_id or None) for entry in entries]
        report = deliver(messages, self._transform, self._sink, **self._deliver_options)
        if self._progress is not None:
            self._progress.add(report, len(messages))
        return all(report.ack)

    def _commit(self, checkpoint: Checkpoint) -> None:
        self.checkpoint = checkpoint
        if self._path is not None:
            checkpoint.save(self._path)
        if self._progress is not None and checkpoint.last_timestamp_ns is not None:
            self._progress.tick(f"pages={checkpoint.pages} at={format_ns(checkpoint.last_timestamp_ns)}")


def logging_client(environ: Mapping[str, str]) -> Any:
    """Cloud Logging's v2 client; BRIDGE_LOGGING_EMULATOR_HOST points it at a local server speaking the same API."""
    from google.cloud.logging_v2.services.logging_service_v2 import LoggingServiceV2Client

    host = environ.get("BRIDGE_LOGGING_EMULATOR_HOST")
    if not host:
        return LoggingServiceV2Client()
    import grpc
    from google.auth.credentials import AnonymousCredentials
    from google.cloud.logging_v2.services.logging_service_v2.transports import LoggingServiceV2GrpcTransport

    return LoggingServiceV2Client(
        transport=LoggingServiceV2GrpcTransport(channel=grpc.insecure_channel(host), credentials=AnonymousCredentials())
    )


def run_backfill(
    args: argparse.Namespace,
    *,
    environ: Mapping[str, str] = os.environ,
    stdout: TextIO = sys.stdout,
    stderr: TextIO = sys.stderr,
    client: Any = None,
    sink: Sink | None = None,
    stop: threading.Event | None = None,
) -> int:
    project = args.project or environ.get("GOOGLE_CLOUD_PROJECT")
    resources = tuple(args.resource_name or ([f"projects/{project}"] if project else []))
    if not resources:
        raise ConfigError("backfill needs --project (or GOOGLE_CLOUD_PROJECT) or --resource-name")
    checkpoint_path = Path(args.checkpoint) if args.checkpoint else None
    started_ns = Checkpoint.started(checkpoint_path, time.time_ns())
    until_ns = parse_when(args.until, started_ns) if args.until else started_ns
    query = Query(resources, args.filter, parse_when(args.since, started_ns), until_ns, args.page_size)
    transform = transform_from_env(args.to, environ)
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
    progress = Progress("backfill", stdout)
    backfill = Backfill(
        client or logging_client(environ),
        query,
        transform,
        sink or sink_from_env(args.to, environ),
        checkpoint_path=checkpoint_path,
        progress=progress,
        stop=stop,
        pacer=Pacer(args.requests_per_minute),
        deliver_options={
            "max_entry_bytes": max_entry_bytes(environ),
            "redact_text": getattr(transform.redactor, "redact_text", None),
        },
        started_ns=started_ns,
    )
    print(f"backfill: {query.logging_filter()} in {', '.join(resources)} -> {args.to}", file=stderr)
    complete = backfill.run()
    checkpoint = backfill.checkpoint
    print(progress.finish(f"pages={checkpoint.pages} complete={str(complete).lower()}"), file=stderr)
    if complete:
        return EXIT_COMPLETE
    resume = f" --checkpoint {checkpoint_path}" if checkpoint_path else " (add --checkpoint FILE to make runs resumable)"
    print(f"backfill: stopped before the end; run the same command{resume} to continue", file=stderr)
    return EXIT_INCOMPLETE


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--filter", required=True, help='Cloud Logging filter, e.g. resource.type="k8s_container"')
    parser.add_argument("--since", required=True, help="start (inclusive): RFC 3339 or an age like 36h / 7d")
    parser.add_argument("--until", help="end (exclusive): RFC 3339 or an age (default: when the first run started)")
    parser.add_argument("--to", choices=DESTINATIONS, required=True)
    parser.add_argument("--checkpoint", help="file recording progress; an interrupted run resumes from it")
    parser.add_argument("--project", help="project to read (default: GOOGLE_CLOUD_PROJECT)")
    parser.add_argument("--resource-name", action="append", help="projects/P, folders/F, ... (repeatable; overrides --project)")
    parser.add_argument("--page-size", type=int, default=DEFAULT_PAGE_SIZE)
    parser.add_argument("--requests-per-minute", type=float, default=DEFAULT_REQUESTS_PER_MINUTE, help="entries.list calls a minute (the read quota)")
