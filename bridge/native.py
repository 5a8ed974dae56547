"""The compiled hot path (`bridge_native`), when it is installed and allowed.

The Python pipeline stays the reference: the engine answers ordinary entries and declines
(None) anything else, and the caller then runs the Python path on that entry.
"""
from __future__ import annotations

import importlib
import importlib.util
import os
from types import ModuleType
from typing import Protocol

from .decode import DEFAULT_MAX_ENTRY_BYTES
from .pipeline import Transform

# (entry_id, timestamp_ns, document JSON, redacted LogEntry JSON or None, fired counts or None)
Prepared = tuple[str, int, bytes, bytes | None, dict[str, int] | None]
_NATIVE_RULES_MODULE = "bridge.redaction.native"


class ElasticsearchEngine(Protocol):
    def prepare(self, data: bytes, publish_time_ns: int | None) -> Prepared | None: ...


def load() -> ModuleType | None:
    """The `bridge_native` module, or None when it is not installed or BRIDGE_NATIVE=off."""
    if os.environ.get("BRIDGE_NATIVE", "").strip().lower() == "off":
        return None
    try:
        return importlib.import_module("bridge_native")
    except ImportError:
        return None


def _native_rules(redactor: object) -> object | None:
    """The redactor's rules compiled for the engine, or None when they cannot run natively."""
    if importlib.util.find_spec(_NATIVE_RULES_MODULE) is None:
        return None
    return importlib.import_module(_NATIVE_RULES_MODULE).native_rules(redactor)


def elasticsearch_engine(transform: Transform, max_entry_bytes: int = DEFAULT_MAX_ENTRY_BYTES) -> ElasticsearchEngine | None:
    """The engine doing `transform` for Elasticsearch documents, or None: use the Python path.

    With a redactor whose rules cannot run natively there is no engine: redaction is never skipped.
    """
    native = load()
    if native is None:
        return None
    redaction = None
    if transform.redactor is not None:
        redaction = _native_rules(transform.redactor)
        if redaction is None:
            return None
    engine: ElasticsearchEngine = native.ElasticsearchEngine(
        redaction=redaction, destination=transform.destination, max_entry_bytes=max_entry_bytes
    )
    return engine
