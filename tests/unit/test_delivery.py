"""The acknowledgement rule: a message is acked only when its entry is written or dead-lettered."""
import threading

import orjson

from bridge.batch import BatchLimits, Batcher
from bridge.delivery import deliver
from bridge.errors import TransientWriteError
from bridge.model import PubsubMessage
from bridge.pipeline import Transform
from bridge.sinks.base import ItemResult, Outcome


def message(text, mid, **extra):
    entry = {"insertId": mid, "logName": "projects/p/logs/app", "timestamp": "2024-01-01T00:00:00Z", "textPayload": text, **extra}
    return PubsubMessage(data=orjson.dumps(entry), message_id=mid)


class ScriptedSink:
    """A destination whose answer per entry is chosen by the entry's text (a unit-test double)."""

    destination = "elasticsearch"

    def __init__(self, dead_letter_fails=False):
        self.written, self.dead, self.dead_letter_fails = [], [], dead_letter_fails

    def write(self, records):
        results = []
        for r in records:
            outcome = {"reject": Outcome.REJECTED, "retry": Outcome.RETRY, "dup": Outcome.DUPLICATE}.get(r.message, Outcome.WRITTEN)
            if outcome is Outcome.WRITTEN:
                self.written.append(r.entry_id)
            results.append(ItemResult(r.entry_id, outcome, None if outcome is Outcome.WRITTEN else f"{r.message} reason"))
        return results

    def write_prepared(self, items):
        return self.write([item.as_record() for item in items])

    def dead_letter(self, letters):
        if self.dead_letter_fails:
            raise TransientWriteError("dead-letter index unavailable")
        self.dead.extend(letters)


def test_ack_per_outcome():
    sink = ScriptedSink()
    msgs = [message("ok", "1"), message("dup", "2"), message("reject", "3"), message("retry", "4"), PubsubMessage(b"not json", message_id="5")]
    report = deliver(msgs, Transform("elasticsearch"), sink)
    assert report.ack == (True, True, True, False, True)
    assert (report.written, report.duplicates, report.dead_lettered, report.retry) == (1, 1, 2, 1)
    assert [d.message_id for d in sink.dead] == ["5", "3"]
    assert sink.dead[0].reason.startswith("not_json") and sink.dead[1].reason == "reject reason"
    assert orjson.loads(sink.dead[1].raw)["insertId"] == "3" and sink.dead[1].entry_id


def test_nothing_dead_lettered_is_acked_when_the_dead_letter_store_fails():
    report = deliver([message("ok", "1"), message("reject", "2")], Transform("elasticsearch"), ScriptedSink(dead_letter_fails=True))
    assert report.ack == (True, False)
    assert report.dead_lettered == 0 and report.retry == 1


def test_batcher_gathers_concurrent_requests_and_answers_each_its_own():
    sink = ScriptedSink()
    sizes = []

    def write(messages):
        sizes.append(len(messages))
        return deliver(messages, Transform("elasticsearch"), sink).ack

    batcher = Batcher(write, BatchLimits(max_messages=50, max_wait_s=0.5))
    answers = {}
    texts = ["ok"] * 39 + ["retry"]
    threads = [threading.Thread(target=lambda i=i: answers.__setitem__(i, batcher.submit(message(texts[i], str(i))))) for i in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(sizes) == 40 and len(sizes) < 40
    assert answers == {i: texts[i] == "ok" for i in range(40)}


def test_batcher_closes_a_full_batch_without_waiting():
    batcher = Batcher(lambda ms: [True] * len(ms), BatchLimits(max_messages=1, max_wait_s=30))
    assert batcher.submit(message("ok", "1")) is True


def test_batcher_nacks_everything_when_the_write_crashes():
    def broken(_):
        raise RuntimeError("bug")

    assert Batcher(broken, BatchLimits(max_wait_s=0)).submit(message("ok", "1")) is False
