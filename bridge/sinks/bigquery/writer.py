"""BigQuery destination: tabledata.insertAll with the stable id as insertId, batched by rows and bytes.

Per row: a row BigQuery (or the row check before it) rejects is REJECTED and goes to the
dead-letter table while the rest of the batch is written; anything transient (5xx, 429,
rate limits, timeouts, connection errors, rows `stopped` by another row's error) is sent
again within the retry budget and then reported RETRY, so the message stays unacknowledged.
insertAll cannot tell a duplicate from a new row, so the outcome is never DUPLICATE: the
`logs_dedup` view removes redeliveries.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

from google.cloud import bigquery

from ...errors import TransientWriteError
from ...model import DeadLetter, Record
from ...retry import RetryBudget
from ...timestamps import format_us
from ..base import ItemResult, Outcome
from .classify import TRANSPORT_ERRORS, describe_failure, describe_row_errors, is_content_error, row_is_rejected
from .packing import pack
from .row import row
from .schema import TableSpec, load_spec
from .settings import BigQuerySettings
from .validate import RowValidator

if TYPE_CHECKING:
    from ...pipeline import Prepared

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class WriterLimits:
    max_rows: int = 500  # BigQuery's recommended rows per insertAll request
    max_bytes: int = 9 * 1024 * 1024  # request body, under the 10 MB insertAll limit
    request_timeout_s: float = 30.0


@dataclass(frozen=True, slots=True)
class _Row:
    position: int  # in the caller's sequence
    insert_id: str
    values: Mapping[str, Any]
    size: int  # bytes this row adds to the request body


def request_bytes(insert_id: str, values: Mapping[str, Any]) -> int:
    """Exactly what the row adds to the body the client sends (json.dumps, ASCII-escaped, ', ' between rows)."""
    return len(json.dumps({"json": values, "insertId": insert_id})) + 2


class BigQuerySink:
    destination = "bigquery"

    def __init__(
        self,
        client: bigquery.Client,
        dataset: str,
        *,
        spec: TableSpec | None = None,
        limits: WriterLimits = WriterLimits(),
        new_budget: Callable[[], RetryBudget] = RetryBudget,
        now_ns: Callable[[], int] = time.time_ns,
    ) -> None:
        spec = spec or load_spec()
        self._client = client
        self._table = f"{client.project}.{dataset}.{spec.table_id}"
        self._dead_letter_table = f"{client.project}.{dataset}.{spec.dead_letter_table_id}"
        self._rows_valid = RowValidator.for_schema(spec.fields)
        self._dead_letters_valid = RowValidator.for_schema(spec.dead_letter_fields)
        self._limits = limits
        self._new_budget = new_budget
        self._now_ns = now_ns

    def write_prepared(self, items: Sequence[Prepared]) -> list[ItemResult]:
        return self.write([item.as_record() for item in items])

    def write(self, records: Sequence[Record]) -> list[ItemResult]:
        ingest_time = format_us(self._now_ns())
        results: dict[int, tuple[Outcome, str | None]] = {}
        rows: list[_Row] = []
        for position, record in enumerate(records):
            values = self._record_values(record, ingest_time)
            prepared = values if isinstance(values, str) else self._prepare(position, record.entry_id, values, self._rows_valid)
            if isinstance(prepared, str):
                results[position] = (Outcome.REJECTED, prepared)
            else:
                rows.append(prepared)
        results.update(self._insert(self._table, rows))
        return [ItemResult(record.entry_id, *results[position]) for position, record in enumerate(records)]

    def dead_letter(self, letters: Sequence[DeadLetter]) -> None:
        rows: list[_Row] = []
        for position, letter in enumerate(letters):
            values = self._dead_letter_values(letter)
            insert_id = hashlib.blake2b(json.dumps(values).encode(), digest_size=16).hexdigest()
            prepared = self._prepare(position, insert_id, values, self._dead_letters_valid)
            if isinstance(prepared, str):
                raise TransientWriteError(f"dead letter cannot be stored: {prepared}")
            rows.append(prepared)
        failed = [reason for outcome, reason in self._insert(self._dead_letter_table, rows).values() if outcome is not Outcome.WRITTEN]
        if failed:
            raise TransientWriteError(f"{len(failed)} of {len(letters)} dead letters not stored: {failed[0]}")

    @staticmethod
    def _record_values(record: Record, ingest_time: str) -> dict[str, Any] | str:
        try:
            values = row(record)
        except (ValueError, TypeError) as exc:  # orjson.JSONEncodeError is a TypeError
            return f"invalid_row: cannot encode the row: {exc}"
        values["ingest_time"] = ingest_time
        return values

    def _dead_letter_values(self, letter: DeadLetter) -> dict[str, Any]:
        # Every escaped character is at most 12 bytes, so a raw entry cut to this fits one request.
        limit = self._limits.max_bytes // 12 - 1024
        raw = letter.raw.decode("utf-8", "backslashreplace")
        if len(raw) > limit:
            raw = f"{raw[:limit]}...[truncated {len(raw) - limit} characters]"
        return {
            "entry_id": letter.entry_id,
            "message_id": letter.message_id,
            "reason": letter.reason,
            "destination": letter.destination,
            "raw": raw,
            "failed_at": format_us(letter.failed_at_ns if letter.failed_at_ns is not None else self._now_ns()),
        }

    def _prepare(self, position: int, insert_id: str, values: Mapping[str, Any], validator: RowValidator) -> _Row | str:
        """The row ready to send, or why it can never be written."""
        problem = validator.problem(values)
        if problem:
            return f"invalid_row: {problem}"
        size = request_bytes(insert_id, values)
        if size > self._limits.max_bytes:
            return f"row_too_large: {size} bytes, over the {self._limits.max_bytes} bytes of one insertAll request"
        return _Row(position, insert_id, values, size)

    def _insert(self, table: str, rows: list[_Row]) -> dict[int, tuple[Outcome, str | None]]:
        """Sends `rows` until each is written or rejected, or the retry budget is spent (RETRY)."""
        done: dict[int, tuple[Outcome, str | None]] = {}
        budget = self._new_budget()
        pending = rows
        while pending:
            again: list[tuple[_Row, str]] = []
            for batch in pack([r.size for r in pending], self._limits.max_rows, self._limits.max_bytes):
                self._send(table, [pending[i] for i in batch], budget, done, again)
            if again and not budget.backoff():
                log.warning("BigQuery: %d rows left for redelivery: %s", len(again), again[0][1])
                done.update((r.position, (Outcome.RETRY, f"transient: {reason}")) for r, reason in again)
                break
            pending = [r for r, _ in again]
        return done

    def _send(
        self,
        table: str,
        rows: list[_Row],
        budget: RetryBudget,
        done: dict[int, tuple[Outcome, str | None]],
        again: list[tuple[_Row, str]],
    ) -> None:
        try:
            errors = self._client.insert_rows_json(
                table,
                [r.values for r in rows],
                row_ids=[r.insert_id for r in rows],
                skip_invalid_rows=True,  # BigQuery writes the good rows and reports the bad ones
                retry=None,  # the retry budget decides, bounded by the ack deadline
                timeout=max(1.0, min(self._limits.request_timeout_s, budget.remaining_s())),
            )
        except TRANSPORT_ERRORS as exc:
            if not is_content_error(exc):
                again.extend((r, describe_failure(exc)) for r in rows)
            elif len(rows) > 1:  # refused as a whole: halve until the bad row stands alone
                half = len(rows) // 2
                self._send(table, rows[:half], budget, done, again)
                self._send(table, rows[half:], budget, done, again)
            else:
                done[rows[0].position] = (Outcome.REJECTED, f"rejected_by_bigquery: {describe_failure(exc)}")
            return
        errors_by_index = {e.get("index"): e.get("errors") or [] for e in errors}
        for index, r in enumerate(rows):
            row_errors = errors_by_index.get(index)
            if not row_errors:
                done[r.position] = (Outcome.WRITTEN, None)
            elif row_is_rejected(row_errors):
                done[r.position] = (Outcome.REJECTED, f"rejected_by_bigquery: {describe_row_errors(row_errors)}")
            else:
                again.append((r, describe_row_errors(row_errors)))


def from_env(environ: Mapping[str, str] = os.environ) -> BigQuerySink:
    settings = BigQuerySettings.from_env(environ)
    return BigQuerySink(settings.client(), settings.dataset)
