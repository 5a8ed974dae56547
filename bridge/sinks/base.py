"""What every destination writer promises, in the terms the delivery layer acknowledges by."""
from __future__ import annotations

import enum

from typing import TYPE_CHECKING, NamedTuple, Protocol, Sequence

from ..model import DeadLetter, Record

if TYPE_CHECKING:
    from ..pipeline import Prepared


class Outcome(enum.Enum):
    WRITTEN = "written"
    DUPLICATE = "duplicate"  # already there (same stable id): a redelivery, counts as written
    REJECTED = "rejected"  # permanent for this entry: goes to the dead letters
    RETRY = "retry"  # transient and the retry budget ran out: leave the message unacknowledged


CONFIRMED = frozenset({Outcome.WRITTEN, Outcome.DUPLICATE})


class ItemResult(NamedTuple):
    entry_id: str
    outcome: Outcome
    reason: str | None = None


class Sink(Protocol):
    destination: str

    def write(self, records: Sequence[Record]) -> list[ItemResult]:
        """One result per record, in order. Retries transient failures within its own budget."""

    def write_prepared(self, items: Sequence[Prepared]) -> list[ItemResult]:
        """`write` for what the transform prepared (a Record, or a document the native core built)."""

    def dead_letter(self, letters: Sequence[DeadLetter]) -> None:
        """Stores dead letters durably, or raises TransientWriteError (then nothing may be acked)."""
