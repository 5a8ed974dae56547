"""LogSeverity: names and numbers from google.logging.type.LogSeverity."""
from __future__ import annotations

from .errors import NormalizeError

SEVERITY_NUMBER = {
    "DEFAULT": 0,
    "DEBUG": 100,
    "INFO": 200,
    "NOTICE": 300,
    "WARNING": 400,
    "ERROR": 500,
    "CRITICAL": 600,
    "ALERT": 700,
    "EMERGENCY": 800,
}
_NAME_BY_NUMBER = {number: name for name, number in SEVERITY_NUMBER.items()}
# Lower-case names and the aliases logging libraries put in structured logs.
_ALIASES = {
    **{name.lower(): name for name in SEVERITY_NUMBER},
    **{name: name for name in SEVERITY_NUMBER},
    "warn": "WARNING",
    "WARN": "WARNING",
    "err": "ERROR",
    "fatal": "CRITICAL",
    "FATAL": "CRITICAL",
    "trace": "DEBUG",
    "TRACE": "DEBUG",
    "crit": "CRITICAL",
    "emerg": "EMERGENCY",
}


def severity_of(value: object) -> tuple[str, int]:
    """Name, number or absent -> (name, number). Absent is DEFAULT; numbers round down to a level."""
    if value is None:
        return "DEFAULT", 0
    if isinstance(value, str):
        name = _ALIASES.get(value) or _ALIASES.get(value.strip().lower())
        if name is None:
            if value.isdigit():
                return severity_of(int(value))
            raise NormalizeError(f"unknown severity {value[:40]!r}", reason="bad_severity")
        return name, SEVERITY_NUMBER[name]
    if isinstance(value, int) and not isinstance(value, bool):
        if not 0 <= value <= 800:
            raise NormalizeError(f"severity number {value} is outside 0..800", reason="bad_severity")
        number = value - value % 100
        return _NAME_BY_NUMBER[number], number
    raise NormalizeError(f"severity has type {type(value).__name__}", reason="bad_severity")
