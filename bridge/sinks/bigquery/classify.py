"""What a BigQuery answer means for each row: written, rejected for good, or to be sent again."""
from __future__ import annotations

from typing import Any, Iterable, Mapping

import requests
from google.api_core import exceptions as api_exceptions
from google.auth import exceptions as auth_exceptions

# insertErrors reasons that reject the row itself. Every other reason is retried: `stopped`
# (not inserted because another row in the request failed), backendError, internalError,
# timeout, rateLimitExceeded, quotaExceeded, and any reason BigQuery adds later.
REJECTING_ROW_REASONS = frozenset({"invalid"})
# Request statuses that say the request's content is bad: bisect it to find the bad row.
# Anything else (5xx, 429, 403 rate/quota, 404 while Terraform is still creating the table,
# auth) is retried and then left to Pub/Sub: a good entry is never dead-lettered for a
# failure of the service or of the configuration.
CONTENT_STATUSES = frozenset({400, 413})
# Exceptions the transport raises when BigQuery could not answer.
TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (
    api_exceptions.GoogleAPIError,
    requests.RequestException,
    auth_exceptions.TransportError,
    OSError,
)


def describe_row_errors(errors: Iterable[Mapping[str, Any]]) -> str:
    return "; ".join(
        f"{e.get('reason', 'unknown')}: {e.get('location') + ': ' if e.get('location') else ''}{e.get('message', '')}"
        for e in errors
    )


def row_is_rejected(errors: Iterable[Mapping[str, Any]]) -> bool:
    return any(e.get("reason") in REJECTING_ROW_REASONS for e in errors)


def is_content_error(exc: BaseException) -> bool:
    """The request was refused for what it carries (a bad row, too large), not for the service's state."""
    return isinstance(exc, api_exceptions.GoogleAPICallError) and exc.code in CONTENT_STATUSES


def describe_failure(exc: BaseException) -> str:
    if isinstance(exc, api_exceptions.GoogleAPICallError):
        details = [e for e in exc.errors if isinstance(e, Mapping)]
        reasons = ",".join(str(e.get("reason")) for e in details) or "error"
        # The per-error messages, not exc.message, which starts with the request's URL.
        messages = "; ".join(str(e["message"]) for e in details if e.get("message")) or exc.message
        return f"HTTP {exc.code} {reasons}: {messages}"
    return f"{type(exc).__name__}: {exc}"
