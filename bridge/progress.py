"""A one-line progress display for long-running commands (pull worker, backfill).

Rewritten in place about once a second, and only when the stream is a terminal, so
logs and pipes stay clean. Counting is thread-safe; the line is drawn by whoever ticks.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Callable, TextIO

from .delivery import DeliveryReport


@dataclass(frozen=True, slots=True)
class Totals:
    entries: int = 0
    written: int = 0
    duplicates: int = 0
    dead_lettered: int = 0
    retry: int = 0

    def plus(self, report: DeliveryReport, entries: int) -> "Totals":
        return Totals(
            self.entries + entries,
            self.written + report.written,
            self.duplicates + report.duplicates,
            self.dead_lettered + report.dead_lettered,
            self.retry + report.retry,
        )

    def summary(self) -> str:
        return (
            f"entries={self.entries} written={self.written} duplicates={self.duplicates} "
            f"dead_letter={self.dead_lettered} retry={self.retry}"
        )


class Progress:
    def __init__(
        self,
        label: str,
        stream: TextIO,
        *,
        interval_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._label = label
        self._stream = stream
        self._live = stream.isatty()
        self._interval_s = interval_s
        self._clock = clock
        self._lock = threading.Lock()
        self.totals = Totals()
        self._started = self._last_tick = clock()
        self._entries_at_last_tick = 0
        self._drawn = False

    def add(self, report: DeliveryReport, entries: int) -> None:
        with self._lock:
            self.totals = self.totals.plus(report, entries)

    def rate(self) -> float:
        """Entries per second since the start."""
        elapsed = self._clock() - self._started
        return self.totals.entries / elapsed if elapsed > 0 else 0.0

    def tick(self, status: str = "", *, force: bool = False) -> None:
        """Redraws the line if a terminal is attached and `interval_s` has passed."""
        if not self._live:
            return
        now = self._clock()
        elapsed = now - self._last_tick
        if not force and elapsed < self._interval_s:
            return
        totals = self.totals
        rate = (totals.entries - self._entries_at_last_tick) / elapsed if elapsed > 0 else 0.0
        self._last_tick, self._entries_at_last_tick = now, totals.entries
        line = f"{self._label}: {rate:,.0f} entries/s  {totals.summary()}"
        self._stream.write(f"\r\x1b[K{line}  {status}".rstrip())
        self._stream.flush()
        self._drawn = True

    def finish(self, status: str = "") -> str:
        """The closing summary line; ends the live line first so the summary starts clean."""
        if self._drawn:
            self._stream.write("\n")
        elapsed = self._clock() - self._started
        return f"{self._label}: {self.totals.summary()} seconds={elapsed:.1f} rate={self.rate():,.0f}/s {status}".rstrip()
