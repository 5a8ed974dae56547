"""The optional native core (native/, module `bridge_native`): the hot path of the
Elasticsearch destination compiled. Without it, or with BRIDGE_NATIVE=off, every entry
takes the Python path, which gives the same results."""
from __future__ import annotations

import importlib
import os
from types import ModuleType
from typing import Any, Protocol


class NativeEngine(Protocol):
    def prepare(self, data: bytes, publish_time_ns: int | None) -> tuple[str, int, bytes, bytes | None, dict[str, int] | None] | None:
        """None: declined, the Python path handles this message."""


def load() -> ModuleType | None:
    if os.environ.get("BRIDGE_NATIVE", "on").lower() == "off":
        return None
    try:
        return importlib.import_module("bridge_native")
    except ImportError:
        return None


def engine_for(destination: str, redactor: Any) -> NativeEngine | None:
    """The native engine for this destination and rule set, or None (Python path).

    A rule set the native core cannot run exactly means no engine at all: redaction is
    never skipped."""
    module = load()
    if module is None or destination != "elasticsearch" or not hasattr(module, "ElasticsearchEngine"):
        return None
    rules = None
    if redactor is not None:
        from .redaction.native import native_rules

        rules = native_rules(redactor)
        if rules is None:
            return None
    return module.ElasticsearchEngine(redaction=rules, destination=destination)
