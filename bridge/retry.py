"""Capped exponential backoff with full jitter, bounded by a deadline (the Pub/Sub ack deadline).

Writers retry only what failed transiently; when the budget is spent they report RETRY
and the message stays unacknowledged, so Pub/Sub redelivers it later.
"""
from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Callable


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    initial_delay_s: float = 0.2
    max_delay_s: float = 5.0
    multiplier: float = 2.0
    # Keep well under the subscription's ack deadline (60 s by default in the Terraform).
    deadline_s: float = 45.0
    max_attempts: int = 12

    def delay(self, attempt: int, rand: Callable[[], float] = random.random) -> float:
        """Full jitter: uniform in [0, min(cap, initial * multiplier**attempt)]."""
        return rand() * min(self.max_delay_s, self.initial_delay_s * self.multiplier**attempt)


@dataclass(slots=True)
class RetryBudget:
    """One write's allowance of attempts and time. Clock and sleep are injectable for tests."""

    policy: RetryPolicy = field(default_factory=RetryPolicy)
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    rand: Callable[[], float] = random.random
    attempt: int = 0
    started: float | None = None

    def __post_init__(self) -> None:
        if self.started is None:
            self.started = self.clock()

    def remaining_s(self) -> float:
        return self.policy.deadline_s - (self.clock() - self.started)

    def backoff(self) -> bool:
        """Sleeps before the next attempt; False when no attempt or time is left."""
        if self.attempt + 1 >= self.policy.max_attempts:
            return False
        delay = self.policy.delay(self.attempt, self.rand)
        if delay >= self.remaining_s():
            return False
        self.attempt += 1
        self.sleep(delay)
        return True
