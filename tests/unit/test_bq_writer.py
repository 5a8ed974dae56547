"""The BigQuery writer against a local HTTP server that answers tabledata.insertAll the way BigQuery does.

The emulator answers a bad row with HTTP 500 for the whole request; real BigQuery answers
`insertErrors` per row (`invalid` for the bad row, `stopped` for rows held back because of
it). This server speaks BigQuery's shape so the per-row path is tested with the real client.
"""
from __future__ import annotations

import http.server
import json
import threading
import time
from collections import Counter

import orjson
import pytest

from bridge.decode import decode_document
from bridge.errors import TransientWriteError
from bridge.model import DeadLetter
from bridge.pipeline import Transform
from bridge.retry import RetryBudget, RetryPolicy
from bridge.sinks.base import Outcome
from bridge.sinks.bigquery.settings import BigQuerySettings
from bridge.sinks.bigquery.writer import BigQuerySink, WriterLimits, request_bytes

PROJECT, DATASET = "unit-project", "logs_ds"
INSERT_PATH = f"/bigquery/v2/projects/{PROJECT}/datasets/{DATASET}/tables/logs/insertAll"
DEAD_LETTER_PATH = f"/bigquery/v2/projects/{PROJECT}/datasets/{DATASET}/tables/logs_dead_letter/insertAll"


def insert_response(errors=()):
    return 200, {"kind": "bigquery#tableDataInsertAllResponse", **({"insertErrors": list(errors)} if errors else {})}


def api_error(status, reason, message):
    return status, {"error": {"code": status, "message": message, "errors": [{"domain": "global", "reason": reason, "message": message}]}}


class FakeBigQuery:
    """Records every insertAll request; `answer(path, body)` -> (status, json) decides each reply."""

    def __init__(self):
        self.requests: list[tuple[str, dict, int, int]] = []  # (path, body, body bytes, status answered)
        self.answer = lambda path, body: insert_response()
        self.delay_s = 0.0
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                body = json.loads(raw)
                time.sleep(fake.delay_s)
                status, payload = fake.answer(self.path.split("?")[0], body)
                fake.requests.append((self.path.split("?")[0], body, len(raw), status))
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client timed out and went away, as intended

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()

    def rows(self, path=INSERT_PATH):
        """Rows of the requests answered 200 (some of them may have per-row errors)."""
        return [r for p, body, _, status in self.requests if p == path and status == 200 for r in body["rows"]]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake():
    server = FakeBigQuery()
    yield server
    server.close()


class Clock:
    """Retry time without waiting: sleeping advances the clock."""

    def __init__(self):
        self.now, self.sleeps = 0.0, []

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def make_sink(url, clock, limits=WriterLimits(), attempts=4):
    policy = RetryPolicy(initial_delay_s=0.1, max_delay_s=1.0, deadline_s=30.0, max_attempts=attempts)
    return BigQuerySink(
        BigQuerySettings(project=PROJECT, endpoint=url).client(),
        DATASET,
        limits=limits,
        new_budget=lambda: RetryBudget(policy, clock=lambda: clock.now, sleep=clock.sleep, rand=lambda: 1.0),
        now_ns=lambda: 1_714_557_601_000_000_000,
    )


def records(count, text="line {n}", **extra):
    transform = Transform("bigquery")
    return [
        transform.record(decode_document({
            "insertId": f"id-{n}",
            "logName": "projects/p/logs/app",
            "timestamp": f"2024-05-01T10:00:{n % 60:02d}.{n:06d}Z",
            "textPayload": text.format(n=n),
            **extra,
        }))
        for n in range(count)
    ]


def outcomes(results):
    return Counter(r.outcome for r in results)


def test_rows_carry_the_stable_id_as_insert_id_and_the_ingest_time(fake):
    batch = records(3)
    results = make_sink(fake.url, Clock()).write(batch)
    assert [r.outcome for r in results] == [Outcome.WRITTEN] * 3
    (path, body, _, _), = fake.requests
    assert path == INSERT_PATH and body["skipInvalidRows"] is True
    assert [r["insertId"] for r in body["rows"]] == [r.entry_id for r in batch]
    assert {r["json"]["ingest_time"] for r in body["rows"]} == {"2024-05-01T10:00:01.000000Z"}
    assert body["rows"][1]["json"]["text_payload"] == "line 1"


def test_a_row_bigquery_rejects_is_rejected_with_the_reason_and_the_rest_is_written_once(fake):
    fake.answer = lambda path, body: insert_response(
        [{"index": 2, "errors": [{"reason": "invalid", "location": "json_payload", "message": "Invalid JSON"}]}]
    )
    results = make_sink(fake.url, Clock()).write(records(5))
    assert [r.outcome for r in results] == [Outcome.WRITTEN] * 2 + [Outcome.REJECTED] + [Outcome.WRITTEN] * 2
    assert results[2].reason == "rejected_by_bigquery: invalid: json_payload: Invalid JSON"
    assert len(fake.requests) == 1


def test_rows_stopped_by_another_rows_error_are_sent_again_not_dead_lettered(fake):
    """Without skipInvalidRows BigQuery answers `invalid` for the bad row and `stopped` for all others."""

    def answer(path, body):
        bad = [i for i, r in enumerate(body["rows"]) if r["json"]["text_payload"] == "line 1"]
        if not bad:
            return insert_response()
        return insert_response(
            [{"index": i, "errors": [{"reason": "invalid" if i in bad else "stopped", "location": "", "message": ""}]}
             for i in range(len(body["rows"]))]
        )

    fake.answer = answer
    clock = Clock()
    results = make_sink(fake.url, clock).write(records(4))
    assert [r.outcome for r in results] == [Outcome.WRITTEN, Outcome.REJECTED, Outcome.WRITTEN, Outcome.WRITTEN]
    assert [len(body["rows"]) for _, body, _, _ in fake.requests] == [4, 3]
    sent = Counter(r["json"]["text_payload"] for r in fake.rows())
    assert sent == {"line 0": 2, "line 1": 1, "line 2": 2, "line 3": 2}
    assert len(clock.sleeps) == 1


@pytest.mark.parametrize(
    "failure",
    [
        api_error(503, "backendError", "Backend error"),
        api_error(500, "internalError", "Internal error"),
        api_error(429, "rateLimitExceeded", "Too many requests"),
        api_error(403, "rateLimitExceeded", "Exceeded rate limits"),
        api_error(404, "notFound", "Not found: Table unit-project:logs_ds.logs"),
    ],
    ids=["503", "500", "429", "403-rate", "404-table-not-yet-created"],
)
def test_a_transient_failure_is_retried_then_written(fake, failure):
    replies = iter([failure, failure])
    fake.answer = lambda path, body: next(replies, insert_response())
    clock = Clock()
    results = make_sink(fake.url, clock).write(records(3))
    assert outcomes(results) == {Outcome.WRITTEN: 3}
    assert len(fake.requests) == 3 and len(clock.sleeps) == 2


def test_per_row_transient_errors_are_retried(fake):
    replies = iter([insert_response([{"index": 0, "errors": [{"reason": "backendError", "message": "try again"}]}])])
    fake.answer = lambda path, body: next(replies, insert_response())
    results = make_sink(fake.url, Clock()).write(records(2))
    assert outcomes(results) == {Outcome.WRITTEN: 2}
    assert [len(body["rows"]) for _, body, _, _ in fake.requests] == [2, 1]


def test_when_the_budget_is_spent_the_entries_are_left_for_redelivery(fake):
    fake.answer = lambda path, body: api_error(503, "backendError", "Backend error")
    clock = Clock()
    results = make_sink(fake.url, clock, attempts=3).write(records(4))
    assert outcomes(results) == {Outcome.RETRY: 4}
    assert results[0].reason.startswith("transient: HTTP 503 backendError")
    assert len(fake.requests) == 3 and len(clock.sleeps) == 2


def test_connection_refused_is_transient(fake):
    url = fake.url
    fake.close()
    results = make_sink(url, Clock(), attempts=2).write(records(2))
    assert outcomes(results) == {Outcome.RETRY: 2}
    assert "ConnectionError" in results[0].reason


def test_a_timeout_is_transient(fake):
    fake.delay_s = 1.5  # over the 1 s request timeout
    limits = WriterLimits(request_timeout_s=1.0)
    results = make_sink(fake.url, Clock(), limits=limits, attempts=1).write(records(1))
    assert outcomes(results) == {Outcome.RETRY: 1}
    assert "Timeout" in results[0].reason


def test_a_request_refused_as_a_whole_is_halved_until_the_bad_row_stands_alone(fake):
    def answer(path, body):
        if any(r["json"]["text_payload"] == "line 5" for r in body["rows"]):
            return api_error(400, "invalid", "Request contains an invalid argument")
        return insert_response()

    fake.answer = answer
    clock = Clock()
    results = make_sink(fake.url, clock).write(records(8))
    assert [r.outcome for r in results] == [Outcome.WRITTEN] * 5 + [Outcome.REJECTED] + [Outcome.WRITTEN] * 2
    assert results[5].reason == "rejected_by_bigquery: HTTP 400 invalid: Request contains an invalid argument"
    assert outcomes(results) == {Outcome.WRITTEN: 7, Outcome.REJECTED: 1}
    assert Counter(r["json"]["text_payload"] for r in fake.rows()) == {f"line {n}": 1 for n in range(8) if n != 5}
    assert clock.sleeps == []  # halving is not a retry


def test_requests_are_bounded_by_rows(fake):
    results = make_sink(fake.url, Clock()).write(records(1200))
    assert outcomes(results) == {Outcome.WRITTEN: 1200}
    assert [len(body["rows"]) for _, body, _, _ in fake.requests] == [500, 500, 200]


def test_requests_are_bounded_by_the_exact_body_size(fake):
    limits = WriterLimits(max_bytes=64 * 1024)
    batch = records(40, text="한국어 로그 {n} " + "x" * 5000)  # non-ASCII: the client escapes it to \uXXXX
    results = make_sink(fake.url, Clock(), limits=limits).write(batch)
    assert outcomes(results) == {Outcome.WRITTEN: 40}
    sizes = [size for _, _, size, _ in fake.requests]
    assert len(sizes) == 4 and max(sizes) <= limits.max_bytes
    assert [r["json"]["entry_id"] for r in fake.rows()] == [r.entry_id for r in batch]


def test_request_bytes_is_what_the_client_sends(fake):
    batch = records(3, text="ünïcödé {n} \u2028 \"quoted\"")
    make_sink(fake.url, Clock()).write(batch)
    (_, body, size, _), = fake.requests
    envelope = len(json.dumps({"rows": [], "skipInvalidRows": True}))
    assert size == envelope + sum(request_bytes(r["insertId"], r["json"]) for r in body["rows"]) - 2


def test_rows_that_can_never_be_written_are_rejected_without_being_sent(fake):
    limits = WriterLimits(max_bytes=20_000)
    batch = records(3) + records(1, text="y" * 30_000)
    results = make_sink(fake.url, Clock(), limits=limits).write(batch)
    assert [r.outcome for r in results] == [Outcome.WRITTEN] * 3 + [Outcome.REJECTED]
    assert results[3].reason.startswith("row_too_large: ")
    assert len(fake.rows()) == 3


def test_dead_letters_go_to_their_table_with_raw_entry_reason_and_time(fake):
    letters = [
        DeadLetter("row_too_large: 11 MB", orjson.dumps({"insertId": "a"}), "bigquery", "e1", "m1", 1_714_557_600_000_000_000),
        DeadLetter("decode_error: not JSON", b"\xff\xfenot json", "bigquery", None, "m2", 1_714_557_600_000_000_000),
    ]
    make_sink(fake.url, Clock()).dead_letter(letters)
    rows = [r["json"] for r in fake.rows(DEAD_LETTER_PATH)]
    assert rows == [
        {"entry_id": "e1", "message_id": "m1", "reason": "row_too_large: 11 MB", "destination": "bigquery",
         "raw": '{"insertId":"a"}', "failed_at": "2024-05-01T10:00:00.000000Z"},
        {"entry_id": None, "message_id": "m2", "reason": "decode_error: not JSON", "destination": "bigquery",
         "raw": "\\xff\\xfenot json", "failed_at": "2024-05-01T10:00:00.000000Z"},
    ]


def test_a_huge_dead_letter_is_cut_to_fit_one_request(fake):
    limits = WriterLimits(max_bytes=64 * 1024)
    make_sink(fake.url, Clock(), limits=limits).dead_letter([DeadLetter("too big", b"z" * 200_000, "bigquery")])
    (raw,) = [r["json"]["raw"] for r in fake.rows(DEAD_LETTER_PATH)]
    assert raw.endswith("characters]") and len(raw) < limits.max_bytes
    assert max(size for _, _, size, _ in fake.requests) <= limits.max_bytes


def test_dead_letters_that_cannot_be_stored_raise_transient(fake):
    fake.answer = lambda path, body: api_error(503, "backendError", "Backend error")
    with pytest.raises(TransientWriteError, match="dead letters not stored"):
        make_sink(fake.url, Clock(), attempts=2).dead_letter([DeadLetter("r", b"{}", "bigquery")])
