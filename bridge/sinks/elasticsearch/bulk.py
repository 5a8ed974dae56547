"""The pure half of bulk writing: NDJSON actions, chunking by count and bytes, item classification."""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Iterator, Mapping, NamedTuple, Sequence

import orjson

from ..base import Outcome
from .settings import BulkLimits


class Action(NamedTuple):
    """One bulk action, already serialized: the `create`/`index` line (newline included) and
    the source. The two parts are joined once per request (`bulk_body`), not once per action."""

    doc_id: str
    header: bytes  # b'{"create":{...}}\n'
    source: bytes  # b'{...}', without its newline

    @property
    def size(self) -> int:
        return len(self.header) + len(self.source) + 1


def bulk_body(actions: Sequence[Action]) -> bytes:
    parts: list[bytes] = []
    for action in actions:
        parts += (action.header, action.source, b"\n")
    return b"".join(parts)


def encode_action(op: str, index: str, doc_id: str, source: Mapping[str, Any]) -> Action:
    """Raises orjson.JSONEncodeError for what JSON cannot carry (over 254 levels, integers over 64 bits)."""
    return encode_source(op, index, doc_id, orjson.dumps(source))


def encode_source(op: str, index: str, doc_id: str, source: bytes) -> Action:
    """The action around a source that is serialized already (by the native core)."""
    if doc_id.isascii() and doc_id.isalnum():  # every stable id (hex): nothing to escape
        return Action(doc_id, _header_start(op, index) + doc_id.encode() + b'"}}\n', source)
    return Action(doc_id, orjson.dumps({op: {"_index": index, "_id": doc_id}}, option=orjson.OPT_APPEND_NEWLINE), source)


@lru_cache(maxsize=64)
def _header_start(op: str, index: str) -> bytes:
    """b'{"create":{"_index":"gcp-logs-2025.06.02","_id":"': one per day and operation."""
    return orjson.dumps({op: {"_index": index, "_id": ""}})[: -len('"}}')]


def chunk_bounds(sizes: Sequence[int], limits: BulkLimits) -> Iterator[tuple[int, int]]:
    """(start, end) of consecutive runs of at most max_actions items and body_bytes bytes.
    An item over the byte limit travels alone (the writer refuses those before sending)."""
    start = size = 0
    for position, item_size in enumerate(sizes):
        if position > start and (position - start >= limits.max_actions or size + item_size > limits.body_bytes):
            yield start, position
            start, size = position, 0
        size += item_size
    if start < len(sizes):
        yield start, len(sizes)


# Error types decide before the status does: a cluster block is transient whether the
# server says 403 (index.blocks.write) or 429 (flood stage, read_only_allow_delete).
OUTCOME_BY_ERROR_TYPE: dict[str, Outcome] = {
    "version_conflict_engine_exception": Outcome.DUPLICATE,
    "cluster_block_exception": Outcome.RETRY,
    "es_rejected_execution_exception": Outcome.RETRY,
    "circuit_breaking_exception": Outcome.RETRY,
    "unavailable_shards_exception": Outcome.RETRY,
    "no_shard_available_action_exception": Outcome.RETRY,
    "process_cluster_event_timeout_exception": Outcome.RETRY,
    "index_closed_exception": Outcome.RETRY,
    "index_not_found_exception": Outcome.RETRY,  # auto-create off: an operator fixes it, not the entry's fault
    "security_exception": Outcome.RETRY,  # credentials or role: fix the config, the entry is fine
    "mapper_parsing_exception": Outcome.REJECTED,
    "document_parsing_exception": Outcome.REJECTED,
    "illegal_argument_exception": Outcome.REJECTED,
    "strict_dynamic_mapping_exception": Outcome.REJECTED,
    "x_content_parse_exception": Outcome.REJECTED,
    "invalid_index_name_exception": Outcome.REJECTED,
}
# Otherwise by status: the entry itself is at fault only for 400 and 413; the rest
# (429, 5xx, 401/403, anything unknown) is retried and, if it lasts, redelivered.
OUTCOME_BY_STATUS: dict[int, Outcome] = {200: Outcome.WRITTEN, 201: Outcome.WRITTEN, 400: Outcome.REJECTED, 413: Outcome.REJECTED}


def error_text(error: Any, limit: int = 2000) -> str:
    """'type: reason (caused by type: reason)', as deep as the server nests it."""
    if not isinstance(error, Mapping):
        return str(error)[:limit]
    text = f"{error.get('type', 'error')}: {error.get('reason', '')}"
    cause = error.get("caused_by")
    while isinstance(cause, Mapping):
        text += f" (caused by {cause.get('type', 'error')}: {cause.get('reason', '')})"
        cause = cause.get("caused_by")
    return text[:limit]


def classify(item: Mapping[str, Any]) -> tuple[Outcome, str | None]:
    """One bulk response item ({"create": {"status", "error"?}}) -> outcome and reason.

    The reason starts with the error type, so a dead letter's `reason_type` is that type.
    """
    result = next(iter(item.values()), {})
    status = result.get("status", 0)
    error = result.get("error")
    if error is None and status in OUTCOME_BY_STATUS:
        return OUTCOME_BY_STATUS[status], None
    error_type = error.get("type") if isinstance(error, Mapping) else None
    outcome = OUTCOME_BY_ERROR_TYPE.get(error_type or "") or OUTCOME_BY_STATUS.get(status, Outcome.RETRY)
    if outcome is Outcome.WRITTEN:  # a success status with an error body is not a success
        outcome = Outcome.RETRY
    detail = error_text(error) if error is not None else "no error body"
    return outcome, f"{detail} (status {status})"
