"""Redactor.apply on LogEntry dicts: actions, scoping, destinations, keys, copy-on-write."""
import copy
import glob
import os

import orjson
import pytest

from bridge.errors import ConfigError, NormalizeError
from bridge.redact import Redactor
from bridge.redaction.rules import parse_rules

KEY_ENV = {"BRIDGE_REDACTION_HMAC_KEY": "test-key-1"}
CARD = "4111 1111 1111 1111"


def redactor(text: str, environ=KEY_ENV, fetch=None) -> Redactor:
    from bridge.redaction.keys import key_from_environment

    return Redactor(parse_rules(text), key_from_environment(environ, fetch))


def rule(name="email", detector="email", action="mask", **scope) -> str:
    lines = [f'[[rules]]\nname = "{name}"', f'action = "{action}"']
    if detector:
        lines.append(f'detector = "{detector}"')
    for key, value in scope.items():
        lines.append(f"{key} = {orjson.dumps(value).decode()}")
    return "\n".join(lines) + "\n"


def test_mask_everywhere_in_scope_at_any_depth():
    deep = {"level": "a@example.com"}
    for _ in range(60):
        deep = {"nested": deep}
    entry = {
        "logName": "projects/p/logs/app",
        "textPayload": "from b@example.com",
        "jsonPayload": {"users": [{"email": "c@example.com"}, "d@example.com", ["e@example.com", 7]], "deep": deep},
        "protoPayload": {"authenticationInfo": {"principalEmail": "f@example.com"}},
        "labels": {"owner": "g@example.com"},
        "resource": {"type": "k8s_container", "labels": {"note": "h@example.com"}},
    }
    result = Redactor.default(environ={}).apply(entry)
    text = orjson.dumps(result.entry).decode()
    assert all(f"{c}@example.com" not in text for c in "abcdefg")
    assert "h@example.com" in text  # resource labels are the platform's, out of the default scope
    assert result.fired == {"email": 8 - 1}
    assert result.entry["jsonPayload"]["users"][2] == ["[REDACTED:email]", 7]


def test_input_is_never_mutated_and_unchanged_parts_are_shared():
    entry = {
        "logName": "projects/p/logs/app",
        "jsonPayload": {"user": {"email": "a@example.com"}, "other": {"big": list(range(100))}},
        "resource": {"type": "k8s_container", "labels": {"pod_name": "web-1"}},
    }
    before = copy.deepcopy(entry)
    result = Redactor.default(environ={}).apply(entry)
    assert entry == before
    assert result.entry is not entry and result.entry["jsonPayload"] is not entry["jsonPayload"]
    assert result.entry["jsonPayload"]["other"] is entry["jsonPayload"]["other"]
    assert result.entry["resource"] is entry["resource"]
    clean = {"logName": "projects/p/logs/app", "textPayload": "nothing here"}
    assert Redactor.default(environ={}).apply(clean).entry is clean


def test_drop_removes_the_field_or_the_list_element():
    redact = redactor(rule("cards", "payment_card", "drop"))
    entry = {"jsonPayload": {"card": f"pan {CARD}", "keep": "x", "cards": ["ok", CARD, "fine"]}, "textPayload": CARD}
    result = redact.apply(entry)
    assert result.entry == {"jsonPayload": {"keep": "x", "cards": ["ok", "fine"]}}
    assert result.fired == {"cards": 3}


def test_whole_field_rules_by_path():
    redact = redactor(
        rule("passwords", None, "drop", paths=["jsonPayload.**.password"])
        + rule("tokens", None, "mask", paths=["jsonPayload.session"])
        + rule("users", None, "hash", paths=["jsonPayload.user"])
    )
    entry = {"jsonPayload": {"password": "p", "a": {"b": {"password": "q", "x": 1}}, "session": {"id": 1}, "user": "kim"}}
    result = redact.apply(entry).entry["jsonPayload"]
    assert result["a"] == {"b": {"x": 1}} and "password" not in result
    assert result["session"] == "[REDACTED:tokens]"
    assert result["user"].startswith("hmac:") and len(result["user"]) == len("hmac:") + 16


def test_hash_is_stable_keyed_and_canonical():
    text = rule("phones", "phone_kr", "hash")
    one, two = redactor(text), redactor(text)
    forms = ["010-1234-5678", "+82 10 1234 5678", "01012345678"]
    hashes = {one.apply({"textPayload": f"call {form}"}).entry["textPayload"] for form in forms}
    hashes |= {two.apply({"textPayload": f"call {form}"}).entry["textPayload"] for form in forms}
    assert len(hashes) == 1 and hashes.pop().startswith("call hmac:")
    other_key = redactor(text, {"BRIDGE_REDACTION_HMAC_KEY": "test-key-2"})
    assert other_key.apply({"textPayload": "call 010-1234-5678"}).entry != one.apply({"textPayload": "call 010-1234-5678"}).entry


def test_secret_manager_key_is_fetched_lazily_once_and_never_shown():
    calls = []

    def fetch(name: str) -> bytes:
        calls.append(name)
        return b"secret-key-material"

    environ = {"BRIDGE_REDACTION_HMAC_SECRET": "projects/p/secrets/redaction-key"}
    redact = redactor(rule(action="hash"), environ, fetch)
    assert calls == []  # nothing fetched at start
    redact.apply({"textPayload": "no address"})
    assert calls == []  # nor while nothing is hashed
    first = redact.apply({"textPayload": "a@example.com"}).entry
    second = redact.apply({"textPayload": "a@example.com"}).entry
    assert first == second and calls == ["projects/p/secrets/redaction-key/versions/latest"]
    assert "secret-key-material" not in repr(redact._key) + repr(redact.__dict__)


def test_secret_fetch_failure_is_a_config_error_without_details():
    def fetch(name: str) -> bytes:
        raise OSError("connection refused to secret-key-material")

    redact = redactor(rule(action="hash"), {"BRIDGE_REDACTION_HMAC_SECRET": "projects/p/secrets/k"}, fetch)
    with pytest.raises(ConfigError) as raised:
        redact.apply({"textPayload": "a@example.com"})
    assert "OSError" in str(raised.value) and "secret-key-material" not in str(raised.value)


def test_bad_secret_name():
    with pytest.raises(ConfigError, match="projects/PROJECT/secrets/NAME"):
        redactor(rule(action="hash"), {"BRIDGE_REDACTION_HMAC_SECRET": "redaction-key"})


def test_scope_by_path_log_name_and_resource_type():
    redact = redactor(
        rule("user_only", paths=["jsonPayload.user"], exclude_paths=["jsonPayload.user.admin"])
        + rule("audit_only", "phone_kr", log_names=["projects/*/logs/cloudaudit.googleapis.com/activity"])
        + rule("k8s_only", "payment_card", resource_types=["k8s_*"])
    )
    entry = {
        "logName": "projects/p/logs/cloudaudit.googleapis.com%2Factivity",
        "resource": {"type": "gce_instance"},
        "jsonPayload": {"user": {"mail": "a@x.io", "admin": "b@x.io"}, "other": "c@x.io", "tel": "010-1234-5678", "pan": CARD},
    }
    payload = redact.apply(entry).entry["jsonPayload"]
    assert payload["user"] == {"mail": "[REDACTED:email]", "admin": "b@x.io"}
    assert payload["other"] == "c@x.io"
    assert payload["tel"] == "[REDACTED:phone_kr]"  # matched the URL-decoded log name
    assert payload["pan"] == CARD  # not a k8s resource
    k8s = redact.apply({**entry, "logName": "projects/p/logs/stdout", "resource": {"type": "k8s_container"}}).entry["jsonPayload"]
    assert (k8s["tel"], k8s["pan"]) == ("010-1234-5678", "[REDACTED:payment_card]")


def test_quoted_keys_with_dots_and_globs_in_a_segment():
    redact = redactor(rule(paths=['labels."app.kubernetes.io/owner"', "jsonPayload.*Email"]))
    entry = {"labels": {"app.kubernetes.io/owner": "a@x.io", "other": "b@x.io"}, "jsonPayload": {"userEmail": "c@x.io", "note": "d@x.io"}}
    out = redact.apply(entry).entry
    assert out["labels"] == {"app.kubernetes.io/owner": "[REDACTED:email]", "other": "b@x.io"}
    assert out["jsonPayload"] == {"userEmail": "[REDACTED:email]", "note": "d@x.io"}


def test_rule_set_per_destination():
    redact = redactor(rule() + '[[destinations.bigquery.rules]]\nname = "email"\naction = "hash"\n')
    entry = {"textPayload": "a@example.com"}
    assert redact.apply(entry, "elasticsearch").entry["textPayload"] == "[REDACTED:email]"
    assert redact.apply(entry).entry["textPayload"] == "[REDACTED:email]"
    assert redact.apply(entry, "bigquery").entry["textPayload"].startswith("hmac:")


def test_overlaps_go_to_the_rule_listed_first_and_allow_lists_hold():
    jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
    result = Redactor.default(environ={}).apply(
        {"jsonPayload": {"h": f"Authorization: Bearer {jwt}", "sa": "svc@proj.iam.gserviceaccount.com", "kr": "+82 10-1234-5678"}}
    )
    assert result.entry["jsonPayload"] == {
        "h": "Authorization: Bearer [REDACTED:jwt]",
        "sa": "svc@proj.iam.gserviceaccount.com",
        "kr": "[REDACTED:phone_kr]",
    }
    assert result.fired == {"jwt": 1, "phone_kr": 1}


def test_numbers_stored_as_json_numbers():
    result = Redactor.default(environ={}).apply({"jsonPayload": {"pan": 4111111111111111, "count": 12, "ok": True, "big": 10**30}})
    assert result.entry["jsonPayload"] == {"pan": "[REDACTED:payment_card]", "count": 12, "ok": True, "big": 10**30}


def test_hostile_shapes_do_not_crash():
    redact = Redactor.default(environ={})
    for entry in ({"jsonPayload": "not a dict"}, {"jsonPayload": None}, {"labels": ["a@x.io"]}, {"resource": "x", "logName": 5}, {"jsonPayload": {1: "a@x.io"}}):
        redact.apply(entry)
    deep: dict = {"x": "a@x.io"}
    for _ in range(600):
        deep = {"d": deep}
    with pytest.raises(NormalizeError, match="nested deeper"):
        redact.apply({"jsonPayload": deep})


def test_redact_text_for_dead_letters():
    redact = Redactor.default(environ={})
    assert redact.redact_text('{"data": "call 010-1234-5678, mail a.b@c.com"}') == '{"data": "call [REDACTED:phone_kr], mail [REDACTED:email]"}'


CORPUS = sorted(glob.glob(os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "corpus", "entries", "*.jsonl")))


def corpus_entries():
    assert CORPUS, "the shared corpus (../shared/corpus/entries) is missing"
    return [orjson.loads(line) for path in CORPUS for line in open(path, "rb") if line.strip()]


def test_default_rules_on_the_corpus():
    redact = Redactor.default(environ={})
    emails = 0
    for entry in corpus_entries():
        result = redact.apply(entry)
        emails += result.fired.get("email", 0)
        text = orjson.dumps(result.entry).decode()
        assert "fakeemailxyz@gmail.com" not in text
    assert emails > 0
