"""Replay dead letters: write them again (after a mapping fix, say) without duplicates.

From the Elasticsearch dead-letter indices: each dead letter goes through the same
transform with its stored stable id, so an entry written earlier by a redelivery is
a DUPLICATE, not a second document. What is confirmed is deleted from the dead
letters; what is still rejected stays, with its new reason; what fails transiently
stays untouched for the next run.

From the Pub/Sub dead-letter subscription: messages go through `deliver` exactly as
the functions run it, and are acknowledged by its answer.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Protocol, Sequence

from elasticsearch import Elasticsearch

from ...delivery import deliver
from ...errors import BridgeError, TransientWriteError
from ...decode import decode_message
from ...model import PubsubMessage
from ...pipeline import Prepared, Transform
from ...receivers import message_from_received
from ...timestamps import format_ns
from ..base import CONFIRMED, Outcome, Sink
from .bulk import error_text
from .deadletters import raw_bytes, reason_type
from .document import IndexNames

log = logging.getLogger(__name__)


@dataclass(slots=True)
class ReplayReport:
    seen: int = 0
    written: int = 0
    duplicates: int = 0
    still_failing: int = 0
    retry: int = 0
    skipped: int = 0

    def line(self, source: str) -> str:
        return (
            f"replay {source}: seen={self.seen} written={self.written} duplicates={self.duplicates} "
            f"still_failing={self.still_failing} retry={self.retry} skipped={self.skipped}"
        )


def _prepare(source: Mapping[str, Any], transform: Transform) -> Prepared:
    """A dead letter's raw bytes are the message data (the LogEntry JSON); its stored id stays its id."""
    message = PubsubMessage(data=raw_bytes(source), message_id=source.get("message_id"))
    return transform.prepare(decode_message(message), stable_id=source.get("entry_id"))


def _dead_letter_query(destination: str, query_string: str | None) -> dict[str, Any]:
    filters: list[dict[str, Any]] = [{"term": {"destination": destination}}]
    if query_string:
        filters.append({"query_string": {"query": query_string, "default_field": "reason"}})
    return {"bool": {"filter": filters}}


def _still_failing(hit: Mapping[str, Any], reason: str, now_ns: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """The bulk `index` action and source that keep a dead letter with its new reason."""
    source = dict(hit["_source"])
    source.update(
        reason=reason,
        reason_type=reason_type(reason),
        replayed_at=format_ns(now_ns),
        replay_count=int(source.get("replay_count") or 0) + 1,
    )
    return {"index": {"_index": hit["_index"], "_id": hit["_id"]}}, source


def replay_elasticsearch_dead_letters(
    client: Elasticsearch,
    sink: Sink,
    transform: Transform,
    names: IndexNames = IndexNames(),
    *,
    query_string: str | None = None,
    page_size: int = 500,
    now_ns: Callable[[], int] = time.time_ns,
) -> ReplayReport:
    report = ReplayReport()
    query = _dead_letter_query(sink.destination, query_string)
    after: list[Any] | None = None
    while True:
        # The dead-letter id is unique and never changes: paging by it is stable while we delete and update.
        page = client.search(
            index=names.dead_letter_pattern, query=query, sort=[{"dead_letter_id": "asc"}], size=page_size,
            search_after=after, ignore_unavailable=True, allow_no_indices=True,
        )["hits"]["hits"]
        if not page:
            return report
        after = page[-1]["sort"]
        report.seen += len(page)
        _replay_page(client, sink, transform, page, report, now_ns())


def _replay_page(client: Elasticsearch, sink: Sink, transform: Transform, page: Sequence[Mapping[str, Any]],
                 report: ReplayReport, now: int) -> None:
    operations: list[dict[str, Any]] = []
    ready: list[tuple[Mapping[str, Any], Prepared]] = []
    for hit in page:
        try:
            ready.append((hit, _prepare(hit["_source"], transform)))
        except BridgeError as exc:
            operations.extend(_still_failing(hit, str(exc), now))
            report.still_failing += 1
    results = sink.write_prepared([prepared for _, prepared in ready]) if ready else []
    for (hit, _), result in zip(ready, results, strict=True):
        if result.outcome in CONFIRMED:
            operations.append({"delete": {"_index": hit["_index"], "_id": hit["_id"]}})
            report.written += result.outcome is Outcome.WRITTEN
            report.duplicates += result.outcome is Outcome.DUPLICATE
        elif result.outcome is Outcome.REJECTED:
            operations.extend(_still_failing(hit, result.reason or "rejected", now))
            report.still_failing += 1
        else:
            report.retry += 1
    if operations:
        response = client.bulk(operations=operations, refresh="wait_for")
        if response["errors"]:
            failed = next(item for item in response["items"] if "error" in next(iter(item.values())))
            raise TransientWriteError(f"dead letters not updated: {error_text(next(iter(failed.values()))['error'])}")


class Puller(Protocol):
    def pull(self, max_messages: int) -> list[tuple[str, PubsubMessage]]: ...

    def settle(self, acks: Sequence[tuple[str, bool]]) -> None: ...


class SubscriptionPuller:
    """Unary Pull on one subscription (the Pub/Sub dead-letter subscription)."""

    def __init__(self, subscriber: Any, subscription: str, timeout_s: float = 10.0, lease_s: int = 120) -> None:
        self._subscriber = subscriber
        self._subscription = subscription
        self._timeout_s = timeout_s
        # Longer than one delivery can take (the writer's retry deadline and the dead letters'), so an
        # acknowledgement never arrives after the deadline, when Pub/Sub would already redeliver.
        self._lease_s = lease_s

    def pull(self, max_messages: int) -> list[tuple[str, PubsubMessage]]:
        from google.api_core import exceptions
        from google.pubsub_v1.types import PullResponse

        try:
            response = self._subscriber.pull(subscription=self._subscription, max_messages=max_messages, timeout=self._timeout_s)
        except exceptions.DeadlineExceeded:
            return []
        received = PullResponse.pb(response).received_messages
        if received:
            self._subscriber.modify_ack_deadline(
                subscription=self._subscription, ack_ids=[one.ack_id for one in received], ack_deadline_seconds=self._lease_s
            )
        return [(one.ack_id, message_from_received(one)) for one in received]

    def settle(self, acks: Sequence[tuple[str, bool]]) -> None:
        acked = [ack_id for ack_id, ack in acks if ack]
        nacked = [ack_id for ack_id, ack in acks if not ack]
        if acked:
            self._subscriber.acknowledge(subscription=self._subscription, ack_ids=acked)
        if nacked:  # back to the subscription at once
            self._subscriber.modify_ack_deadline(subscription=self._subscription, ack_ids=nacked, ack_deadline_seconds=0)


def replay_pubsub_dead_letters(
    puller: Puller,
    sink: Sink,
    transform: Transform,
    *,
    contains: str | None = None,
    batch_size: int = 500,
    empty_pulls_to_stop: int = 2,
    deliver_batch: Callable[..., Any] = deliver,
) -> ReplayReport:
    """Until the subscription is drained, or only messages already seen (kept back) come again,
    or the destination fails transiently (then the rest waits for the next run)."""
    report = ReplayReport()
    seen: set[str | None] = set()
    empty = 0
    while empty < empty_pulls_to_stop:
        chosen: list[tuple[str, PubsubMessage]] = []
        held_back: list[str] = []
        fresh = 0
        for ack_id, message in puller.pull(batch_size):
            if message.message_id in seen:  # kept back earlier in this run and handed out again
                held_back.append(ack_id)
                continue
            seen.add(message.message_id)
            fresh += 1
            if contains is not None and contains.encode() not in message.data:
                held_back.append(ack_id)
                report.skipped += 1
            else:
                chosen.append((ack_id, message))
        report.seen += fresh
        empty = 0 if fresh else empty + 1
        outcome = deliver_batch([message for _, message in chosen], transform, sink) if chosen else None
        acks = list(zip([ack_id for ack_id, _ in chosen], outcome.ack, strict=True)) if outcome else []
        puller.settle(acks + [(ack_id, False) for ack_id in held_back])
        if outcome is None:
            continue
        report.written += outcome.written
        report.duplicates += outcome.duplicates
        report.still_failing += outcome.dead_lettered
        report.retry += outcome.ack.count(False)
        if not all(outcome.ack):
            log.warning("destination failing transiently (%s); stopping, the rest stays for the next run", outcome.reasons[:1])
            return report
    return report
