"""LogEntry -> Record: the one canonical form every destination is built from."""
from __future__ import annotations

import hashlib
from functools import lru_cache
from typing import Any, Mapping
from urllib.parse import unquote

import orjson

from .errors import NormalizeError
from .model import DecodedEntry, Record
from .resources import k8s_fields
from .severity import severity_of
from .timestamps import check_range, parse_rfc3339_ns

_EMPTY: Mapping[str, Any] = {}
# jsonPayload keys that hold the human-readable line, in order of preference.
MESSAGE_KEYS = ("message", "msg", "log")


def _timestamp_ns(value: Any) -> int:
    """RFC 3339 string, or the {seconds, nanos} object some API clients send."""
    if isinstance(value, str):
        return check_range(parse_rfc3339_ns(value), value)
    if isinstance(value, dict):
        seconds, nanos = value.get("seconds", 0), value.get("nanos", 0)
        if isinstance(seconds, str) and seconds.lstrip("-").isdigit():
            seconds = int(seconds)
        if type(seconds) is int and type(nanos) is int and 0 <= nanos < 1_000_000_000:
            return check_range(seconds * 1_000_000_000 + nanos, value)
    raise NormalizeError(f"cannot read timestamp {str(value)[:64]!r}", reason="bad_timestamp")


def entry_time(entry: Mapping[str, Any], publish_time_ns: int | None) -> tuple[int, str]:
    """The entry's time and which field gave it: timestamp, then receiveTimestamp, then publish time."""
    for field in ("timestamp", "receiveTimestamp"):
        value = entry.get(field)
        if value is not None and value != "":
            return _timestamp_ns(value), field
    if publish_time_ns is not None:
        return publish_time_ns, "publishTime"
    raise NormalizeError("entry has no timestamp, receiveTimestamp or publish time", reason="no_timestamp")


def entry_id(entry: Mapping[str, Any]) -> str:
    """Stable id from (logName, insertId, timestamp): a redelivered entry, in any message, gets the same id.

    Without an insertId the whole entry (canonical JSON) is the identity instead.
    """
    insert_id = entry.get("insertId")
    if isinstance(insert_id, str) and insert_id:
        timestamp = entry.get("timestamp")
        try:
            when = str(_timestamp_ns(timestamp)) if timestamp is not None else ""
        except NormalizeError:
            when = str(timestamp)
        key = f"{entry.get('logName')}\x1f{insert_id}\x1f{when}".encode()
    else:
        key = orjson.dumps(entry, option=orjson.OPT_SORT_KEYS)
    return hashlib.blake2b(key, digest_size=16).hexdigest()


def _mapping(entry: Mapping[str, Any], key: str) -> Mapping[str, Any] | None:
    value = entry.get(key)
    if value is None or isinstance(value, dict):
        return value
    raise NormalizeError(f"{key} must be an object, got {type(value).__name__}", reason="bad_field_type")


def _string(entry: Mapping[str, Any], key: str) -> str | None:
    value = entry.get(key)
    if value is None or isinstance(value, str):
        return value or None
    raise NormalizeError(f"{key} must be a string, got {type(value).__name__}", reason="bad_field_type")


@lru_cache(maxsize=1024)
def log_id_of(log_name: str) -> str:
    """'projects/p/logs/cloudaudit.googleapis.com%2Factivity' -> 'cloudaudit.googleapis.com/activity'."""
    _, found, log_id = log_name.partition("/logs/")
    if not found:
        return log_name
    return unquote(log_id) if "%" in log_id else log_id


def _project_of(log_name: str, resource_labels: Mapping[str, Any]) -> str | None:
    project = resource_labels.get("project_id")
    if isinstance(project, str) and project:
        return project
    if log_name.startswith("projects/"):
        return log_name[9:].partition("/")[0] or None
    return None


def message_of(text_payload: str | None, json_payload: Mapping[str, Any] | None) -> str | None:
    if text_payload is not None:
        return text_payload
    if json_payload:
        for key in MESSAGE_KEYS:
            value = json_payload.get(key)
            if isinstance(value, str):
                return value
    return None


def normalize(
    decoded: DecodedEntry,
    *,
    stable_id: str | None = None,
    redactions: Mapping[str, int] = _EMPTY,
) -> Record:
    """Raises NormalizeError with a reason when a field cannot be read; never guesses silently.

    `stable_id` is computed by the caller from the entry as received, before redaction
    rewrote it, so that the id never depends on the rule set.
    """
    entry = decoded.entry
    log_name = entry["logName"]
    timestamp_ns, timestamp_source = entry_time(entry, decoded.publish_time_ns)
    receive = entry.get("receiveTimestamp")
    receive_ns = _timestamp_ns(receive) if receive else None
    severity, severity_number = severity_of(entry.get("severity"))
    resource = _mapping(entry, "resource") or _EMPTY
    resource_type = resource.get("type")
    if resource_type is not None and not isinstance(resource_type, str):
        raise NormalizeError("resource.type must be a string", reason="bad_field_type")
    resource_labels = _mapping(resource, "labels") or _EMPTY
    text_payload = _string(entry, "textPayload")
    json_payload = _mapping(entry, "jsonPayload")
    k8s = k8s_fields(resource_type, resource_labels)
    trace_sampled = entry.get("traceSampled")
    return Record(
        entry_id=stable_id or entry_id(entry),
        timestamp_ns=timestamp_ns,
        timestamp_source=timestamp_source,
        receive_timestamp_ns=receive_ns,
        log_name=log_name,
        log_id=log_id_of(log_name),
        insert_id=_string(entry, "insertId"),
        severity=severity,
        severity_number=severity_number,
        project_id=_project_of(log_name, resource_labels),
        resource_type=resource_type,
        resource_labels=resource_labels,
        labels=_mapping(entry, "labels") or _EMPTY,
        text_payload=text_payload,
        json_payload=json_payload,
        proto_payload=_mapping(entry, "protoPayload"),
        http_request=_mapping(entry, "httpRequest"),
        message=message_of(text_payload, json_payload),
        trace=_string(entry, "trace"),
        span_id=_string(entry, "spanId"),
        trace_sampled=trace_sampled if isinstance(trace_sampled, bool) else None,
        k8s_cluster=k8s.cluster,
        k8s_location=k8s.location,
        k8s_namespace=k8s.namespace,
        k8s_pod=k8s.pod,
        k8s_container=k8s.container,
        k8s_node=k8s.node,
        operation=_mapping(entry, "operation"),
        source_location=_mapping(entry, "sourceLocation"),
        publish_time_ns=decoded.publish_time_ns,
        redactions=redactions,
    )
