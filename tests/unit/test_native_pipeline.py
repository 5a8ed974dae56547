"""The product's configuration, native core plus the default redaction rules, against the
pure-Python path through the one call every delivery makes (Transform.prepare_message).

The same document, redacted entry, counts and stable id, or the same typed error, for the
corpus, the labelled redaction set planted in entries, and hostile input; never a crash.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.errors import BridgeError
from bridge.model import PubsubMessage
from bridge.pipeline import Transform
from bridge.redact import Redactor
from bridge.sinks.elasticsearch.document import document
from tests.golden.cases import CORPUS

REDACTOR = Redactor.default(environ={})
NATIVE = Transform("elasticsearch", REDACTOR)
PYTHON = Transform("elasticsearch", REDACTOR, native=False)
QUALITY_SET = Path(__file__).resolve().parents[1] / "redaction"
PUBLISH_NS = 1_700_000_000_123_456_789


def outcome(transform: Transform, message: PubsubMessage) -> tuple[Any, ...]:
    try:
        prepared = transform.prepare_message(message)
    except BridgeError as exc:
        return ("error", type(exc).__name__, exc.reason)
    record = prepared.as_record()
    source = prepared.document if prepared.document is not None else orjson.dumps(document(record))
    return (prepared.entry_id, prepared.timestamp_ns, orjson.loads(source), orjson.loads(prepared.entry_bytes()), dict(record.redactions))


def same(data: bytes, publish_time_ns: int | None = None) -> tuple[Any, ...]:
    message = PubsubMessage(data, publish_time_ns=publish_time_ns)
    native = outcome(NATIVE, message)
    assert native == outcome(PYTHON, message), data[:300]
    return native


def test_the_product_configuration_runs_natively():
    assert NATIVE.engine is not None and PYTHON.engine is None


def test_corpus_entries_are_the_same_and_answered_natively():
    lines = [line for path in sorted((CORPUS / "entries").glob("*.jsonl")) for line in path.read_bytes().splitlines() if line.strip()]
    assert lines
    for line in lines:
        same(line, PUBLISH_NS)
        assert NATIVE.engine.prepare(line, PUBLISH_NS) is not None


def test_labelled_positives_and_negatives_in_entries_are_redacted_alike():
    fired = 0
    for name in ("positives.jsonl", "negatives.jsonl"):
        for number, line in enumerate((QUALITY_SET / name).read_bytes().splitlines()):
            text = orjson.loads(line)["text"]
            entry = {
                "logName": "projects/p/logs/app",
                "insertId": f"{name}-{number}",
                "timestamp": "2024-05-01T12:00:00Z",
                "resource": {"type": "k8s_container", "labels": {"namespace_name": "shop", "pod_name": "web-1"}},
                "jsonPayload": {"message": text, "nested": [{"user": text}]},
                "labels": {"note": text},
            }
            fired += bool(same(orjson.dumps(entry))[4])
    assert fired > 1000  # the positives fire: this compares redacted entries, not only clean ones


HOSTILE = [
    b"[" * 2000 + b"]" * 2000,
    b'{"logName":"l","jsonPayload":' + b'{"a":' * 300 + b"1" + b"}" * 300 + b"}",
    b'{"logName":"l","textPayload":"\xff\xfe"}',
    b'{"logName":"l","textPayload":"' + b"a@b.co " * 140_000 + b'"}',
    b'{"logName":"l","timestamp":"99999-01-01T00:00:00Z"}',
    b'{"logName":"l","timestamp":"2024-01-01T00:00:00Z","severity":1e400}',
    b'{"logName":"l","insertId":"i","timestamp":"2024-01-01T00:00:00Z","jsonPayload":{"n":123456789012345678901234567890}}',
    b"\x00" * (10 * 1024 * 1024),
]


def test_hostile_input_gives_the_same_record_or_typed_error():
    for data in HOSTILE:
        same(data, PUBLISH_NS)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes(data):
    same(data)


@settings(max_examples=300, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | st.text(max_size=30), lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=20))
def test_any_field_of_any_type(value):
    for field in ("timestamp", "severity", "resource", "labels", "jsonPayload", "textPayload", "insertId", "httpRequest", "trace"):
        same(orjson.dumps({"logName": "projects/p/logs/app", "insertId": "x", "timestamp": "2024-05-01T12:00:00Z", field: value}))
