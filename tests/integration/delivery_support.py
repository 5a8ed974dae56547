"""Pub/Sub's redelivery, for destination tests that call bridge.delivery.deliver directly."""
from __future__ import annotations

from typing import Any, Sequence

from bridge.delivery import DeliveryReport, deliver
from bridge.model import PubsubMessage
from bridge.pipeline import Transform
from bridge.sinks.base import Sink


def deliver_until_acked(batch: Sequence[PubsubMessage], sink: Sink, rounds: int, **options: Any) -> list[DeliveryReport]:
    """Every message left unacknowledged is delivered again, up to `rounds` times."""
    transform = Transform(sink.destination)
    reports: list[DeliveryReport] = []
    pending = list(batch)
    for _ in range(rounds):
        if not pending:
            break
        report = deliver(pending, transform, sink, **options)
        reports.append(report)
        pending = [m for m, acked in zip(pending, report.ack) if not acked]
    return reports
