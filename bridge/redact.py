"""Redaction of personal data and secrets in raw LogEntry dicts, before normalization.

    redactor = Redactor.default()                 # packaged rules (bridge/redaction/default_rules.toml)
    result = redactor.apply(entry, "bigquery")    # RedactionResult(entry=..., fired={"email": 2})

`apply` never mutates its input: dicts and lists on a path that changed are copied, the rest
is shared. `fired` counts replacements per rule name, never values.

Speed: everything is compiled once. Per (destination, logName, resource type) a plan is
cached: the rules in force and their prefilter (bridge/redaction/prefilter.py), which tells
from the entry's fields in scope, serialised once, which rules can act at all. An entry with
no such rule is returned as it is; otherwise only those rules are walked over it, with an
automaton over field paths (cached per set of rules), strings scanned by the detectors
whose quick checks pass, and lists or objects holding none of their markers passed over.
"""
from __future__ import annotations

import bisect
import hmac
import urllib.parse
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Mapping

import orjson

from .errors import ConfigError, NormalizeError
from .redaction.keys import HmacKey, SecretFetch, key_from_environment
from .redaction.paths import PathAutomaton, PathState, Scoped, first_keys, last_keys
from .redaction.detectors import number_stretches
from .redaction.prefilter import build_prefilter
from .redaction.rules import HashSettings, Rule, RuleFile, load_rule_file

_DROP = object()  # returned by the walk for a field to remove
_MAX_DEPTH = 200  # deeper entries are hostile (and beyond what orjson writes); refusing them beats a RecursionError
_PLANS_PER_RULE_SET = 4096
_AUTOMATA_PER_PLAN = 256
_SMALLEST_SCANNED_INT = 10**8  # shorter numbers cannot hold a phone, card or RRN


@dataclass(frozen=True, slots=True)
class RedactionResult:
    entry: dict[str, Any]
    fired: Mapping[str, int]  # a plain dict, so that it serialises as it is


class _Context:
    """Per-apply state: counts of fired rules, the hash function, and the literals without
    which a whole list or object can be passed over (None: it cannot)."""

    __slots__ = ("fired", "_hash", "markers")

    def __init__(self, hash_value: Callable[[str], str], markers: tuple[bytes, ...] | None = None) -> None:
        self.fired: dict[str, int] = {}
        self._hash = hash_value
        self.markers = markers

    def count(self, rule: Rule, times: int = 1) -> None:
        self.fired[rule.name] = self.fired.get(rule.name, 0) + times

    def replacement(self, rule: Rule, canonical: str) -> str:
        return rule.replacement if rule.action == "mask" else self._hash(canonical)


class _Scanner:
    """The content rules in force at one field path; their order is their priority."""

    __slots__ = ("min_length", "_plain", "_numeric", "_numeric_length")

    def __init__(self, rules: tuple[Rule, ...]) -> None:
        ranked = list(enumerate(rules))
        self.min_length = min(r.detector.min_length for r in rules)  # type: ignore[union-attr]
        self._plain = tuple((p, r) for p, r in ranked if r.detector.find_in is None)  # type: ignore[union-attr]
        # Detectors of numbers share one pass that finds the stretches they can match in.
        self._numeric = tuple((p, r) for p, r in ranked if r.detector.find_in is not None)  # type: ignore[union-attr]
        self._numeric_length = min((r.detector.min_length for _, r in self._numeric), default=0)  # type: ignore[union-attr]

    def scan(self, text: str, context: _Context) -> Any:
        if len(text) < self.min_length:
            return text
        found: list[tuple[int, int, int, str, Rule]] = []
        for priority, rule in self._plain:
            detector = rule.detector
            if len(text) < detector.min_length:  # type: ignore[union-attr]
                continue
            quick = detector.quick  # type: ignore[union-attr]
            if quick is not None:
                for marker in quick:
                    if marker in text:
                        break
                else:
                    continue
            _keep(found, priority, rule, text, detector.find(text))  # type: ignore[union-attr]
        if self._numeric and len(text) >= self._numeric_length:
            stretches = number_stretches(text)
            if stretches:
                for priority, rule in self._numeric:
                    _keep(found, priority, rule, text, rule.detector.find_in(text, stretches))  # type: ignore[union-attr]
        if not found:
            return text
        return _replace(text, found, context)


def _keep(found: list[tuple[int, int, int, str, Rule]], priority: int, rule: Rule, text: str, spans: list[tuple[int, int, str]]) -> None:
    for start, end, canonical in spans:
        if rule.allow is None or not rule.allow.fullmatch(text[start:end]):
            found.append((priority, start, end, canonical, rule))


def _replace(text: str, found: list[tuple[int, int, int, str, Rule]], context: _Context) -> Any:
    """Overlapping finds go to the rule listed first; a drop removes the whole field."""
    found.sort(key=lambda f: (f[0], f[1]))
    chosen: list[tuple[int, int, str, Rule]] = []  # kept sorted by start; they never overlap
    starts: list[int] = []
    any_empty = False  # an empty find (a user pattern matching "") defeats the neighbour check
    for _, start, end, canonical, rule in found:
        at = bisect.bisect_right(starts, start)
        if any_empty or start == end:
            overlaps = not all(end <= s or start >= e for s, e, _, _ in chosen)
        else:  # non-empty, disjoint and sorted: only the neighbours by start can overlap
            overlaps = (at > 0 and chosen[at - 1][1] > start) or (at < len(chosen) and chosen[at][0] < end)
        if overlaps:
            continue
        if rule.action == "drop":
            context.count(rule)
            return _DROP
        starts.insert(at, start)
        chosen.insert(at, (start, end, canonical, rule))
        any_empty = any_empty or start == end
    parts = []
    position = 0
    for start, end, canonical, rule in chosen:
        parts.append(text[position:start])
        parts.append(context.replacement(rule, canonical))
        context.count(rule)
        position = end
    parts.append(text[position:])
    return "".join(parts)


def _whole_field(rule: Rule, value: Any, context: _Context) -> Any:
    context.count(rule)
    if rule.action == "drop":
        return _DROP
    canonical = value if isinstance(value, str) else orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    return context.replacement(rule, canonical)


def _scoped(rule: Rule) -> Scoped:
    return Scoped(rule.paths, rule.exclude_paths, rule.detector is None, rule)


def _automaton_root(rules: tuple[Rule, ...]) -> PathState[_Scanner]:
    return PathAutomaton([_scoped(r) for r in rules], lambda indices: _Scanner(tuple(rules[i] for i in indices))).root


class _Plan:
    """The rules in force for one log name and resource type, their prefilter, and an
    automaton for each subset of them the prefilter leaves as candidates."""

    __slots__ = ("rules", "prefilter", "_roots")

    def __init__(self, rules: tuple[Rule, ...]) -> None:
        self.rules = rules
        scoped = [_scoped(r) for r in rules]
        roots = first_keys(scoped)
        self.prefilter = build_prefilter(rules, None if roots is None else tuple(sorted(roots)), last_keys(scoped))
        self._roots: dict[frozenset[int], PathState[_Scanner]] = {}

    def root(self, candidates: frozenset[int]) -> tuple[PathState[_Scanner], tuple[bytes, ...] | None]:
        """The automaton for these rules, and the literals one of which any string they
        change contains (None when some rule has none, or acts on whole fields)."""
        found = self._roots.get(candidates)
        if found is None:
            if len(self._roots) >= _AUTOMATA_PER_PLAN:
                self._roots.clear()
            rules = tuple(self.rules[i] for i in sorted(candidates))
            markers = None
            if all(r.detector is not None and r.detector.quick is not None for r in rules):
                markers = tuple({q.encode() for r in rules for q in r.detector.quick})  # type: ignore[union-attr]
            found = self._roots[candidates] = (_automaton_root(rules), markers)
        return found


class _RuleSet:
    """One destination's rules, with plans cached per log name and resource type."""

    def __init__(self, rules: tuple[Rule, ...]) -> None:
        self._rules = rules
        self._plans: dict[tuple[Any, Any], _Plan] = {}
        self._by_subset: dict[tuple[int, ...], _Plan] = {}

    def plan(self, entry: dict[str, Any]) -> _Plan:
        log_name = entry.get("logName")
        resource = entry.get("resource")
        resource_type = resource.get("type") if isinstance(resource, dict) else None
        key = (log_name, resource_type)
        plan = self._plans.get(key)
        if plan is None:
            if len(self._plans) >= _PLANS_PER_RULE_SET:
                self._plans.clear()
            plan = self._plans[key] = self._make_plan(log_name, resource_type)
        return plan

    def _make_plan(self, log_name: Any, resource_type: Any) -> _Plan:
        names = (log_name, urllib.parse.unquote(log_name)) if isinstance(log_name, str) else ("",)
        resource_name = resource_type if isinstance(resource_type, str) else ""
        subset = tuple(
            i
            for i, rule in enumerate(self._rules)
            if (rule.log_names is None or any(rule.log_names.fullmatch(n) for n in names))
            and (rule.resource_types is None or rule.resource_types.fullmatch(resource_name))
        )
        plan = self._by_subset.get(subset)
        if plan is None:
            plan = self._by_subset[subset] = _Plan(tuple(self._rules[i] for i in subset))
        return plan


class Redactor:
    def __init__(self, rule_file: RuleFile, hmac_key: HmacKey | None = None) -> None:
        if rule_file.uses_hash() and hmac_key is None:
            raise ConfigError(
                "redaction rules use the hash action but no HMAC key is configured "
                "(set BRIDGE_REDACTION_HMAC_KEY or BRIDGE_REDACTION_HMAC_SECRET)",
                reason="redaction_key",
            )
        self.rule_file = rule_file  # read by the native core (bridge/redaction/native.py)
        self.hmac_key = hmac_key
        self._hashing: HashSettings = rule_file.hashing
        self._key = hmac_key
        self._default = _RuleSet(rule_file.default)
        content = tuple(replace(r, action="mask") if r.action == "drop" else r for r in rule_file.default if r.detector is not None)
        self._text_scanner = _Scanner(content) if content else None
        self._destinations = {name: _RuleSet(rules) for name, rules in rule_file.destinations.items()}

    @classmethod
    def from_file(
        cls,
        path: str | Path,
        *,
        environ: Mapping[str, str] | None = None,
        fetch_secret: SecretFetch | None = None,
    ) -> Redactor:
        """Rules from a TOML file; the HMAC key source from `environ` (default: os.environ)."""
        return cls(load_rule_file(path), key_from_environment(environ, fetch_secret))

    @classmethod
    def default(cls, *, environ: Mapping[str, str] | None = None, fetch_secret: SecretFetch | None = None) -> Redactor:
        with resources.as_file(resources.files("bridge.redaction") / "default_rules.toml") as path:
            return cls.from_file(path, environ=environ, fetch_secret=fetch_secret)

    def apply(self, entry: dict[str, Any], destination: str | None = None) -> RedactionResult:
        rule_set = self._destinations.get(destination, self._default) if destination is not None else self._default
        plan = rule_set.plan(entry)
        candidates = plan.prefilter.candidates(entry)
        if not candidates:
            return RedactionResult(entry, {})
        root, markers = plan.root(candidates)
        if root.dead:
            return RedactionResult(entry, {})
        context = _Context(self._hash, markers)
        return RedactionResult(_walk_dict(entry, root, context, 0), context.fired)

    def redact_text(self, text: str) -> str:
        """Free text (a dead letter's raw data) through every content rule of the default set,
        whatever their scope; `drop` masks here, as there is no field to remove."""
        redacted = self._text_scanner.scan(text, _Context(self._hash)) if self._text_scanner else text
        return text if redacted is _DROP else redacted

    def _hash(self, value: str) -> str:
        digest = hmac.digest(self._key.get(), value.encode("utf-8", "surrogatepass"), "sha256")  # type: ignore[union-attr]
        return self._hashing.prefix + digest.hex()[: self._hashing.length]


def _walk(value: Any, state: PathState[_Scanner], context: _Context, depth: int) -> Any:
    if state.whole_field is not None:
        return _whole_field(state.whole_field, value, context)
    kind = type(value)
    if kind is str:
        scanner = state.scanner
        return value if scanner is None else scanner.scan(value, context)
    if kind is dict:
        return _walk_dict(value, state, context, depth + 1)
    if kind is list:
        return _walk_list(value, state, context, depth + 1)
    if kind is int and state.scanner is not None and abs(value) >= _SMALLEST_SCANNED_INT:
        text = str(value)
        redacted = state.scanner.scan(text, context)
        return value if redacted is text else redacted
    return value


def _walk_dict(value: dict[str, Any], state: PathState[_Scanner], context: _Context, depth: int) -> dict[str, Any]:
    if depth > _MAX_DEPTH:
        raise NormalizeError(f"entry is nested deeper than {_MAX_DEPTH} levels", reason="too_deeply_nested")
    copy = None
    for key, item in value.items():
        child = state.step(key if type(key) is str else str(key))
        if child.dead:
            continue
        if type(item) is str and child.whole_field is None:  # most leaves: no call to _walk
            scanner = child.scanner
            if scanner is None or len(item) < scanner.min_length:
                continue
            redacted = scanner.scan(item, context)
        elif context.markers is not None and _unmarked(item, context.markers):
            continue
        else:
            redacted = _walk(item, child, context, depth)
        if redacted is not item:
            if copy is None:
                copy = value.copy()
            if redacted is _DROP:
                del copy[key]
            else:
                copy[key] = redacted
    return value if copy is None else copy


def _unmarked(value: Any, markers: tuple[bytes, ...]) -> bool:
    """A list or object whose serialised form holds none of the markers has no string any
    candidate rule changes: one C call instead of a walk through it."""
    if type(value) is not dict and type(value) is not list:
        return False
    try:
        serialised = orjson.dumps(value)
    except (TypeError, orjson.JSONEncodeError):
        return False
    for marker in markers:
        if marker in serialised:
            return False
    return True


def _walk_list(value: list[Any], state: PathState[_Scanner], context: _Context, depth: int) -> list[Any]:
    if depth > _MAX_DEPTH:
        raise NormalizeError(f"entry is nested deeper than {_MAX_DEPTH} levels", reason="too_deeply_nested")
    copy = None
    for index, item in enumerate(value):
        redacted = _walk(item, state, context, depth)
        if redacted is not item:
            if copy is None:
                copy = value[:index]
            if redacted is not _DROP:
                copy.append(redacted)
        elif copy is not None:
            copy.append(item)
    return value if copy is None else copy
