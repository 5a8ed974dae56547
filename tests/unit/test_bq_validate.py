"""The row check the BigQuery writer runs before sending: BigQuery's rules, one reason per bad row."""
import json

import orjson
import pytest
from hypothesis import given, strategies as st

from bridge.decode import decode_document
from bridge.errors import BridgeError, ConfigError
from bridge.pipeline import Transform
from bridge.sinks.bigquery.packing import pack
from bridge.sinks.bigquery.row import row
from bridge.sinks.bigquery.schema import load_spec
from bridge.sinks.bigquery.validate import MAX_JSON_DEPTH, RowValidator, json_depth
from tests.golden.cases import CORPUS
SPEC = load_spec()
LOGS = RowValidator.for_schema(SPEC.fields)


def good_row(**changes):
    values = {
        "timestamp": "2024-05-01T10:00:00.123456Z",
        "timestamp_ns": 1714557600123456789,
        "timestamp_source": "timestamp",
        "log_name": "projects/p/logs/stdout",
        "entry_id": "e1",
        "severity": "INFO",
        "severity_number": 200,
        "json_payload": '{"a":1}',
        "ingest_time": "2024-05-01T10:00:01.000000Z",
    }
    values.update(changes)
    return {k: v for k, v in values.items() if v is not None}


def corpus_rows():
    transform = Transform("bigquery")
    for path in sorted((CORPUS / "entries").glob("*.jsonl")):
        for line in path.read_bytes().splitlines():
            if not line.strip():
                continue
            try:
                record = transform.record(decode_document(orjson.loads(line)))
            except BridgeError:
                continue  # the core dead-letters it before any writer sees it
            yield path.name, {**row(record), "ingest_time": "2024-05-01T00:00:00.000000Z"}


def test_every_corpus_entry_makes_a_valid_row():
    rows = list(corpus_rows())
    assert len(rows) >= 100, f"corpus at {CORPUS} gave only {len(rows)} rows"
    problems = [(name, LOGS.problem(values)) for name, values in rows if LOGS.problem(values)]
    assert problems == []


def test_schema_files_are_the_table_definition():
    names = [f["name"] for f in SPEC.fields]
    assert len(names) == len(set(names))
    assert SPEC.partition_field in names and SPEC.partition_type == "DAY"
    assert set(SPEC.clustering) <= set(names) and len(SPEC.clustering) <= 4  # BigQuery allows four
    assert {"entry_id", "reason", "raw", "failed_at", "message_id"} <= {f["name"] for f in SPEC.dead_letter_fields}


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"timestamp_ns": "1714557600"}, "timestamp_ns: expected an integer, got str"),
        ({"timestamp_ns": True}, "timestamp_ns: expected an integer, got bool"),
        ({"timestamp_ns": 2**63}, "timestamp_ns: integer 9223372036854775808 is outside INT64"),
        ({"log_name": None}, "log_name: missing value for a REQUIRED field"),
        ({"severity": 3}, "severity: expected a string, got int"),
        ({"timestamp": "yesterday"}, "timestamp: cannot read timestamp 'yesterday'"),
        ({"timestamp": 1714557600}, "timestamp: expected an RFC 3339 timestamp string, got int"),
        ({"json_payload": {"a": 1}}, "json_payload: expected JSON-encoded text, got dict"),
        ({"json_payload": "{not json"}, "json_payload: not valid JSON"),
        ({"nosuch": 1, "other": 2}, "no such field: nosuch, other"),
    ],
)
def test_a_bad_value_is_named_with_its_field(changes, expected):
    assert LOGS.problem(good_row(**changes)).startswith(expected)


def test_valid_rows_and_nullable_columns_pass():
    assert LOGS.problem(good_row()) is None
    assert LOGS.problem(good_row(json_payload=None, text_payload="plain")) is None


def nested(depth):
    value = 1
    for _ in range(depth):
        value = [value]
    return value


def test_json_deeper_than_bigquery_allows_is_rejected():
    at_limit = json.dumps({"a": nested(MAX_JSON_DEPTH - 1)})
    too_deep = json.dumps({"a": nested(MAX_JSON_DEPTH)})
    assert LOGS.problem(good_row(json_payload=at_limit)) is None
    assert LOGS.problem(good_row(json_payload=too_deep)) == f"json_payload: JSON nested deeper than {MAX_JSON_DEPTH} levels"
    # Many brackets side by side are not depth.
    assert LOGS.problem(good_row(json_payload=json.dumps([[1]] * 2000))) is None


def test_json_depth():
    assert [json_depth(v) for v in (1, {}, [], {"a": [1, {"b": 2}]}, nested(7))] == [0, 1, 1, 3, 7]


def test_a_schema_type_without_a_check_is_a_configuration_error():
    with pytest.raises(ConfigError):
        RowValidator.for_schema([{"name": "g", "type": "GEOGRAPHY", "mode": "NULLABLE"}])


@given(st.lists(st.integers(min_value=1, max_value=1000), max_size=300), st.integers(1, 50), st.integers(1000, 20000))
def test_packing_keeps_order_and_limits(sizes, max_rows, max_bytes):
    batches = pack(sizes, max_rows, max_bytes)
    assert [i for batch in batches for i in batch] == list(range(len(sizes)))
    for batch in batches:
        assert 1 <= len(batch) <= max_rows
        assert sum(sizes[i] for i in batch) <= max_bytes
    # Greedy: the next row would not have fitted in the batch before it.
    for before, after in zip(batches, batches[1:]):
        assert len(before) == max_rows or sum(sizes[i] for i in before) + sizes[after[0]] > max_bytes


def test_packing_gives_an_oversized_row_its_own_request():
    assert pack([10, 500, 10], max_rows=10, max_bytes=100) == [range(0, 1), range(1, 2), range(2, 3)]
