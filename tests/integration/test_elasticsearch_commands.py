"""The Elasticsearch commands on the real server: es-setup, es-retention, replay --from elasticsearch-deadletter."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from bridge.model import PubsubMessage
from bridge.sinks.elasticsearch.template import TEMPLATE_VERSION
from tests.integration.elasticsearch_support import Destination, entries, ids_of, messages
from tests.integration.delivery_support import deliver_until_acked
from tests.integration.test_elasticsearch_faults import conflicting_batch, fix_mapping, legacy_index

pytestmark = pytest.mark.integration
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def destination(stack):
    d = Destination.create(stack.config.es_url)
    yield d
    d.drop()


def bridge(destination: Destination, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bridge", *args], env={**os.environ, **destination.env}, cwd=REPO,
                          capture_output=True, text=True, timeout=180)


def test_es_setup_installs_the_templates_once_and_indices_follow_them(destination):
    names = destination.settings.names
    first, second = bridge(destination, "es-setup"), bridge(destination, "es-setup")
    print(f"\n{first.stdout}{second.stdout}")
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert "es-setup: templates=2 installed=2 http.max_content_length=104857600" in first.stdout
    assert "es-setup: templates=2 installed=0" in second.stdout
    template = destination.client.indices.get_index_template(name=names.prefix)["index_templates"][0]["index_template"]
    assert template["index_patterns"] == [f"{names.prefix}-*"] and template["version"] == TEMPLATE_VERSION
    deliver_until_acked(messages(entries(3, "2024-05-01T10:00:00Z")), destination.writer(), rounds=1)
    index = f"{names.prefix}-2024.05.01"
    settings = destination.client.indices.get_settings(index=index)[index]["settings"]["index"]
    mapping = destination.client.indices.get_mapping(index=index)[index]["mappings"]
    aliases = destination.client.indices.get_alias(index=index)[index]["aliases"]
    assert (settings["number_of_replicas"], settings["codec"]) == ("0", "best_compression")
    assert mapping["dynamic"] == "false" and mapping["properties"]["@timestamp"] == {"type": "date_nanos"}
    assert mapping["properties"]["labels"]["type"] == "flattened" and aliases == {names.prefix: {}}
    destination.refresh()
    assert destination.client.count(index=names.prefix)["count"] == 3  # searchable through the alias


def test_the_writer_installs_missing_templates_on_its_first_write_and_learns_the_body_limit(destination):
    writer = destination.writer()
    report = deliver_until_acked(messages(entries(2, "2024-05-01T10:00:00Z")), writer, rounds=1)[0]
    installed = destination.client.indices.get_index_template(name=destination.settings.names.prefix)["index_templates"]
    assert report.written == 2 and len(installed) == 1
    assert writer.limits.max_content_length == 100 * 1024**2


def test_es_retention_deletes_the_daily_indices_older_than_n_days_by_their_name(destination):
    for day in range(1, 7):
        deliver_until_acked(messages(entries(2, f"2024-05-0{day}T12:00:00Z", start=day * 10)), destination.writer(), rounds=1)
    deliver_until_acked([PubsubMessage(b"not json", message_id="x")], destination.writer(), rounds=1)  # a dead-letter index
    prefix = destination.settings.names.prefix
    dry = bridge(destination, "es-retention", "--keep-days", "3", "--today", "2024-05-06", "--dry-run")
    assert dry.returncode == 0 and len(destination.per_index()) == 6
    run = bridge(destination, "es-retention", "--keep-days", "3", "--today", "2024-05-06")
    print(f"\n{run.stdout}")
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == [f"deleted {prefix}-2024.05.0{day}" for day in (1, 2, 3)] + [
        "es-retention: deleted=3 keep_days=3 today=2024-05-06"]
    assert dry.stdout.replace("would delete", "deleted") == run.stdout
    assert sorted(destination.per_index()) == [f"{prefix}-2024.05.0{day}" for day in (4, 5, 6)]
    assert destination.count(dead=True) == 1  # dead letters are kept unless asked
    again = bridge(destination, "es-retention", "--keep-days", "3", "--today", "2024-05-06")
    assert again.stdout.strip() == "es-retention: deleted=0 keep_days=3 today=2024-05-06"


def test_replay_command_with_a_filter_replays_only_the_matching_dead_letters(destination):
    legacy = legacy_index(destination, "2024.05.01")
    batch, bad = conflicting_batch()
    garbage = [PubsubMessage(b"{not json", message_id=f"g{n}") for n in range(2)]
    report = deliver_until_acked(messages(batch) + garbage, destination.writer(), rounds=1)[0]
    assert (report.written, report.dead_lettered) == (47, 5)
    fix_mapping(destination, legacy)
    replay = bridge(destination, "replay", "--from", "elasticsearch-deadletter", "--filter", "reason_type:document_parsing_exception")
    rerun = bridge(destination, "replay", "--from", "elasticsearch-deadletter")
    print(f"\n{replay.stdout}{rerun.stdout}")
    assert replay.returncode == 0, replay.stderr
    assert replay.stdout.strip() == "replay elasticsearch-deadletter: seen=3 written=3 duplicates=0 still_failing=0 retry=0 skipped=0"
    assert rerun.stdout.strip() == "replay elasticsearch-deadletter: seen=2 written=0 duplicates=0 still_failing=2 retry=0 skipped=0"
    stored = [hit["_id"] for hit in destination.docs() if hit["_id"] != "legacy-1"]
    assert len(stored) == len(set(stored)) == 50 and set(stored) == ids_of(batch)
    assert {d["_source"]["reason_type"] for d in destination.docs(dead=True)} == {"not_json"}


def test_a_command_against_an_unreachable_cluster_fails_with_one_line(destination):
    env = {**destination.env, "BRIDGE_ES_URL": "http://user:s3cret-in-url@127.0.0.1:9", "BRIDGE_ES_API_KEY": "k3y-never-printed"}
    run = subprocess.run([sys.executable, "-m", "bridge", "es-setup"], env={**os.environ, **env}, cwd=REPO,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 1 and run.stderr.startswith("es-setup: ") and len(run.stderr.strip().splitlines()) == 1
    assert "s3cret-in-url" not in run.stderr + run.stdout and "k3y-never-printed" not in run.stderr + run.stdout
