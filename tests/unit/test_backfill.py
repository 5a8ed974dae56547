"""Backfill against a local server speaking the real Cloud Logging API (ListLogEntries over gRPC)."""
import glob
import threading

import grpc
import orjson
import pytest
from google.cloud.logging_v2.types import LogEntry
from google.protobuf import json_format

from bridge.backfill import Backfill, Checkpoint, Pacer, Query, logging_client, parse_when
from bridge.decode import decode_document
from bridge.errors import ConfigError
from bridge.normalize import entry_id
from bridge.pipeline import Transform
from bridge.retry import RetryPolicy
from bridge.sinks.base import ItemResult, Outcome
from bridge.timestamps import format_ns, parse_rfc3339_ns

from .logging_api import LoggingApiServer

SINCE = parse_rfc3339_ns("2024-05-01T00:00:00Z")
UNTIL = parse_rfc3339_ns("2024-05-01T02:00:00Z")
FILTER = 'resource.type="k8s_container"'
FAST = RetryPolicy(initial_delay_s=0.001, max_delay_s=0.01, deadline_s=10.0)


def make_entry(number: int, at_ns: int, resource_type: str = "k8s_container"):
    document = {
        "logName": "projects/demo/logs/stdout",
        "insertId": f"e{number:05d}",
        "resource": {"type": resource_type, "labels": {"cluster_name": "c1", "namespace_name": "shop", "pod_name": f"web-{number % 7}", "container_name": "web", "location": "europe-west1-b", "project_id": "demo"}},
        "jsonPayload": {"message": f"request {number}", "n": number},
        "severity": "ERROR" if number % 10 == 0 else "INFO",
    }
    entry = json_format.ParseDict(document, LogEntry.pb()())
    entry.timestamp.seconds, entry.timestamp.nanos = divmod(at_ns, 10**9)
    return entry


def population():
    """2,400 entries in range (pairs share a timestamp), plus some the filter or the range excludes."""
    inside = [make_entry(n, SINCE + (n // 2) * 6 * 10**9 + 123_456_789) for n in range(2400)]
    other_type = [make_entry(10_000 + n, SINCE + n * 10**9, "gce_instance") for n in range(50)]
    outside = [make_entry(20_000 + n, UNTIL + n * 10**9) for n in range(30)] + [make_entry(30_000, SINCE - 1)]
    return inside, inside + other_type + outside


class RecordingSink:
    """Counts writes per stable id; an id seen before answers DUPLICATE, as a create with that id would."""

    destination = "elasticsearch"

    def __init__(self, after_write=None, retry_calls=()):
        self.writes: dict[str, int] = {}
        self.outcomes: list[Outcome] = []
        self.calls = 0
        self._after_write = after_write
        self._retry_calls = set(retry_calls)

    def write(self, records):
        self.calls += 1
        results = []
        for record in records:
            if self.calls in self._retry_calls:
                outcome = Outcome.RETRY
            elif record.entry_id in self.writes:
                outcome = Outcome.DUPLICATE
            else:
                outcome = Outcome.WRITTEN
            if outcome is not Outcome.RETRY:
                self.writes[record.entry_id] = self.writes.get(record.entry_id, 0) + 1
            self.outcomes.append(outcome)
            results.append(ItemResult(record.entry_id, outcome, "injected" if outcome is Outcome.RETRY else None))
        if self._after_write:
            self._after_write(self)
        return results

    def write_prepared(self, items):
        return self.write([item.as_record() for item in items])

    def dead_letter(self, letters):
        raise AssertionError(f"no dead letters expected: {letters}")


def expected_ids(entries):
    return {entry_id(json_format.MessageToDict(e)) for e in entries}


def backfill(server, sink, *, checkpoint=None, stop=None, page_size=300, flt=FILTER):
    query = Query(("projects/demo",), flt, SINCE, UNTIL, page_size)
    return Backfill(
        logging_client({"BRIDGE_LOGGING_EMULATOR_HOST": server.address}),
        query,
        Transform("elasticsearch"),
        sink,
        checkpoint_path=checkpoint,
        stop=stop,
        pacer=Pacer(1e9),
        page_policy=FAST,
        started_ns=SINCE,
    )


def test_pages_through_the_range_with_the_filter_order_and_page_size_it_asked_for():
    inside, everything = population()
    sink = RecordingSink()
    with LoggingApiServer(everything) as server:
        run = backfill(server, sink)
        assert run.run() is True
    assert set(sink.writes) == expected_ids(inside)
    assert set(sink.writes.values()) == {1}
    assert len(server.requests) == 8  # 2,400 entries / 300 a page
    for request in server.requests:
        assert request.filter == (
            '(resource.type="k8s_container") AND timestamp >= "2024-05-01T00:00:00.000000000Z" '
            'AND timestamp < "2024-05-01T02:00:00.000000000Z"'
        )
        assert request.order_by == "timestamp asc"
        assert request.page_size == 300
        assert list(request.resource_names) == ["projects/demo"]
    assert [bool(r.page_token) for r in server.requests] == [False] + [True] * 7
    assert run.checkpoint.entries == 2400 and run.checkpoint.complete


def test_interrupted_run_resumes_from_its_checkpoint_with_no_gap_and_no_duplicate(tmp_path):
    inside, everything = population()
    path = tmp_path / "backfill.checkpoint"
    stop = threading.Event()
    sink = RecordingSink(after_write=lambda s: s.calls == 3 and stop.set())
    with LoggingApiServer(everything) as server:
        assert backfill(server, sink, checkpoint=path, stop=stop).run() is False
        saved = orjson.loads(path.read_bytes())
        assert saved["pages"] == 3 and saved["entries"] == 900 and saved["page_token"]
        assert len(sink.writes) == 900
        # A new process: only the checkpoint file carries the progress over.
        assert backfill(server, sink, checkpoint=path).run() is True
        assert server.requests[3].page_token == saved["page_token"]
    assert set(sink.writes) == expected_ids(inside)
    assert set(sink.writes.values()) == {1}
    assert Outcome.DUPLICATE not in sink.outcomes
    assert orjson.loads(path.read_bytes())["complete"] is True


def test_an_expired_token_resumes_from_the_last_entry_time_and_the_ids_absorb_the_overlap(tmp_path):
    inside, everything = population()
    path = tmp_path / "backfill.checkpoint"
    stop = threading.Event()
    sink = RecordingSink(after_write=lambda s: s.calls == 2 and stop.set())
    with LoggingApiServer(everything) as server:
        assert backfill(server, sink, checkpoint=path, stop=stop).run() is False
        last = orjson.loads(path.read_bytes())["last_timestamp_ns"]
        server.token_generation += 1  # every token handed out so far is now refused
        assert backfill(server, sink, checkpoint=path).run() is True
        restart = server.requests[3]
        assert not restart.page_token
        assert f'timestamp >= "{format_ns(last)}"' in restart.filter
    assert set(sink.writes) == expected_ids(inside)
    written = [o for o in sink.outcomes if o is Outcome.WRITTEN]
    assert len(written) == len(inside)  # nothing written twice
    # Entries 598 and 599 end page 2 and share its last timestamp: both are read again, neither written twice.
    assert sink.outcomes.count(Outcome.DUPLICATE) == 2


def test_a_page_with_entries_left_to_retry_is_written_again_never_skipped(tmp_path):
    inside, everything = population()
    sink = RecordingSink(retry_calls={2, 3})
    with LoggingApiServer(everything) as server:
        assert backfill(server, sink, checkpoint=tmp_path / "cp").run() is True
    assert set(sink.writes) == expected_ids(inside)
    assert sink.outcomes.count(Outcome.RETRY) == 600 and set(sink.writes.values()) == {1}


def test_quota_and_unavailable_answers_are_retried():
    inside, everything = population()
    sink = RecordingSink()
    with LoggingApiServer(everything) as server:
        server.fail_next = [grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.RESOURCE_EXHAUSTED]
        assert backfill(server, sink).run() is True
    assert set(sink.writes) == expected_ids(inside)


def test_backfilled_entries_get_the_same_ids_as_live_delivery_of_the_same_entries():
    """Each corpus entry as a sink publishes it (JSON) and as entries.list returns it (protobuf)."""
    live: dict[str, dict] = {}
    protos = []
    for path in sorted(glob.glob("/work/shared/corpus/entries/*.jsonl")):
        for line in open(path, "rb"):
            if line.strip():
                document = orjson.loads(line)
                try:
                    protos.append(json_format.ParseDict(document, LogEntry.pb()()))
                except json_format.ParseError:
                    continue  # not representable as a LogEntry protobuf (an Any without @type)
                live[entry_id(decode_document(document).entry)] = document
    assert len(protos) >= 100
    sink = RecordingSink()
    wide = Query(("projects/demo",), "", 0, 2**62, 1000)
    with LoggingApiServer(protos) as server:
        run = Backfill(logging_client({"BRIDGE_LOGGING_EMULATOR_HOST": server.address}), wide, Transform("elasticsearch"), sink, pacer=Pacer(1e9), page_policy=FAST)
        assert run.run() is True
    assert set(sink.writes) == set(live)


def test_a_checkpoint_of_another_query_is_refused(tmp_path):
    path = tmp_path / "cp"
    Checkpoint(Query(("projects/demo",), "a", 1, 2).key(), started_ns=0).save(path)
    with pytest.raises(ConfigError):
        Checkpoint.load(path, Query(("projects/demo",), "b", 1, 2), 0)


def test_ages_count_from_the_first_run():
    assert parse_when("36h", 100 * 3600 * 10**9) == 64 * 3600 * 10**9
    assert parse_when("2024-05-01T00:00:00Z", 0) == SINCE
    with pytest.raises(ConfigError):
        parse_when("yesterday", 0)
