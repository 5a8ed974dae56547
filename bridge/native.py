"""The compiled hot path (native/, module `bridge_native`), when it is installed and allowed.

The Python pipeline stays the reference: the engine answers ordinary entries and declines
(None) anything else, and the caller then runs the Python path on that entry. Without the
module, or with BRIDGE_NATIVE=off, every entry takes the Python path.
"""
from __future__ import annotations

import importlib
import os
from types import ModuleType
from typing import Any, Protocol

from .decode import DEFAULT_MAX_ENTRY_BYTES

NATIVE_ENV = "BRIDGE_NATIVE"  # "off": the Python path for everything

# (entry_id, timestamp_ns, document JSON, redacted LogEntry JSON or None, fired counts or None)
NativePrepared = tuple[str, int, bytes, bytes | None, dict[str, int] | None]


class NativeEngine(Protocol):
    def prepare(self, data: bytes, publish_time_ns: int | None) -> NativePrepared | None: ...


def load() -> ModuleType | None:
    """The `bridge_native` module, or None when it is not installed or BRIDGE_NATIVE=off."""
    if os.environ.get(NATIVE_ENV, "").strip().lower() == "off":
        return None
    try:
        return importlib.import_module("bridge_native")
    except ImportError:
        return None


def engine_for(destination: str, redactor: Any, max_entry_bytes: int = DEFAULT_MAX_ENTRY_BYTES) -> NativeEngine | None:
    """The engine for this destination and rule set, or None: use the Python path.

    Only Elasticsearch documents are built natively. With a redactor whose rules cannot run
    natively there is no engine: redaction is never skipped.
    """
    module = load()
    if module is None or destination != "elasticsearch":
        return None
    redaction = None
    if redactor is not None:
        from .redaction.native import native_rules  # it loads the module through this one

        redaction = native_rules(redactor)
        if redaction is None:
            return None
    engine: NativeEngine = module.ElasticsearchEngine(redaction=redaction, destination=destination, max_entry_bytes=max_entry_bytes)
    return engine
