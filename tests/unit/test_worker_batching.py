"""The worker's batching across messages, and settling each message by its own outcome."""
import threading
import time

import orjson

from bridge.batch import BatchLimits
from bridge.model import PubsubMessage
from bridge.pipeline import Transform
from bridge.worker import HeldMessages, PullWorker

from .test_delivery import ScriptedSink


def entry_message(number: int, text: str = "ok") -> PubsubMessage:
    entry = {"insertId": str(number), "logName": "projects/p/logs/app", "timestamp": "2024-01-01T00:00:00Z", "textPayload": text}
    return PubsubMessage(data=orjson.dumps(entry), message_id=str(number))


def offer_all(held, count, size=10):
    for number in range(count):
        assert held.offer(number, entry_message(number), size)


def test_a_full_batch_is_taken_at_once_and_the_rest_waits_for_its_turn():
    held = HeldMessages(BatchLimits(max_messages=100, max_bytes=10**9, max_wait_s=30))
    offer_all(held, 250)
    started = time.monotonic()
    assert [h.handle for h in held.take()] == list(range(100))
    assert [h.handle for h in held.take()] == list(range(100, 200))
    assert time.monotonic() - started < 5  # full batches never wait for max_wait_s
    assert len(held) == 50


def test_bytes_close_a_batch_before_the_count_does():
    held = HeldMessages(BatchLimits(max_messages=1000, max_bytes=1000, max_wait_s=30))
    offer_all(held, 25, size=100)
    assert len(held.take()) == 10
    assert len(held.take()) == 10


def test_a_partial_batch_leaves_after_its_oldest_message_waited_max_wait():
    held = HeldMessages(BatchLimits(max_messages=1000, max_bytes=10**9, max_wait_s=0.2))
    offer_all(held, 3)
    started = time.monotonic()
    batch = held.take()
    waited = time.monotonic() - started
    assert len(batch) == 3 and 0.1 < waited < 5


def test_closing_hands_out_what_is_held_then_refuses_new_messages():
    held = HeldMessages(BatchLimits(max_messages=1000, max_bytes=10**9, max_wait_s=30))
    offer_all(held, 5)
    held.close()
    assert len(held.take()) == 5
    assert held.take() == []
    assert held.offer(99, entry_message(99), 10) is False


def test_a_waiting_flusher_wakes_when_closed():
    held = HeldMessages(BatchLimits(max_messages=10, max_bytes=10**9, max_wait_s=30))
    results = []
    thread = threading.Thread(target=lambda: results.append(held.take()))
    thread.start()
    time.sleep(0.1)
    held.close()
    thread.join(5)
    assert results == [[]]


class ListReceiver:
    """A receiver fed by the test: records how each handle was settled."""

    def __init__(self, messages):
        self.messages = messages
        self.settled: dict[int, bool] = {}
        self.stopped = False

    def start(self, offer):
        for number, message in enumerate(self.messages):
            assert offer(number, message, len(message.data))

    def settle(self, handles, acks):
        for handle, ack in zip(handles, acks, strict=True):
            assert handle not in self.settled, "settled twice"
            self.settled[handle] = ack

    def error(self):
        return None

    def stop_receiving(self):
        pass

    def stop(self, timeout_s):
        self.stopped = True


def test_the_worker_batches_across_messages_and_settles_each_by_its_outcome():
    texts = ["ok"] * 2500
    texts[7], texts[1234], texts[2000] = "retry", "reject", "dup"
    receiver = ListReceiver([entry_message(n, text) for n, text in enumerate(texts)])
    sink = ScriptedSink()
    worker = PullWorker(receiver, Transform("elasticsearch"), sink, batch=BatchLimits(1000, 10**9, 30), flushers=2)
    worker.start()
    worker.drain(timeout_s=30)
    assert receiver.stopped
    assert len(receiver.settled) == 2500
    assert [n for n, ack in receiver.settled.items() if not ack] == [7]  # only the transient one is nacked
    assert worker.batches == 3  # 1000 + 1000 + 500, across messages
    assert len(sink.written) == 2497 and len(sink.dead) == 1
