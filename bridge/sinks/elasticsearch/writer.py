"""The Elasticsearch Sink: bulk `create` with stable ids, per-item outcomes, bounded retries.

Only the items that failed transiently are sent again, with capped exponential
backoff and full jitter, within the RetryBudget (the ack deadline). What is still
failing then is RETRY: the message stays unacknowledged and Pub/Sub redelivers it,
and `create` makes that redelivery a no-op for whatever had been written.
"""
from __future__ import annotations

import logging
import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Callable, Mapping, Protocol, Sequence

import orjson
from elasticsearch import Elasticsearch

from ...errors import BridgeError, PermanentWriteError, TransientWriteError
from ...model import DeadLetter, Record
from ...retry import RetryBudget, RetryPolicy
from ..base import CONFIRMED, ItemResult, Outcome
from .bulk import Action, bulk_body, chunk_bounds, classify, encode_action, encode_source
from .cluster import ClientTransport, build_client, prepare_once
from .deadletters import dead_letter_document, dead_letter_id
from .document import IndexNames, document
from .settings import BulkLimits, ElasticsearchSettings, settings_from_env
from .template import index_templates

if TYPE_CHECKING:
    from ...pipeline import Prepared

log = logging.getLogger(__name__)

Result = tuple[Outcome, "str | None"]


class BulkTransport(Protocol):
    """Raises TransientWriteError (retry) or PermanentWriteError (the request itself is refused)."""

    def bulk(self, body: bytes, *, timeout_s: float, refresh: str | None = None) -> list[Mapping[str, Any]]: ...

    def find(self, pattern: str, ids: Sequence[str], *, timeout_s: float) -> dict[str, str]: ...


class ElasticsearchWriter:
    destination = "elasticsearch"

    def __init__(
        self,
        transport: BulkTransport,
        *,
        names: IndexNames = IndexNames(),
        limits: BulkLimits = BulkLimits(),
        retry: RetryPolicy = RetryPolicy(),
        dead_letter_retry: RetryPolicy = RetryPolicy(deadline_s=10.0),
        request_timeout_s: float = 30.0,
        prepare: Callable[[], int | None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        now_ns: Callable[[], int] = time.time_ns,
    ) -> None:
        self._transport = transport
        self.names = names
        self.limits = limits
        self._retry = retry
        self._dead_letter_retry = dead_letter_retry
        self._request_timeout_s = request_timeout_s
        self._prepare = prepare
        self._clock = clock
        self._sleep = sleep
        self._now_ns = now_ns

    def _start(self) -> None:
        """Templates and the server's body limit, once; an unreachable cluster is tried again next write."""
        if self._prepare is None:
            return
        try:
            learned = self._prepare()
        except BridgeError as exc:
            log.warning("Elasticsearch not prepared (%s); writing anyway, preparing again next time", exc)
            return
        if learned:
            self.limits = replace(self.limits, max_content_length=learned)
        self._prepare = None

    def _budget(self, policy: RetryPolicy) -> RetryBudget:
        return RetryBudget(policy, clock=self._clock, sleep=self._sleep)

    def write(self, records: Sequence[Record]) -> list[ItemResult]:
        return self._write([(record.entry_id, record.timestamp_ns, record) for record in records])

    def write_prepared(self, items: Sequence[Prepared]) -> list[ItemResult]:
        """Entries from the transform: a document the native core serialized is sent as it is."""
        return self._write([(item.entry_id, item.timestamp_ns, item.document if item.document is not None else item.record) for item in items])  # type: ignore[misc]

    def _write(self, items: Sequence[tuple[str, int, Record | bytes]]) -> list[ItemResult]:
        self._start()
        results: list[ItemResult | None] = [None] * len(items)
        actions: list[Action] = []
        positions: list[int] = []
        for position, (doc_id, timestamp_ns, source) in enumerate(items):
            try:
                body = source if isinstance(source, bytes) else orjson.dumps(document(source))
            except orjson.JSONEncodeError as exc:  # deeper than 254 levels: no JSON encoder will send it
                results[position] = ItemResult(doc_id, Outcome.REJECTED, f"not_serializable: {exc}")
                continue
            action = encode_source("create", self.names.for_entry(timestamp_ns), doc_id, body)
            if action.size > self.limits.body_bytes:
                reason = f"document_too_large: {action.size} bytes, over the bulk limit of {self.limits.body_bytes}"
                results[position] = ItemResult(doc_id, Outcome.REJECTED, reason)
                continue
            actions.append(action)
            positions.append(position)
        for position, action, (outcome, reason) in zip(positions, actions, self._send(actions, self._budget(self._retry))):
            results[position] = ItemResult(action.doc_id, outcome, reason)
        return [result for result in results if result is not None]

    def dead_letter(self, letters: Sequence[DeadLetter]) -> None:
        """Stored once each: an id already in any dead-letter index (an earlier day's, say) is kept there."""
        self._start()
        by_id = {dead_letter_id(letter): letter for letter in letters}
        if not by_id:
            return
        budget = self._budget(self._dead_letter_retry)
        while True:
            try:
                stored = self._transport.find(self.names.dead_letter_pattern, list(by_id), timeout_s=self._timeout(budget))
                break
            except (TransientWriteError, PermanentWriteError) as exc:
                if not budget.backoff():
                    raise TransientWriteError(f"cannot look up dead letters: {exc}") from None
        now = self._now_ns()
        actions = [
            encode_action(
                "create",
                self.names.for_dead_letter(letter.failed_at_ns if letter.failed_at_ns is not None else now),
                doc_id,
                dead_letter_document(letter, doc_id, now),
            )
            for doc_id, letter in by_id.items()
            if doc_id not in stored
        ]
        # wait_for: the next lookup (a redelivery a second later, past midnight) must see these.
        failed = [result for result in self._send(actions, budget, refresh="wait_for") if result[0] not in CONFIRMED]
        if failed:
            raise TransientWriteError(f"{len(failed)} of {len(actions)} dead letters not stored: {failed[0][1]}")

    def _timeout(self, budget: RetryBudget) -> float:
        return max(1.0, min(self._request_timeout_s, budget.remaining_s()))

    def _send(self, actions: Sequence[Action], budget: RetryBudget, refresh: str | None = None) -> list[Result]:
        """Outcome per action. Retries only the transient failures, while the budget lasts."""
        results: list[Result] = [(Outcome.RETRY, "retry deadline reached before sending")] * len(actions)
        pending = list(range(len(actions)))
        while pending:
            batch = [actions[i] for i in pending]
            retry: list[int] = []
            for start, end in chunk_bounds([action.size for action in batch], self.limits):
                if budget.remaining_s() <= 0:
                    continue  # not sent again: each keeps its last failure, which says why
                for index, result in zip(pending[start:end], self._send_chunk(batch[start:end], budget, refresh)):
                    results[index] = result
                    if result[0] is Outcome.RETRY:
                        retry.append(index)
            if not retry or not budget.backoff():
                break
            log.info("retrying %d of %d bulk items (attempt %d): %s", len(retry), len(actions), budget.attempt, results[retry[0]][1])
            pending = retry
        return results

    def _send_chunk(self, chunk: Sequence[Action], budget: RetryBudget, refresh: str | None) -> list[Result]:
        try:
            items = self._transport.bulk(bulk_body(chunk), timeout_s=self._timeout(budget), refresh=refresh)
        except TransientWriteError as exc:
            return [(Outcome.RETRY, str(exc))] * len(chunk)
        except PermanentWriteError as exc:
            # The server refused the request as a whole (400, 413): halve it to find the item at fault.
            if len(chunk) == 1:
                return [(Outcome.REJECTED, str(exc))]
            middle = len(chunk) // 2
            return self._send_chunk(chunk[:middle], budget, refresh) + self._send_chunk(chunk[middle:], budget, refresh)
        if len(items) != len(chunk):
            return [(Outcome.RETRY, f"bulk response has {len(items)} items for {len(chunk)} actions")] * len(chunk)
        return [classify(item) for item in items]


def writer_for_client(client: Elasticsearch, settings: ElasticsearchSettings, **overrides: Any) -> ElasticsearchWriter:
    """The writer on the official client, installing the templates on its first write."""
    templates = index_templates(settings.names, settings.template)
    options: dict[str, Any] = {
        "names": settings.names,
        "limits": settings.limits,
        "retry": settings.retry,
        "dead_letter_retry": settings.dead_letter_retry,
        "request_timeout_s": settings.request_timeout_s,
        "prepare": lambda: prepare_once(client, templates, settings.scrub),
    }
    options.update(overrides)
    return ElasticsearchWriter(ClientTransport(client, settings.scrub), **options)


def from_env(env: Mapping[str, str] | None = None) -> ElasticsearchWriter:
    """What the functions and the pull worker call: settings from BRIDGE_ES_* (see the README)."""
    settings = settings_from_env(env)
    return writer_for_client(build_client(settings), settings)
