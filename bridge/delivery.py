"""Pub/Sub messages -> writes -> which messages may be acknowledged.

A message is acknowledged only when every entry it carries is confirmed written or
stored as a dead letter. Anything transient leaves it unacknowledged, so Pub/Sub
redelivers it (and, after too many attempts, moves it to the dead-letter topic).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

from .decode import DEFAULT_MAX_ENTRY_BYTES
from .errors import BridgeError, TransientWriteError
from .model import DeadLetter, PubsubMessage
from .pipeline import Prepared, Transform
from .sinks.base import CONFIRMED, Outcome, Sink


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """Per message, in input order: acknowledge or not; plus counts for metrics and logs."""

    ack: tuple[bool, ...]
    written: int = 0
    duplicates: int = 0
    dead_lettered: int = 0
    retry: int = 0
    reasons: tuple[str, ...] = field(default_factory=tuple)
    dead_letter_reasons: tuple[str, ...] = field(default_factory=tuple)
    # Publish time of each newly written entry's message: the delivery-lag metric.
    written_publish_times_ns: tuple[int, ...] = field(default_factory=tuple)
    finished_at_ns: int = 0


def _dead_letter_raw(message: PubsubMessage, redact_text: Callable[[str], str] | None) -> bytes:
    """The message data as received, with free-text redaction when a redactor can do that."""
    if redact_text is None:
        return message.data
    return redact_text(message.data.decode("utf-8", "replace")).encode()


def deliver(
    messages: Sequence[PubsubMessage],
    transform: Transform,
    sink: Sink,
    *,
    max_entry_bytes: int = DEFAULT_MAX_ENTRY_BYTES,
    redact_text: Callable[[str], str] | None = None,
    now_ns: Callable[[], int] = time.time_ns,
) -> DeliveryReport:
    prepared: list[tuple[int, Prepared]] = []
    letters: list[tuple[int, DeadLetter]] = []
    failed_at = now_ns()
    for index, message in enumerate(messages):
        try:
            prepared.append((index, transform.prepare_message(message, max_entry_bytes)))
        except BridgeError as exc:
            letters.append(
                (index, DeadLetter(str(exc), _dead_letter_raw(message, redact_text), sink.destination, None, message.message_id, failed_at))
            )
    ack = [True] * len(messages)
    counts = {outcome: 0 for outcome in Outcome}
    reasons: list[str] = []
    published: list[int] = []
    if prepared:
        results = sink.write_prepared([item for _, item in prepared])
        for (index, item), result in zip(prepared, results, strict=True):
            counts[result.outcome] += 1
            if result.outcome is Outcome.WRITTEN and messages[index].publish_time_ns is not None:
                published.append(messages[index].publish_time_ns)
            if result.outcome is Outcome.REJECTED:
                letters.append((index, DeadLetter(result.reason or "rejected", item.entry_bytes(), sink.destination, item.entry_id, messages[index].message_id, failed_at)))
            elif result.outcome not in CONFIRMED:
                ack[index] = False
                reasons.append(result.reason or "retry")
    dead_lettered = 0
    dead_letter_reasons: tuple[str, ...] = ()
    if letters:
        try:
            sink.dead_letter([letter for _, letter in letters])
            dead_lettered = len(letters)
            dead_letter_reasons = tuple(letter.reason for _, letter in letters)
            reasons.extend(dead_letter_reasons)
        except TransientWriteError as exc:
            for index, _ in letters:
                ack[index] = False
            reasons.append(f"dead letters not stored: {exc}")
    return DeliveryReport(
        ack=tuple(ack),
        written=counts[Outcome.WRITTEN],
        duplicates=counts[Outcome.DUPLICATE],
        dead_lettered=dead_lettered,
        retry=counts[Outcome.RETRY] + (len(letters) - dead_lettered),
        reasons=tuple(reasons),
        dead_letter_reasons=dead_letter_reasons,
        written_publish_times_ns=tuple(published),
        finished_at_ns=now_ns(),
    )
