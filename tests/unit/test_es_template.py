"""The index templates map every field the document builder writes, with the types Kibana expects."""
import orjson
import pytest

from bridge.model import DeadLetter, DecodedEntry
from bridge.pipeline import Transform
from bridge.sinks.elasticsearch.deadletters import dead_letter_document
from bridge.sinks.elasticsearch.document import IndexNames, document
from bridge.sinks.elasticsearch.template import (
    TemplateOptions,
    dead_letter_mappings,
    index_templates,
    log_mappings,
    mapped_paths,
)
from tests.golden.cases import convert, inputs

LOGS = mapped_paths(log_mappings())
FLATTENED = {path for path, kind in LOGS.items() if kind == "flattened"}


def leaf_paths(doc, prefix=""):
    """Dotted paths of a document's leaves, stopping at flattened fields (they hold anything)."""
    for key, value in doc.items():
        path = f"{prefix}{key}"
        if path in FLATTENED:
            yield path
        elif isinstance(value, dict):
            yield from leaf_paths(value, f"{path}.")
        else:
            yield path


def golden_documents():
    for name, path in sorted(inputs().items()):
        good, _ = convert(path, "elasticsearch")
        for line in good:
            yield name, orjson.loads(line)["_source"]


def test_every_field_of_every_golden_document_is_mapped():
    docs = list(golden_documents())
    assert len(docs) > 50
    unmapped = {(name, path) for name, doc in docs for path in leaf_paths(doc) if path not in LOGS}
    assert unmapped == set()


def test_a_fully_populated_record_is_mapped():
    entry = {
        "logName": "projects/p/logs/stdout", "insertId": "i", "timestamp": "2024-05-01T00:00:00Z",
        "receiveTimestamp": "2024-05-01T00:00:01Z", "severity": "ERROR", "jsonPayload": {"message": "m", "a": {"b": 1}},
        "resource": {"type": "k8s_container", "labels": {"project_id": "p", "location": "europe-west1-b", "cluster_name": "c",
                                                          "namespace_name": "n", "pod_name": "pod", "container_name": "ctr"}},
        "labels": {"k": "v"}, "httpRequest": {"requestMethod": "GET", "requestUrl": "/x", "status": 503, "userAgent": "ua"},
        "trace": "projects/p/traces/abc", "spanId": "s", "traceSampled": True, "operation": {"id": "o"},
        "sourceLocation": {"file": "f", "line": "1"},
    }
    doc = document(Transform("elasticsearch").prepare(DecodedEntry(entry, "m", 10**18)).record)
    paths = set(leaf_paths(doc))
    assert paths - set(LOGS) == set()
    assert {"http.response.status_code", "url.original", "kubernetes.pod.name", "cloud.availability_zone", "gcp.publish_time"} <= paths


@pytest.mark.parametrize("status", [1e20, 2**63, -1, 1000, "abc", "²", True, 1.5, None])
def test_status_codes_a_long_cannot_hold_stay_only_in_the_flattened_request(status):
    entry = {"logName": "projects/p/logs/x", "insertId": "i", "timestamp": "2024-05-01T00:00:00Z", "httpRequest": {"status": status}}
    doc = document(Transform("elasticsearch").prepare(DecodedEntry(entry)).record)
    assert "http" not in doc and doc["gcp"]["http_request"] == {"status": status}


def test_field_types_kibana_and_ecs_rely_on():
    assert LOGS["@timestamp"] == "date_nanos" and LOGS["message"] == "text"
    assert LOGS["http.response.status_code"] == "long" and LOGS["gcp.receive_timestamp"] == "date_nanos"
    for keyword in ("log.level", "kubernetes.namespace", "kubernetes.pod.name", "event.dataset", "cloud.project.id", "trace.id"):
        assert LOGS[keyword] == "keyword", keyword
    for free_form in ("labels", "gcp.json_payload", "gcp.proto_payload", "gcp.http_request", "gcp.resource.labels",
                      "gcp.operation", "gcp.source_location"):
        assert LOGS[free_form] == "flattened", free_form


def test_nothing_can_add_fields_and_no_value_can_be_too_long_for_an_index():
    for mappings in (log_mappings(), dead_letter_mappings()):
        assert mappings["dynamic"] is False

    def specs(node):
        for spec in node.get("properties", {}).values():
            yield spec
            yield from specs(spec)

    for spec in specs(log_mappings()):
        if spec.get("type") in ("keyword", "flattened"):
            assert 0 < spec["ignore_above"] <= 8191  # 8191 chars x 4 bytes < Lucene's 32766-byte term limit
        if spec.get("type") == "flattened":
            assert spec["depth_limit"] >= 200  # bridge.decode refuses entries deeper than 200 levels


def test_dead_letter_documents_are_mapped():
    letter = DeadLetter("document_parsing_exception: x", b"{}", "elasticsearch", "e", "m", 5)
    doc = dead_letter_document(letter, "e", 7)
    assert set(doc) <= set(mapped_paths(dead_letter_mappings()))


def test_templates_cover_the_daily_patterns_with_an_alias_each():
    templates = index_templates(IndexNames("t-logs", "t-dead"), TemplateOptions(replicas=0))
    assert set(templates) == {"t-logs", "t-dead"}
    logs, dead = templates["t-logs"], templates["t-dead"]
    assert logs["index_patterns"] == ["t-logs-*"] and dead["index_patterns"] == ["t-dead-*"]
    assert logs["template"]["aliases"] == {"t-logs": {}} and dead["template"]["aliases"] == {"t-dead": {}}
    assert logs["template"]["settings"]["index"]["number_of_replicas"] == 0


def test_the_digest_changes_with_the_content_only():
    one = index_templates(options=TemplateOptions(replicas=0))
    assert one == index_templates(options=TemplateOptions(replicas=0))
    other = index_templates(options=TemplateOptions(replicas=1))
    assert one["gcp-logs"]["_meta"]["digest"] != other["gcp-logs"]["_meta"]["digest"]
