import pytest

from bridge.errors import NormalizeError
from bridge.model import DecodedEntry
from bridge.normalize import entry_id, normalize
from bridge.severity import severity_of

BASE = {"insertId": "i1", "logName": "projects/p/logs/stdout", "timestamp": "2024-01-01T00:00:00Z"}


def record(**fields):
    return normalize(DecodedEntry({**BASE, **fields}, publish_time_ns=fields.pop("_publish", None)))


@pytest.mark.parametrize(
    "value, expected",
    [(None, ("DEFAULT", 0)), ("ERROR", ("ERROR", 500)), ("error", ("ERROR", 500)), ("warn", ("WARNING", 400)),
     (400, ("WARNING", 400)), (450, ("WARNING", 400)), ("200", ("INFO", 200)), (800, ("EMERGENCY", 800))],
)
def test_severity(value, expected):
    assert severity_of(value) == expected


@pytest.mark.parametrize("value", [True, 900, -1, 1.5, [], "LOUD"])
def test_severity_rejects(value):
    with pytest.raises(NormalizeError):
        severity_of(value)


def test_time_falls_back_to_receive_then_publish_and_says_which():
    no_ts = {k: v for k, v in BASE.items() if k != "timestamp"}
    assert normalize(DecodedEntry({**no_ts, "receiveTimestamp": "2024-01-01T00:00:01Z"})).timestamp_source == "receiveTimestamp"
    by_publish = normalize(DecodedEntry(no_ts, publish_time_ns=5))
    assert (by_publish.timestamp_ns, by_publish.timestamp_source) == (5, "publishTime")
    with pytest.raises(NormalizeError):
        normalize(DecodedEntry(no_ts))


@pytest.mark.parametrize(
    "resource, expected",
    [
        ({"type": "k8s_container", "labels": {"cluster_name": "c", "location": "l", "namespace_name": "n", "pod_name": "p", "container_name": "k"}}, ("c", "l", "n", "p", "k", None)),
        ({"type": "k8s_pod", "labels": {"cluster_name": "c", "location": "l", "namespace_name": "n", "pod_name": "p"}}, ("c", "l", "n", "p", None, None)),
        ({"type": "k8s_node", "labels": {"cluster_name": "c", "location": "l", "node_name": "nd"}}, ("c", "l", None, None, None, "nd")),
        ({"type": "k8s_cluster", "labels": {"cluster_name": "c", "location": "l"}}, ("c", "l", None, None, None, None)),
        ({"type": "container", "labels": {"cluster_name": "c", "zone": "z", "namespace_id": "n", "pod_id": "p", "container_name": "k"}}, ("c", "z", "n", "p", "k", None)),
        ({"type": "gce_instance", "labels": {"zone": "z"}}, (None,) * 6),
    ],
)
def test_gke_fields(resource, expected):
    r = record(resource=resource)
    assert (r.k8s_cluster, r.k8s_location, r.k8s_namespace, r.k8s_pod, r.k8s_container, r.k8s_node) == expected


def test_payloads_keep_their_content_and_message_is_picked():
    assert record(textPayload="line").message == "line"
    assert record(jsonPayload={"msg": "m", "n": 1}).json_payload == {"msg": "m", "n": 1}
    assert record(jsonPayload={"log": "l"}).message == "l"
    proto = {"@type": "type.googleapis.com/google.cloud.audit.AuditLog", "methodName": "m"}
    assert record(protoPayload=proto).proto_payload == proto


def test_stable_id_ignores_delivery_and_timestamp_spelling():
    same_instant = {**BASE, "timestamp": "2024-01-01T09:00:00.000+09:00"}
    assert entry_id(BASE) == entry_id(same_instant) == entry_id({**BASE, "textPayload": "differs but same identity"})
    assert entry_id(BASE) != entry_id({**BASE, "insertId": "i2"})
    without_insert_id = {"logName": "projects/p/logs/x", "textPayload": "a"}
    assert entry_id(without_insert_id) == entry_id(dict(reversed(list(without_insert_id.items()))))
    assert entry_id(without_insert_id) != entry_id({**without_insert_id, "textPayload": "b"})


def test_project_id_from_log_name_when_resource_has_none():
    assert record(resource={"type": "global"}).project_id == "p"
    assert normalize(DecodedEntry({**BASE, "logName": "folders/1/logs/x"})).project_id is None
