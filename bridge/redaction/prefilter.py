"""Which rules can possibly act on an entry, decided without walking it.

The fields in scope are serialised once (orjson) and mapped byte for byte (digits read as
'0', separators as '-', letters as lower case, '%' as '@'); each detector's literal
triggers are then plain bytes.find searches, and a rule none of whose triggers occur cannot
act. A hit is confirmed where that is cheap:
- "numbers" detectors (phones, RRNs, cards) run on the stretch of digits and separators
  around the hit (found by stripping near it), with one character of context on each side;
  a stretch with too few digits, or a plain digit run of a length no detector matches or
  glued to a letter, is passed over at once; each stretch is checked once;
- "email" runs on a window around the '@' once its neighbours could belong to an address;
- any other hit makes its rules candidates.
Only the candidates are run over the entry's fields, and most entries have none.
Confirmation errs on the side of keeping a rule: context that an escape sequence ("\\n",
"\\u001b") hides reads as a boundary, and a find touching a window's edge counts.
tests/unit/test_redact_prefilter.py checks that results equal a full walk with every rule.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Sequence, TypeVar

import orjson

from .detectors import email_at
from .rules import Rule

# Digits read as '0', separators as '-', letters as lower case, '%' as '@' (so that one
# search finds '@' and its URL encoding "%40" alike).
_TRIGGER_TABLE = bytes.maketrans(b"123456789 .()%ABCDEFGHIJKLMNOPQRSTUVWXYZ", b"000000000----@abcdefghijklmnopqrstuvwxyz")
_ASCII_LETTERS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_EMAIL_NEIGHBOURS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_%+-") | frozenset(range(128, 256))
# Read around an '@'; an address reaching the window's edge may be longer and counts.
_EMAIL_BEFORE = 96
_EMAIL_AFTER = 160
_JSON_ESCAPE = re.compile(rb"\\(?:u[0-9a-fA-F]{4}|.)")
# What a domain is made of: an '@' followed by these up to a cut window's edge may be an
# address longer than the window.
_DOMAIN_TO_EDGE = re.compile(r"[A-Za-z0-9.-]*\Z")
_NO_CANDIDATES: frozenset[int] = frozenset()

Candidates = frozenset[int]  # indices into the plan's rules
T = TypeVar("T")


def trigger_text(raw: bytes) -> bytes:
    """The alphabet triggers are searched in, one byte for one (see _TRIGGER_TABLE)."""
    return raw.translate(_TRIGGER_TABLE)


def _blank(escape: re.Match[bytes]) -> bytes:
    return b" " * (escape.end() - escape.start())


def _acts(rule: Rule, text: str, spans: list[tuple[int, int, str]], edge_start: bool = False, edge_end: bool = False) -> bool:
    """Whether some find is one the rule would replace (or one the window may have cut)."""
    for start, end, _ in spans:
        if (edge_start and start == 0) or (edge_end and end == len(text)):
            return True
        if rule.allow is None or not rule.allow.fullmatch(text[start:end]):
            return True
    return False


@dataclass(frozen=True, slots=True)
class Trigger:
    literal: bytes  # in trigger_text form
    direct: tuple[int, ...] = ()  # rules a hit makes candidates at once
    emails: tuple[tuple[int, Rule], ...] = ()  # rules confirmed on a window around an '@'

    def confirm_email(self, raw: bytes, hit: int, found: set[int]) -> None:
        if raw[hit] == 64:  # '@'
            at_end = hit + 1
        elif raw[hit + 1 : hit + 3] == b"40":  # "%40"
            at_end = hit + 3
        else:
            return
        if hit == 0 or at_end >= len(raw) or raw[hit - 1] not in _EMAIL_NEIGHBOURS or raw[at_end] not in _EMAIL_NEIGHBOURS:
            return
        start = max(0, hit - _EMAIL_BEFORE)
        end = min(len(raw), hit + _EMAIL_AFTER)
        head = _JSON_ESCAPE.sub(_blank, raw[start:hit]).decode("utf-8", "replace")
        text = head + _JSON_ESCAPE.sub(_blank, raw[hit:end]).decode("utf-8", "replace")
        span = email_at(text, len(head))
        if span is None:
            if end < len(raw) and _DOMAIN_TO_EDGE.match(text, len(head) + (1 if raw[hit] == 64 else 3)):
                found.update(index for index, _ in self.emails)
            return
        for index, rule in self.emails:
            if index not in found and _acts(rule, text, [span], start > 0, end < len(raw)):
                found.add(index)


_EDGE_SEPARATORS = b" .-"
_NUMBER_CLASSES = b"0-+"  # what digits and separators read as in trigger_text
_REACH = 64


def _stretch(classes: bytes, hit: int) -> tuple[int, int]:
    """The run of digits and separators around `hit`, by stripping (C speed) near it."""
    start, end = hit, hit
    while True:  # a run longer than the reach takes another round
        before = classes[max(0, start - _REACH) : start]
        kept = len(before.rstrip(_NUMBER_CLASSES))
        start -= len(before) - kept
        if kept or start == 0:
            break
    while True:
        after = classes[end : end + _REACH]
        rest = len(after.lstrip(_NUMBER_CLASSES))
        end += len(after) - rest
        if rest or end == len(classes):
            return start, end


@dataclass(frozen=True, slots=True)
class NumberRules:
    """Rules of "numbers" detectors sharing their anchor literals: the stretch of digits and
    separators around each hit is checked once."""

    anchors: tuple[bytes, ...]
    rules: tuple[tuple[int, Rule], ...]
    min_digits: int

    def check(self, raw: bytes, classes: bytes, found: set[int]) -> None:
        checked: set[int] = set()
        for anchor in self.anchors:
            hit = classes.find(anchor)
            while hit >= 0:
                start, end = _stretch(classes, hit)
                if start not in checked:
                    checked.add(start)
                    digits = classes.count(b"0", start, end)
                    if digits >= self.min_digits:
                        self._check_stretch(raw, start, end, digits, found)
                hit = classes.find(anchor, end)

    def _check_stretch(self, raw: bytes, start: int, end: int, digits: int, found: set[int]) -> None:
        before = raw[start - 1] if start else 32
        after = raw[end] if end < len(raw) else 32
        if start and raw.rfind(b"\\", max(0, start - 6), start) >= 0:
            before = 32  # an escape sequence ends here: a boundary, not a letter
            if raw[start - 2 : start] == b"\\u":
                start = min(start + 4, end)  # the escape's four hex digits are not the number's
        number = raw[start:end]
        # Separators at the ends belong to no match; read them as a boundary.
        trimmed = number.strip(_EDGE_SEPARATORS)
        if len(trimmed) != len(number):
            before = 32 if number[0] in _EDGE_SEPARATORS else before
            after = 32 if number[-1] in _EDGE_SEPARATORS else after
            number = trimmed
        glued = before in _ASCII_LETTERS or after in _ASCII_LETTERS
        bare = number.isdigit()
        text = None
        for index, rule in self.rules:
            detector = rule.detector
            if (
                index in found
                or digits < detector.min_digits  # type: ignore[union-attr]
                or (bare and (glued or len(number) not in detector.bare_lengths))  # type: ignore[union-attr]
            ):
                continue
            if text is None:
                text = (bytes((before,)) + number + bytes((after,))).decode("utf-8", "replace")
            find_in = detector.find_in  # type: ignore[union-attr]
            spans = find_in(text, [(0, len(text))]) if find_in is not None else detector.find(text)  # type: ignore[union-attr]
            if _acts(rule, text, spans):
                found.add(index)


@dataclass(frozen=True, slots=True)
class Prefilter:
    roots: tuple[str, ...] | None  # top-level keys in scope; None: the whole entry
    triggers: tuple[Trigger, ...] | None  # None: no cheap test exists
    numbers: tuple[NumberRules, ...]
    every: Candidates  # all rules of the plan

    def candidates(self, entry: dict[str, Any]) -> Candidates:
        if self.triggers is None:
            return self.every
        try:
            raw = orjson.dumps(entry if self.roots is None else list(map(entry.get, self.roots)))
        except (TypeError, orjson.JSONEncodeError):  # integers beyond 64 bits, non-string keys
            return self.every
        classes = raw.translate(_TRIGGER_TABLE)
        found: set[int] = set()
        for trigger in self.triggers:
            hit = classes.find(trigger.literal)
            while hit >= 0:
                found.update(trigger.direct)
                if trigger.emails:
                    trigger.confirm_email(raw, hit, found)
                hit = classes.find(trigger.literal, hit + len(trigger.literal))
        for number_rules in self.numbers:
            if len(found) < len(self.every):
                number_rules.check(raw, classes, found)
        return frozenset(found) if found else _NO_CANDIDATES


def _shortest(by_literal: dict[bytes, list[T]]) -> dict[bytes, list[T]]:
    """Drops a literal when a shorter one inside it serves at least the same rules: wherever
    the longer occurs, the shorter does ("%40" reads as "@00", which holds "@")."""
    return {
        literal: rules
        for literal, rules in by_literal.items()
        if not any(other != literal and other in literal and set(rules) <= set(others) for other, others in by_literal.items())
    }


def build_prefilter(rules: Sequence[Rule], roots: tuple[str, ...] | None, whole_field_keys: frozenset[str] | None) -> Prefilter:
    """`whole_field_keys`: keys whole-field rules act on (None: some act on any key)."""
    every = frozenset(range(len(rules)))
    if whole_field_keys is None:
        return Prefilter(roots, None, (), every)
    direct: dict[bytes, list[int]] = {}
    emails: dict[bytes, list[tuple[int, Rule]]] = {}
    numbers: dict[bytes, list[tuple[int, Rule]]] = {}
    whole_field_rules = [i for i, rule in enumerate(rules) if rule.detector is None]
    for key in whole_field_keys:
        direct[trigger_text(orjson.dumps(key))] = list(whole_field_rules)
    for index, rule in enumerate(rules):
        detector = rule.detector
        if detector is None:
            continue
        if detector.triggers is None:
            return Prefilter(roots, None, (), every)
        for literal in (trigger_text(t.encode()) for t in detector.triggers):
            if detector.confirm == "numbers":
                numbers.setdefault(literal, []).append((index, rule))
            elif detector.confirm == "email":
                emails.setdefault(literal, []).append((index, rule))
            elif index not in direct.setdefault(literal, []):  # "earer" serves "Bearer" and "BEARER"
                direct[literal].append(index)
    direct, emails, numbers = _shortest(direct), _shortest(emails), _shortest(numbers)
    triggers = tuple(Trigger(literal, tuple(direct.get(literal, ())), tuple(emails.get(literal, ()))) for literal in sorted(set(direct) | set(emails)))
    by_rules: dict[tuple[tuple[int, Rule], ...], list[bytes]] = {}
    for anchor, anchored in sorted(numbers.items()):
        by_rules.setdefault(tuple(anchored), []).append(anchor)
    number_rules = [
        NumberRules(tuple(anchors), anchored, min(r.detector.min_digits for _, r in anchored))  # type: ignore[union-attr]
        for anchored, anchors in by_rules.items()
    ]
    return Prefilter(roots, triggers, tuple(number_rules), every)
