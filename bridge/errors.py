"""One flat exception hierarchy. Every error carries a machine-readable reason."""
from __future__ import annotations


class BridgeError(Exception):
    """Base of every error the bridge raises on purpose."""

    reason = "bridge_error"

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        if reason is not None:
            self.reason = reason

    def __str__(self) -> str:  # "reason: message" reads well in dead letters
        return f"{self.reason}: {self.args[0]}"


class DecodeError(BridgeError):
    """The message is not a Pub/Sub push body, a CloudEvent or a LogEntry. Permanent."""

    reason = "decode_error"


class NormalizeError(BridgeError):
    """The LogEntry decoded but cannot become a record (bad timestamp, wrong types). Permanent."""

    reason = "normalize_error"


class PermanentWriteError(BridgeError):
    """A destination rejected an entry for good (mapping conflict, invalid row)."""

    reason = "rejected"


class TransientWriteError(BridgeError):
    """A destination failed in a way a retry can fix (429, 5xx, connection, cluster block)."""

    reason = "transient"


class ConfigError(BridgeError):
    """Configuration is missing or invalid."""

    reason = "config_error"
