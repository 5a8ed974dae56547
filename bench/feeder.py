"""Feeding a subscription while a worker empties it, so the emulator's own cost stays small.

pstest scans every held message of a subscription on each 10 ms delivery tick and on each
Pull, so a 40,000-message backlog costs it about half a millisecond of CPU per message on
this machine (measured: bench details `pubsub_cpu_seconds`), on the cores Elasticsearch
needs. Real Pub/Sub costs the worker's machine nothing for a backlog. The feeder keeps a
bounded window of entries published but not yet searchable, judged by polling
Elasticsearch's _count (no forced refresh), and polls the same way when there is nothing
to feed, so every run it serves is measured under the same search load.
"""
from __future__ import annotations

import threading
from typing import Sequence

from . import es
from .pubsub import PubSub

POLL_S = 0.5


class Feeder(threading.Thread):
    def __init__(
        self, es_url: str, pattern: str, pubsub: PubSub | None = None, topic: str | None = None,
        datas: Sequence[bytes] = (), window: int = 20_000, chunk: int = 2_000,
    ) -> None:
        super().__init__(name="bench-feeder", daemon=True)
        self._url, self._pattern = es_url, pattern
        self._pubsub, self._topic, self._datas = pubsub, topic, datas
        self._window, self._chunk = window, chunk
        self.published = 0
        self._done = threading.Event()

    def publish_first(self) -> None:
        self._publish(min(self._window, len(self._datas)))

    def _publish(self, count: int) -> None:
        if self._pubsub is None or self._topic is None or count <= 0:
            return
        self._pubsub.publish(self._topic, self._datas[self.published : self.published + count])
        self.published += count

    def run(self) -> None:
        while not self._done.wait(POLL_S):
            if self.published < len(self._datas):
                outstanding = self.published - es.searchable(self._url, self._pattern)
                if outstanding < self._window - self._chunk:
                    self._publish(min(self._chunk, len(self._datas) - self.published))
            else:
                es.searchable(self._url, self._pattern)

    def stop(self) -> None:
        self._done.set()
        self.join()
