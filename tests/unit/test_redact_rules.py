"""The rules file: the packaged default, per-destination changes, and clear errors."""
import pytest

from bridge.errors import ConfigError
from bridge.redact import Redactor
from bridge.redaction.detectors import BUILTIN
from bridge.redaction.rules import load_rule_file, parse_rules

RULE = '[[rules]]\nname = "email"\ndetector = "email"\naction = "mask"\n'


def test_default_rules_load_and_use_built_in_detectors():
    redactor = Redactor.default(environ={})
    rule_file = load_rule_file(__import__("bridge.redaction", fromlist=["x"]).__path__[0] + "/default_rules.toml")
    names = [r.name for r in rule_file.default]
    assert {"email", "phone_kr", "phone_international", "kr_rrn", "payment_card", "bearer_token", "jwt", "gcp_private_key", "gcp_api_key"} <= set(names)
    assert all(r.detector is BUILTIN[r.name] for r in rule_file.default)
    assert not rule_file.uses_hash()  # works with no key configured
    assert redactor.apply({"textPayload": "mail me: a.b@example.com"}).entry["textPayload"] == "mail me: [REDACTED:email]"


def test_destination_changes_merge_by_name():
    rule_file = parse_rules(
        RULE
        + '[[rules]]\nname = "cards"\ndetector = "payment_card"\naction = "mask"\n'
        + '[[destinations.bigquery.rules]]\nname = "email"\naction = "hash"\n'
        + '[[destinations.bigquery.rules]]\nname = "cards"\nenabled = false\n'
        + '[[destinations.bigquery.rules]]\nname = "ips"\ndetector = "ipv4"\naction = "drop"\n'
    )
    assert [(r.name, r.action) for r in rule_file.default] == [("email", "mask"), ("cards", "mask")]
    assert [(r.name, r.action) for r in rule_file.destinations["bigquery"]] == [("email", "hash"), ("ips", "drop")]
    assert rule_file.destinations["bigquery"][0].detector is BUILTIN["email"]  # kept from the default
    assert rule_file.uses_hash()


def test_user_defined_detector():
    rule_file = parse_rules(
        '[detectors.employee_id]\npattern = "EMP-[0-9]{6}"\nliterals = ["EMP-"]\n'
        '[[rules]]\nname = "employees"\ndetector = "employee_id"\naction = "mask"\n'
    )
    result = Redactor(rule_file).apply({"jsonPayload": {"who": "EMP-123456 signed in"}})
    assert result.entry["jsonPayload"]["who"] == "[REDACTED:employee_id] signed in"
    assert result.fired == {"employees": 1}


@pytest.mark.parametrize(
    "text, expected",
    [
        ("[[rules]\nname=", "not valid TOML"),
        ("version = 2\n", "version 2 is not supported"),
        ("colour = 1\n", "unknown key(s) colour"),
        ('[[rules]]\ndetector = "email"\naction = "mask"\n', "needs a non-empty string `name`"),
        (RULE + RULE, "rule 'email': the name is used twice"),
        ('[[rules]]\nname = "r"\ndetector = "emial"\naction = "mask"\n', "rule 'r': unknown detector 'emial'"),
        ('[[rules]]\nname = "r"\ndetector = "email"\naction = "blur"\n', "rule 'r': action must be one of mask, hash, drop (got 'blur')"),
        ('[[rules]]\nname = "r"\naction = "drop"\n', "rule 'r': needs a `detector`, or `paths`"),
        ('[[rules]]\nname = "r"\ndetector = "email"\naction = "mask"\npaths = ["jsonPayload..x"]\n', "rule 'r': paths"),
        ('[[rules]]\nname = "r"\ndetector = "email"\naction = "mask"\npaths = ["a**b"]\n', "'**' must be a whole segment"),
        ('[[rules]]\nname = "r"\ndetector = "email"\naction = "mask"\npaths = "textPayload"\n', "rule 'r': paths must be a list of strings"),
        ('[[rules]]\nname = "r"\ndetector = "email"\naction = "mask"\nlog_names = []\n', "rule 'r': log_names is empty"),
        ('[[rules]]\nname = "r"\ndetector = "email"\naction = "mask"\ncolour = "red"\n', "rule 'r': unknown key(s) colour"),
        ('[detectors.x]\npattern = "([a-z"\n', "detector 'x': pattern is not a valid regular expression"),
        ('[detectors.x]\npattern = "a*"\n', "detector 'x': pattern matches the empty string"),
        ('[detectors.x]\npattern = "a"\ngroup = 3\n', "detector 'x': pattern has no group 3"),
        ('[detectors.x]\npattern = "a"\nliterals = []\n', "detector 'x': literals must be non-empty strings"),
        ('[detectors.email]\npattern = "a"\n', "detector 'email': a built-in detector has that name"),
        ("[settings]\nhash_length = 4\n", "settings.hash_length must be an integer from 8 to 64"),
        ('[settings]\nmask = "[{name}]"\n' + RULE, "settings.mask: cannot fill it in"),
        ('[destinations.bigquery]\ncolour = 1\n', "destination 'bigquery': unknown key(s) colour"),
        ('[[destinations.bigquery.rules]]\nname = "new"\naction = "mask"\n', "rule 'new' for destination 'bigquery': needs a `detector`"),
    ],
)
def test_invalid_rules_name_the_rule_and_the_problem(text, expected):
    with pytest.raises(ConfigError) as raised:
        parse_rules(text, source="rules.toml")
    assert raised.value.reason == "redaction_rules"
    assert "rules.toml" in str(raised.value) and expected in str(raised.value)


def test_missing_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read redaction rules"):
        Redactor.from_file(tmp_path / "absent.toml")


def test_hash_without_a_key_fails_at_start():
    rule_file = parse_rules(RULE.replace('"mask"', '"hash"'))
    with pytest.raises(ConfigError, match="BRIDGE_REDACTION_HMAC_KEY or BRIDGE_REDACTION_HMAC_SECRET") as raised:
        Redactor(rule_file)
    assert raised.value.reason == "redaction_key"


def test_from_file_reads_the_key_from_the_environment(tmp_path):
    path = tmp_path / "rules.toml"
    path.write_text(RULE.replace('"mask"', '"hash"'))
    redactor = Redactor.from_file(path, environ={"BRIDGE_REDACTION_HMAC_KEY": "k1"})
    assert redactor.apply({"textPayload": "a@b.io"}).entry["textPayload"].startswith("hmac:")
