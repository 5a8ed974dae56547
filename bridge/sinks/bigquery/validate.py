"""Checks a row against the table schema before it is sent, the way BigQuery would.

BigQuery answers a bad row with a per-row `invalid` error, but the emulator answers some
bad values (invalid JSON, a JSON object instead of its encoding) with HTTP 500 for the
whole request, which would look transient and be retried forever. Checking here makes a
bad row a per-row rejection everywhere, with a reason that names the field.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Iterable, Mapping

import orjson

from ...errors import ConfigError

# BigQuery's limits for one value of a streamed row.
MAX_STRING_BYTES = 10 * 1024 * 1024
MAX_JSON_DEPTH = 500
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

Check = Callable[[Any], "str | None"]


def _string(value: Any) -> str | None:
    if not isinstance(value, str):
        return f"expected a string, got {type(value).__name__}"
    # A character is at most 4 bytes in UTF-8: encode only when the length could exceed the limit.
    if len(value) * 4 > MAX_STRING_BYTES and len(value.encode("utf-8", "surrogatepass")) > MAX_STRING_BYTES:
        return f"string longer than {MAX_STRING_BYTES} bytes"
    return None


def _integer(value: Any) -> str | None:
    if type(value) is not int:
        return f"expected an integer, got {type(value).__name__}"
    if not INT64_MIN <= value <= INT64_MAX:
        return f"integer {value} is outside INT64"
    return None


def _timestamp(value: Any) -> str | None:
    if not isinstance(value, str):
        return f"expected an RFC 3339 timestamp string, got {type(value).__name__}"
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return f"cannot read timestamp {value[:40]!r}"
    return None


def json_depth(value: Any) -> int:
    """Nesting depth of decoded JSON: a scalar is 0, {} or [] is 1."""
    depth, level = 0, [(value, 0)]
    while level:
        node, at = level.pop()
        if isinstance(node, dict):
            node = node.values()
        elif not isinstance(node, list):
            depth = max(depth, at)
            continue
        depth = max(depth, at + 1)
        level.extend((child, at + 1) for child in node)
    return depth


def _json(value: Any) -> str | None:
    """A JSON column takes the JSON-encoded text (insertAll), never the object itself."""
    if not isinstance(value, str):
        return f"expected JSON-encoded text, got {type(value).__name__}"
    try:
        decoded = orjson.loads(value)
    except orjson.JSONDecodeError as exc:
        return f"not valid JSON: {exc}"
    # Counting brackets is cheap; walking the value is needed only when it could be too deep.
    if value.count("{") + value.count("[") > MAX_JSON_DEPTH and json_depth(decoded) > MAX_JSON_DEPTH:
        return f"JSON nested deeper than {MAX_JSON_DEPTH} levels"
    return _string(value)


CHECKS: dict[str, Check] = {
    "STRING": _string,
    "INTEGER": _integer,
    "INT64": _integer,
    "TIMESTAMP": _timestamp,
    "JSON": _json,
}


@dataclass(frozen=True, slots=True)
class RowValidator:
    columns: tuple[tuple[str, Check, bool], ...]  # (name, check, required)
    names: frozenset[str]

    @classmethod
    def for_schema(cls, fields: Iterable[Mapping[str, Any]]) -> RowValidator:
        columns = []
        for field in fields:
            check = CHECKS.get(field["type"].upper())
            if check is None or field.get("mode", "NULLABLE") == "REPEATED":
                raise ConfigError(f"no row check for column {field['name']} ({field['type']} {field.get('mode')})")
            columns.append((field["name"], check, field.get("mode") == "REQUIRED"))
        return cls(tuple(columns), frozenset(name for name, _, _ in columns))

    def problem(self, row: Mapping[str, Any]) -> str | None:
        """Why BigQuery would reject the row, or None when it is valid."""
        unknown = row.keys() - self.names
        if unknown:
            return f"no such field: {', '.join(sorted(unknown))}"
        for name, check, required in self.columns:
            value = row.get(name)
            if value is None:
                if required:
                    return f"{name}: missing value for a REQUIRED field"
                continue
            problem = check(value)
            if problem:
                return f"{name}: {problem}"
        return None
