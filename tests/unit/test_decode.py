import base64
import datetime as dt

import orjson
import pytest

from bridge.decode import decode_message, message_from_http, message_from_pulled
from bridge.errors import DecodeError

ENTRY = {"insertId": "a1", "logName": "projects/p/logs/stdout", "timestamp": "2024-01-01T00:00:00Z", "textPayload": "hi"}
DATA = orjson.dumps(ENTRY)
MESSAGE = {"data": base64.b64encode(DATA).decode(), "attributes": {"k": "v"}, "messageId": "42", "publishTime": "2024-01-01T00:00:01.5Z"}
PUSH = {"message": MESSAGE, "subscription": "projects/p/subscriptions/s", "deliveryAttempt": 3}


class Pulled:
    """The attributes google.cloud.pubsub_v1.subscriber.message.Message exposes."""

    data = DATA
    attributes = {"k": "v"}
    message_id = "42"
    publish_time = dt.datetime(2024, 1, 1, 0, 0, 1, 500000, tzinfo=dt.timezone.utc)
    delivery_attempt = 3


def test_push_structured_binary_cloudevent_and_pull_give_the_same_entry():
    ce_type = "google.cloud.pubsub.topic.v1.messagePublished"
    forms = [
        message_from_http({}, orjson.dumps(PUSH)),
        message_from_http({}, orjson.dumps({"specversion": "1.0", "type": ce_type, "id": "42", "source": "s", "data": PUSH})),
        message_from_http({"ce-type": ce_type, "ce-id": "42"}, orjson.dumps(PUSH)),
        message_from_pulled(Pulled()),
    ]
    decoded = [decode_message(m) for m in forms]
    assert all(d.entry == ENTRY for d in decoded)
    assert {d.message_id for d in decoded} == {"42"}
    assert {d.publish_time_ns for d in decoded} == {1704067201_500000000}
    assert forms[0].delivery_attempt == 3 and forms[0].subscription == "projects/p/subscriptions/s"


@pytest.mark.parametrize(
    "body, reason",
    [
        (b"nope", "not_json"),
        (b"[]", "not_json_object"),
        (b'{"subscription": "s"}', "not_a_push_body"),
        (orjson.dumps({"message": {"data": "!!"}}), "bad_base64"),
        (orjson.dumps({"message": {"data": 5}}), "bad_base64"),
        (orjson.dumps({"specversion": "1.0", "type": "other", "data": PUSH}), "unsupported_cloudevent"),
        (orjson.dumps({"message": {**MESSAGE, "publishTime": "later"}}), "bad_publish_time"),
    ],
)
def test_bad_bodies_raise_typed_errors(body, reason):
    with pytest.raises(DecodeError) as info:
        message_from_http({}, body)
    assert info.value.reason == reason


@pytest.mark.parametrize(
    "data, reason",
    [(b"\xff\xfe", "not_json"), (b'"text"', "not_json_object"), (b'{"textPayload": "x"}', "not_a_log_entry"), (b"{" * 5000, "not_json")],
)
def test_bad_data_raises_typed_errors(data, reason):
    with pytest.raises(DecodeError) as info:
        decode_message(message_from_pulled(type("M", (Pulled,), {"data": data})()))
    assert info.value.reason == reason


def test_too_large_is_refused_before_parsing():
    big = orjson.dumps({**ENTRY, "textPayload": "x" * 2_000_000})
    with pytest.raises(DecodeError) as info:
        decode_message(message_from_pulled(type("M", (Pulled,), {"data": big})()))
    assert info.value.reason == "too_large"
