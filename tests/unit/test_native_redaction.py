"""The native redaction engine (bridge_native.Redaction) against the Python redactor.

Wherever the native engine does not decline an entry, the rewritten entry (key order
included) and the counts per rule must be the Python redactor's. With the default rules it
may decline nothing in the labelled quality set or the corpus.
"""
import copy
from pathlib import Path

import bridge_native  # noqa: F401  (no module: every test here fails, none is skipped)
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.errors import NormalizeError
from bridge.redact import Redactor
from bridge.redaction.detectors import BUILTIN
from bridge.redaction.keys import key_from_environment
from bridge.native import NATIVE_ENV
from bridge.redaction.native import native_rules, rules_spec
from bridge.redaction.rules import parse_rules
from tests.unit.test_redact_apply import rule

QUALITY_SET = Path(__file__).resolve().parents[1] / "redaction"
CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "entries"
KEY_ENV = {"BRIDGE_REDACTION_HMAC_KEY": "test-key-1"}
DEFAULT_TEXT = (Path(__file__).resolve().parents[2] / "bridge" / "redaction" / "default_rules.toml").read_text()
BUILTIN_ORDER = ("gcp_private_key", "gcp_api_key", "jwt", "bearer_token", "kr_rrn", "payment_card", "phone_kr", "phone_international", "email", "ipv4", "ipv6")


def pair(rules_text: str) -> tuple[Redactor, object]:
    redactor = Redactor(parse_rules(rules_text), key_from_environment(KEY_ENV))
    native = native_rules(redactor)
    assert native is not None, "these rules must run natively"
    return redactor, native


def compare(redactor: Redactor, native, entry: dict, destination: str | None = None, *, may_decline: bool = True) -> bool:
    """True when native gave the Python result; False when it declined (if it may)."""
    raw = orjson.dumps(entry)
    result = native.apply_json(raw, destination)
    if result is None:
        assert may_decline, f"declined: {raw[:300]!r}"
        return False
    expected = redactor.apply(copy.deepcopy(entry), destination)
    out, fired = result
    if out is None:
        assert (fired, dict(expected.fired), expected.entry) == (None, {}, entry), raw[:300]
    else:
        assert orjson.dumps(orjson.loads(out)) == orjson.dumps(expected.entry), raw[:300]
        assert fired == dict(expected.fired), raw[:300]
    return True


DEFAULT = pair(DEFAULT_TEXT)
EVERY_DETECTOR = pair("".join(rule(d, d) for d in BUILTIN_ORDER))


def quality_items() -> list[dict]:
    items = []
    for name in ("positives.jsonl", "negatives.jsonl", "handwritten.jsonl"):
        items += [orjson.loads(line) for line in (QUALITY_SET / name).read_bytes().splitlines() if line.strip()]
    return items


def corpus_entries() -> list[dict]:
    files = sorted(CORPUS.glob("*.jsonl"))
    assert files, f"the shared corpus is missing at {CORPUS}"
    return [orjson.loads(line) for path in files for line in path.read_bytes().splitlines() if line.strip()]


# Where a text lands in an entry: payloads at any depth, lists, labels, the request URL, keys.
SHAPES = [
    lambda t: {"logName": "projects/q/logs/set", "textPayload": t},
    lambda t: {"jsonPayload": {"a": {"b": [t, {"c": t}], "n": 5}}},
    lambda t: {"labels": {"k": t, t: "key, not value"}, "httpRequest": {"requestUrl": t, "status": 200}},
    lambda t: {"protoPayload": {"request": {"items": [[t], []], "@type": "x"}}},
    lambda t: {"jsonPayload": {"message": t, "list": [t, 1, None, True, 2.5]}, "sourceLocation": {"file": t}},
]
EDGES = ["", "\n", "\t", "\x01", "\x1b[31m", '"', "\\", "é", "가", "x", "9", "-", " ", "+", "@", "(", "."]


def test_default_rules_on_the_quality_set_never_decline():
    fired = 0
    for number, item in enumerate(quality_items()):
        before, after = EDGES[number % len(EDGES)], EDGES[(number * 7 + 3) % len(EDGES)]
        for text in (item["text"], before + item["text"] + after):
            entry = SHAPES[number % len(SHAPES)](text)
            compare(*DEFAULT, entry, may_decline=False)
            fired += bool(DEFAULT[0].apply(entry).fired)
    assert fired > 1000  # the set is mostly positives: most entries were rewritten


def test_each_builtin_detector_alone_on_the_quality_set():
    """As bench/redaction_quality.py measures them: one rule, on textPayload."""
    items = quality_items()
    for name in BUILTIN:
        pair_ = pair(rule(name, name, paths=["textPayload"]))
        for item in items:
            compare(*pair_, {"logName": "projects/quality/logs/set", "textPayload": item["text"]}, may_decline=False)


def test_every_detector_on_the_quality_set_in_every_shape():
    declined = 0
    for number, item in enumerate(quality_items()):
        edge = EDGES[(number * 5 + 1) % len(EDGES)]
        declined += not compare(*EVERY_DETECTOR, SHAPES[(number + 2) % len(SHAPES)](edge + item["text"] + edge))
    assert declined <= 5


def test_default_rules_on_the_corpus_never_decline():
    entries = corpus_entries()
    assert len(entries) >= 100
    for entry in entries:
        compare(*DEFAULT, entry, may_decline=False)
        compare(*EVERY_DETECTOR, entry)


def test_the_corpus_with_positives_planted_at_any_depth():
    positives = [item["text"] for item in quality_items() if item.get("value")][::7]
    for number, entry in enumerate(corpus_entries()):
        planted = copy.deepcopy(entry)
        text = positives[number % len(positives)]
        target = planted.setdefault("jsonPayload", {}) if isinstance(planted.get("jsonPayload"), dict) else planted
        target["planted"] = {"deep": [{"deeper": [text, 4111111111111111, 9512252345678]}]}
        planted.setdefault("labels", {})["planted"] = text
        compare(*DEFAULT, planted, may_decline=False)
        compare(*EVERY_DETECTOR, planted)


def test_integers_are_scanned_from_ten_to_the_eighth():
    for value in (4111111111111111, -4111111111111111, 99999999, 100000000, 821012345678, 1234567890123, 9512252345678, 2**63 - 1, -(2**63)):
        compare(*DEFAULT, {"jsonPayload": {"n": value, "in": [value]}}, may_decline=False)
    compare(*DEFAULT, {"jsonPayload": {"pan": 4111111111111111, "count": 12, "ok": True, "f": 4111111111111111.0}}, may_decline=False)


def test_keys_are_paths_not_values():
    entry = {"jsonPayload": {"a@example.com": "x", "4111 1111 1111 1111": {"010-1234-5678": "y"}}}
    compare(*DEFAULT, entry, may_decline=False)
    assert native_apply(DEFAULT[1], entry) == (None, None)


def native_apply(native, entry: dict, destination: str | None = None):
    return native.apply_json(orjson.dumps(entry), destination)


def test_too_deep_entries_are_declined_where_python_refuses_them():
    deep: dict = {"x": "a@x.io"}
    for _ in range(250):
        deep = {"d": deep}
    with pytest.raises(NormalizeError):
        DEFAULT[0].apply({"jsonPayload": deep})
    assert native_apply(DEFAULT[1], {"jsonPayload": deep}) is None


HASHED = pair(DEFAULT_TEXT.replace('action = "mask"', 'action = "hash"') + rule("ipv4", "ipv4", "hash") + rule("ipv6", "ipv6", "hash"))
DROPPED = pair(DEFAULT_TEXT.replace('name = "email"\ndetector = "email"\naction = "mask"', 'name = "email"\ndetector = "email"\naction = "drop"'))
SCOPED = pair(
    '[settings]\nmask = "<{label}>"\nhash_prefix = "h/"\nhash_length = 10\n'
    + rule("user_only", "email", paths=["jsonPayload.user", "jsonPayload.**.mail"], exclude_paths=["jsonPayload.user.admin"])
    + rule("audit_only", "phone_kr", log_names=["projects/*/logs/cloudaudit.googleapis.com/activity"])
    + rule("k8s_only", "payment_card", resource_types=["k8s_*"])
    + rule("quoted", "email", paths=['labels."app.kubernetes.io/owner"', "jsonPayload.*Email", "jsonPayload.l?st.*"])
    + rule("secret", "", "hash", paths=["jsonPayload.secret", "labels.token"])
    + rule("gone", "", "drop", paths=["jsonPayload.password"])
    + rule("hidden", "", "mask", paths=["jsonPayload.hidden"], replacement="***")
    + rule("staff", "email", "hash", allow=["*@corp.example", "boss@*"], label="mail")
    + '[detectors.employee]\npattern = "EMP-(?P<id>[0-9]{6})"\nliterals = ["EMP-"]\ngroup = "id"\nmin_length = 10\n'
    + rule("employee", "employee")
    + '[detectors.ticket]\npattern = "tk[a-f]{3,}"\nignore_case = true\n'
    + rule("ticket", "ticket", "hash", paths=["textPayload", "jsonPayload"])
    + rule("ip", "ipv4", exclude_paths=["protoPayload.requestMetadata.callerIp"])
    + '[[destinations.bigquery.rules]]\nname = "staff"\naction = "mask"\n'
    + '[[destinations.bigquery.rules]]\nname = "k8s_only"\nenabled = false\n'
    + '[[destinations.bigquery.rules]]\nname = "extra"\ndetector = "jwt"\naction = "drop"\n'
)
VARIANTS = {"default": DEFAULT, "every": EVERY_DETECTOR, "hashed": HASHED, "dropped": DROPPED, "scoped": SCOPED}
DESTINATIONS = (None, "elasticsearch", "bigquery")


def test_hash_and_drop_variants_on_the_quality_set_and_the_corpus():
    texts = [item["text"] for item in quality_items()]
    for number, text in enumerate(texts):
        entry = SHAPES[number % len(SHAPES)](text)
        compare(*HASHED, entry, may_decline=False)
        compare(*DROPPED, entry, may_decline=False)
    for entry in corpus_entries():
        compare(*HASHED, entry, may_decline=False)
        compare(*DROPPED, entry, may_decline=False)


SCOPED_ENTRY = {
    "logName": "projects/p/logs/cloudaudit.googleapis.com%2Factivity",
    "resource": {"type": "gce_instance"},
    "labels": {"app.kubernetes.io/owner": "a@x.io", "other": "b@x.io", "token": "t0k3n"},
    "jsonPayload": {
        "user": {"mail": "a@x.io", "admin": "b@x.io"},
        "other": "c@x.io boss@x.io d@corp.example",
        "deep": {"er": {"mail": ["e@x.io", {"mail": "f@x.io"}]}},
        "tel": "010-1234-5678",
        "pan": "4111 1111 1111 1111",
        "userEmail": "g@x.io",
        "list": ["h@x.io", {"k": "i@x.io"}],
        "secret": {"b": [1, "two", None], "a": True},
        "password": "hunter2",
        "hidden": ["x", 3],
        "emp": "id EMP-123456 and emp-654321",
        "tickets": "TKABC tkdef tk-1 tKFFf",
    },
    "protoPayload": {"requestMetadata": {"callerIp": "10.1.2.3"}, "ip": "10.1.2.3 and version 1.2.3.4"},
    "textPayload": "ticket TkAbC from 192.168.0.1",
}


def test_scopes_whole_fields_allow_lists_user_patterns_and_destinations():
    for destination in DESTINATIONS:
        assert compare(*SCOPED, SCOPED_ENTRY, destination)
        k8s = {**SCOPED_ENTRY, "logName": "projects/p/logs/stdout", "resource": {"type": "k8s_container"}}
        assert compare(*SCOPED, k8s, destination)
        assert compare(*SCOPED, {**SCOPED_ENTRY, "logName": 5, "resource": "x"}, destination)
    assert orjson.loads(native_apply(SCOPED[1], SCOPED_ENTRY)[0])["jsonPayload"]["emp"] == "id EMP-<employee> and emp-654321"


def test_secret_manager_key_is_read_the_way_the_redactor_reads_it():
    fetched = []
    redactor = Redactor(parse_rules(rule("email", "email", "hash")), key_from_environment({"BRIDGE_REDACTION_HMAC_SECRET": "projects/p/secrets/s"}, lambda name: fetched.append(name) or b"k"))
    native = native_rules(redactor)
    assert fetched == ["projects/p/secrets/s/versions/latest"]
    assert compare(redactor, native, {"textPayload": "mail a@b.com"})
    assert native_rules(Redactor(parse_rules(rule("email", "email")), None)) is not None  # no hash: no key needed
    failing = Redactor(parse_rules(rule("email", "email", "hash")), key_from_environment({"BRIDGE_REDACTION_HMAC_SECRET": "projects/p/secrets/s"}, lambda name: 1 / 0))
    assert native_rules(failing) is None  # the Python path reports the failure where it happens


@pytest.mark.filterwarnings("ignore:Possible nested set:FutureWarning")
def test_rule_sets_that_cannot_run_natively_give_none(monkeypatch):
    for pattern, extra in (
        (r"(?<=id=)[0-9]{6}", ""),  # look-behind
        (r"\w+@corp", ""),  # Python's \w differs from Rust's
        (r"x\s+y", ""),
        (r"\bid[0-9]+", ""),
        (r"id[0-9]+$", ""),  # $ also before a final newline in Python
        (r"(a)\1", ""),
        (r"[[a]b]", ""),
        (r"id[0-9]{,3}", ""),
        (r"EMP-[0-9]+", 'literals = ["EMP\\""]\n'),  # a literal the prefilter reads escaped
    ):
        text = f"[detectors.d]\npattern = '{pattern}'\n{extra}" + rule("d", "d")
        assert native_rules(Redactor(parse_rules(text))) is None, pattern
    assert native_rules(DEFAULT[0]) is not None
    monkeypatch.setenv(NATIVE_ENV, "off")
    assert native_rules(DEFAULT[0]) is None


def test_the_spec_names_every_rule_of_every_destination():
    spec = orjson.loads(rules_spec(SCOPED[0]))
    assert [r["name"] for r in spec["default"]][:3] == ["user_only", "audit_only", "k8s_only"]
    assert "k8s_only" not in [r["name"] for r in spec["destinations"]["bigquery"]]
    assert spec["hmac_key"] == b"test-key-1".hex()


PIECES = st.sampled_from(
    ["010", "-", " ", ".", "1234", "5678", "+82", "+1", "+44 20 7946 0958", "(02)", "(0)", "4111", "1111", "4111111111111111", "850315", "1234566",
     "9512252345678", "821012345678", "@", "%40", "a", "b.com", ".png", "example", "gserviceaccount.com", "\n", "\t", "\x01", "\u001b", "\\", '"',
     "가", "é", "\u2028", "\u3000", "Bearer ", "bearer%20", "ya29.", "abcDEF123456ghiJKL789", "eyJ", "eyJhbGciOiJIUzI1NiJ9", ".eyJzdWIiOiIxIn0.",
     "AIza", "SyD-abcdefghijklmnopqrstuvwxyz01234", "-----BEGIN PRIVATE KEY-----", "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC", "-----END PRIVATE KEY-----",
     "9", "0", ":", "::", "fe80", "/", "v", "version ", "192.168.0.1", "10.0.0", "EMP-", "TKabc", "_", "=", "%", "2001:db8::1"]
)


@settings(max_examples=600, deadline=None)
@given(st.lists(PIECES, min_size=1, max_size=24), st.integers(0, len(SHAPES) - 1), st.sampled_from(sorted(VARIANTS)), st.sampled_from(DESTINATIONS))
def test_generated_texts(pieces, shape, variant, destination):
    compare(*VARIANTS[variant], SHAPES[shape]("".join(pieces)), destination)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("0123456789 -.+()@%abAB:/eyJz가\n"), max_size=60), st.integers(0, len(SHAPES) - 1))
def test_random_separators_and_near_misses(text, shape):
    for variant in (DEFAULT, EVERY_DETECTOR):
        compare(*variant, SHAPES[shape](text))


def test_declines_an_unbroken_thirteen_digit_run_and_an_address_past_the_window():
    """Two cases the Python prefilter used to pass over (fixed there since): the native engine
    leaves them to Python, which redacts them."""
    bare = {"textPayload": "sms to 8201012345678"}
    assert DEFAULT[0].apply(bare).fired == {"phone_kr": 1}
    assert native_apply(DEFAULT[1], bare) is None
    assert native_apply(DEFAULT[1], {"textPayload": "sms to 82 010 1234 5678"}) is not None
    long_domain = {"textPayload": "to a@" + "a1." * 60 + "com"}
    assert DEFAULT[0].apply(long_domain).fired == {"email": 1}
    assert native_apply(DEFAULT[1], long_domain) is None
    compare(*DEFAULT, {"textPayload": "to a@" + "a1." * 40 + "com"}, may_decline=False)


def test_user_patterns_keep_their_meaning():
    redactor, native = pair('[detectors.tag]\npattern = \'<id\\>[0-9]+\'\n' + rule("tag", "tag") + '[detectors.ci]\npattern = "ab[0-9]"\nignore_case = true\n' + rule("ci", "ci"))
    for text in ("x <id>123 y", "AB1 ab2 aB3", "AB1 ı", "<id>5 ſ"):
        compare(redactor, native, {"textPayload": text})
    assert native_apply(native, {"textPayload": "AB1 ı"}) is None  # case folding on non-ASCII goes to Python
    assert orjson.loads(native_apply(native, {"textPayload": "x <id>123 AB1"})[0]) == {"textPayload": "x [REDACTED:tag] [REDACTED:ci]"}
