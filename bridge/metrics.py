"""The bridge's own metrics in Cloud Monitoring: entries written, dead-lettered and retried per destination,
and delivery lag (Pub/Sub publish time to confirmed write).

`record()` only adds to in-memory counters and a lag distribution under a lock: no I/O, no allocation
beyond a new series. `flush()` (called by a background thread, or by the caller) writes what changed with
`CreateTimeSeries`, within the API's limits: at most 200 series per request, one point per series per
request, and each series written at most once per `min_interval_s` (the API refuses points closer than
5 s apart). Counters are CUMULATIVE from the recorder's start, so a failed write loses nothing: the next
one carries the totals.

The metric types, kinds, labels and buckets come from bridge/schema/metric_descriptors.json, the file
Terraform creates the metric descriptors and the dashboard from.
"""
from __future__ import annotations

import logging
import math
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Protocol, Sequence

import orjson

from .errors import ConfigError

DESCRIPTORS_FILE = Path(__file__).resolve().parent / "schema" / "metric_descriptors.json"
MAX_SERIES_PER_REQUEST = 200  # CreateTimeSeries limit
API_MIN_INTERVAL_S = 5.0  # the API rejects a point closer than this to the previous point of its series
DEFAULT_MIN_INTERVAL_S = 10.0
DEFAULT_MAX_SERIES_PER_METRIC = 100  # label values beyond this collapse to OVERFLOW_LABEL
OVERFLOW_LABEL = "other"
_OFF = frozenset({"0", "off", "false", "no"})

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ExponentialBuckets:
    """Cloud Monitoring exponential buckets: underflow, num_finite_buckets, overflow."""

    num_finite_buckets: int
    growth_factor: float
    scale: float

    def index(self, value: float) -> int:
        if value < self.scale:
            return 0
        finite = int(math.log(value / self.scale, self.growth_factor)) + 1
        # Float rounding at an exact bound: bucket i holds [scale*g^(i-1), scale*g^i).
        if value < self.scale * self.growth_factor ** (finite - 1):
            finite -= 1
        elif value >= self.scale * self.growth_factor**finite:
            finite += 1
        return min(finite, self.num_finite_buckets + 1)


@dataclass(frozen=True, slots=True)
class MetricSpec:
    name: str
    type: str
    metric_kind: str
    value_type: str
    label_keys: tuple[str, ...]
    buckets: ExponentialBuckets | None = None


@dataclass(frozen=True, slots=True)
class Catalog:
    """Everything bridge/schema/metric_descriptors.json declares."""

    resource_type: str
    resource_namespace: str
    metrics: Mapping[str, MetricSpec]


def load_catalog(path: Path = DESCRIPTORS_FILE) -> Catalog:
    spec = orjson.loads(path.read_bytes())
    metrics = {
        m["name"]: MetricSpec(
            name=m["name"],
            type=spec["type_prefix"] + m["name"],
            metric_kind=m["metric_kind"],
            value_type=m["value_type"],
            label_keys=tuple(label["key"] for label in m["labels"]),
            buckets=ExponentialBuckets(**m["exponential_buckets"]) if "exponential_buckets" in m else None,
        )
        for m in spec["metrics"]
    }
    return Catalog(spec["resource_type"], spec["resource_namespace"], metrics)


@dataclass(slots=True)
class _Distribution:
    """Running count, mean and sum of squared deviations (Welford), plus bucket counts."""

    buckets: ExponentialBuckets
    count: int = 0
    mean: float = 0.0
    sum_of_squared_deviation: float = 0.0
    bucket_counts: list[int] = field(default_factory=list)

    def add(self, value: float, times: int) -> None:
        if not self.bucket_counts:
            self.bucket_counts = [0] * (self.buckets.num_finite_buckets + 2)
        # `times` equal samples at once (Chan et al. merge of a zero-variance group).
        total = self.count + times
        delta = value - self.mean
        self.mean += delta * times / total
        self.sum_of_squared_deviation += delta * delta * self.count * times / total
        self.count = total
        self.bucket_counts[self.buckets.index(value)] += times


@dataclass(slots=True)
class _Series:
    spec: MetricSpec
    labels: tuple[tuple[str, str], ...]
    value: Any  # int for counters, _Distribution for the lag
    version: int = 0  # bumped by every record, compared with the version last written
    written_version: int = 0
    written_at: float = -math.inf
    last_end_time: float = -math.inf


@dataclass(frozen=True, slots=True)
class Point:
    """One series as written in one request: what the writer turns into a TimeSeries."""

    metric_type: str
    metric_kind: str
    value_type: str
    labels: Mapping[str, str]
    start_time: float
    end_time: float
    value: Any  # int, or a mapping with count, mean, sum_of_squared_deviation, bucket_counts, buckets


class TimeSeriesWriter(Protocol):
    def write(self, points: Sequence[Point]) -> None:
        """One CreateTimeSeries request; raises on failure."""


@dataclass(frozen=True, slots=True)
class FlushResult:
    series_written: int = 0
    requests: int = 0
    failed_requests: int = 0


def task_resource(project_id: str, catalog: Catalog, environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """generic_task labels that make each process's series its own (cumulative series must not be shared)."""
    return {
        "project_id": project_id,
        "location": environ.get("BRIDGE_METRICS_LOCATION", "global"),
        "namespace": catalog.resource_namespace,
        "job": environ.get("K_SERVICE") or environ.get("BRIDGE_METRICS_JOB", "gcp-log-bridge"),
        "task_id": f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}",
    }


class MetricsRecorder:
    """Thread-safe in-memory aggregation of the bridge's metrics, written in batches by flush()."""

    def __init__(
        self,
        writer: TimeSeriesWriter,
        catalog: Catalog | None = None,
        *,
        min_interval_s: float = DEFAULT_MIN_INTERVAL_S,
        max_series_per_metric: int = DEFAULT_MAX_SERIES_PER_METRIC,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if min_interval_s < API_MIN_INTERVAL_S:
            raise ConfigError(f"min_interval_s must be at least {API_MIN_INTERVAL_S} s, the API's limit", reason="bad_metrics_interval")
        self._writer = writer
        self._catalog = catalog or load_catalog()
        self._min_interval_s = min_interval_s
        self._max_series = max_series_per_metric
        self._clock = clock
        self._start_time = clock()
        self._series: dict[tuple[str, tuple[str, ...]], _Series] = {}
        self._per_metric: dict[str, int] = {}
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- hot path -------------------------------------------------------------------------------

    def record(self, name: str, value: float = 1, **labels: str) -> None:
        """Add `value` to a counter, or one lag sample of `value` seconds to the distribution."""
        self._add(name, labels, value, 1)

    def record_lag(self, destination: str, seconds: float, entries: int = 1) -> None:
        """`entries` entries written `seconds` after their message was published."""
        self._add("delivery_lag", {"destination": destination}, max(seconds, 0.0), entries)

    def _add(self, name: str, labels: Mapping[str, str], value: float, times: int) -> None:
        spec = self._catalog.metrics.get(name)
        if spec is None:
            raise ConfigError(f"unknown metric {name!r}", reason="unknown_metric")
        try:
            values = tuple(labels[key] for key in spec.label_keys)
        except KeyError:
            raise ConfigError(f"{name} needs labels {spec.label_keys}, got {tuple(labels)}", reason="bad_metric_labels") from None
        with self._lock:
            series = self._series.get((name, values)) or self._new_series(spec, values)
            if spec.buckets is None:
                series.value += int(value)
            else:
                series.value.add(value, times)
            series.version += 1

    def _new_series(self, spec: MetricSpec, values: tuple[str, ...]) -> _Series:
        if self._per_metric.get(spec.name, 0) >= self._max_series:
            # Unbounded label values (a stray reason text) must not explode the number of series.
            values = tuple(values[:1]) + (OVERFLOW_LABEL,) * (len(values) - 1)
            existing = self._series.get((spec.name, values))
            if existing is not None:
                return existing
        initial: Any = 0 if spec.buckets is None else _Distribution(spec.buckets)
        series = _Series(spec, tuple(zip(spec.label_keys, values)), initial)
        self._series[(spec.name, values)] = series
        self._per_metric[spec.name] = self._per_metric.get(spec.name, 0) + 1
        return series

    # -- off the hot path -----------------------------------------------------------------------

    def flush(self) -> FlushResult:
        """Write every series that changed and is due, in requests of at most 200 series."""
        with self._flush_lock:
            now = self._clock()
            due = self._snapshot(now)
            result = FlushResult()
            for start in range(0, len(due), MAX_SERIES_PER_REQUEST):
                batch = due[start : start + MAX_SERIES_PER_REQUEST]
                try:
                    self._writer.write([point for _, _, point in batch])
                except Exception as exc:  # noqa: BLE001 - metrics must never break delivery; totals catch up
                    log.warning("writing %d metric series failed: %s", len(batch), exc)
                    result = FlushResult(result.series_written, result.requests + 1, result.failed_requests + 1)
                    continue
                with self._lock:
                    for series, version, point in batch:
                        series.written_version = version
                        series.written_at = now
                        series.last_end_time = point.end_time
                result = FlushResult(result.series_written + len(batch), result.requests + 1, result.failed_requests)
            return result

    def _snapshot(self, now: float) -> list[tuple[_Series, int, Point]]:
        with self._lock:
            return [
                (series, series.version, self._point(series, now))
                for series in self._series.values()
                if series.version != series.written_version and now - series.written_at >= self._min_interval_s
            ]

    def _point(self, series: _Series, now: float) -> Point:
        spec = series.spec
        value: Any = series.value
        if isinstance(value, _Distribution):
            value = {
                "count": value.count,
                "mean": value.mean,
                "sum_of_squared_deviation": value.sum_of_squared_deviation,
                "bucket_counts": tuple(value.bucket_counts),
                "buckets": value.buckets,
            }
        # A cumulative interval must have end > start, and each point must end after the previous one.
        end_time = max(now, self._start_time + 0.001, series.last_end_time + 0.001)
        return Point(spec.type, spec.metric_kind, spec.value_type, dict(series.labels), self._start_time, end_time, value)

    def start(self, interval_s: float = 60.0) -> None:
        """Flush every interval_s seconds from a daemon thread until close()."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, args=(interval_s,), name="bridge-metrics", daemon=True)
        self._thread.start()

    def _run(self, interval_s: float) -> None:
        while not self._stop.wait(interval_s):
            self.flush()

    def close(self, timeout_s: float = API_MIN_INTERVAL_S + 5.0) -> FlushResult:
        """Stop the thread and write what is left, waiting (bounded) for series written too recently."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
        with self._lock:
            pending = [s.written_at for s in self._series.values() if s.version != s.written_version]
        wait = max((at + self._min_interval_s - self._clock() for at in pending), default=0.0)
        if 0 < wait <= timeout_s:
            time.sleep(wait)
        return self.flush()


class MonitoringWriter:
    """TimeSeriesWriter on google-cloud-monitoring's MetricServiceClient (any endpoint)."""

    def __init__(self, project_id: str, resource: Mapping[str, str], resource_type: str, client: Any) -> None:
        from google.api import metric_pb2
        from google.cloud import monitoring_v3

        self._types = monitoring_v3
        self._kinds = metric_pb2.MetricDescriptor
        self._name = f"projects/{project_id}"
        self._resource = {"type": resource_type, "labels": dict(resource)}
        self._client = client

    def write(self, points: Sequence[Point]) -> None:
        self._client.create_time_series(name=self._name, time_series=[self._series(p) for p in points])

    def _series(self, point: Point) -> Any:
        return self._types.TimeSeries(
            metric={"type": point.metric_type, "labels": dict(point.labels)},
            resource=self._resource,
            metric_kind=self._kinds.MetricKind.Value(point.metric_kind),
            value_type=self._kinds.ValueType.Value(point.value_type),
            points=[{"interval": {"start_time": _timestamp(point.start_time), "end_time": _timestamp(point.end_time)}, "value": _typed_value(point)}],
        )


def _timestamp(seconds: float) -> dict[str, int]:
    whole, nanos = divmod(round(seconds * 1e9), 1_000_000_000)
    return {"seconds": whole, "nanos": nanos}


def _typed_value(point: Point) -> dict[str, Any]:
    if point.value_type == "INT64":
        return {"int64_value": point.value}
    buckets: ExponentialBuckets = point.value["buckets"]
    return {
        "distribution_value": {
            "count": point.value["count"],
            "mean": point.value["mean"],
            "sum_of_squared_deviation": point.value["sum_of_squared_deviation"],
            "bucket_options": {
                "exponential_buckets": {
                    "num_finite_buckets": buckets.num_finite_buckets,
                    "growth_factor": buckets.growth_factor,
                    "scale": buckets.scale,
                }
            },
            "bucket_counts": list(point.value["bucket_counts"]),
        }
    }


def metric_service_client(endpoint: str | None = None) -> Any:
    """The real client; with an endpoint (host:port of a local server speaking the API) over plaintext gRPC."""
    from google.cloud import monitoring_v3

    if not endpoint:
        return monitoring_v3.MetricServiceClient()
    import grpc
    from google.auth.credentials import AnonymousCredentials
    from google.cloud.monitoring_v3.services.metric_service.transports import MetricServiceGrpcTransport

    transport = MetricServiceGrpcTransport(channel=grpc.insecure_channel(endpoint), credentials=AnonymousCredentials())
    return monitoring_v3.MetricServiceClient(transport=transport, client_options={"api_endpoint": endpoint})


def recorder_from_env(environ: Mapping[str, str] = os.environ) -> MetricsRecorder | None:
    """On when a project is known (BRIDGE_METRICS_PROJECT, which Terraform sets, or GOOGLE_CLOUD_PROJECT) unless
    BRIDGE_METRICS=off; BRIDGE_MONITORING_ENDPOINT points the client at a local server (plaintext gRPC)."""
    if environ.get("BRIDGE_METRICS", "on").lower() in _OFF:
        return None
    project = environ.get("BRIDGE_METRICS_PROJECT") or environ.get("GOOGLE_CLOUD_PROJECT")
    if not project:
        log.info("bridge metrics off: no BRIDGE_METRICS_PROJECT or GOOGLE_CLOUD_PROJECT")
        return None
    catalog = load_catalog()
    client = metric_service_client(environ.get("BRIDGE_MONITORING_ENDPOINT"))
    writer = MonitoringWriter(project, task_resource(project, catalog, environ), catalog.resource_type, client)
    interval = float(environ.get("BRIDGE_METRICS_INTERVAL_S", DEFAULT_MIN_INTERVAL_S))
    return MetricsRecorder(writer, catalog, min_interval_s=interval)


def record_report(recorder: MetricsRecorder, destination: str, report: Any) -> None:
    """One delivery's outcome from a bridge.delivery.DeliveryReport: written, retried, dead letters by reason
    code, and the lag of each written entry (entries of one message share its publish time)."""
    if report.written:
        recorder.record("entries_written", report.written, destination=destination)
    if report.retry:
        recorder.record("entries_retried", report.retry, destination=destination)
    for reason in report.dead_letter_reasons:
        recorder.record("entries_dead_lettered", 1, destination=destination, reason=reason_code(reason))
    written_at_ns = report.finished_at_ns or time.time_ns()
    lags: dict[int, int] = {}
    for published in report.written_publish_times_ns:
        lags[published] = lags.get(published, 0) + 1
    for published, entries in lags.items():
        recorder.record_lag(destination, (written_at_ns - published) / 1e9, entries)


def reason_code(reason: str) -> str:
    """The machine-readable code of a reason ("decode_error: not JSON" -> "decode_error"), never free text."""
    code = reason.split(":", 1)[0].strip()
    return code if code.replace("_", "").isalnum() and code.isascii() and len(code) <= 40 else OVERFLOW_LABEL
