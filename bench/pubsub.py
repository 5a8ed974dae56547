"""Topics, subscriptions and backlogs on the Pub/Sub emulator."""
from __future__ import annotations

import os
from typing import Iterable, Sequence

# Publish calls carry at most 1,000 messages.
PUBLISH_CHUNK = 1000


class PubSub:
    def __init__(self, host: str, project: str) -> None:
        os.environ["PUBSUB_EMULATOR_HOST"] = host
        import grpc
        from google.cloud import pubsub_v1
        from google.pubsub_v1.services.publisher import PublisherClient as RawPublisher
        from google.pubsub_v1.services.publisher.transports import PublisherGrpcTransport

        self.project = project
        self.publisher = pubsub_v1.PublisherClient()
        self.subscriber = pubsub_v1.SubscriberClient()
        # Plain Publish calls (no client-side batching futures), as the emulator's clients would make.
        self._raw = RawPublisher(transport=PublisherGrpcTransport(channel=grpc.insecure_channel(host)))
        self._types = pubsub_v1.types

    def topic(self, name: str, subscriptions: Iterable[str], ack_deadline_s: int = 60) -> str:
        path = self.publisher.topic_path(self.project, name)
        self.publisher.create_topic(name=path)
        for subscription in subscriptions:
            self.subscriber.create_subscription(
                name=self.subscriber.subscription_path(self.project, subscription), topic=path, ack_deadline_seconds=ack_deadline_s
            )
        return path

    def delete_subscription(self, name: str) -> None:
        """pstest scans every held message of every subscription each 10 ms: keep no backlog past its use."""
        self.subscriber.delete_subscription(subscription=self.subscriber.subscription_path(self.project, name))

    def backlog(self, name: str, datas: Sequence[bytes]) -> str:
        """A topic and one subscription, both named `name`, holding `datas`; returns the subscription id."""
        self.publish(self.topic(name, [name]), datas)
        return name

    def publish(self, topic: str, datas: Sequence[bytes]) -> None:
        """Straight Publish calls of 1,000 messages: the backlog a Cloud Logging sink would have built."""
        message = self._types.PubsubMessage
        for start in range(0, len(datas), PUBLISH_CHUNK):
            self._raw.publish(topic=topic, messages=[message(data=data) for data in datas[start : start + PUBLISH_CHUNK]])
