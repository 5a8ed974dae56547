"""The one transform every entry point runs: decoded entry -> (stable id, redaction) -> Record -> output."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping, Protocol

from .model import DecodedEntry, Record
from .normalize import entry_id, normalize
from .sinks.bigquery.row import row
from .sinks.elasticsearch.document import IndexNames, document


class Redaction(Protocol):
    entry: dict[str, Any]
    fired: Mapping[str, int]


class Redactor(Protocol):
    def apply(self, entry: dict[str, Any], destination: str | None = None) -> Redaction: ...


@dataclass(frozen=True, slots=True)
class Prepared:
    """A Record and the redacted LogEntry it came from (what a dead letter stores: never the raw PII)."""

    record: Record
    entry: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Transform:
    """Stable id from the entry as received, then redaction, then normalization."""

    destination: str
    redactor: Redactor | None = None

    def prepare(self, decoded: DecodedEntry, stable_id: str | None = None) -> Prepared:
        """`stable_id` is given when replaying a dead letter that was stored already redacted."""
        stable_id = stable_id or entry_id(decoded.entry)
        if self.redactor is None:
            return Prepared(normalize(decoded, stable_id=stable_id), decoded.entry)
        redacted = self.redactor.apply(decoded.entry, self.destination)
        record = normalize(
            DecodedEntry(redacted.entry, decoded.message_id, decoded.publish_time_ns),
            stable_id=stable_id,
            redactions=redacted.fired,
        )
        return Prepared(record, redacted.entry)

    def record(self, decoded: DecodedEntry) -> Record:
        return self.prepare(decoded).record


def elasticsearch_action(record: Record, names: IndexNames = IndexNames()) -> dict[str, Any]:
    return {"_index": names.for_entry(record.timestamp_ns), "_id": record.entry_id, "_source": document(record)}


def bigquery_insert(record: Record) -> dict[str, Any]:
    return {"insertId": record.entry_id, "row": row(record)}


OUTPUT_BY_DESTINATION: dict[str, Callable[[Record], dict[str, Any]]] = {
    "elasticsearch": elasticsearch_action,
    "bigquery": bigquery_insert,
}
