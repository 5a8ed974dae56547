"""A subscription's backlog (undelivered messages) from Cloud Monitoring, for progress lines.

Pub/Sub itself has no "how many are waiting" call; Cloud Monitoring's
`subscription/num_undelivered_messages` has it, sampled once a minute, so the reader
asks at most once a minute. The emulator has no Monitoring: then there is no reader
and the worker shows what it holds itself.
"""
from __future__ import annotations

import logging
import time
from typing import Any, Callable, Mapping

log = logging.getLogger(__name__)

METRIC = "pubsub.googleapis.com/subscription/num_undelivered_messages"
_LOOKBACK_S = 300


class MonitoringBacklog:
    def __init__(
        self,
        subscription: str,
        client: Any,  # google.cloud.monitoring_v3.MetricServiceClient
        *,
        refresh_s: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        _, project, _, self._subscription_id = subscription.split("/")
        self._project = f"projects/{project}"
        self._client = client
        self._refresh_s = refresh_s
        self._clock = clock
        self._value: int | None = None
        self._read_at: float | None = None
        self._failed = False

    def __call__(self) -> int | None:
        now = self._clock()
        if self._failed or (self._read_at is not None and now - self._read_at < self._refresh_s):
            return self._value
        self._read_at = now
        try:
            self._value = self._latest(now)
        except Exception as exc:  # a missing monitoring.viewer role must not stop the worker
            log.warning("backlog unavailable from Cloud Monitoring (%s); showing held messages instead", exc)
            self._failed = True
            self._value = None
        return self._value

    def _latest(self, now: float) -> int | None:
        from google.cloud import monitoring_v3

        interval = monitoring_v3.TimeInterval(
            end_time={"seconds": int(now)}, start_time={"seconds": int(now) - _LOOKBACK_S}
        )
        series = self._client.list_time_series(
            request={
                "name": self._project,
                "filter": f'metric.type = "{METRIC}" AND resource.labels.subscription_id = "{self._subscription_id}"',
                "interval": interval,
                "view": monitoring_v3.ListTimeSeriesRequest.TimeSeriesView.FULL,
            }
        )
        for one in series:
            for point in one.points:  # newest first
                return int(point.value.int64_value)
        return None


def backlog_reader(subscription: str, environ: Mapping[str, str]) -> Callable[[], int | None] | None:
    if environ.get("PUBSUB_EMULATOR_HOST"):
        return None
    from google.cloud import monitoring_v3

    return MonitoringBacklog(subscription, monitoring_v3.MetricServiceClient())
