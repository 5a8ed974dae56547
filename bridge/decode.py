"""Pub/Sub push bodies, Eventarc CloudEvents and pulled messages -> LogEntry.

Every path ends in `decode_message`, so the three deliveries of one entry yield the
same LogEntry. Failures raise DecodeError with a reason a dead letter can carry.
"""
from __future__ import annotations

import binascii
from typing import Any, Mapping

import orjson

from .errors import DecodeError, NormalizeError
from .model import DecodedEntry, PubsubMessage
from .timestamps import check_range, parse_rfc3339_ns

CLOUDEVENT_TYPE = "google.cloud.pubsub.topic.v1.messagePublished"
# Cloud Logging caps an entry at 256 KiB; anything far larger did not come from a sink.
DEFAULT_MAX_ENTRY_BYTES = 1024 * 1024
# orjson serializes at most 254 levels; the destinations wrap a payload in a few more.
MAX_NESTING = 200


def _json_object(raw: bytes | str, what: str) -> dict[str, Any]:
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise DecodeError(f"{what} is not valid JSON: {exc}", reason="not_json") from None
    if not isinstance(value, dict):
        raise DecodeError(f"{what} is JSON but not an object (got {type(value).__name__})", reason="not_json_object")
    return value


def _publish_time_ns(value: Any) -> int | None:
    if value is None:
        return None
    try:
        return check_range(parse_rfc3339_ns(value), value)
    except NormalizeError as exc:
        raise DecodeError(f"message publishTime unreadable: {exc}", reason="bad_publish_time") from None


def message_from_push_body(body: Mapping[str, Any]) -> PubsubMessage:
    """A push body or a CloudEvent's MessagePublishedData: {"message": {...}, "subscription": ...}."""
    message = body.get("message")
    if not isinstance(message, dict):
        raise DecodeError("push body has no 'message' object", reason="not_a_push_body")
    data = message.get("data", "")
    if not isinstance(data, str):
        raise DecodeError("message.data is not a base64 string", reason="bad_base64")
    try:
        raw = binascii.a2b_base64(data, strict_mode=True)
    except (binascii.Error, ValueError) as exc:
        raise DecodeError(f"message.data is not valid base64: {exc}", reason="bad_base64") from None
    attributes = message.get("attributes") or {}
    if not isinstance(attributes, dict):
        raise DecodeError("message.attributes is not an object", reason="not_a_push_body")
    attempt = body.get("deliveryAttempt")
    return PubsubMessage(
        data=raw,
        attributes=attributes,
        message_id=message.get("messageId") or message.get("message_id"),
        publish_time_ns=_publish_time_ns(message.get("publishTime") or message.get("publish_time")),
        delivery_attempt=attempt if isinstance(attempt, int) else None,
        subscription=body.get("subscription") if isinstance(body.get("subscription"), str) else None,
    )


def message_from_cloudevent(event_type: str | None, data: Any) -> PubsubMessage:
    """An Eventarc CloudEvent (binary or structured): its data is MessagePublishedData."""
    if event_type != CLOUDEVENT_TYPE:
        raise DecodeError(f"CloudEvent type {event_type!r} is not {CLOUDEVENT_TYPE}", reason="unsupported_cloudevent")
    if isinstance(data, (bytes, str)):
        data = _json_object(data, "CloudEvent data")
    if not isinstance(data, dict):
        raise DecodeError("CloudEvent data is not MessagePublishedData", reason="not_a_push_body")
    return message_from_push_body(data)


def message_from_pulled(message: Any) -> PubsubMessage:
    """A google.cloud.pubsub_v1 subscriber Message (streaming pull)."""
    publish_time = message.publish_time
    return PubsubMessage(
        data=bytes(message.data),
        attributes=dict(message.attributes),
        message_id=message.message_id,
        publish_time_ns=int(publish_time.timestamp()) * 1_000_000_000 + publish_time.microsecond * 1000
        if publish_time is not None
        else None,
        delivery_attempt=message.delivery_attempt,
    )


def message_from_http(headers: Mapping[str, str], body: bytes) -> PubsubMessage:
    """What a push subscription or Eventarc POSTs to a function, whichever of the three forms."""
    ce_type = headers.get("ce-type") or headers.get("Ce-Type")
    if ce_type is not None:  # binary-mode CloudEvent: attributes in headers, data in body
        return message_from_cloudevent(ce_type, body)
    document = _json_object(body, "request body")
    if "specversion" in document:  # structured-mode CloudEvent
        return message_from_cloudevent(document.get("type"), document.get("data"))
    return message_from_push_body(document)


def decode_message(message: PubsubMessage, max_entry_bytes: int = DEFAULT_MAX_ENTRY_BYTES) -> DecodedEntry:
    """The message data is the LogEntry JSON a Cloud Logging sink published."""
    if len(message.data) > max_entry_bytes:
        raise DecodeError(
            f"message data is {len(message.data)} bytes, over the {max_entry_bytes}-byte limit", reason="too_large"
        )
    entry = _json_object(message.data, "message data")
    # Counting brackets is a fast C loop; only a suspicious entry pays for the walk.
    if message.data.count(b"{") + message.data.count(b"[") > MAX_NESTING and nesting_depth(entry) > MAX_NESTING:
        raise DecodeError(f"entry is nested deeper than {MAX_NESTING} levels", reason="too_deep")
    return DecodedEntry(entry=check_log_entry(entry), message_id=message.message_id, publish_time_ns=message.publish_time_ns)


def nesting_depth(value: Any) -> int:
    """Depth of nested objects and arrays, without recursion (hostile input may be deep)."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else None
        if children is None:
            continue
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return deepest


def check_log_entry(entry: dict[str, Any]) -> dict[str, Any]:
    log_name = entry.get("logName")
    if not isinstance(log_name, str) or not log_name:
        raise DecodeError("JSON object is not a LogEntry: no logName", reason="not_a_log_entry")
    return entry


def decode_document(document: dict[str, Any], max_entry_bytes: int = DEFAULT_MAX_ENTRY_BYTES) -> DecodedEntry:
    """One JSON object of unknown kind (a line of `convert` input): LogEntry, push body or CloudEvent."""
    if "specversion" in document:
        return decode_message(message_from_cloudevent(document.get("type"), document.get("data")), max_entry_bytes)
    if "message" in document and "logName" not in document:
        return decode_message(message_from_push_body(document), max_entry_bytes)
    return DecodedEntry(entry=check_log_entry(document))
