"""The Pub/Sub topics and subscriptions the Terraform creates (terraform/modules/pubsub), made on the emulator."""
from __future__ import annotations

from dataclasses import dataclass

from google.api_core.exceptions import AlreadyExists
from google.cloud import pubsub_v1
from google.protobuf import duration_pb2

DESTINATIONS = ("elasticsearch", "bigquery")


@dataclass(frozen=True)
class Topology:
    project: str
    prefix: str = "log-bridge"  # the Terraform's default name_prefix
    max_delivery_attempts: int = 5
    ack_deadline_s: int = 60

    @property
    def topic(self) -> str:
        return f"projects/{self.project}/topics/{self.prefix}-logs"

    @property
    def dead_letter_topic(self) -> str:
        return f"projects/{self.project}/topics/{self.prefix}-dead-letter"

    @property
    def dead_letter_subscription(self) -> str:
        return f"projects/{self.project}/subscriptions/{self.prefix}-dead-letter"

    def subscription(self, destination: str) -> str:
        return f"projects/{self.project}/subscriptions/{self.prefix}-{destination}"

    def create(self, publisher: pubsub_v1.PublisherClient, subscriber: pubsub_v1.SubscriberClient) -> None:
        """Idempotent, like `terraform apply`."""
        for topic in (self.topic, self.dead_letter_topic):
            try:
                publisher.create_topic(name=topic)
            except AlreadyExists:
                pass
        requests = [
            {
                "name": self.subscription(destination),
                "topic": self.topic,
                "ack_deadline_seconds": self.ack_deadline_s,
                "message_retention_duration": duration_pb2.Duration(seconds=7 * 86400),
                "dead_letter_policy": {"dead_letter_topic": self.dead_letter_topic, "max_delivery_attempts": self.max_delivery_attempts},
                "retry_policy": {"minimum_backoff": duration_pb2.Duration(seconds=1), "maximum_backoff": duration_pb2.Duration(seconds=10)},
            }
            for destination in DESTINATIONS
        ]
        requests.append({"name": self.dead_letter_subscription, "topic": self.dead_letter_topic, "ack_deadline_seconds": 60})
        for request in requests:
            try:
                subscriber.create_subscription(request=request)
            except AlreadyExists:
                pass
