"""The entry prefilter only skips work: with it, results equal a full walk with every rule.

The reference redactor adds a rule whose detector has no literal trigger; that turns the
prefilter off (every rule is a candidate, every entry is walked) without changing what the
other rules do.
"""
from pathlib import Path

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.redact import Redactor
from bridge.redaction.rules import load_rule_file, parse_rules

DEFAULT_RULES = Path(__file__).resolve().parents[2] / "bridge" / "redaction" / "default_rules.toml"
QUALITY_SET = Path(__file__).resolve().parents[1] / "redaction"
ALL_DETECTORS = "".join(
    f'[[rules]]\nname = "{d}"\ndetector = "{d}"\naction = "mask"\n'
    for d in ("gcp_private_key", "gcp_api_key", "jwt", "bearer_token", "kr_rrn", "payment_card", "phone_kr", "phone_international", "email", "ipv4")
)
NO_TRIGGER = '[detectors.never]\npattern = "(?!)x"\n[[rules]]\nname = "walk_everything"\ndetector = "never"\naction = "mask"\n'


def pair(rules_text: str) -> tuple[Redactor, Redactor]:
    return Redactor(parse_rules(rules_text)), Redactor(parse_rules(rules_text + NO_TRIGGER))


DEFAULT_TEXT = DEFAULT_RULES.read_text()
FAST, FULL = pair(DEFAULT_TEXT)
FAST_ALL, FULL_ALL = pair(ALL_DETECTORS)


def same(entry: dict) -> None:
    for fast, full in ((FAST, FULL), (FAST_ALL, FULL_ALL)):
        a, b = fast.apply(entry), full.apply(entry)
        assert (a.entry, dict(a.fired)) == (b.entry, dict(b.fired)), orjson.dumps(entry)[:300]


def test_the_reference_really_walks_everything():
    assert len(load_rule_file(DEFAULT_RULES).default) + 1 == len(parse_rules(DEFAULT_TEXT + NO_TRIGGER).default)
    entry = {"textPayload": "nothing to see"}
    assert FULL.apply(entry).entry is entry


# Where text lands in an entry, and what may stand right next to it once serialised.
SHAPES = [
    lambda t: {"textPayload": t},
    lambda t: {"jsonPayload": {"a": {"b": [t, {"c": t}]}}},
    lambda t: {"labels": {"k": t}, "httpRequest": {"requestUrl": t}},
    lambda t: {"protoPayload": {"request": {"items": [[t]]}}},
]
EDGES = ["", "\n", "\t", "\x01", "\x1b[31m", '"', "\\", "é", "가", "x", "9", "-", " "]


def quality_texts() -> list[str]:
    texts = []
    for name in ("positives.jsonl", "negatives.jsonl"):
        texts += [orjson.loads(line)["text"] for line in (QUALITY_SET / name).read_bytes().splitlines() if line.strip()]
    return texts


def test_a_bare_thirteen_digit_korean_number_and_an_address_longer_than_the_window():
    """Two misses the native engine's differential tests found: the prefilter let both entries pass unredacted."""
    for text in ("sms to 8201012345678", "to a@" + "a1." * 60 + "com", "to a%40" + "b-c." * 50 + "kr"):
        same({"textPayload": text})
        assert FAST.apply({"textPayload": text}).fired, text


def test_same_results_on_the_quality_set_in_every_shape():
    for number, text in enumerate(quality_texts()):
        before, after = EDGES[number % len(EDGES)], EDGES[(number * 7 + 3) % len(EDGES)]
        same(SHAPES[number % len(SHAPES)](before + text + after))


def test_same_results_on_the_corpus():
    corpus = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "entries"
    files = sorted(corpus.glob("*.jsonl"))
    assert files, f"the shared corpus is missing at {corpus}"
    for path in files:
        for line in path.read_bytes().splitlines():
            if line.strip():
                same(orjson.loads(line))


PIECES = st.sampled_from(
    ["010", "-", " ", ".", "1234", "5678", "+82", "+1", "(02)", "4111", "1111", "850315", "1234566", "@", "%40", "a", "b.com",
     "example", "\n", "\t", "\x01", "\u001b", "\\", '"', "가", "Bearer ", "abcDEF123456ghiJKL789", "eyJ", "AIza", "9", "0", ":", "/"]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(PIECES, min_size=1, max_size=24), st.integers(0, len(SHAPES) - 1))
def test_same_results_on_generated_text(pieces, shape):
    same(SHAPES[shape]("".join(pieces)))
