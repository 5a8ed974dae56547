"""A local server speaking the real Cloud Monitoring API: google.monitoring.v3.MetricService/CreateTimeSeries
over gRPC, with requests decoded by the protobuf types google-cloud-monitoring ships."""
from __future__ import annotations

import threading
from concurrent import futures
from dataclasses import dataclass, field

import grpc
from google.cloud.monitoring_v3 import CreateTimeSeriesRequest
from google.protobuf import empty_pb2

# --- A local server speaking the real API -------------------------------------------------------------
# google.monitoring.v3.MetricService/CreateTimeSeries over gRPC, requests decoded by the protobuf types
# google-cloud-monitoring ships. It records every accepted request and refuses, as the real service does,
# what breaks its write limits: more than 200 series in a request, other than one point per series, the
# same series twice in a request, a point less than 5 s after the series' previous point, a cumulative
# interval whose start moves, a metric outside custom.googleapis.com, a generic_task without its labels.

SERVICE = "google.monitoring.v3.MetricService"
MAX_SERIES = 200
MIN_SAMPLING_PERIOD_S = 5.0
GENERIC_TASK_LABELS = {"project_id", "location", "namespace", "job", "task_id"}
CUMULATIVE = 3


def _seconds(timestamp) -> float:
    return timestamp.timestamp() if timestamp else 0.0


def series_key(series) -> tuple:
    return (
        series.metric.type,
        tuple(sorted(series.metric.labels.items())),
        series.resource.type,
        tuple(sorted(series.resource.labels.items())),
    )


@dataclass
class MonitoringServer:
    requests: list[CreateTimeSeriesRequest] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    fail_next: list[grpc.StatusCode] = field(default_factory=list)
    _last: dict[tuple, tuple[float, float]] = field(default_factory=dict)  # series -> (start, end) of last point
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> str:
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        handler = grpc.method_handlers_generic_handler(SERVICE, {
            "CreateTimeSeries": grpc.unary_unary_rpc_method_handler(
                self._create_time_series,
                request_deserializer=CreateTimeSeriesRequest.deserialize,
                response_serializer=empty_pb2.Empty.SerializeToString,
            )
        })
        self._server.add_generic_rpc_handlers((handler,))
        port = self._server.add_insecure_port("127.0.0.1:0")
        self._server.start()
        return f"127.0.0.1:{port}"

    def stop(self) -> None:
        self._server.stop(grace=None).wait()

    def _create_time_series(self, request: CreateTimeSeriesRequest, context: grpc.ServicerContext) -> empty_pb2.Empty:
        with self._lock:
            if self.fail_next:
                context.abort(self.fail_next.pop(0), "injected failure")
            problems = self._problems(request)
            if problems:
                self.rejected.extend(problems)
                context.abort(grpc.StatusCode.INVALID_ARGUMENT, "; ".join(problems))
            for series in request.time_series:
                interval = series.points[0].interval
                self._last[series_key(series)] = (_seconds(interval.start_time), _seconds(interval.end_time))
            self.requests.append(request)
        return empty_pb2.Empty()

    def _problems(self, request: CreateTimeSeriesRequest) -> list[str]:
        problems = []
        if not request.name.startswith("projects/"):
            problems.append(f"name {request.name!r} is not projects/P")
        if not 0 < len(request.time_series) <= MAX_SERIES:
            problems.append(f"{len(request.time_series)} series in one request (1..{MAX_SERIES})")
        seen = set()
        for series in request.time_series:
            key = series_key(series)
            if key in seen:
                problems.append(f"series {key} twice in one request")
            seen.add(key)
            problems += self._series_problems(series, key)
        return problems

    def _series_problems(self, series, key: tuple) -> list[str]:
        problems = []
        if not series.metric.type.startswith("custom.googleapis.com/"):
            problems.append(f"{series.metric.type} is not a custom metric")
        if series.resource.type == "generic_task" and set(series.resource.labels) != GENERIC_TASK_LABELS:
            problems.append(f"generic_task labels {sorted(series.resource.labels)}")
        if len(series.points) != 1:
            return problems + [f"{len(series.points)} points for one series (exactly 1)"]
        start, end = _seconds(series.points[0].interval.start_time), _seconds(series.points[0].interval.end_time)
        if series.metric_kind == CUMULATIVE and not start < end:
            problems.append("cumulative interval start is not before its end")
        if key in self._last:
            last_start, last_end = self._last[key]
            if end - last_end < MIN_SAMPLING_PERIOD_S:
                problems.append(f"point {end - last_end:.3f} s after the previous one (min {MIN_SAMPLING_PERIOD_S} s)")
            if series.metric_kind == CUMULATIVE and start != last_start:
                problems.append("cumulative start time changed")
        return problems

    def latest(self) -> dict[tuple, object]:
        """The last accepted point of every series."""
        with self._lock:
            return {series_key(s): s for r in self.requests for s in r.time_series}
