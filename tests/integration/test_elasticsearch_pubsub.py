"""Elasticsearch faults through the real Pub/Sub emulator: acknowledgements, redelivery, the dead-letter topic, replay.

Messages are published to pstest, pulled with unary Pull, delivered with
bridge.delivery.deliver and acknowledged (or nacked) by its answer, as the pull
worker does; counts are read back from Elasticsearch and from the subscriptions.
"""
from __future__ import annotations

import os
import subprocess
import sys
import uuid

import orjson
import pytest
from google.pubsub_v1.types import DeadLetterPolicy

from bridge.delivery import deliver
from bridge.sinks.elasticsearch.replay import SubscriptionPuller
from tests.integration.elasticsearch_support import SHORT, TRANSFORM, Destination, entries, ids_of

pytestmark = pytest.mark.integration
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def destination(stack):
    d = Destination.create(stack.config.es_url)
    yield d
    d.drop()


def topic_with_subscription(publisher, subscriber, project_id, **subscription):
    tag = uuid.uuid4().hex[:8]
    topic = publisher.create_topic(name=f"projects/{project_id}/topics/logs-{tag}").name
    sub = subscriber.create_subscription(request={"name": f"projects/{project_id}/subscriptions/logs-{tag}", "topic": topic,
                                                  "ack_deadline_seconds": 10, **subscription}).name
    return topic, sub


def publish(publisher, topic, items):
    futures = [publisher.publish(topic, orjson.dumps(item)) for item in items]
    return [future.result(timeout=30) for future in futures]


def pull_deliver_ack(puller, sink, rounds, batch=50):
    """The pull worker's loop, by hand: pull, deliver, acknowledge what is confirmed, nack the rest."""
    acked = nacked = empty = 0
    for _ in range(rounds):
        pulled = puller.pull(batch)
        if not pulled:
            empty += 1
            if empty == 2:
                break
            continue
        empty = 0
        report = deliver([message for _, message in pulled], TRANSFORM, sink)
        puller.settle([(ack_id, ack) for (ack_id, _), ack in zip(pulled, report.ack)])
        acked += sum(report.ack)
        nacked += report.ack.count(False)
    return acked, nacked


def test_elasticsearch_down_leaves_messages_unacknowledged_in_pubsub_and_they_arrive_once_after(stack, destination, publisher, subscriber, project_id):
    topic, sub = topic_with_subscription(publisher, subscriber, project_id)
    items = entries(200, "2024-05-01T10:00:00Z")
    publish(publisher, topic, items)
    puller = SubscriptionPuller(subscriber, sub, timeout_s=5)
    acked_before, _ = pull_deliver_ack(puller, destination.writer(), rounds=1)
    stack.stop("es")
    try:
        acked_down, nacked_down = pull_deliver_ack(puller, destination.writer(SHORT), rounds=4)
    finally:
        stack.start("es")
    acked_after, nacked_after = pull_deliver_ack(puller, destination.writer(), rounds=40)
    stored = destination.ids()
    print(f"\npubsub + es stopped: published=200 acked_before_stop={acked_before} acked_while_down={acked_down} "
          f"nacked_while_down={nacked_down} acked_after_start={acked_after} stored={len(stored)} "
          f"dead_letters={destination.count(dead=True)} lost={len(ids_of(items) - set(stored))}")
    assert acked_before == 50 and acked_down == 0 and nacked_down >= 50
    assert acked_before + acked_after == 200 and nacked_after == 0
    assert len(stored) == len(set(stored)) == 200 and set(stored) == ids_of(items)
    assert destination.count(dead=True) == 0
    assert puller.pull(10) == []  # nothing left behind


def test_a_long_outage_moves_messages_to_the_dead_letter_topic_and_replay_brings_them_back_once(destination, publisher, subscriber, project_id):
    """Hours of a full disk (the flood-stage block): Pub/Sub gives up after 5 deliveries and moves the messages."""
    dead_topic, dead_sub = topic_with_subscription(publisher, subscriber, project_id)
    topic, sub = topic_with_subscription(publisher, subscriber, project_id,
                                         dead_letter_policy=DeadLetterPolicy(dead_letter_topic=dead_topic, max_delivery_attempts=5))
    items = entries(60, "2024-05-01T10:00:00Z")
    publish(publisher, topic, items[:20])
    puller = SubscriptionPuller(subscriber, sub, timeout_s=5)
    assert pull_deliver_ack(puller, destination.writer(), rounds=3) == (20, 0)
    publish(publisher, topic, items[20:])
    index = f"{destination.settings.names.prefix}-2024.05.01"
    destination.client.indices.put_settings(index=index, settings={"index.blocks.read_only_allow_delete": True})
    try:
        # Each failed delivery is a nack; after 5 attempts Pub/Sub itself moves the message to the dead-letter topic.
        acked_down, nacked_down = pull_deliver_ack(puller, destination.writer(SHORT), rounds=12)
    finally:
        destination.client.indices.put_settings(index=index, settings={"index.blocks.read_only_allow_delete": None})
    assert acked_down == 0 and nacked_down == 40 * 5
    assert puller.pull(10) == []  # the main subscription is empty: all 40 went to the dead-letter topic
    # pstest keeps a dead-lettered message in the source subscription (it acks it there by message id, not
    # ack id) and forwards it again on every tick; real Pub/Sub forwards once. Deleting the source stops that.
    subscriber.delete_subscription(subscription=sub)

    env = {**os.environ, **destination.env}
    command = [sys.executable, "-m", "bridge", "replay", "--from", "pubsub-deadletter", "--subscription", dead_sub]
    first = subprocess.run(command, env=env, cwd=REPO, capture_output=True, text=True, timeout=120)
    second = subprocess.run(command, env=env, cwd=REPO, capture_output=True, text=True, timeout=120)
    stored = destination.ids()
    print(f"\nlong outage (flood-stage block): published=60 written_before=20 moved_to_dead_letter_topic=40\n  {first.stdout.strip()}\n  {second.stdout.strip()}\n"
          f"  stored={len(stored)} lost={len(ids_of(items) - set(stored))}")
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "replay pubsub-deadletter: seen=40 written=40 duplicates=0 still_failing=0 retry=0 skipped=0"
    assert second.returncode == 0 and "seen=0 written=0" in second.stdout
    assert len(stored) == len(set(stored)) == 60 and set(stored) == ids_of(items)
