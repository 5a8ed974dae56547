"""The one transform every entry point runs: message -> (stable id, redaction) -> Record -> output."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, NamedTuple, Protocol

import orjson

from .decode import DEFAULT_MAX_ENTRY_BYTES, decode_message
from .model import DecodedEntry, PubsubMessage, Record
from .native import NativeEngine, engine_for
from .normalize import entry_id, normalize
from .sinks.bigquery.row import row
from .sinks.elasticsearch.document import IndexNames, document


class Redaction(Protocol):
    entry: dict[str, Any]
    fired: Mapping[str, int]


class Redactor(Protocol):
    def apply(self, entry: dict[str, Any], destination: str | None = None) -> Redaction: ...


class Prepared(NamedTuple):
    """One entry ready for its destination, and the redacted LogEntry a dead letter stores
    (never the raw PII).

    The Python path fills `record` and `entry`; the native core fills `document` (the
    Elasticsearch _source, already serialized) and `entry_json` instead. A NamedTuple, as
    Record is: built once per entry on the hot path, where a frozen dataclass costs more.
    """

    entry_id: str
    timestamp_ns: int
    record: Record | None = None
    entry: dict[str, Any] | None = None
    document: bytes | None = None
    entry_json: bytes | None = None
    fired: Mapping[str, int] | None = None
    publish_time_ns: int | None = None

    def entry_bytes(self) -> bytes:
        return self.entry_json if self.entry_json is not None else orjson.dumps(self.entry)

    def as_record(self) -> Record:
        """The Record, rebuilt from the redacted entry when the native core went straight to
        the document (for destinations that need one; the result is the Python path's)."""
        if self.record is not None:
            return self.record
        decoded = DecodedEntry(orjson.loads(self.entry_bytes()), None, self.publish_time_ns)
        return normalize(decoded, stable_id=self.entry_id, redactions=self.fired or {})


def _prepared(record: Record, entry: dict[str, Any]) -> Prepared:
    return Prepared(record.entry_id, record.timestamp_ns, record, entry)


@dataclass(frozen=True, slots=True)
class Transform:
    """Stable id from the entry as received, then redaction, then normalization.

    `engine` is the native core for this destination and rule set when it is installed
    (bridge/native.py) and `native` is not turned off; it declines whatever it cannot do
    exactly as the Python path does.
    """

    destination: str
    redactor: Redactor | None = None
    native: bool = True
    engine: NativeEngine | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.native:
            object.__setattr__(self, "engine", engine_for(self.destination, self.redactor))

    def prepare_message(self, message: PubsubMessage, max_entry_bytes: int = DEFAULT_MAX_ENTRY_BYTES) -> Prepared:
        """Raises DecodeError or NormalizeError (from the Python path) for what cannot be read."""
        if self.engine is not None and len(message.data) <= max_entry_bytes:
            built = self.engine.prepare(message.data, message.publish_time_ns)
            if built is not None:
                stable_id, timestamp_ns, source, redacted, fired = built
                entry_json = message.data if redacted is None else redacted
                return Prepared(stable_id, timestamp_ns, None, None, source, entry_json, fired, message.publish_time_ns)
        return self.prepare(decode_message(message, max_entry_bytes))

    def prepare(self, decoded: DecodedEntry, stable_id: str | None = None) -> Prepared:
        """`stable_id` is given when replaying a dead letter that was stored already redacted."""
        stable_id = stable_id or entry_id(decoded.entry)
        if self.redactor is None:
            return _prepared(normalize(decoded, stable_id=stable_id), decoded.entry)
        redacted = self.redactor.apply(decoded.entry, self.destination)
        record = normalize(
            DecodedEntry(redacted.entry, decoded.message_id, decoded.publish_time_ns),
            stable_id=stable_id,
            redactions=redacted.fired,
        )
        return _prepared(record, redacted.entry)

    def record(self, decoded: DecodedEntry) -> Record:
        record = self.prepare(decoded).record
        assert record is not None  # the Python path always builds one
        return record


def elasticsearch_action(record: Record, names: IndexNames = IndexNames()) -> dict[str, Any]:
    return {"_index": names.for_entry(record.timestamp_ns), "_id": record.entry_id, "_source": document(record)}


def bigquery_insert(record: Record) -> dict[str, Any]:
    return {"insertId": record.entry_id, "row": row(record)}


OUTPUT_BY_DESTINATION: dict[str, Callable[[Record], dict[str, Any]]] = {
    "elasticsearch": elasticsearch_action,
    "bigquery": bigquery_insert,
}
