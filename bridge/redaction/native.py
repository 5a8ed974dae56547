"""The compiled redaction engine (`bridge_native.Redaction`) built from a Python `Redactor`.

    rules = native_rules(redactor)   # None: use the Python redactor for everything

The Python redactor stays the reference: the native engine gets its compiled rules as a JSON
spec (patterns translated for Rust's `regex` crate) and declines any entry it cannot be sure
to redact the same way. A rule set it cannot run at all gives None here: a user pattern whose
meaning would change under Rust's regex syntax, a literal the Python prefilter reads through
JSON escapes, more rules or path positions than it packs in bit sets, no `bridge_native`
module, or BRIDGE_NATIVE=off in the environment.
"""
from __future__ import annotations

import inspect
import json
import re
from typing import Any

from ..errors import ConfigError
from ..native import load
from .detectors import BUILTIN
from .paths import Segment
from .rules import Rule

# Letter escapes of Python's re that mean the same in Rust's regex (\w, \s and \b are Unicode
# classes that differ; `\Z` is Rust's `\z`; punctuation is written as a hex literal).
_SAME_ESCAPES = frozenset("dDntrfvA")
# Groups both read alike: non-capturing, named, inline flags i, m, s.
_INLINE_GROUP = re.compile(r"\(\?(?:[ims]+\)|[ims]*(?:-[ims]+)?:|P<[A-Za-z_][A-Za-z0-9_]*>)")


class _Untranslatable(ValueError):
    pass


def _translate(source: str, *, user: bool) -> str:
    """`source` (Python re syntax) in Rust regex syntax with the same meaning.

    Patterns fnmatch.translate wrote (user=False) only need `(?>` (atomic, used there for a
    fullmatch, where it matches what a plain group matches) and `\\Z`; a user's pattern is
    held to a subset both engines read alike."""
    out = []
    at = 0
    in_class = False
    while at < len(source):
        char = source[at]
        if char == "\\":
            if at + 1 >= len(source):
                raise _Untranslatable("trailing backslash")
            escaped = source[at + 1]
            if escaped == "Z":
                out.append(r"\z")
            elif escaped.isascii() and not escaped.isalnum():
                out.append(f"\\x{{{ord(escaped):02X}}}")  # a literal in both (Rust reads "\<" as a word boundary)
            elif escaped in _SAME_ESCAPES or escaped == "x" and re.fullmatch(r"[0-9A-Fa-f]{2}", source[at + 2 : at + 4]):
                out.append("\\" + escaped)
            else:
                raise _Untranslatable(f"escape \\{escaped}")
            at += 2
            continue
        if in_class:
            if char == "[" or user and source[at : at + 2] in ("&&", "--", "~~"):
                raise _Untranslatable("nested class or set operation")
            if char == "]":
                in_class = False
            out.append(char)
            at += 1
            continue
        if char == "[":
            in_class = True
            out.append(char)
            at += 1
            # a ']' (or '^]') right after '[' is a literal in both engines
            for prefix in ("^]", "]", "^"):
                if source.startswith(prefix, at):
                    out.append(prefix.replace("]", r"\]"))
                    at += len(prefix)
                    break
            continue
        if source.startswith("(?>", at) and not user:
            out.append("(?:")
            at += 3
            continue
        if source.startswith("(?", at):
            group = _INLINE_GROUP.match(source, at)
            if group is None:
                raise _Untranslatable("look-around, back-reference or unknown group")
            out.append(group.group())
            at = group.end()
            continue
        if user and (char == "$" or source.startswith("{,", at)):  # Python's `$` also matches before a final newline
            raise _Untranslatable(f"{char!r} reads differently")
        out.append(char)
        at += 1
    return "".join(out)


def _fullmatch(pattern: re.Pattern[str] | None) -> str | None:
    if pattern is None:
        return None
    flags = "(?i)" if pattern.flags & re.IGNORECASE else ""
    return f"{flags}\\A(?:{_translate(pattern.pattern, user=False)})\\z"


def _segment(segment: Segment) -> list[str]:
    if segment.kind == "glob":
        return ["glob", _fullmatch(segment.glob)]  # type: ignore[list-item]
    if segment.kind == "key":
        return ["key", segment.text]
    return [segment.kind]


def _detector(rule: Rule) -> dict[str, Any] | None:
    detector = rule.detector
    if detector is None:
        return None
    if BUILTIN.get(detector.name) is detector:
        return {"builtin": detector.name}
    found = inspect.getclosurevars(detector.find).nonlocals
    compiled: re.Pattern[str] = found["compiled"]
    group = found["group"]
    if isinstance(group, str):
        group = compiled.groupindex[group]
    if any(c in q for q in detector.quick or () for c in '"\\') or any(ord(c) < 0x20 for q in detector.quick or () for c in q):
        # the prefilter finds literals in the entry's JSON, where these are escaped
        raise _Untranslatable("literal with a character JSON escapes")
    flags = "(?i)" if compiled.flags & re.IGNORECASE else ""
    translated = _translate(compiled.pattern, user=True)
    return {
        "pattern": flags + translated,
        # case folding and \d follow each engine's Unicode tables: non-ASCII text goes to Python
        "ascii_only": bool(flags) or "\\d" in translated or "\\D" in translated,
        "group": group,
        "quick": list(detector.quick) if detector.quick is not None else None,
        "min_length": detector.min_length,
    }


def _rule(rule: Rule) -> dict[str, Any]:
    return {
        "name": rule.name,
        "detector": _detector(rule),
        "action": rule.action,
        "replacement": rule.replacement,
        "paths": [[_segment(s) for s in path] for path in rule.paths],
        "exclude_paths": [[_segment(s) for s in path] for path in rule.exclude_paths],
        "log_names": _fullmatch(rule.log_names),
        "resource_types": _fullmatch(rule.resource_types),
        "allow": _fullmatch(rule.allow),
        "allow_ignore_case": bool(rule.allow is not None and rule.allow.flags & re.IGNORECASE),
    }


def rules_spec(redactor: Any) -> str:
    """The JSON spec of the redactor's rules for `bridge_native.Redaction`; raises
    ValueError when they cannot run natively, ConfigError when the HMAC key cannot be read."""
    rule_file = redactor.rule_file
    default: tuple[Rule, ...] = rule_file.default
    destinations: dict[str, tuple[Rule, ...]] = dict(rule_file.destinations)
    uses_hash = any(r.action == "hash" for rules in (default, *destinations.values()) for r in rules)
    return json.dumps(
        {
            "hash_prefix": rule_file.hashing.prefix,
            "hash_length": rule_file.hashing.length,
            "hmac_key": redactor.hmac_key.get().hex() if uses_hash else None,
            "default": [_rule(r) for r in default],
            "destinations": {name: [_rule(r) for r in rules] for name, rules in destinations.items()},
        }
    )


def native_rules(redactor: Any) -> Any:
    """`bridge_native.Redaction` for this redactor, or None to keep to the Python redactor."""
    module = load()
    if module is None:
        return None
    try:
        return module.Redaction(rules_spec(redactor))
    except (ValueError, ConfigError):  # _Untranslatable is a ValueError, as are the engine's refusals
        return None
