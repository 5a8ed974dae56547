"""bridge.metrics in memory: bucket arithmetic, distribution statistics, label rules, batching and pacing.
The writer here is a list that keeps what would be sent; the wire contract is in
tests/integration/test_metrics_contract.py."""
from __future__ import annotations

import statistics

import pytest

from bridge.delivery import DeliveryReport
from bridge.errors import ConfigError
from bridge.metrics import (
    DESCRIPTORS_FILE,
    MAX_SERIES_PER_REQUEST,
    OVERFLOW_LABEL,
    ExponentialBuckets,
    MetricsRecorder,
    load_catalog,
    reason_code,
    record_report,
)


class ListWriter:
    def __init__(self, fail: int = 0) -> None:
        self.requests: list[list] = []
        self.fail = fail

    def write(self, points) -> None:
        if self.fail:
            self.fail -= 1
            raise ConnectionError("monitoring unavailable")
        self.requests.append(list(points))


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def recorder(writer=None, clock=None, **options) -> tuple[MetricsRecorder, ListWriter, Clock]:
    writer = writer or ListWriter()
    clock = clock or Clock()
    return MetricsRecorder(writer, clock=clock, **options), writer, clock


BUCKETS = ExponentialBuckets(num_finite_buckets=24, growth_factor=2.0, scale=0.05)


def brute_force_index(buckets: ExponentialBuckets, value: float) -> int:
    bounds = [buckets.scale * buckets.growth_factor**i for i in range(buckets.num_finite_buckets + 1)]
    return sum(1 for bound in bounds if value >= bound)


@pytest.mark.parametrize("value", [0.0, 0.049999, 0.05, 0.0999, 0.1, 0.2, 0.3, 1.6, 3.2, 100.0, 838860.8, 1e9])
def test_bucket_index_follows_the_api_bounds(value):
    assert BUCKETS.index(value) == brute_force_index(BUCKETS, value)


def test_bucket_index_at_every_exact_bound():
    for i in range(BUCKETS.num_finite_buckets + 1):
        bound = BUCKETS.scale * BUCKETS.growth_factor**i
        assert BUCKETS.index(bound) == i + 1
        assert BUCKETS.index(bound * (1 - 1e-12)) == i


def test_lag_distribution_matches_the_sample_statistics():
    rec, writer, clock = recorder()
    samples = [(0.25, 10), (3.0, 2), (0.01, 1), (42.0, 3)]
    for seconds, times in samples:
        rec.record_lag("bigquery", seconds, times)
    clock.now += 10
    rec.flush()
    (point,) = writer.requests[0]
    flat = [s for s, n in samples for _ in range(n)]
    assert point.value["count"] == len(flat)
    assert point.value["mean"] == pytest.approx(statistics.fmean(flat))
    assert point.value["sum_of_squared_deviation"] == pytest.approx(statistics.pvariance(flat) * len(flat))
    expected = [0] * (BUCKETS.num_finite_buckets + 2)
    for s in flat:
        expected[brute_force_index(BUCKETS, s)] += 1
    assert list(point.value["bucket_counts"]) == expected


def test_catalog_is_the_shared_descriptor_file():
    catalog = load_catalog()
    assert DESCRIPTORS_FILE.name == "metric_descriptors.json"
    assert sorted(catalog.metrics) == ["delivery_lag", "entries_dead_lettered", "entries_retried", "entries_written"]
    assert catalog.metrics["entries_dead_lettered"].label_keys == ("destination", "reason")
    assert catalog.metrics["delivery_lag"].buckets == BUCKETS


def test_record_refuses_unknown_metrics_and_missing_labels():
    rec, _, _ = recorder()
    with pytest.raises(ConfigError, match="unknown metric"):
        rec.record("entries_lost", destination="bigquery")
    with pytest.raises(ConfigError, match="needs labels"):
        rec.record("entries_dead_lettered", destination="bigquery")


def test_label_values_beyond_the_cap_collapse_into_one_series():
    rec, writer, clock = recorder(max_series_per_metric=3)
    for n in range(10):
        rec.record("entries_dead_lettered", destination="elasticsearch", reason=f"r{n}")
    clock.now += 10
    rec.flush()
    values = {p.labels["reason"]: p.value for p in writer.requests[0]}
    assert values == {"r0": 1, "r1": 1, "r2": 1, OVERFLOW_LABEL: 7}


@pytest.mark.parametrize("reason,code", [
    ("decode_error: not JSON", "decode_error"),
    ("rejected", "rejected"),
    ("dead letters not stored: transient: 503", OVERFLOW_LABEL),
    ("mapper_parsing_exception: failed to parse [user.email]", "mapper_parsing_exception"),
    ("ünïcode: x", OVERFLOW_LABEL),
    ("", OVERFLOW_LABEL),
])
def test_reason_code_keeps_codes_and_never_free_text(reason, code):
    assert reason_code(reason) == code


def test_flush_splits_into_requests_of_at_most_200_series():
    rec, writer, clock = recorder(max_series_per_metric=1000)
    for n in range(401):
        rec.record("entries_dead_lettered", destination="bigquery", reason=f"r{n}")
    clock.now += 10
    result = rec.flush()
    assert [len(r) for r in writer.requests] == [200, 200, 1]
    assert max(len(r) for r in writer.requests) == MAX_SERIES_PER_REQUEST
    assert (result.series_written, result.requests) == (401, 3)


def test_series_are_written_when_changed_and_due_only():
    rec, writer, clock = recorder(min_interval_s=10)
    rec.record("entries_written", 2, destination="bigquery")
    rec.record("entries_retried", 1, destination="bigquery")
    clock.now += 1
    assert rec.flush().series_written == 2
    rec.record("entries_written", 3, destination="bigquery")
    clock.now += 9.5
    assert rec.flush().requests == 0
    clock.now += 0.5
    assert rec.flush().series_written == 1
    assert [(p.metric_type.rsplit("/", 1)[1], p.value) for p in writer.requests[-1]] == [("entries_written", 5)]
    first, last = writer.requests[0][0], writer.requests[-1][0]
    assert first.start_time == last.start_time == 1000.0 and last.end_time - first.end_time == 10


def test_interval_below_the_api_limit_is_refused():
    with pytest.raises(ConfigError, match="at least 5.0 s"):
        MetricsRecorder(ListWriter(), min_interval_s=1)


def test_failed_write_keeps_the_totals_for_the_next_flush():
    rec, writer, clock = recorder(writer=ListWriter(fail=1))
    rec.record("entries_written", 4, destination="elasticsearch")
    clock.now += 10
    assert rec.flush().failed_requests == 1
    rec.record("entries_written", 1, destination="elasticsearch")
    clock.now += 1
    assert rec.flush().series_written == 1
    assert writer.requests[0][0].value == 5


def test_record_report_counts_outcomes_and_groups_lag_by_publish_time():
    rec, writer, clock = recorder()
    report = DeliveryReport(
        ack=(True, True, False), written=3, retry=2, dead_lettered=2, dead_letter_reasons=("decode_error: x", "decode_error: y"),
        written_publish_times_ns=(1_000_000_000, 1_000_000_000, 2_000_000_000), finished_at_ns=4_000_000_000,
    )
    record_report(rec, "elasticsearch", report)
    clock.now += 10
    rec.flush()
    got = {(p.metric_type.rsplit("/", 1)[1], tuple(sorted(p.labels.items()))): p.value for p in writer.requests[0]}
    assert got[("entries_written", (("destination", "elasticsearch"),))] == 3
    assert got[("entries_retried", (("destination", "elasticsearch"),))] == 2
    assert got[("entries_dead_lettered", (("destination", "elasticsearch"), ("reason", "decode_error")))] == 2
    lag = got[("delivery_lag", (("destination", "elasticsearch"),))]
    assert (lag["count"], lag["mean"]) == (3, pytest.approx((3 + 3 + 2) / 3))


@pytest.mark.parametrize("environ", [{}, {"BRIDGE_METRICS": "off", "BRIDGE_METRICS_PROJECT": "p"}])
def test_metrics_are_off_without_a_project_or_when_switched_off(environ):
    from bridge.metrics import recorder_from_env

    assert recorder_from_env(environ) is None
