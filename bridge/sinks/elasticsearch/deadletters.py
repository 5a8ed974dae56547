"""Dead letters as Elasticsearch documents, and back (for replay).

The document id is the entry's stable id when known, else a digest of message id and raw bytes,
so a redelivered or replayed failure updates its one dead letter instead of adding one.
"""
from __future__ import annotations

import base64
import hashlib
import re
from typing import Any, Mapping

from ...model import DeadLetter
from ...timestamps import format_ns

_REASON_TYPE = re.compile(r"[a-z][a-z0-9_]*")


def dead_letter_id(letter: DeadLetter) -> str:
    """Undecodable data has no entry id: its message id (kept by Pub/Sub across redeliveries) and bytes are the identity."""
    if letter.entry_id:
        return letter.entry_id
    key = (letter.message_id or "").encode() + b"\x1f" + letter.raw
    return "raw-" + hashlib.blake2b(key, digest_size=16).hexdigest()


def reason_type(reason: str) -> str:
    """'document_parsing_exception: [1:2] failed...' -> 'document_parsing_exception'."""
    head = reason.split(":", 1)[0].strip()
    return head if _REASON_TYPE.fullmatch(head) else "unknown"


def dead_letter_document(letter: DeadLetter, doc_id: str, now_ns: int) -> dict[str, Any]:
    try:
        raw, encoding = letter.raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        raw, encoding = base64.b64encode(letter.raw).decode("ascii"), "base64"
    document: dict[str, Any] = {
        "@timestamp": format_ns(letter.failed_at_ns if letter.failed_at_ns is not None else now_ns),
        "reason": letter.reason,
        "reason_type": reason_type(letter.reason),
        "destination": letter.destination,
        "dead_letter_id": doc_id,
        "raw": raw,
        "raw_encoding": encoding,
    }
    if letter.entry_id:
        document["entry_id"] = letter.entry_id
    if letter.message_id:
        document["message_id"] = letter.message_id
    return document


def raw_bytes(source: Mapping[str, Any]) -> bytes:
    """The bytes a dead-letter document was made from."""
    raw = source.get("raw", "")
    return base64.b64decode(raw) if source.get("raw_encoding") == "base64" else raw.encode("utf-8")
