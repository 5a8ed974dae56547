"""Record -> BigQuery row of bridge/schema/bigquery_logs.json (JSON columns as JSON-encoded strings)."""
from __future__ import annotations

from typing import Any, Mapping

import orjson

from ...model import Record
from ...timestamps import format_us


def _json(value: Mapping[str, Any] | None) -> str | None:
    return orjson.dumps(value).decode() if value else None


def row(record: Record) -> dict[str, Any]:
    """The row without `ingest_time`, which the writer stamps when it sends the batch."""
    return {
        "timestamp": format_us(record.timestamp_ns),
        "timestamp_ns": record.timestamp_ns,
        "timestamp_source": record.timestamp_source,
        "receive_timestamp": format_us(record.receive_timestamp_ns) if record.receive_timestamp_ns is not None else None,
        "log_name": record.log_name,
        "log_id": record.log_id,
        "insert_id": record.insert_id,
        "entry_id": record.entry_id,
        "severity": record.severity,
        "severity_number": record.severity_number,
        "project_id": record.project_id,
        "resource_type": record.resource_type,
        "resource_labels": _json(record.resource_labels),
        "labels": _json(record.labels),
        "text_payload": record.text_payload,
        "json_payload": _json(record.json_payload),
        "proto_payload": _json(record.proto_payload),
        "http_request": _json(record.http_request),
        "trace": record.trace,
        "span_id": record.span_id,
        "k8s_cluster": record.k8s_cluster,
        "k8s_location": record.k8s_location,
        "k8s_namespace": record.k8s_namespace,
        "k8s_pod": record.k8s_pod,
        "k8s_container": record.k8s_container,
        "redactions": _json(record.redactions),
        "publish_time": format_us(record.publish_time_ns) if record.publish_time_ns is not None else None,
    }
