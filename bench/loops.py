"""A plain loop of requests on a few connections: how the baselines send pre-built work."""
from __future__ import annotations

import threading
import time
from typing import Callable, Sequence, TypeVar

Item = TypeVar("Item")


def send_all(items: Sequence[Item], connections: int, send: Callable[[Item], None]) -> float:
    """Calls `send` once per item from `connections` threads, each taking the next item; returns seconds."""
    pending = list(reversed(items))
    lock = threading.Lock()
    errors: list[BaseException] = []

    def loop() -> None:
        while True:
            with lock:
                if not pending or errors:
                    return
                item = pending.pop()
            try:
                send(item)
            except BaseException as error:  # re-raised in the caller's thread
                errors.append(error)

    threads = [threading.Thread(target=loop) for _ in range(connections)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return time.perf_counter() - started
