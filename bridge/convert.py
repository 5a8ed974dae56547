"""`python -m bridge convert`: LogEntries, push bodies or CloudEvents (JSON lines) -> destination lines.

Every input line is accounted for: a good line gives one output line, a bad one a
dead-letter line {"line", "reason", "data"}.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import IO, Iterable, Iterator

import orjson

from .decode import DEFAULT_MAX_ENTRY_BYTES, decode_document
from .errors import BridgeError, DecodeError
from .pipeline import OUTPUT_BY_DESTINATION, Transform


@dataclass(frozen=True, slots=True)
class ConvertCounts:
    lines: int
    converted: int
    dead_lettered: int
    blank: int


def convert_lines(
    lines: Iterable[bytes], transform: Transform, max_entry_bytes: int = DEFAULT_MAX_ENTRY_BYTES
) -> Iterator[tuple[bool, bytes]]:
    """Yields (True, output line) or (False, dead-letter line) per non-blank input line."""
    to_output = OUTPUT_BY_DESTINATION[transform.destination]
    # A bad line is kept as text: free-text redaction is all that can be applied to it.
    redact_text = getattr(transform.redactor, "redact_text", None)
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if not stripped:
            continue
        try:
            try:
                document = orjson.loads(stripped)
            except orjson.JSONDecodeError as exc:
                raise DecodeError(f"line is not valid JSON: {exc}", reason="not_json") from None
            if not isinstance(document, dict):
                raise DecodeError("line is JSON but not an object", reason="not_json_object")
            record = transform.record(decode_document(document, max_entry_bytes))
            yield True, orjson.dumps(to_output(record))
        except BridgeError as exc:
            data = stripped.decode("utf-8", "replace")
            dead = {"line": number, "reason": str(exc), "data": redact_text(data) if redact_text else data}
            yield False, orjson.dumps(dead)


def run_convert(source: IO[bytes], out: IO[bytes], dead_letters: IO[bytes], transform: Transform) -> ConvertCounts:
    lines = converted = dead = 0
    for ok, payload in convert_lines(source, transform):
        lines += 1
        if ok:
            converted += 1
            out.write(payload + b"\n")
        else:
            dead += 1
            dead_letters.write(payload + b"\n")
    return ConvertCounts(lines=lines, converted=converted, dead_lettered=dead, blank=0)
