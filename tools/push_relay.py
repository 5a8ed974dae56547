"""Push relay: stands in for Pub/Sub push delivery, because the emulator never pushes.

Google's pstest fake stores push subscriptions but never calls their endpoints. This
relay pulls from a subscription on the emulator and POSTs each message to an HTTP
endpoint in the body real Pub/Sub push sends::

    {"message": {"attributes": {...}, "data": "<base64>", "messageId": "...",
                 "message_id": "...", "publishTime": "RFC3339", "publish_time": "..."},
     "subscription": "projects/P/subscriptions/S",
     "deliveryAttempt": N}          # only when the subscription has a dead-letter policy

with Content-Type application/json, several requests in flight at once. Like real
push it acknowledges only on a success status (102, 200, 201, 202, 204) and otherwise
nacks (ack deadline 0), so Pub/Sub redelivers and, with a dead-letter policy,
dead-letters after the maximum delivery attempts. The HTTP timeout is the
subscription's ack deadline, as for real push. What it does not imitate: push
backoff between redeliveries, and push authentication (OIDC tokens).

CLI (needs PUBSUB_EMULATOR_HOST)::

    python tools/push_relay.py --subscription projects/P/subscriptions/S --endpoint http://127.0.0.1:8081/

It runs until SIGTERM or SIGINT, then stops pulling and waits for in-flight requests.
"""

from __future__ import annotations

import argparse
import base64
import json
import signal
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from google.api_core import exceptions as api_exceptions
from google.cloud import pubsub_v1
from google.pubsub_v1 import types

# What real push counts as an acknowledgement; anything else (or no answer) is a nack.
PUSH_SUCCESS = frozenset({102, 200, 201, 202, 204})

Post = Callable[[str, bytes, float], int]  # (url, body, timeout_s) -> HTTP status, 0 when no answer


def push_body(received: types.ReceivedMessage, subscription: str, dead_letter_policy: bool) -> dict:
    """The JSON body real Pub/Sub push sends for one received message."""
    message = received.message
    publish_time = message.publish_time.rfc3339()
    body_message: dict = {"messageId": message.message_id, "message_id": message.message_id, "publishTime": publish_time, "publish_time": publish_time}
    if message.data:
        body_message["data"] = base64.b64encode(message.data).decode("ascii")
    if message.attributes:
        body_message["attributes"] = dict(message.attributes)
    if message.ordering_key:
        body_message["orderingKey"] = message.ordering_key
    body: dict = {"message": body_message, "subscription": subscription}
    if dead_letter_policy:
        body["deliveryAttempt"] = received.delivery_attempt
    return body


def http_post(url: str, body: bytes, timeout_s: float) -> int:
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


@dataclass(frozen=True)
class RelayStats:
    delivered: int
    acked: int
    nacked: int
    idle: bool  # True when it stopped because nothing was left to deliver


class PushRelay:
    def __init__(
        self,
        subscriber: pubsub_v1.SubscriberClient,
        subscription: str,
        endpoint: str,
        max_in_flight: int = 16,
        post: Post = http_post,
    ) -> None:
        settings = subscriber.get_subscription(subscription=subscription)
        self._subscriber = subscriber
        self._subscription = subscription
        self._endpoint = endpoint
        self._dead_letter_policy = bool(settings.dead_letter_policy.dead_letter_topic)
        self._timeout_s = float(settings.ack_deadline_seconds or 10)
        self._post = post
        self._max_in_flight = max_in_flight
        self._pool = ThreadPoolExecutor(max_in_flight, thread_name_prefix="push")
        self._lock = threading.Lock()
        self._counts = {"delivered": 0, "acked": 0, "nacked": 0}
        self._in_flight = 0
        self._last_activity = time.monotonic()

    def run(self, stop: threading.Event, idle_s: float | None = None, timeout_s: float | None = None) -> RelayStats:
        """Pull and push until `stop` is set, nothing arrived for `idle_s`, or `timeout_s` passed; then drain."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        idle = False
        while not stop.is_set() and (deadline is None or time.monotonic() < deadline):
            if self._pull_and_dispatch() == 0:
                with self._lock:
                    idle = idle_s is not None and self._in_flight == 0 and time.monotonic() - self._last_activity >= idle_s
                if idle:
                    break
        self._drain()
        with self._lock:
            return RelayStats(idle=idle, **self._counts)

    def run_until_idle(self, timeout_s: float = 30.0, idle_s: float = 1.0) -> RelayStats:
        """For tests: deliver until nothing is left (no message for `idle_s`) or `timeout_s` passed."""
        return self.run(threading.Event(), idle_s=idle_s, timeout_s=timeout_s)

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    def _pull_and_dispatch(self) -> int:
        free = self._free_slots()
        if free == 0:
            time.sleep(0.02)
            return 0
        try:  # waits up to half a second on the emulator when nothing is there
            response = self._subscriber.pull(request={"subscription": self._subscription, "max_messages": free}, timeout=10)
        except (api_exceptions.DeadlineExceeded, api_exceptions.ServiceUnavailable):
            time.sleep(0.5)  # the emulator is away; keep the messages' leases untouched and try again
            return 0
        for received in response.received_messages:
            with self._lock:
                self._in_flight += 1
                self._last_activity = time.monotonic()
            self._pool.submit(self._deliver, received)
        return len(response.received_messages)

    def _free_slots(self) -> int:
        with self._lock:
            return self._max_in_flight - self._in_flight

    def _deliver(self, received: types.ReceivedMessage) -> None:
        try:
            body = json.dumps(push_body(received, self._subscription, self._dead_letter_policy)).encode()
            ok = self._post(self._endpoint, body, self._timeout_s) in PUSH_SUCCESS
            if ok:
                self._subscriber.acknowledge(request={"subscription": self._subscription, "ack_ids": [received.ack_id]})
            else:
                self._subscriber.modify_ack_deadline(
                    request={"subscription": self._subscription, "ack_ids": [received.ack_id], "ack_deadline_seconds": 0}
                )
            with self._lock:
                self._counts["delivered"] += 1
                self._counts["acked" if ok else "nacked"] += 1
        finally:
            with self._lock:
                self._in_flight -= 1
                self._last_activity = time.monotonic()

    def _drain(self) -> None:
        while self._free_slots() < self._max_in_flight:
            time.sleep(0.05)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Deliver a Pub/Sub emulator subscription to an HTTP endpoint as push would.")
    parser.add_argument("--subscription", required=True, help="projects/P/subscriptions/S")
    parser.add_argument("--endpoint", required=True, help="URL to POST push bodies to")
    parser.add_argument("--max-in-flight", type=int, default=16)
    args = parser.parse_args(argv)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    relay = PushRelay(pubsub_v1.SubscriberClient(), args.subscription, args.endpoint, args.max_in_flight)
    print(f"push relay: {args.subscription} -> {args.endpoint} ({args.max_in_flight} in flight)", flush=True)
    stats = relay.run(stop)
    relay.close()
    print(f"push relay stopped: delivered={stats.delivered} acked={stats.acked} nacked={stats.nacked}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
