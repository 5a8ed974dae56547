"""Which rules can possibly act on an entry, decided without walking it.

The fields in scope are serialised once (orjson) and mapped byte for byte so that digits
read as '0' and separators as '-'; each rule's literal triggers are then plain substring
searches. A rule none of whose triggers occur cannot act, and most entries are done here
with no candidate at all. A hit is confirmed where that is cheap:
- "numbers" detectors run on the stretch of digits and separators around the hit (found with
  a second byte mapping and find/rfind), plus one character of context on each side; plain
  digit runs of a length no detector matches, or glued to a letter, are passed over at once;
- "email" runs on a window around the '@' once its neighbours could belong to an address;
- any other hit makes its rules candidates.
Only the candidates are then run over the entry's fields. Confirmation errs on the side of
keeping a rule: context that an escape sequence ("\\n", "\\u001b") hides reads as a
boundary, and a find touching the window's edge counts.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Sequence

import orjson

from .detectors import email_at
from .rules import Rule

_TRIGGER_TABLE = bytes.maketrans(b"123456789 .()", b"000000000----")
_NUMBER_CHARS = b"0123456789 ().+-"
_NUMBER_TABLE = bytes(48 if c in _NUMBER_CHARS else 120 for c in range(256))  # '0' or 'x'
_ASCII_LETTERS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_EMAIL_NEIGHBOURS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_%+-") | frozenset(range(128, 256))
# Read around an '@'; an address reaching the window's edge may be longer and counts.
_EMAIL_BEFORE = 96
_EMAIL_AFTER = 160
_JSON_ESCAPE = re.compile(rb"\\(?:u[0-9a-fA-F]{4}|.)")

Candidates = frozenset[int]  # indices into the plan's rules


def trigger_text(raw: bytes) -> bytes:
    """The alphabet triggers are searched in, one byte for one: digits '0', separators '-'."""
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
    numbers: tuple[tuple[int, Rule], ...] = ()  # rules confirmed on the number stretch
    emails: tuple[tuple[int, Rule], ...] = ()  # rules confirmed on a window around an '@'
    bare_lengths: frozenset[int] = frozenset()
    min_digits: int = 0


class _Scan:
    """One entry's serialised scope, with the number mapping computed on first need."""

    __slots__ = ("raw", "classes", "_numbers")

    def __init__(self, raw: bytes) -> None:
        self.raw = raw
        self.classes = raw.translate(_TRIGGER_TABLE)
        self._numbers: bytes | None = None

    def _number_classes(self) -> bytes:
        if self._numbers is None:
            self._numbers = self.raw.translate(_NUMBER_TABLE)
        return self._numbers

    def confirm_numbers(self, trigger: Trigger, hit: int, found: set[int]) -> int:
        """Adds the rules that find something in the stretch around `hit`; returns its end."""
        numbers = self._number_classes()
        start = numbers.rfind(b"x", 0, hit) + 1
        end = numbers.find(b"x", hit)
        if end < 0:
            end = len(numbers)
        digits = self.classes.count(b"0", start, end)
        if digits < trigger.min_digits:
            return end
        raw = self.raw
        before = raw[start - 1] if start else 32
        if start and raw.rfind(b"\\", max(0, start - 6), start) >= 0:
            before = 32  # an escape sequence ends here: a boundary, not a letter
            if raw[start - 2 : start] == b"\\u":
                start = min(start + 4, end)  # the escape's four hex digits are not the number's
        after = raw[end] if end < len(raw) else 32
        stretch = raw[start:end]
        if stretch.isdigit() and (len(stretch) not in trigger.bare_lengths or before in _ASCII_LETTERS or after in _ASCII_LETTERS):
            return end
        text = (bytes((before,)) + stretch + bytes((after,))).decode("utf-8", "replace")
        for index, rule in trigger.numbers:
            if index not in found and digits >= rule.detector.min_digits and _acts(rule, text, rule.detector.find(text)):  # type: ignore[union-attr]
                found.add(index)
        return end

    def confirm_email(self, trigger: Trigger, hit: int, found: set[int]) -> None:
        raw = self.raw
        at_end = hit + (1 if raw[hit] == 64 else 3)  # '@' or '%40'
        if hit == 0 or at_end >= len(raw) or raw[hit - 1] not in _EMAIL_NEIGHBOURS or raw[at_end] not in _EMAIL_NEIGHBOURS:
            return
        start = max(0, hit - _EMAIL_BEFORE)
        end = min(len(raw), hit + _EMAIL_AFTER)
        head = _JSON_ESCAPE.sub(_blank, raw[start:hit]).decode("utf-8", "replace")
        text = head + _JSON_ESCAPE.sub(_blank, raw[hit:end]).decode("utf-8", "replace")
        span = email_at(text, len(head))
        if span is None:
            return
        for index, rule in trigger.emails:
            if index not in found and _acts(rule, text, [span], start > 0, end < len(raw)):
                found.add(index)


@dataclass(frozen=True, slots=True)
class Prefilter:
    roots: tuple[str, ...] | None  # top-level keys in scope; None: the whole entry
    triggers: tuple[Trigger, ...] | None  # None: no cheap test exists
    every: Candidates  # all rules of the plan

    def candidates(self, entry: dict[str, Any]) -> Candidates:
        if self.triggers is None:
            return self.every
        try:
            if self.roots is None:
                raw = orjson.dumps(entry)
            else:
                raw = orjson.dumps([entry.get(k) for k in self.roots])
        except (TypeError, orjson.JSONEncodeError):  # integers beyond 64 bits, non-string keys
            return self.every
        scan = _Scan(raw)
        classes = scan.classes
        found: set[int] = set()
        for trigger in self.triggers:
            hit = classes.find(trigger.literal)
            while hit >= 0:
                found.update(trigger.direct)
                following = hit + len(trigger.literal)
                if trigger.numbers:
                    following = scan.confirm_numbers(trigger, hit, found)
                if trigger.emails:
                    scan.confirm_email(trigger, hit, found)
                if len(found) == len(self.every):
                    return self.every
                hit = classes.find(trigger.literal, following)
        return frozenset(found)


def build_prefilter(rules: Sequence[Rule], roots: tuple[str, ...] | None, whole_field_keys: frozenset[str] | None) -> Prefilter:
    """`whole_field_keys`: keys whole-field rules act on (None: some act on any key)."""
    every = frozenset(range(len(rules)))
    if whole_field_keys is None:
        return Prefilter(roots, None, every)
    direct: dict[bytes, list[int]] = {}
    numbers: dict[bytes, list[tuple[int, Rule]]] = {}
    emails: dict[bytes, list[tuple[int, Rule]]] = {}
    whole_field_rules = [i for i, rule in enumerate(rules) if rule.detector is None]
    for key in whole_field_keys:
        direct[trigger_text(orjson.dumps(key))] = list(whole_field_rules)
    for index, rule in enumerate(rules):
        detector = rule.detector
        if detector is None:
            continue
        if detector.triggers is None:
            return Prefilter(roots, None, every)
        for literal in (trigger_text(t.encode()) for t in detector.triggers):
            kind = {"numbers": numbers, "email": emails}.get(detector.confirm or "")
            if kind is None:
                direct.setdefault(literal, []).append(index)
            else:
                kind.setdefault(literal, []).append((index, rule))
    triggers = []
    for literal in sorted(set(direct) | set(numbers) | set(emails)):
        confirm_numbers = tuple(numbers.get(literal, ()))
        detectors = [rule.detector for _, rule in confirm_numbers]
        triggers.append(
            Trigger(
                literal,
                tuple(direct.get(literal, ())),
                confirm_numbers,
                tuple(emails.get(literal, ())),
                frozenset().union(*(d.bare_lengths for d in detectors)),  # type: ignore[union-attr]
                min((d.min_digits for d in detectors), default=0),  # type: ignore[union-attr]
            )
        )
    return Prefilter(roots, tuple(triggers), every)
