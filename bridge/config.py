"""Builds the pieces an entry point needs from its environment (Cloud Functions, pull worker, CLI)."""
from __future__ import annotations

import importlib
import os
from typing import Any, Mapping

from .decode import DEFAULT_MAX_ENTRY_BYTES
from .errors import ConfigError
from .pipeline import Transform
from .sinks.base import Sink

DESTINATIONS = ("elasticsearch", "bigquery")
# Each writer module exposes from_env(environ) -> Sink; imported lazily so a function loads one client only.
_SINK_FACTORIES = {
    "elasticsearch": "bridge.sinks.elasticsearch.writer",
    "bigquery": "bridge.sinks.bigquery.writer",
}
_OFF = frozenset({"0", "off", "false", "no"})


def max_entry_bytes(environ: Mapping[str, str] = os.environ) -> int:
    return int(environ.get("BRIDGE_MAX_ENTRY_BYTES", DEFAULT_MAX_ENTRY_BYTES))


def redactor_from_env(environ: Mapping[str, str] = os.environ) -> Any:
    """On by default; BRIDGE_REDACTION=off turns it off, BRIDGE_REDACTION_RULES names a rules file."""
    if environ.get("BRIDGE_REDACTION", "on").lower() in _OFF:
        return None
    from .redact import Redactor

    rules = environ.get("BRIDGE_REDACTION_RULES")
    return Redactor.from_file(rules) if rules else Redactor.default()


def transform_from_env(destination: str, environ: Mapping[str, str] = os.environ) -> Transform:
    if destination not in DESTINATIONS:
        raise ConfigError(f"unknown destination {destination!r}; expected one of {', '.join(DESTINATIONS)}")
    return Transform(destination=destination, redactor=redactor_from_env(environ))


def sink_from_env(destination: str, environ: Mapping[str, str] = os.environ) -> Sink:
    if destination not in _SINK_FACTORIES:
        raise ConfigError(f"unknown destination {destination!r}; expected one of {', '.join(DESTINATIONS)}")
    return importlib.import_module(_SINK_FACTORIES[destination]).from_env(environ)
