"""The Elasticsearch writer's outcomes, retries and chunking, against a scripted bulk endpoint."""
import orjson
import pytest

from bridge.errors import PermanentWriteError, TransientWriteError
from bridge.model import DeadLetter, DecodedEntry
from bridge.pipeline import Transform
from bridge.retry import RetryPolicy
from bridge.sinks.base import Outcome
from bridge.sinks.elasticsearch.bulk import encode_source
from bridge.sinks.elasticsearch.document import IndexNames, document
from bridge.sinks.elasticsearch.settings import BulkLimits
from bridge.sinks.elasticsearch.writer import ElasticsearchWriter

DAY_NS = 86400 * 10**9
CREATED = {"create": {"status": 201}}


def record(insert_id, text="hello", timestamp="2024-05-01T12:00:00Z", **extra):
    entry = {"logName": "projects/p/logs/app", "insertId": insert_id, "timestamp": timestamp, "textPayload": text, **extra}
    return Transform("elasticsearch").prepare(DecodedEntry(entry)).record


def error(status, kind, reason="x"):
    return {"create": {"status": status, "error": {"type": kind, "reason": reason}}}


class ScriptedBulk:
    """A bulk endpoint whose answer per item comes from `answer(source, attempt)`.

    `attempt` counts how often that document id was sent; `fail_request` may raise for a whole request.
    """

    def __init__(self, answer=lambda source, attempt: CREATED, fail_request=None, stored=()):
        self.answer, self.fail_request, self.stored = answer, fail_request, dict(stored)
        self.requests, self.sent, self.refresh = [], {}, []

    def bulk(self, body, *, timeout_s, refresh=None):
        lines = body.split(b"\n")
        assert lines[-1] == b"" and len(lines) % 2 == 1
        pairs = [(orjson.loads(lines[i]), orjson.loads(lines[i + 1])) for i in range(0, len(lines) - 1, 2)]
        self.requests.append(pairs)
        self.refresh.append(refresh)
        if self.fail_request:
            self.fail_request(pairs, len(self.requests))
        items = []
        for header, source in pairs:
            doc_id = next(iter(header.values()))["_id"]
            self.sent[doc_id] = self.sent.get(doc_id, 0) + 1
            items.append(self.answer(source, self.sent[doc_id]))
        return items

    def find(self, pattern, ids, *, timeout_s):
        return {doc_id: index for doc_id, index in self.stored.items() if doc_id in ids}


class FakeClock:
    def __init__(self):
        self.now, self.sleeps = 0.0, []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def writer(transport, policy=RetryPolicy(initial_delay_s=0.1, max_delay_s=1.0, deadline_s=5.0), limits=BulkLimits(), **kw):
    clock = FakeClock()
    w = ElasticsearchWriter(transport, limits=limits, retry=policy, dead_letter_retry=policy, clock=clock, sleep=clock.sleep, now_ns=lambda: 3 * DAY_NS, **kw)
    return w, clock


def test_create_with_stable_id_into_the_entry_date_index():
    bulk = ScriptedBulk()
    w, _ = writer(bulk)
    recs = [record("a", timestamp="2024-05-01T23:59:59.999999999Z"), record("b", timestamp="2024-05-02T00:00:00Z")]
    results = w.write(recs)
    assert [(r.entry_id, r.outcome) for r in results] == [(recs[0].entry_id, Outcome.WRITTEN), (recs[1].entry_id, Outcome.WRITTEN)]
    headers = [h for h, _ in bulk.requests[0]]
    assert headers == [
        {"create": {"_index": "gcp-logs-2024.05.01", "_id": recs[0].entry_id}},
        {"create": {"_index": "gcp-logs-2024.05.02", "_id": recs[1].entry_id}},
    ]


def test_version_conflict_on_create_is_a_duplicate_not_an_error():
    bulk = ScriptedBulk(lambda source, attempt: error(409, "version_conflict_engine_exception"))
    w, clock = writer(bulk)
    assert [r.outcome for r in w.write([record("a")])] == [Outcome.DUPLICATE]
    assert len(bulk.requests) == 1 and clock.sleeps == []


@pytest.mark.parametrize(
    "item",
    [
        error(429, "es_rejected_execution_exception"),
        error(429, "cluster_block_exception", "index has read-only-allow-delete block"),
        error(403, "cluster_block_exception", "FORBIDDEN/8/index write (api)"),
        error(503, "unavailable_shards_exception"),
        error(500, "some_new_exception"),
        error(401, "security_exception"),
    ],
)
def test_transient_items_are_retried_alone_then_written(item):
    """Only the failing item is sent again; the rest of the batch is not re-sent."""
    bulk = ScriptedBulk(lambda source, attempt: item if source["message"] == "flaky" and attempt < 3 else CREATED)
    w, clock = writer(bulk)
    results = w.write([record("a"), record("b", "flaky"), record("c")])
    assert [r.outcome for r in results] == [Outcome.WRITTEN] * 3
    assert [len(req) for req in bulk.requests] == [3, 1, 1]
    assert len(clock.sleeps) == 2 and all(0 <= s <= 1.0 for s in clock.sleeps)


def test_a_block_that_outlasts_the_budget_is_retry_never_rejected():
    block = error(429, "cluster_block_exception", "disk usage exceeded flood-stage watermark")
    bulk = ScriptedBulk(lambda source, attempt: block)
    policy = RetryPolicy(initial_delay_s=0.5, max_delay_s=2.0, deadline_s=10.0, max_attempts=50)
    w, clock = writer(bulk, policy)
    results = w.write([record("a"), record("b")])
    assert [r.outcome for r in results] == [Outcome.RETRY, Outcome.RETRY]
    assert "cluster_block_exception" in results[0].reason and "status 429" in results[0].reason
    assert clock.now <= 10.0 and len(bulk.requests) > 2


def test_mapping_errors_are_rejected_with_the_error_and_not_retried():
    conflict = {"create": {"status": 400, "error": {
        "type": "document_parsing_exception", "reason": "[1:42] failed to parse field [n] of type [long]",
        "caused_by": {"type": "illegal_argument_exception", "reason": 'For input string: "abc"'}}}}
    bulk = ScriptedBulk(lambda source, attempt: conflict if source["message"] == "bad" else CREATED)
    w, clock = writer(bulk)
    results = w.write([record("a"), record("b", "bad"), record("c")])
    assert [r.outcome for r in results] == [Outcome.WRITTEN, Outcome.REJECTED, Outcome.WRITTEN]
    assert results[1].reason.startswith("document_parsing_exception: [1:42] failed to parse field [n]")
    assert 'caused by illegal_argument_exception: For input string: "abc"' in results[1].reason
    assert len(bulk.requests) == 1 and clock.sleeps == []


def test_connection_errors_retry_the_whole_request_within_the_deadline():
    def down(pairs, count):
        if count <= 2:
            raise TransientWriteError("ConnectionError: connection refused", reason="connection")

    bulk = ScriptedBulk(fail_request=down)
    w, clock = writer(bulk)
    assert [r.outcome for r in w.write([record("a"), record("b")])] == [Outcome.WRITTEN] * 2
    assert len(bulk.requests) == 3 and len(clock.sleeps) == 2


def test_a_refused_request_is_halved_until_the_item_at_fault_is_found():
    def too_large(pairs, count):
        if any(source["message"] == "huge" for _, source in pairs):
            raise PermanentWriteError("request body too large (status 413)", reason="request_rejected")

    bulk = ScriptedBulk(fail_request=too_large)
    w, _ = writer(bulk)
    results = w.write([record(str(i), "huge" if i == 5 else "ok") for i in range(8)])
    assert [r.outcome for r in results] == [Outcome.WRITTEN] * 5 + [Outcome.REJECTED] + [Outcome.WRITTEN] * 2
    assert "413" in results[5].reason


def test_chunks_by_count_and_by_bytes():
    bulk = ScriptedBulk()
    w, _ = writer(bulk, limits=BulkLimits(max_actions=3, max_bytes=10**6))
    w.write([record(str(i)) for i in range(7)])
    assert [len(r) for r in bulk.requests] == [3, 3, 1]

    bulk = ScriptedBulk()
    one = len(orjson.dumps({"create": {"_index": "gcp-logs-2024.05.01", "_id": record("0").entry_id}})) + 2
    size = one + len(orjson.dumps(document(record("0", "x" * 1000))))
    w, _ = writer(bulk, limits=BulkLimits(max_actions=100, max_bytes=size * 2 + 10))
    w.write([record(str(i), "x" * 1000) for i in range(5)])
    assert [len(r) for r in bulk.requests] == [2, 2, 1]


def test_the_server_body_limit_caps_the_configured_one():
    limits = BulkLimits(max_actions=100, max_bytes=10**9, max_content_length=3000)
    assert limits.body_bytes == 3000
    bulk = ScriptedBulk()
    w, _ = writer(bulk, limits=limits)
    results = w.write([record("big", "x" * 5000), record("small")])
    assert [r.outcome for r in results] == [Outcome.REJECTED, Outcome.WRITTEN]
    assert results[0].reason.startswith("document_too_large")
    assert len(bulk.requests) == 1 and len(bulk.requests[0]) == 1


def test_learned_max_content_length_applies_after_start():
    bulk = ScriptedBulk()
    w, _ = writer(bulk, limits=BulkLimits(max_actions=100, max_bytes=10**9), prepare=lambda: 2500)
    results = w.write([record("big", "x" * 5000)])
    assert results[0].outcome is Outcome.REJECTED and w.limits.max_content_length == 2500


def test_prepare_is_retried_until_it_succeeds_once():
    calls = []

    def prepare():
        calls.append(1)
        if len(calls) == 1:
            raise TransientWriteError("down")
        return None

    w, _ = writer(ScriptedBulk(), prepare=prepare)
    for _ in range(3):
        w.write([record("a")])
    assert len(calls) == 2


def test_duplicates_inside_one_batch_are_written_once():
    seen = set()

    def answer(source, attempt):
        key = source["gcp"]["entry_id"]
        if key in seen:
            return error(409, "version_conflict_engine_exception")
        seen.add(key)
        return CREATED

    w, _ = writer(ScriptedBulk(answer))
    assert [r.outcome for r in w.write([record("a"), record("a")])] == [Outcome.WRITTEN, Outcome.DUPLICATE]


def letter(entry_id, reason="document_parsing_exception: boom", failed_at_ns=DAY_NS + 5, raw=b'{"logName":"x"}'):
    return DeadLetter(reason, raw, "elasticsearch", entry_id, "m-" + str(entry_id), failed_at_ns)


def test_dead_letters_go_to_the_failure_date_index_once_each():
    bulk = ScriptedBulk(stored={"known": "gcp-deadletter-1970.01.01"})
    w, _ = writer(bulk)
    w.dead_letter([letter("e1"), letter("e1"), letter("known"), letter(None, "decode_error: not json", raw=b"\xff\xfe")])
    (pairs,) = bulk.requests
    assert bulk.refresh == ["wait_for"]
    assert [next(iter(h.values()))["_index"] for h, _ in pairs] == ["gcp-deadletter-1970.01.02"] * 2
    ids = [next(iter(h.values()))["_id"] for h, _ in pairs]
    assert ids[0] == "e1" and ids[1].startswith("raw-")
    first, undecodable = pairs[0][1], pairs[1][1]
    assert first["reason_type"] == "document_parsing_exception" and first["entry_id"] == "e1" and first["message_id"] == "m-e1"
    assert first["raw"] == '{"logName":"x"}' and first["@timestamp"].startswith("1970-01-02T")
    assert undecodable["raw_encoding"] == "base64" and undecodable["reason_type"] == "decode_error"


def test_dead_letter_store_failure_raises_transient():
    bulk = ScriptedBulk(lambda source, attempt: error(429, "cluster_block_exception"))
    w, _ = writer(bulk, RetryPolicy(initial_delay_s=0.1, deadline_s=1.0))
    with pytest.raises(TransientWriteError, match="dead letters not stored"):
        w.dead_letter([letter("e1")])


def test_dead_letter_already_stored_by_an_earlier_attempt_counts_as_stored():
    w, _ = writer(ScriptedBulk(lambda source, attempt: error(409, "version_conflict_engine_exception")))
    w.dead_letter([letter("e1")])


def test_custom_index_names():
    bulk = ScriptedBulk()
    w, _ = writer(bulk, names=IndexNames(prefix="t1-logs", dead_letter_prefix="t1-dead"))
    w.write([record("a")])
    assert next(iter(bulk.requests[0][0][0].values()))["_index"] == "t1-logs-2024.05.01"


def test_action_header_is_the_json_of_index_and_id_whatever_the_id():
    for doc_id in ("0f" * 16, "a-b", 'quote"d', "\\back", "ünï"):
        action = encode_source("create", "gcp-logs-2025.06.02", doc_id, b"{}")
        assert action.header.endswith(b"\n")
        assert orjson.loads(action.header) == {"create": {"_index": "gcp-logs-2025.06.02", "_id": doc_id}}


def test_an_entry_still_failing_when_the_deadline_passes_keeps_the_failure_that_says_why():
    bulk = ScriptedBulk(lambda source, attempt: error(429, "cluster_block_exception", "index blocked by flood-stage watermark"))
    clock = FakeClock()

    def overshooting_sleep(seconds):  # a loaded machine: the backoff wakes after the deadline
        clock.now += seconds + 10.0

    w = ElasticsearchWriter(bulk, retry=RetryPolicy(initial_delay_s=0.1, max_delay_s=1.0, deadline_s=5.0), clock=clock, sleep=overshooting_sleep)
    [result] = w.write([record("a")])
    assert len(bulk.requests) == 1
    assert result.outcome is Outcome.RETRY and "flood-stage watermark" in result.reason
