"""bridge.metrics against a local server speaking the real Monitoring API (CreateTimeSeries over gRPC),
through the real google-cloud-monitoring client: the series, metric types, labels and values it received,
and the write limits it enforces."""
from __future__ import annotations

import time

import grpc
import pytest

from bridge.delivery import DeliveryReport
from tests.integration.monitoring_server import MonitoringServer
from bridge.metrics import (
    MAX_SERIES_PER_REQUEST,
    MetricsRecorder,
    MonitoringWriter,
    load_catalog,
    metric_service_client,
    record_report,
    recorder_from_env,
    task_resource,
)

pytestmark = pytest.mark.integration

# --- The contract ---------------------------------------------------------------------------------------

PROJECT = "log-bridge-test"
PREFIX = "custom.googleapis.com/gcp_log_bridge/"
T0 = 1_764_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def server():
    server = MonitoringServer()
    endpoint = server.start()
    server.endpoint = endpoint
    yield server
    server.stop()


@pytest.fixture
def clock() -> Clock:
    return Clock()


def make_recorder(server, clock, **options) -> MetricsRecorder:
    catalog = load_catalog()
    environ = {"BRIDGE_METRICS_LOCATION": "asia-northeast3", "K_SERVICE": "log-bridge-to-elasticsearch"}
    writer = MonitoringWriter(PROJECT, task_resource(PROJECT, catalog, environ), catalog.resource_type, metric_service_client(server.endpoint))
    return MetricsRecorder(writer, catalog, clock=clock, **options)


def show(server, capsys, series_per_request: int = 12) -> None:
    """Print what the server received (visible with pytest -s, in `make test` output, or on failure)."""
    with capsys.disabled():
        for number, request in enumerate(server.requests, 1):
            resource = request.time_series[0].resource
            print(f"\nCreateTimeSeries #{number} {request.name}: {len(request.time_series)} series, "
                  f"resource {resource.type} {dict(sorted(resource.labels.items()))}")
            for series in request.time_series[:series_per_request]:
                value = series.points[0].value
                shown = value.int64_value if "int64_value" in value else (
                    f"distribution count={value.distribution_value.count} mean={value.distribution_value.mean:.3f}s")
                print(f"  {series.metric.type} {dict(series.metric.labels)} = {shown}")
            if len(request.time_series) > series_per_request:
                print(f"  ... and {len(request.time_series) - series_per_request} more series")


def deliver_sample(recorder: MetricsRecorder) -> None:
    written_at = int(T0 * 1e9)
    record_report(recorder, "elasticsearch", DeliveryReport(
        ack=(), written=1200, retry=30, dead_lettered=3,
        dead_letter_reasons=("decode_error: not JSON", "rejected: mapper_parsing_exception", "decode_error: bad base64"),
        written_publish_times_ns=(written_at - 250_000_000,) * 1000 + (written_at - 3_000_000_000,) * 200,
        finished_at_ns=written_at,
    ))
    record_report(recorder, "bigquery", DeliveryReport(
        ack=(), written=800, dead_lettered=1, dead_letter_reasons=("normalize_error: timestamp out of range",),
        written_publish_times_ns=(written_at - 1_000_000_000,) * 800, finished_at_ns=written_at,
    ))


def test_series_metric_types_labels_and_values_received(server, clock, capsys):
    recorder = make_recorder(server, clock)
    deliver_sample(recorder)
    clock.now += 1
    result = recorder.flush()
    show(server, capsys)

    assert (result.requests, result.failed_requests, server.rejected) == (1, 0, [])
    (request,) = server.requests
    assert request.name == f"projects/{PROJECT}"
    received = {(s.metric.type.removeprefix(PREFIX), tuple(sorted(s.metric.labels.items()))): s for s in request.time_series}
    counters = {key: s.points[0].value.int64_value for key, s in received.items() if "int64_value" in s.points[0].value}
    assert counters == {
        ("entries_written", (("destination", "elasticsearch"),)): 1200,
        ("entries_written", (("destination", "bigquery"),)): 800,
        ("entries_retried", (("destination", "elasticsearch"),)): 30,
        ("entries_dead_lettered", (("destination", "elasticsearch"), ("reason", "decode_error"))): 2,
        ("entries_dead_lettered", (("destination", "elasticsearch"), ("reason", "rejected"))): 1,
        ("entries_dead_lettered", (("destination", "bigquery"), ("reason", "normalize_error"))): 1,
    }
    es_lag = received[("delivery_lag", (("destination", "elasticsearch"),))].points[0].value.distribution_value
    assert es_lag.count == 1200
    assert es_lag.mean == pytest.approx((1000 * 0.25 + 200 * 3.0) / 1200)
    assert es_lag.bucket_options.exponential_buckets.growth_factor == 2.0
    # 0.25 s falls in [0.2, 0.4) (bucket 3), 3 s in [1.6, 3.2) (bucket 6).
    assert (es_lag.bucket_counts[3], es_lag.bucket_counts[6], sum(es_lag.bucket_counts)) == (1000, 200, 1200)
    for series in request.time_series:
        assert series.resource.type == "generic_task"
        assert series.resource.labels["project_id"] == PROJECT
        assert series.resource.labels["location"] == "asia-northeast3"
        assert series.resource.labels["job"] == "log-bridge-to-elasticsearch"
        assert series.resource.labels["namespace"] == "gcp-log-bridge"
        assert series.metric_kind == 3 and len(series.points) == 1  # CUMULATIVE, one point


def test_many_series_are_split_into_requests_of_at_most_200(server, clock, capsys):
    recorder = make_recorder(server, clock, max_series_per_metric=1000)
    for n in range(450):
        recorder.record("entries_dead_lettered", 1, destination="elasticsearch", reason=f"reason_{n}")
    recorder.record("entries_written", 7, destination="bigquery")
    clock.now += 1
    result = recorder.flush()
    show(server, capsys, series_per_request=0)

    sizes = [len(r.time_series) for r in server.requests]
    assert sizes == [200, 200, 51] and max(sizes) <= MAX_SERIES_PER_REQUEST
    assert (result.series_written, result.failed_requests, server.rejected) == (451, 0, [])
    assert len(server.latest()) == 451  # every series once


def test_each_series_is_written_at_most_once_per_interval_with_cumulative_totals(server, clock):
    recorder = make_recorder(server, clock, min_interval_s=10)
    recorder.record("entries_written", 5, destination="elasticsearch")
    clock.now += 1
    assert recorder.flush().series_written == 1
    recorder.record("entries_written", 3, destination="elasticsearch")
    clock.now += 4
    assert recorder.flush().requests == 0  # too soon for this series: nothing sent
    clock.now += 6
    assert recorder.flush().series_written == 1
    assert recorder.flush().requests == 0  # nothing changed: nothing sent

    points = [r.time_series[0].points[0] for r in server.requests]
    assert [p.value.int64_value for p in points] == [5, 8]
    assert points[0].interval.start_time == points[1].interval.start_time
    assert points[1].interval.end_time.timestamp() - points[0].interval.end_time.timestamp() == pytest.approx(10)
    assert server.rejected == []


def test_server_refuses_points_closer_than_five_seconds(server, clock):
    # The server's own limit, shown with a recorder that would write too often if it were allowed to.
    writer = make_recorder(server, clock)._writer
    catalog = load_catalog()
    too_eager = MetricsRecorder(writer, catalog, clock=clock, min_interval_s=5)
    too_eager._min_interval_s = 1  # bypass the recorder's guard to prove the server enforces the API limit
    too_eager.record("entries_retried", 1, destination="bigquery")
    clock.now += 1
    too_eager.flush()
    too_eager.record("entries_retried", 1, destination="bigquery")
    clock.now += 2
    result = too_eager.flush()
    assert result.failed_requests == 1
    assert any("min 5.0 s" in problem for problem in server.rejected)


def test_a_failed_write_loses_nothing(server, clock):
    recorder = make_recorder(server, clock)
    recorder.record("entries_written", 100, destination="bigquery")
    server.fail_next.append(grpc.StatusCode.UNAVAILABLE)
    clock.now += 1
    assert recorder.flush().failed_requests == 1
    recorder.record("entries_written", 50, destination="bigquery")
    clock.now += 1
    assert recorder.flush().series_written == 1
    (series,) = server.latest().values()
    assert series.points[0].value.int64_value == 150


def test_background_flush_and_close_write_everything_from_the_environment(server):
    recorder = recorder_from_env({
        "BRIDGE_METRICS_PROJECT": PROJECT,
        "BRIDGE_MONITORING_ENDPOINT": server.endpoint,
        "BRIDGE_METRICS_INTERVAL_S": "5",
    })
    recorder.record("entries_written", 10, destination="elasticsearch")
    recorder.start(interval_s=0.2)
    deadline = time.monotonic() + 10
    while not server.requests and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(server.requests) == 1
    recorder.record("entries_written", 5, destination="elasticsearch")
    result = recorder.close()  # waits until the series may be written again, then flushes
    assert result.series_written == 1 and server.rejected == []
    (series,) = server.latest().values()
    assert series.points[0].value.int64_value == 15
    assert series.resource.labels["project_id"] == PROJECT
