"""Replay from the Pub/Sub dead-letter subscription: acknowledged by deliver's answer, stops when drained."""
import orjson

from bridge.model import PubsubMessage
from bridge.pipeline import Transform
from bridge.sinks.elasticsearch.replay import replay_pubsub_dead_letters
from tests.unit.test_es_writer import CREATED, ScriptedBulk, error, writer


def message(number, text="ok"):
    entry = {"logName": "projects/p/logs/app", "insertId": f"i{number}", "timestamp": "2024-05-01T00:00:00Z", "textPayload": text}
    return PubsubMessage(orjson.dumps(entry), message_id=f"m{number}")


class Subscription:
    """Hands out what is not acknowledged, like a subscription whose nacks redeliver at once."""

    def __init__(self, messages):
        self.pending = {m.message_id: m for m in messages}
        self.acked, self.nacked, self.pulls = [], [], 0

    def pull(self, max_messages):
        self.pulls += 1
        return [(f"ack-{m.message_id}", m) for m in list(self.pending.values())[:max_messages]]

    def settle(self, acks):
        for ack_id, ok in acks:
            message_id = ack_id.removeprefix("ack-")
            if ok:
                self.acked.append(message_id)
                del self.pending[message_id]
            else:
                self.nacked.append(message_id)


def test_everything_is_written_and_acknowledged():
    subscription = Subscription([message(n) for n in range(7)])
    w, _ = writer(ScriptedBulk())
    report = replay_pubsub_dead_letters(subscription, w, Transform("elasticsearch"), batch_size=3)
    assert (report.seen, report.written, report.retry) == (7, 7, 0)
    assert sorted(subscription.acked) == [f"m{n}" for n in range(7)] and subscription.pending == {}


def test_filter_keeps_the_others_in_the_subscription_and_the_run_ends():
    subscription = Subscription([message(1, "payments timeout"), message(2, "other"), message(3, "payments down")])
    w, _ = writer(ScriptedBulk())
    report = replay_pubsub_dead_letters(subscription, w, Transform("elasticsearch"), contains="payments")
    assert (report.seen, report.written, report.skipped) == (3, 2, 1)
    assert sorted(subscription.acked) == ["m1", "m3"] and list(subscription.pending) == ["m2"]
    assert subscription.pulls <= 4


def test_a_transient_failure_stops_the_run_and_leaves_the_messages():
    block = error(429, "cluster_block_exception")
    w, _ = writer(ScriptedBulk(lambda source, attempt: block))
    subscription = Subscription([message(n) for n in range(4)])
    report = replay_pubsub_dead_letters(subscription, w, Transform("elasticsearch"), batch_size=2)
    assert (report.seen, report.written, report.retry) == (2, 0, 2)
    assert subscription.acked == [] and len(subscription.pending) == 4


def test_rejected_entries_move_to_the_elasticsearch_dead_letters_and_are_acknowledged():
    conflict = error(400, "document_parsing_exception", "failed to parse")
    bulk = ScriptedBulk(lambda source, attempt: conflict if source.get("message") == "bad" else CREATED)
    w, _ = writer(bulk)
    subscription = Subscription([message(1), message(2, "bad")])
    report = replay_pubsub_dead_letters(subscription, w, Transform("elasticsearch"))
    assert (report.written, report.still_failing, report.retry) == (1, 1, 0)
    assert sorted(subscription.acked) == ["m1", "m2"]
    dead_letter_requests = [r for r, refresh in zip(bulk.requests, bulk.refresh) if refresh == "wait_for"]
    assert [source["message_id"] for _, source in dead_letter_requests[0]] == ["m2"]
