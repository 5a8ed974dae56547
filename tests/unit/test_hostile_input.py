"""Hostile input: whatever arrives, the result is a Record or a typed BridgeError, never a crash or a hang."""
import base64

import orjson
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from bridge.decode import decode_message, message_from_http
from bridge.errors import BridgeError
from bridge.model import PubsubMessage
from bridge.normalize import normalize
from bridge.sinks.bigquery.row import row
from bridge.sinks.elasticsearch.document import document

json_leaf = st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | st.floats(allow_nan=False) | st.text(max_size=40)
json_value = st.recursive(json_leaf, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=20)
timestamp_like = st.sampled_from(["2024-01-01T00:00:00Z", "0000-00-00T00:00:00Z", "9999-12-31T23:59:59.999999999Z", "1969-12-31T23:59:59Z",
                                  "2262-04-12T00:00:00Z", "2024-01-01T00:00:00.Z", "2024-01-01T00:00:60Z", ""]) | st.text(max_size=32)
FIELDS = {
    "timestamp": timestamp_like | json_value,
    "receiveTimestamp": timestamp_like | json_value,
    "severity": st.sampled_from(["ERROR", "warn", 250, 800, 801, -5, True]) | json_value,
    "insertId": json_value,
    "resource": st.fixed_dictionaries({"type": st.sampled_from(["k8s_container", "k8s_pod", "container", "gce_instance"]) | json_value,
                                       "labels": json_value | st.dictionaries(st.sampled_from(["cluster_name", "location", "namespace_name", "pod_name", "zone"]), json_value)}) | json_value,
    "labels": json_value,
    "textPayload": json_value,
    "jsonPayload": json_value,
    "protoPayload": json_value,
    "httpRequest": json_value | st.fixed_dictionaries({"status": json_value, "requestMethod": json_value, "requestUrl": json_value}),
    "trace": json_value,
    "spanId": json_value,
    "traceSampled": json_value,
    "operation": json_value,
    "sourceLocation": json_value,
}
entries = st.fixed_dictionaries({"logName": st.just("projects/p/logs/x") | st.text(max_size=30) | json_value}, optional=FIELDS)


def run_pipeline(data: bytes):
    try:
        decoded = decode_message(PubsubMessage(data=data, publish_time_ns=None))
        record = normalize(decoded)
    except BridgeError as exc:
        assert exc.reason and str(exc)
        return None
    orjson.dumps(document(record))
    orjson.dumps(row(record))
    return record


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(entries)
def test_any_field_of_any_type_gives_a_record_or_a_typed_error(entry):
    run_pipeline(orjson.dumps(entry, option=orjson.OPT_NON_STR_KEYS))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes(data):
    run_pipeline(data)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300) | st.text(max_size=300).map(str.encode), st.dictionaries(st.text(max_size=10), st.text(max_size=10), max_size=3))
def test_arbitrary_http_bodies(body, headers):
    try:
        decode_message(message_from_http(headers, body))
    except BridgeError:
        pass


@pytest.mark.parametrize(
    "data, reason",
    [
        (b'{"logName":"projects/p/logs/x","jsonPayload":' + b'{"a":' * 2000 + b"1" + b"}" * 2001, "not_json"),
        (b'{"logName":"projects/p/logs/x","jsonPayload":' + b'[' * 500 + b"1" + b"]" * 500 + b"}", "too_deep"),
        (b'{"logName":"projects/p/logs/x","textPayload":"\xff\xfe\xfd"}', "not_json"),
        (b'{"logName":"projects/p/logs/x","textPayload":"' + b"a" * (10 * 1024 * 1024) + b'"}', "too_large"),
        (b'{"logName":"projects/p/logs/x","timestamp":"99999-01-01T00:00:00Z"}', "bad_timestamp"),
        (b'{"logName":"projects/p/logs/x","timestamp":"2262-04-12T00:00:00Z"}', "timestamp_out_of_range"),
        (b'{"logName":"projects/p/logs/x","timestamp":{"seconds":"-99999999999","nanos":0}}', "timestamp_out_of_range"),
    ],
)
def test_named_hostile_inputs(data, reason):
    with pytest.raises(BridgeError) as info:
        normalize(decode_message(PubsubMessage(data=data)))
    assert info.value.reason == reason


def test_deep_but_parseable_nesting_is_kept():
    deep = b'{"logName":"projects/p/logs/x","timestamp":"2024-01-01T00:00:00Z","jsonPayload":' + b'{"a":' * 190 + b"1" + b"}" * 191
    assert run_pipeline(deep).json_payload is not None


def test_ten_megabyte_push_body_is_refused_without_reading_it_all():
    body = orjson.dumps({"message": {"data": base64.b64encode(b"x" * 10 * 1024 * 1024).decode(), "messageId": "1"}})
    with pytest.raises(BridgeError) as info:
        decode_message(message_from_http({}, body))
    assert info.value.reason == "too_large"
