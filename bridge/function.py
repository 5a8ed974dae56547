"""The push endpoint behind each Cloud Function: HTTP request -> batch -> write -> status.

2xx only after the message's entries are confirmed written or dead-lettered; 503 when
anything transient is left, so Pub/Sub push redelivers with backoff.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

import orjson

from .batch import BatchLimits, Batcher
from .config import max_entry_bytes, sink_from_env, transform_from_env
from .decode import message_from_http
from .delivery import deliver
from .errors import BridgeError, TransientWriteError
from .metrics import MetricsRecorder, recorder_from_env, record_report
from .model import DeadLetter, PubsubMessage
from .pipeline import Transform
from .sinks.base import Sink

log = logging.getLogger(__name__)

ACK_STATUS = 200
RETRY_STATUS = 503


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    body: bytes


class PushEndpoint:
    """One per function instance; thread-safe, so concurrent requests share one batch and one client."""

    def __init__(
        self,
        transform: Transform,
        sink: Sink,
        *,
        limits: BatchLimits = BatchLimits(),
        entry_limit_bytes: int = max_entry_bytes(),
        redact_text: Callable[[str], str] | None = None,
        metrics: MetricsRecorder | None = None,
    ) -> None:
        self.transform = transform
        self.sink = sink
        self.metrics = metrics
        self._entry_limit = entry_limit_bytes
        self._redact_text = redact_text
        self.batcher = Batcher(self._write, limits)

    def _write(self, messages: Sequence[PubsubMessage]) -> Sequence[bool]:
        report = deliver(
            messages, self.transform, self.sink, max_entry_bytes=self._entry_limit, redact_text=self._redact_text
        )
        if report.retry:
            log.warning("%d entries left for redelivery: %s", report.retry, "; ".join(report.reasons[:3]))
        if self.metrics is not None:
            record_report(self.metrics, self.sink.destination, report)
        return report.ack

    def handle(self, headers: Mapping[str, str], body: bytes) -> Response:
        try:
            message = message_from_http(headers, body)
        except BridgeError as exc:
            # Only the push service account can call us, so this came from Pub/Sub: a retry
            # cannot fix it. Keep it as a dead letter and acknowledge.
            return self._dead_letter_body(body, exc)
        if self.batcher.submit(message):
            return Response(ACK_STATUS, b'{"status":"ok"}')
        return Response(RETRY_STATUS, b'{"status":"retry"}')

    def _dead_letter_body(self, body: bytes, exc: BridgeError) -> Response:
        raw = self._redact_text(body.decode("utf-8", "replace")).encode() if self._redact_text else body
        try:
            self.sink.dead_letter([DeadLetter(str(exc), raw, self.sink.destination, None, None, time.time_ns())])
        except TransientWriteError:
            return Response(RETRY_STATUS, b'{"status":"retry"}')
        return Response(ACK_STATUS, orjson.dumps({"status": "dead_lettered", "reason": str(exc)}))


_endpoints: dict[str, PushEndpoint] = {}
_endpoints_lock = threading.Lock()


def endpoint_for(destination: str, environ: Mapping[str, str] = os.environ) -> PushEndpoint:
    """Built on first request, then reused by every request the instance serves."""
    with _endpoints_lock:
        endpoint = _endpoints.get(destination)
        if endpoint is None:
            transform = transform_from_env(destination, environ)
            redactor = transform.redactor
            endpoint = PushEndpoint(
                transform,
                sink_from_env(destination, environ),
                limits=BatchLimits(
                    max_messages=int(environ.get("BRIDGE_BATCH_MAX_MESSAGES", 500)),
                    max_bytes=int(environ.get("BRIDGE_BATCH_MAX_BYTES", 5 * 1024 * 1024)),
                    max_wait_s=float(environ.get("BRIDGE_BATCH_MAX_WAIT_MS", 50)) / 1000.0,
                ),
                entry_limit_bytes=max_entry_bytes(environ),
                redact_text=getattr(redactor, "redact_text", None),
                metrics=recorder_from_env(environ),
            )
            if endpoint.metrics is not None:
                endpoint.metrics.start(float(environ.get("BRIDGE_METRICS_FLUSH_S", 60)))
            _endpoints[destination] = endpoint
        return endpoint
