"""Concurrent push requests, as Pub/Sub push delivers them: a small asyncio HTTP/1.1 client.

Written on raw streams so the load generator itself costs little CPU on a 2-core machine
that also runs the function and Elasticsearch. Keep-alive connections, one request in
flight per connection, `concurrency` connections.
"""
from __future__ import annotations

import asyncio
import base64
import time
from collections import Counter
from dataclasses import dataclass
from typing import Iterator, Sequence

import orjson

from bridge.timestamps import format_ns


def push_body(data: bytes, message_id: str, subscription: str = "projects/bench-project/subscriptions/push") -> bytes:
    message = {"data": base64.b64encode(data).decode(), "messageId": message_id, "publishTime": format_ns(time.time_ns())}
    return orjson.dumps({"message": message, "subscription": subscription})


@dataclass(frozen=True, slots=True)
class LoadResult:
    requests: int
    seconds: float
    statuses: dict[int, int]

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("connection closed")
    status = int(status_line.split()[1])
    length, close = 0, False
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"connection" and value.strip().lower() == b"close":
            close = True
    if length:
        await reader.readexactly(length)
    return status, close


async def _connection(port: int, bodies: Iterator[bytes], statuses: Counter[int]) -> None:
    reader = writer = None
    for body in bodies:
        if writer is None:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        head = b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)
        writer.write(head + body)
        status, close = await _read_response(reader)
        statuses[status] += 1
        if close:
            writer.close()
            reader = writer = None
    if writer is not None:
        writer.close()


def push(port: int, bodies: Sequence[bytes], concurrency: int) -> LoadResult:
    statuses: Counter[int] = Counter()
    shared = iter(bodies)  # every connection takes the next body: one request per message

    async def main() -> float:
        started = time.perf_counter()
        await asyncio.gather(*(_connection(port, shared, statuses) for _ in range(concurrency)))
        return time.perf_counter() - started

    seconds = asyncio.run(main())
    return LoadResult(len(bodies), seconds, dict(statuses))
