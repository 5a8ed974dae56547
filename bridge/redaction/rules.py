"""The rules file (TOML): read, check and resolve it into typed rule sets.

    version = 1

    [settings]
    mask = "[REDACTED:{label}]"   # {label}: the detector's name, or the rule's `label`
    hash_prefix = "hmac:"
    hash_length = 16              # hex characters of the HMAC-SHA256 kept
    paths = ["textPayload", "jsonPayload", ...]   # scope of rules that name none

    [detectors.employee_id]       # user-defined; built-in detectors need no entry
    pattern = 'EMP-[0-9]{6}'
    literals = ["EMP-"]           # strings every match contains (makes skipping cheap)

    [[rules]]                     # the default set, in priority order
    name = "email"
    detector = "email"            # omit it to act on the whole field at `paths`
    action = "mask"               # mask | hash | drop
    allow = ["*@*.gserviceaccount.com"]   # matched values left as they are

    [[destinations.bigquery.rules]]   # changes for one destination
    name = "email"                # an existing name: the given keys replace the default's
    action = "hash"               # enabled = false removes the rule there

Every problem raises ConfigError naming the rule (or detector) and what is wrong.
"""
from __future__ import annotations

import fnmatch
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from ..errors import ConfigError
from .detectors import BUILTIN, Detector, pattern_detector
from .paths import PathSyntaxError, Segment, parse_path

ACTIONS = ("mask", "hash", "drop")
_TOP_KEYS = {"version", "settings", "detectors", "rules", "destinations"}
_SETTING_KEYS = {"mask", "hash_prefix", "hash_length", "paths", "exclude_paths"}
_DETECTOR_KEYS = {"pattern", "literals", "ignore_case", "group", "min_length"}
_RULE_KEYS = {
    "name", "detector", "action", "paths", "exclude_paths", "log_names", "resource_types",
    "allow", "label", "replacement", "enabled",
}
_DEFAULT_PATHS = ("textPayload", "jsonPayload", "protoPayload", "labels")


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    detector: Detector | None  # None: acts on the whole field its paths name
    action: str
    paths: tuple[tuple[Segment, ...], ...]
    exclude_paths: tuple[tuple[Segment, ...], ...]
    log_names: re.Pattern[str] | None  # None: every log
    resource_types: re.Pattern[str] | None
    allow: re.Pattern[str] | None
    replacement: str  # what `mask` writes


@dataclass(frozen=True, slots=True)
class HashSettings:
    prefix: str
    length: int


@dataclass(frozen=True, slots=True)
class RuleFile:
    default: tuple[Rule, ...]
    destinations: Mapping[str, tuple[Rule, ...]]
    hashing: HashSettings

    def uses_hash(self) -> bool:
        return any(r.action == "hash" for rules in (self.default, *self.destinations.values()) for r in rules)


def load_rule_file(path: str | Path) -> RuleFile:
    try:
        raw = Path(path).read_bytes()
    except OSError as error:
        raise ConfigError(f"cannot read redaction rules {path}: {error.strerror}", reason="redaction_rules") from None
    return parse_rules(raw.decode("utf-8", errors="replace"), source=str(path))


def parse_rules(text: str, source: str = "<rules>") -> RuleFile:
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise _error(source, f"not valid TOML: {error}") from None
    _only(document, _TOP_KEYS, source, "the file")
    if document.get("version", 1) != 1:
        raise _error(source, f"version {document.get('version')!r} is not supported (expected 1)")
    settings = _table(document.get("settings", {}), source, "[settings]")
    _only(settings, _SETTING_KEYS, source, "[settings]")
    mask = _string(settings.get("mask", "[REDACTED:{label}]"), source, "settings.mask")
    hashing = HashSettings(
        prefix=_string(settings.get("hash_prefix", "hmac:"), source, "settings.hash_prefix"),
        length=settings.get("hash_length", 16),
    )
    if not isinstance(hashing.length, int) or isinstance(hashing.length, bool) or not 8 <= hashing.length <= 64:
        raise _error(source, "settings.hash_length must be an integer from 8 to 64")
    scope = {
        "paths": _strings(settings.get("paths", list(_DEFAULT_PATHS)), source, "settings.paths"),
        "exclude_paths": _strings(settings.get("exclude_paths", []), source, "settings.exclude_paths"),
    }
    detectors = dict(BUILTIN)
    for name, spec in _table(document.get("detectors", {}), source, "[detectors]").items():
        if name in BUILTIN:
            raise _error(source, f"detector {name!r}: a built-in detector has that name")
        detectors[name] = _user_detector(name, _table(spec, source, f"detector {name!r}"), source)

    raw_rules = _rule_list(document.get("rules", []), source, "rules")
    default = _resolve(raw_rules, {}, detectors, scope, mask, source, "")
    destinations = {}
    for destination, table in _table(document.get("destinations", {}), source, "[destinations]").items():
        table = _table(table, source, f"destination {destination!r}")
        _only(table, {"rules"}, source, f"destination {destination!r}")
        changes = _rule_list(table.get("rules", []), source, f"destinations.{destination}.rules")
        destinations[destination] = _resolve(raw_rules, changes, detectors, scope, mask, source, f" for destination {destination!r}")
    return RuleFile(default, destinations, hashing)


def _resolve(
    raw_rules: list[dict[str, Any]],
    changes: list[dict[str, Any]],
    detectors: Mapping[str, Detector],
    scope: Mapping[str, list[str]],
    mask: str,
    source: str,
    where: str,
) -> tuple[Rule, ...]:
    """The default rules with one destination's changes merged by name, then compiled."""
    merged = {r["name"]: dict(r) for r in raw_rules}
    for change in changes:
        merged[change["name"]] = {**merged.get(change["name"], {}), **change}
    return tuple(
        _rule(spec, detectors, scope, mask, source, where)
        for spec in merged.values()
        if spec.get("enabled", True)
    )


def _rule_list(value: Any, source: str, where: str) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise _error(source, f"{where} must be an array of tables ([[{where}]])")
    rules = []
    names = set()
    for position, spec in enumerate(value, 1):
        spec = _table(spec, source, f"{where} #{position}")
        name = spec.get("name")
        if not isinstance(name, str) or not name:
            raise _error(source, f"{where} #{position} needs a non-empty string `name`")
        if name in names:
            raise _error(source, f"rule {name!r}: the name is used twice in {where}")
        names.add(name)
        _only(spec, _RULE_KEYS, source, f"rule {name!r}")
        rules.append(spec)
    return rules


def _rule(spec: Mapping[str, Any], detectors: Mapping[str, Detector], scope: Mapping[str, list[str]], mask: str, source: str, where: str) -> Rule:
    name = spec["name"]
    what = f"rule {name!r}{where}"
    detector_name = spec.get("detector")
    detector = None
    if detector_name is not None:
        detector = detectors.get(_string(detector_name, source, f"{what}: detector"))
        if detector is None:
            known = ", ".join(sorted(detectors))
            raise _error(source, f"{what}: unknown detector {detector_name!r} (known: {known})")
    elif "paths" not in spec:
        raise _error(source, f"{what}: needs a `detector`, or `paths` naming the fields it acts on")
    action = spec.get("action")
    if action not in ACTIONS:
        raise _error(source, f"{what}: action must be one of {', '.join(ACTIONS)} (got {action!r})")
    label = _string(spec.get("label", detector_name or name), source, f"{what}: label")
    replacement = spec.get("replacement")
    if replacement is None:
        try:
            replacement = mask.format(label=label)
        except (KeyError, IndexError, ValueError) as error:
            raise _error(source, f"settings.mask: cannot fill it in ({error!r}); only {{label}} is known") from None
    return Rule(
        name=name,
        detector=detector,
        action=action,
        paths=_paths(spec.get("paths", scope["paths"]), source, f"{what}: paths"),
        exclude_paths=_paths(spec.get("exclude_paths", scope["exclude_paths"]), source, f"{what}: exclude_paths"),
        log_names=_globs(spec.get("log_names"), source, f"{what}: log_names"),
        resource_types=_globs(spec.get("resource_types"), source, f"{what}: resource_types"),
        allow=_globs(spec.get("allow"), source, f"{what}: allow", re.IGNORECASE),
        replacement=_string(replacement, source, f"{what}: replacement"),
    )


def _user_detector(name: str, spec: Mapping[str, Any], source: str) -> Detector:
    what = f"detector {name!r}"
    _only(spec, _DETECTOR_KEYS, source, what)
    pattern = _string(spec.get("pattern"), source, f"{what}: pattern")
    literals = spec.get("literals")
    if literals is not None:
        literals = tuple(_strings(literals, source, f"{what}: literals"))
        if not literals or not all(literals):
            raise _error(source, f"{what}: literals must be non-empty strings")
    group = spec.get("group", 0)
    if not isinstance(group, (int, str)) or isinstance(group, bool):
        raise _error(source, f"{what}: group must be a group number or name")
    try:
        detector = pattern_detector(
            name,
            pattern,
            ignore_case=bool(spec.get("ignore_case", False)),
            group=group,
            literals=literals,
            min_length=int(spec.get("min_length", 1)),
        )
    except re.error as error:
        raise _error(source, f"{what}: pattern is not a valid regular expression ({error})") from None
    except ValueError as error:
        raise _error(source, f"{what}: {error}") from None
    return detector


def _paths(value: Any, source: str, where: str) -> tuple[tuple[Segment, ...], ...]:
    try:
        return tuple(parse_path(p) for p in _strings(value, source, where))
    except PathSyntaxError as error:
        raise _error(source, f"{where}: {error}") from None


def _globs(value: Any, source: str, where: str, flags: int = 0) -> re.Pattern[str] | None:
    if value is None:
        return None
    patterns = _strings(value, source, where)
    if not patterns:
        raise _error(source, f"{where} is empty; leave it out to mean every value")
    return re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in patterns), flags)


def _table(value: Any, source: str, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _error(source, f"{where} must be a table")
    return value


def _string(value: Any, source: str, where: str) -> str:
    if not isinstance(value, str):
        raise _error(source, f"{where} must be a string (got {type(value).__name__})")
    return value


def _strings(value: Any, source: str, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _error(source, f"{where} must be a list of strings")
    return value


def _only(table: Mapping[str, Any], allowed: set[str], source: str, where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise _error(source, f"{where}: unknown key(s) {', '.join(unknown)} (allowed: {', '.join(sorted(allowed))})")


def _error(source: str, problem: str) -> ConfigError:
    return ConfigError(f"redaction rules {source}: {problem}", reason="redaction_rules")
