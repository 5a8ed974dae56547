"""The Elasticsearch destination on the real server, fault by fault, with counts.

Every entry goes through bridge.delivery.deliver (decode, normalize, document, the
bulk writer) and every count is read back from Elasticsearch. Each test has its own
templates and indices (`t<hex>-logs-*`), so tests never see each other's documents.
"""
from __future__ import annotations

import threading
import time
from collections import Counter

import orjson
import pytest
from elasticsearch.helpers import bulk, scan

from bridge.model import DecodedEntry, PubsubMessage
from bridge.retry import RetryPolicy
from bridge.sinks.base import Outcome
from bridge.sinks.elasticsearch.replay import replay_elasticsearch_dead_letters
from bridge.timestamps import parse_rfc3339_ns
from tests.integration.elasticsearch_support import SHORT, TRANSFORM, Destination, entries, entry, ids_of, messages, wait_for
from tests.integration.delivery_support import deliver_until_acked

pytestmark = pytest.mark.integration


@pytest.fixture
def destination(stack):
    d = Destination.create(stack.config.es_url)
    yield d
    d.drop()


def print_counts(name: str, **counts: int) -> None:
    print(f"\n{name}: " + " ".join(f"{key}={value}" for key, value in counts.items()))


def test_redelivery_of_the_same_entries_gives_no_duplicates(destination):
    batch = entries(300, "2024-05-01T10:00:00.123456789Z")
    first = deliver_until_acked(messages(batch), destination.writer(), rounds=1)[0]
    # Pub/Sub redelivers in new messages (new message ids), twice, and one batch carries an entry twice.
    again = [deliver_until_acked(messages(batch), destination.writer(), rounds=1)[0] for _ in range(2)]
    inner = deliver_until_acked(messages([batch[0], batch[0]]), destination.writer(), rounds=1)[0]
    stored = destination.ids()
    print_counts("redelivery", published=len(batch) * 3 + 2, written=first.written,
                 duplicates=sum(r.duplicates for r in again) + inner.duplicates, stored=len(stored), lost=len(ids_of(batch) - set(stored)))
    assert (first.written, first.duplicates, all(first.ack)) == (300, 0, True)
    assert [(r.written, r.duplicates, all(r.ack)) for r in again] == [(0, 300, True)] * 2
    assert (inner.written, inner.duplicates) == (0, 2)
    assert len(stored) == len(set(stored)) == 300 and set(stored) == ids_of(batch)


def legacy_index(destination: Destination, day: str) -> str:
    """The day's index created before the template, by another shipper whose `labels.version` is a long."""
    name = f"{destination.settings.names.prefix}-{day}"
    destination.client.indices.create(index=name, mappings={"properties": {"labels": {"properties": {"version": {"type": "long"}}}}})
    destination.client.index(index=name, id="legacy-1", document={"@timestamp": "2024-05-01T00:00:00Z", "labels": {"version": 3}}, refresh=True)
    return name


def conflicting_batch() -> tuple[list[dict], list[dict]]:
    """50 entries; 3 carry a labels.version a long cannot hold."""
    batch = entries(50, "2024-05-01T08:00:00Z")
    bad = [batch[n] for n in (7, 21, 40)]
    for item in bad:
        item["labels"] = {"version": "v2.1-rc"}
    return batch, bad


def test_an_entry_that_conflicts_with_the_mapping_is_dead_lettered_and_the_rest_of_its_batch_written(destination):
    legacy = legacy_index(destination, "2024.05.01")
    batch, bad = conflicting_batch()
    report = deliver_until_acked(messages(batch), destination.writer(), rounds=1)[0]
    dead = destination.docs(dead=True)
    print_counts("mapping conflict", published=len(batch), written=report.written, dead_lettered=report.dead_lettered,
                 in_index=destination.count() - 1, in_dead_letters=len(dead), lost=len(batch) - report.written - len(dead))
    assert all(report.ack) and (report.written, report.dead_lettered, report.retry) == (47, 3, 0)
    assert destination.count({"exists": {"field": "gcp.entry_id"}}) == 47
    assert {d["_source"]["entry_id"] for d in dead} == ids_of(bad)
    for d in dead:
        source = d["_source"]
        assert d["_index"].startswith(destination.settings.names.dead_letter_prefix + "-")
        assert source["reason_type"] == "document_parsing_exception" and "[labels.version]" in source["reason"]
        assert source["destination"] == "elasticsearch" and source["message_id"].startswith("m")
        assert orjson.loads(source["raw"])["labels"] == {"version": "v2.1-rc"}
    # Redelivered (the ack got lost): the same dead letters, not new ones.
    again = deliver_until_acked(messages(batch), destination.writer(), rounds=1)[0]
    assert (again.duplicates, again.dead_lettered) == (47, 3) and len(destination.docs(dead=True)) == 3
    assert legacy in destination.per_index()


def copy_index(client, source: str, target: str) -> None:
    """A client-side reindex (this server build has no reindex module)."""
    client.indices.refresh(index=source)
    bulk(client, ({"_index": target, "_id": hit["_id"], "_source": hit["_source"]} for hit in scan(client, index=source)), refresh="wait_for")


def fix_mapping(destination: Destination, index: str) -> None:
    """The operator's fix: move the day's documents into an index made from the template."""
    client, parked = destination.client, f"park-{index}"
    copy_index(client, index, parked)
    client.indices.delete(index=index)
    copy_index(client, parked, index)  # recreated by the template: labels is flattened now
    client.indices.delete(index=parked)


def test_replay_after_fixing_the_mapping_brings_the_dead_letters_back_without_duplicates(destination):
    legacy = legacy_index(destination, "2024.05.01")
    batch, bad = conflicting_batch()
    # Two more whose jsonPayload key is too long for any index: they stay dead, with their new reason.
    hopeless = entries(2, "2024-05-02T09:00:00Z", start=1000, jsonPayload={"k" * 40000: 1})
    first = deliver_until_acked(messages(batch + hopeless), destination.writer(), rounds=1)[0]
    assert (first.written, first.dead_lettered) == (47, 5)
    fix_mapping(destination, legacy)
    assert destination.count() == 48  # 47 + the legacy document, moved intact

    report = replay_elasticsearch_dead_letters(destination.client, destination.writer(), TRANSFORM, destination.settings.names)
    rerun = replay_elasticsearch_dead_letters(destination.client, destination.writer(), TRANSFORM, destination.settings.names)
    stored = [hit["_id"] for hit in destination.docs() if hit["_id"] != "legacy-1"]
    dead = destination.docs(dead=True)
    print_counts("replay after fix", dead_letters_before=5, replayed_written=report.written, still_failing=report.still_failing,
                 rerun_seen=rerun.seen, rerun_written=rerun.written, stored=len(stored), dead_letters_after=len(dead),
                 lost=len(ids_of(batch + hopeless) - set(stored) - {d["_id"] for d in dead}))
    assert (report.seen, report.written, report.duplicates, report.still_failing, report.retry) == (5, 3, 0, 2, 0)
    assert (rerun.seen, rerun.written, rerun.still_failing) == (2, 0, 2)
    assert len(stored) == len(set(stored)) == 50 and set(stored) == ids_of(batch)
    assert {d["_id"] for d in dead} == ids_of(hopeless)
    for d in dead:
        assert d["_source"]["replay_count"] == 2 and "immense" in d["_source"]["reason"]
        assert d["_source"]["replayed_at"] > d["_source"]["@timestamp"]


def test_replay_of_an_entry_written_meanwhile_is_a_duplicate_and_clears_the_dead_letter(destination):
    legacy = legacy_index(destination, "2024.05.01")
    batch, bad = conflicting_batch()
    deliver_until_acked(messages(batch), destination.writer(), rounds=1)
    fix_mapping(destination, legacy)
    deliver_until_acked(messages(bad[:1]), destination.writer(), rounds=1)  # redelivered by Pub/Sub after the fix
    report = replay_elasticsearch_dead_letters(destination.client, destination.writer(), TRANSFORM, destination.settings.names)
    assert (report.seen, report.written, report.duplicates) == (3, 2, 1)
    assert destination.count() == 51 and len(destination.docs(dead=True)) == 0


def test_elasticsearch_stopped_and_started_again_loses_nothing(stack, destination):
    before = entries(100, "2024-05-01T10:00:00Z")
    assert all(deliver_until_acked(messages(before), destination.writer(), rounds=1)[0].ack)
    during = messages(entries(150, "2024-05-01T11:00:00Z", start=100))
    stack.stop("es")
    try:
        down = deliver_until_acked(during, destination.writer(SHORT), rounds=3)
    finally:
        stack.start("es")
    up = deliver_until_acked(during, destination.writer(RetryPolicy(initial_delay_s=0.2, max_delay_s=2.0, deadline_s=30.0)), rounds=5)
    stored = destination.ids()
    print_counts("es stopped", before=100, during_down=150, unacked_per_round_while_down=down[0].ack.count(False),
                 rounds_while_down=len(down), written_after_start=sum(r.written for r in up), stored=len(stored),
                 dead_letters=destination.count(dead=True), lost=250 - len(set(stored)))
    # While it was down nothing was acknowledged and nothing was dead-lettered: Pub/Sub keeps it all.
    assert [(r.written, r.dead_lettered, r.retry, any(r.ack)) for r in down] == [(0, 0, 150, False)] * 3
    assert sum(r.written for r in up) == 150 and all(up[-1].ack)
    assert len(stored) == len(set(stored)) == 250 and set(stored) == ids_of(before) | ids_of(entries(150, "2024-05-01T11:00:00Z", start=100))
    assert destination.count(dead=True) == 0


def test_elasticsearch_stopped_in_the_middle_of_writing_loses_nothing_and_writes_nothing_twice(stack, destination):
    """Writes in flight when it stops may have landed or not: redelivery writes what is missing, `create` refuses the rest."""
    items = entries(2000, "2024-05-01T00:00:00Z")
    batches = [messages(items[i:i + 100]) for i in range(0, len(items), 100)]
    reports: list = []
    policy = RetryPolicy(initial_delay_s=0.1, max_delay_s=1.0, deadline_s=3.0)

    def publisher():
        for batch in batches:
            reports.extend(deliver_until_acked(batch, destination.writer(policy), rounds=60))

    worker = threading.Thread(target=publisher)
    worker.start()
    wait_for(lambda: destination.count() >= 300, 60, "the first writes")
    stack.stop("es")
    time.sleep(2.0)
    stack.start("es")
    worker.join(timeout=300)
    assert not worker.is_alive()
    stored = destination.ids()
    unacked_rounds = sum(1 for r in reports if not all(r.ack))
    print_counts("es stopped mid-write", entries=len(items), deliveries=len(reports), deliveries_with_unacked=unacked_rounds,
                 written=sum(r.written for r in reports), duplicates=sum(r.duplicates for r in reports), stored=len(stored),
                 lost=len(ids_of(items) - set(stored)))
    assert unacked_rounds >= 1  # the stop really hit the writes
    assert all(reports[-1].ack) and sum(r.dead_lettered for r in reports) == 0
    assert len(stored) == len(set(stored)) == len(items) and set(stored) == ids_of(items)


@pytest.mark.parametrize("block", ["index.blocks.read_only_allow_delete", "index.blocks.write"])
def test_an_index_block_is_retried_not_dead_lettered_and_everything_arrives_once_lifted(destination, block):
    first = entries(10, "2024-05-01T10:00:00Z")
    deliver_until_acked(messages(first), destination.writer(), rounds=1)
    index = f"{destination.settings.names.prefix}-2024.05.01"
    blocked = messages(entries(60, "2024-05-01T10:30:00Z", start=10))
    destination.client.indices.put_settings(index=index, settings={block: True})
    try:
        down = deliver_until_acked(blocked, destination.writer(SHORT), rounds=2)
    finally:
        destination.client.indices.put_settings(index=index, settings={block: None})
    up = deliver_until_acked(blocked, destination.writer(), rounds=2)
    print_counts(f"block {block}", published=70, retry_while_blocked=down[0].retry, dead_lettered_while_blocked=sum(r.dead_lettered for r in down),
                 written_after_lift=up[0].written, stored=destination.count(), lost=70 - destination.count())
    assert [(r.written, r.dead_lettered, r.retry, any(r.ack)) for r in down] == [(0, 0, 60, False)] * 2
    assert any("cluster_block_exception" in reason for reason in down[0].reasons)
    assert (up[0].written, all(up[0].ack)) == (60, True)
    assert destination.count() == 70 and destination.count(dead=True) == 0


FLOOD = {
    "cluster.routing.allocation.disk.watermark.low": "10000tb",
    "cluster.routing.allocation.disk.watermark.high": "9000tb",
    "cluster.routing.allocation.disk.watermark.flood_stage": "8000tb",
    "cluster.info.update.interval": "10s",
}


def test_the_flood_stage_watermark_is_retried_and_everything_arrives_once_the_disk_frees(destination):
    """The real disk monitor: watermarks above this disk's size make the server block the index itself."""
    client = destination.client
    deliver_until_acked(messages(entries(10, "2024-05-01T10:00:00Z")), destination.writer(), rounds=1)
    index = f"{destination.settings.names.prefix}-2024.05.01"
    blocked = messages(entries(40, "2024-05-01T10:30:00Z", start=10))
    client.cluster.put_settings(persistent=FLOOD)
    try:
        wait_for(lambda: client.indices.get_settings(index=index, filter_path="**.read_only_allow_delete").body, 60, "the flood-stage block")
        down = deliver_until_acked(blocked, destination.writer(SHORT), rounds=2)
    finally:
        client.cluster.put_settings(persistent={key: None for key in FLOOD})
    # The server lifts the block itself once the disk is below the high watermark again.
    wait_for(lambda: not client.indices.get_settings(index=index, filter_path="**.read_only_allow_delete").body, 90, "the block to be lifted")
    up = deliver_until_acked(blocked, destination.writer(), rounds=2)
    print_counts("flood stage", published=50, retry_while_blocked=down[0].retry, dead_lettered=sum(r.dead_lettered for r in down + up),
                 written_after_release=up[0].written, stored=destination.count(), lost=50 - destination.count())
    assert [(r.written, r.dead_lettered, r.retry) for r in down] == [(0, 0, 40)] * 2
    assert any("flood-stage watermark" in reason for reason in down[0].reasons)
    assert (up[0].written, all(up[0].ack)) == (40, True) and destination.count() == 50


def test_an_entry_with_5000_keys_and_fields_that_change_type_are_stored_and_searchable(destination):
    wide = entry(1, "2024-05-01T10:00:00Z", jsonPayload={f"key_{n}": f"value-{n}" for n in range(5000)},
                 labels={f"label_{n}": str(n) for n in range(5000)})
    drifting = [entry(2 + n, "2024-05-01T10:00:00Z", jsonPayload={"message": f"drift {n}", "value": value})
                for n, value in enumerate([42, "forty-two", {"nested": {"deeper": True}}, [1, "two", {"three": 3}], None, 4.2])]
    deep_payload: dict = {"leaf": "bottom"}
    for _ in range(150):
        deep_payload = {"level": deep_payload}
    deep = entry(99, "2024-05-01T10:00:00Z", jsonPayload=deep_payload)
    report = deliver_until_acked(messages([wide, *drifting, deep]), destination.writer(), rounds=1)[0]
    assert (report.written, report.dead_lettered) == (8, 0)
    hits = {
        "json key 4999": destination.count({"term": {"gcp.json_payload.key_4999": "value-4999"}}),
        "label 1234": destination.count({"term": {"labels.label_1234": "1234"}}),
        "value 42": destination.count({"term": {"gcp.json_payload.value": "42"}}),
        "value forty-two": destination.count({"term": {"gcp.json_payload.value": "forty-two"}}),
        "value nested": destination.count({"term": {"gcp.json_payload.value.nested.deeper": "true"}}),
        "value array": destination.count({"term": {"gcp.json_payload.value.three": "3"}}),
        "deep leaf": destination.count({"term": {"gcp.json_payload." + "level." * 150 + "leaf": "bottom"}}),
    }
    mapping = destination.client.indices.get_mapping(index=f"{destination.settings.names.prefix}-2024.05.01").body
    fields = sum(1 for _ in _leaf_fields(next(iter(mapping.values()))["mappings"]))
    print_counts("wide entry", keys=5000, labels=5000, stored=destination.count(), mapped_fields=fields, **{k.replace(" ", "_"): v for k, v in hits.items()})
    assert destination.count() == 8 and all(value == 1 for value in hits.values()), hits
    assert fields < 60  # 10,000 keys and six types later, the mapping has not grown


def _leaf_fields(mapping):
    for spec in mapping.get("properties", {}).values():
        if "properties" in spec:
            yield from _leaf_fields(spec)
        else:
            yield spec


def test_entries_around_midnight_land_in_their_own_dates_index_also_when_redelivered_the_next_day(destination):
    around = [
        entry(1, "2024-12-31T23:59:59.999999999Z"),
        entry(2, "2025-01-01T00:00:00Z"),
        entry(3, "2025-01-01T00:59:59.5+01:00"),  # 23:59:59.5 UTC on the 31st
        entry(4, "2024-12-31T19:00:00-05:00"),  # 00:00 UTC on the 1st
        {**entry(5, "2025-01-01T00:00:00.000000001Z"), "timestamp": None},  # falls back to receiveTimestamp
    ]
    expected = {f"{destination.settings.names.prefix}-2024.12.31": 2, f"{destination.settings.names.prefix}-2025.01.01": 3}
    first = deliver_until_acked(messages(around, publish_time="2025-01-01T00:00:05Z"), destination.writer(), rounds=1)[0]
    day_after = parse_rfc3339_ns("2025-01-02T09:00:00Z")
    again = deliver_until_acked(messages(around, publish_time="2025-01-02T09:00:00Z"), destination.writer(now_ns=lambda: day_after),
                                rounds=1, now_ns=lambda: day_after)[0]
    per_index = destination.per_index()
    print_counts("midnight", entries=5, written=first.written, redelivered_next_day_duplicates=again.duplicates,
                 **{name.rsplit("-", 1)[1]: count for name, count in per_index.items()})
    assert (first.written, again.written, again.duplicates) == (5, 0, 5)
    assert per_index == expected
    timestamps = {hit["_source"]["gcp"]["entry_id"]: hit["_source"]["@timestamp"] for hit in destination.docs()}
    assert sorted(timestamps.values())[0] == "2024-12-31T23:59:59.500000000Z"
    assert "2024-12-31T23:59:59.999999999Z" in timestamps.values()


def test_outcomes_are_classified_on_the_real_server(destination):
    """The writer alone: a conflict is REJECTED with the server's text, a duplicate is DUPLICATE."""
    legacy_index(destination, "2024.05.01")
    batch, bad = conflicting_batch()
    records = [TRANSFORM.prepare(DecodedEntry(e)).record for e in batch[:10]]
    writer = destination.writer()
    results = writer.write(records)
    again = writer.write(records)
    assert Counter(r.outcome for r in results) == {Outcome.WRITTEN: 9, Outcome.REJECTED: 1}
    assert Counter(r.outcome for r in again) == {Outcome.DUPLICATE: 9, Outcome.REJECTED: 1}
    rejected = next(r for r in results if r.outcome is Outcome.REJECTED)
    assert rejected.reason.startswith("document_parsing_exception: ") and "(status 400)" in rejected.reason


def test_undecodable_messages_are_dead_lettered_once_with_their_raw_bytes(destination):
    garbage = [PubsubMessage(b"\xff\xfenot json", message_id="g1"), PubsubMessage(b'{"no": "logName"}', message_id="g2")]
    first = deliver_until_acked(garbage, destination.writer(), rounds=1)[0]
    later = parse_rfc3339_ns("2030-01-02T00:00:00Z")
    again = deliver_until_acked(garbage, destination.writer(), rounds=1, now_ns=lambda: later)[0]  # the next day: found, not re-added
    dead = destination.docs(dead=True)
    assert all(first.ack) and all(again.ack) and len(dead) == 2
    by_message = {d["_source"]["message_id"]: d["_source"] for d in dead}
    assert by_message["g1"]["raw_encoding"] == "base64" and by_message["g1"]["reason_type"] == "not_json"
    assert by_message["g2"]["raw"] == '{"no": "logName"}' and by_message["g2"]["reason_type"] == "not_a_log_entry"
