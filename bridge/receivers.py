"""Where the pull worker gets its messages: Pub/Sub's streaming pull or its unary Pull.

Both honour flow control in explicit units (messages and bytes held at once), hand each
message to the worker as a PubsubMessage with an opaque handle, and settle handles
(acknowledge or nack) only when the worker says so.

- streaming (the default): SubscriberClient.subscribe, the client library's own lease
  management and batched acknowledgements; the lowest latency on real Pub/Sub.
- unary: a loop of Pull calls of up to `pull_max` messages, acknowledgements sent per
  batch (and confirmed), leases extended by a timer. The Pub/Sub emulator (pstest)
  hands a streaming pull one message per stream every 10 ms, about 100 messages/s, so
  any load test against it needs this receiver; it is a sound production choice too.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any, Callable, Protocol, Sequence

from .decode import message_from_pulled
from .model import PubsubMessage

log = logging.getLogger(__name__)

# Offer(handle, message, size) -> False when the worker refuses it (draining): nack it.
Offer = Callable[[Any, PubsubMessage, int], bool]
# Acknowledge/ModifyAckDeadline take at most this many ack ids per call.
MAX_IDS_PER_CALL = 2500


@dataclass(frozen=True, slots=True)
class FlowLimits:
    """What the worker may hold at once (leased, not yet acknowledged)."""

    max_messages: int = 5000
    max_bytes: int = 64 * 1024 * 1024


class Receiver(Protocol):
    def start(self, offer: Offer) -> None: ...

    def settle(self, handles: Sequence[Any], acks: Sequence[bool]) -> None:
        """Acknowledge handles whose flag is True, nack the others (redelivery)."""

    def error(self) -> BaseException | None:
        """A fatal error that ended receiving (bad subscription, lost permission), else None."""

    def stop_receiving(self) -> None:
        """Asks for no more messages (the worker is draining); settling still works."""

    def stop(self, timeout_s: float) -> None:
        """Stops for good; settlements made before this call reach Pub/Sub before it returns."""


class StreamingReceiver:
    def __init__(self, subscriber: Any, subscription: str, flow: FlowLimits, *, streams: int = 1) -> None:
        self._subscriber = subscriber
        self._subscription = subscription
        self._flow = flow
        self._streams = streams
        self._futures: list[Any] = []

    def start(self, offer: Offer) -> None:
        from google.cloud import pubsub_v1

        def on_message(message: Any) -> None:
            if not offer(message, message_from_pulled(message), message.size):
                message.nack()

        # Each stream gets its share, so the process as a whole stays within the limits.
        flow_control = pubsub_v1.types.FlowControl(
            max_messages=max(1, self._flow.max_messages // self._streams),
            max_bytes=max(1, self._flow.max_bytes // self._streams),
        )
        self._futures = [
            self._subscriber.subscribe(
                self._subscription, callback=on_message, flow_control=flow_control, await_callbacks_on_shutdown=True
            )
            for _ in range(self._streams)
        ]

    def settle(self, handles: Sequence[Any], acks: Sequence[bool]) -> None:
        for message, ack in zip(handles, acks, strict=True):
            if ack:
                message.ack()
            else:
                message.nack()

    def error(self) -> BaseException | None:
        for future in self._futures:
            if future.done() and not future.cancelled() and future.exception() is not None:
                return future.exception()
        return None

    def stop_receiving(self) -> None:
        """Nothing to do: closing the stream now would drop the acks still to come, so until stop()
        the callback refuses (nacks) what arrives; flow control bounds how much that is."""

    def stop(self, timeout_s: float) -> None:
        # Closing a stream lets its dispatcher send the acks already queued, then ends it.
        for future in self._futures:
            future.cancel()
        deadline = time.monotonic() + timeout_s
        for future in self._futures:
            try:
                future.result(timeout=max(1.0, deadline - time.monotonic()))
            except Exception as exc:  # an earlier stream error is reported through error()
                log.debug("streaming pull ended: %r", exc)


def message_from_received(received: Any) -> PubsubMessage:
    """A google.pubsub.v1.ReceivedMessage protobuf (unary Pull) -> PubsubMessage."""
    message = received.message
    publish_time = message.publish_time
    return PubsubMessage(
        data=message.data,
        attributes=dict(message.attributes),
        message_id=message.message_id,
        publish_time_ns=publish_time.seconds * 1_000_000_000 + publish_time.nanos if message.HasField("publish_time") else None,
        delivery_attempt=received.delivery_attempt or None,
    )


class UnaryReceiver:
    def __init__(
        self,
        subscriber: Any,
        subscription: str,
        flow: FlowLimits,
        *,
        streams: int = 1,
        pull_max: int = 1000,
        pull_timeout_s: float = 5.0,
        lease_s: int | None = None,
    ) -> None:
        self._subscriber = subscriber
        self._subscription = subscription
        self._flow = flow
        self._streams = streams
        self._pull_max = pull_max
        self._pull_timeout_s = pull_timeout_s
        self._lease_s = lease_s
        self._held: dict[str, int] = {}  # ack id -> size, for flow control and lease extension
        self._held_bytes = 0
        self._room = threading.Condition()
        self._receiving = True
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._error: BaseException | None = None
        self.counts: Counter[str] = Counter()  # calls, messages and seconds, for the worker's stats

    def start(self, offer: Offer) -> None:
        if self._lease_s is None:
            self._lease_s = self._subscriber.get_subscription(subscription=self._subscription).ack_deadline_seconds or 10
        for number in range(self._streams):
            self._spawn(f"bridge-pull-{number}", self._pull_loop, offer)
        self._spawn("bridge-lease", self._lease_loop)

    def _spawn(self, name: str, target: Callable[..., None], *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _wait_for_room(self) -> int:
        with self._room:
            while self._receiving and not self._stopping.is_set():
                room = self._flow.max_messages - len(self._held)
                if room > 0 and self._held_bytes < self._flow.max_bytes:
                    return min(room, self._pull_max)
                self._room.wait(0.5)
        return 0

    def _pull_loop(self, offer: Offer) -> None:
        from google.api_core import exceptions
        from google.pubsub_v1.types import PullResponse

        while (room := self._wait_for_room()) > 0:
            started = time.monotonic()
            try:
                response = self._subscriber.pull(
                    subscription=self._subscription, max_messages=room, timeout=self._pull_timeout_s
                )
            except (exceptions.DeadlineExceeded, exceptions.ServiceUnavailable):
                continue
            except Exception as exc:
                log.error("unary pull failed: %s", exc)
                self._error = exc
                self._stopping.set()
                return
            received = PullResponse.pb(response).received_messages
            refused: list[str] = []
            with self._room:
                self.counts.update(pulls=1, pulled=len(received), pull_seconds=time.monotonic() - started)
                for one in received:
                    size = one.message.ByteSize()
                    self._held[one.ack_id] = size
                    self._held_bytes += size
            for one in received:
                if not offer(one.ack_id, message_from_received(one), self._held[one.ack_id]):
                    refused.append(one.ack_id)
            if refused:
                self.settle(refused, [False] * len(refused))

    def _lease_loop(self) -> None:
        """Keeps held messages leased: extends them every third of the ack deadline."""
        assert self._lease_s is not None
        while not self._stopping.wait(self._lease_s / 3):
            with self._room:
                ack_ids = list(self._held)
            self._modify(ack_ids, self._lease_s)

    def _modify(self, ack_ids: list[str], seconds: int) -> None:
        for start in range(0, len(ack_ids), MAX_IDS_PER_CALL):
            try:
                self._subscriber.modify_ack_deadline(
                    subscription=self._subscription, ack_ids=ack_ids[start : start + MAX_IDS_PER_CALL], ack_deadline_seconds=seconds
                )
            except Exception as exc:  # the lease lapses: Pub/Sub redelivers, the stable ids absorb it
                log.warning("modifying ack deadlines failed: %s", exc)

    def settle(self, handles: Sequence[Any], acks: Sequence[bool]) -> None:
        started = time.monotonic()
        acked = [ack_id for ack_id, ack in zip(handles, acks, strict=True) if ack]
        nacked = [ack_id for ack_id, ack in zip(handles, acks) if not ack]
        for start in range(0, len(acked), MAX_IDS_PER_CALL):
            try:
                self._subscriber.acknowledge(subscription=self._subscription, ack_ids=acked[start : start + MAX_IDS_PER_CALL])
            except Exception as exc:  # unacknowledged: redelivered later, written as a no-op duplicate
                log.warning("acknowledge failed: %s", exc)
        if nacked:
            self._modify(nacked, 0)
        with self._room:
            for ack_id in handles:
                self._held_bytes -= self._held.pop(ack_id, 0)
            self.counts.update(settles=1, settled=len(handles), settle_seconds=time.monotonic() - started)
            self._room.notify_all()

    def error(self) -> BaseException | None:
        return self._error

    def stop_receiving(self) -> None:
        """Pull loops end after the call in flight; the lease timer keeps what is held leased."""
        with self._room:
            self._receiving = False
            self._room.notify_all()

    def stop(self, timeout_s: float) -> None:
        self.stop_receiving()
        self._stopping.set()
        deadline = time.monotonic() + timeout_s
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        with self._room:
            left = list(self._held)
        if left:  # pulled after the worker stopped taking messages: hand them back at once
            self._modify(left, 0)


RECEIVERS: dict[str, type] = {"streaming": StreamingReceiver, "unary": UnaryReceiver}
