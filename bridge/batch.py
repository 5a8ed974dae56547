"""Gathers concurrent push requests into one write; each request waits for its own result.

Leader/follower, no background thread: the first request into an empty batch waits a
short bounded time for others (or until the batch is full), then writes the whole batch
and hands every request its own acknowledgement. No thread outlives a request, which
suits Cloud Functions' CPU allocation.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Callable, Sequence

from .model import PubsubMessage

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class BatchLimits:
    max_messages: int = 500
    max_bytes: int = 5 * 1024 * 1024
    max_wait_s: float = 0.05


@dataclass(slots=True)
class _Batch:
    messages: list[PubsubMessage] = field(default_factory=list)
    size_bytes: int = 0
    acks: Sequence[bool] = ()
    done: threading.Event = field(default_factory=threading.Event)
    full: threading.Event = field(default_factory=threading.Event)


class Batcher:
    def __init__(self, write: Callable[[Sequence[PubsubMessage]], Sequence[bool]], limits: BatchLimits = BatchLimits()) -> None:
        self._write = write
        self._limits = limits
        self._lock = threading.Lock()
        self._open: _Batch | None = None
        self.batches_written = 0

    def submit(self, message: PubsubMessage) -> bool:
        """Blocks until the batch holding `message` is written; True means acknowledge."""
        with self._lock:
            batch = self._open
            leader = batch is None
            if leader:
                batch = self._open = _Batch()
            position = len(batch.messages)
            batch.messages.append(message)
            batch.size_bytes += len(message.data)
            if len(batch.messages) >= self._limits.max_messages or batch.size_bytes >= self._limits.max_bytes:
                self._open = None  # closed: later requests start a new batch
                batch.full.set()
        if leader:
            batch.full.wait(self._limits.max_wait_s)
            with self._lock:
                if self._open is batch:
                    self._open = None
            self._flush(batch)
        else:
            batch.done.wait()
        return batch.acks[position]

    def _flush(self, batch: _Batch) -> None:
        try:
            acks = self._write(batch.messages)
        except Exception:  # an unexpected bug must not leave followers waiting: nack, Pub/Sub redelivers
            log.exception("batch write failed; %d messages left unacknowledged", len(batch.messages))
            acks = [False] * len(batch.messages)
        batch.acks = acks
        self.batches_written += 1
        batch.done.set()
