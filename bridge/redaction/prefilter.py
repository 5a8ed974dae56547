"""Deciding cheaply that an entry has nothing to redact, so that it is not walked at all.

The fields in scope are serialised once (orjson) and mapped byte for byte so that digits
read as '0' and separators as '-'; the rules' literal triggers are then plain substring
searches. Most entries contain none and are done. A hit is confirmed where that is cheap:
- "numbers" detectors run on the stretch of digits and separators around the hit (found with
  a second byte mapping and find/rfind), plus one character of context on each side; plain
  digit runs of a length no detector matches, or glued to a letter, are passed over at once;
- "email" runs on a window around the '@' once its neighbours could belong to an address;
- anything else walks the entry.
Confirmation errs on the side of walking: context that an escape sequence ("\\n", "\\u001b")
hides reads as a boundary, and a find touching the window's edge counts.
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
# Read around an '@'; an address reaching the window's edge may be longer and is walked.
_EMAIL_BEFORE = 96
_EMAIL_AFTER = 160
_JSON_ESCAPE = re.compile(rb"\\(?:u[0-9a-fA-F]{4}|.)")


def trigger_text(raw: bytes) -> bytes:
    """The alphabet triggers are searched in, one byte for one: digits '0', separators '-'."""
    return raw.translate(_TRIGGER_TABLE)


def _blank(escape: re.Match[bytes]) -> bytes:
    return b" " * (escape.end() - escape.start())


def _allowed(rule: Rule, text: str, spans: list[tuple[int, int, str]], edge_start: bool, edge_end: bool) -> bool:
    """True when every find is one the rule leaves alone (and none may be cut by the window)."""
    for start, end, _ in spans:
        if (edge_start and start == 0) or (edge_end and end == len(text)):
            return False
        if rule.allow is None or not rule.allow.fullmatch(text[start:end]):
            return False
    return True


@dataclass(frozen=True, slots=True)
class Trigger:
    literal: bytes  # in trigger_text form
    walk: bool  # a hit alone means walking
    numbers: tuple[Rule, ...] = ()
    emails: tuple[Rule, ...] = ()
    bare_lengths: frozenset[int] = frozenset()


class _Scan:
    """One entry's serialised scope, with the number mapping computed on first need."""

    __slots__ = ("raw", "classes", "_numbers")

    def __init__(self, raw: bytes) -> None:
        self.raw = raw
        self.classes = raw.translate(_TRIGGER_TABLE)
        self._numbers: bytes | None = None

    def numbers(self) -> bytes:
        if self._numbers is None:
            self._numbers = self.raw.translate(_NUMBER_TABLE)
        return self._numbers

    def confirm(self, trigger: Trigger, hit: int) -> tuple[bool, int]:
        """(whether to walk, where to search for the literal next)."""
        if trigger.walk:
            return True, hit
        found = False
        following = hit + len(trigger.literal)
        if trigger.numbers:
            found, following = self._confirm_numbers(trigger, hit)
        if not found and trigger.emails:
            found = self._confirm_email(trigger.emails, hit)
        return found, following

    def _confirm_numbers(self, trigger: Trigger, hit: int) -> tuple[bool, int]:
        raw = self.raw
        numbers = self.numbers()
        start = numbers.rfind(b"x", 0, hit) + 1
        end = numbers.find(b"x", hit)
        if end < 0:
            end = len(raw)
        before = raw[start - 1] if start else 32
        if 0 < start and raw.rfind(b"\\", max(0, start - 6), start) >= 0:
            before = 32  # an escape sequence ends here: a boundary, not a letter
            if raw[start - 2 : start] == b"\\u":
                start = min(start + 4, end)  # the escape's four hex digits are not the number's
        after = raw[end] if end < len(raw) else 32
        stretch = raw[start:end]
        if stretch.isdigit() and (
            len(stretch) not in trigger.bare_lengths or before in _ASCII_LETTERS or after in _ASCII_LETTERS
        ):
            return False, end
        digits = self.classes.count(b"0", start, end)
        text = (bytes((before,)) + stretch + bytes((after,))).decode("utf-8", "replace")
        for rule in trigger.numbers:
            if digits < rule.detector.min_digits:  # type: ignore[union-attr]
                continue
            spans = rule.detector.find(text)  # type: ignore[union-attr]
            if spans and not _allowed(rule, text, spans, False, False):
                return True, end
        return False, end

    def _confirm_email(self, rules: Sequence[Rule], hit: int) -> bool:
        raw = self.raw
        at_end = hit + (1 if raw[hit] == 64 else 3)  # '@' or '%40'
        if hit == 0 or at_end >= len(raw) or raw[hit - 1] not in _EMAIL_NEIGHBOURS or raw[at_end] not in _EMAIL_NEIGHBOURS:
            return False
        start = max(0, hit - _EMAIL_BEFORE)
        end = min(len(raw), hit + _EMAIL_AFTER)
        head = _JSON_ESCAPE.sub(_blank, raw[start:hit]).decode("utf-8", "replace")
        text = head + _JSON_ESCAPE.sub(_blank, raw[hit:end]).decode("utf-8", "replace")
        span = email_at(text, len(head))
        if span is None:
            return False
        return not all(_allowed(rule, text, [span], start > 0, end < len(raw)) for rule in rules)


@dataclass(frozen=True, slots=True)
class Prefilter:
    roots: tuple[str, ...] | None  # top-level keys in scope; None: the whole entry
    triggers: tuple[Trigger, ...] | None  # None: no cheap test exists, always walk

    def may_match(self, entry: dict[str, Any]) -> bool:
        if self.triggers is None:
            return True
        try:
            if self.roots is None:
                raw = orjson.dumps(entry)
            else:
                raw = orjson.dumps([entry.get(k) for k in self.roots])
        except (TypeError, orjson.JSONEncodeError):  # integers beyond 64 bits, non-string keys
            return True
        scan = _Scan(raw)
        classes = scan.classes
        for trigger in self.triggers:
            hit = classes.find(trigger.literal)
            while hit >= 0:
                found, following = scan.confirm(trigger, hit)
                if found:
                    return True
                hit = classes.find(trigger.literal, following)
        return False


def build_prefilter(rules: Sequence[Rule], roots: tuple[str, ...] | None, whole_field_keys: frozenset[str] | None) -> Prefilter:
    """`whole_field_keys`: keys whole-field rules act on (None: some act on any key)."""
    if whole_field_keys is None:
        return Prefilter(roots, None)
    walk: set[bytes] = {trigger_text(orjson.dumps(k)) for k in whole_field_keys}
    numbers: dict[bytes, list[Rule]] = {}
    emails: dict[bytes, list[Rule]] = {}
    for rule in rules:
        detector = rule.detector
        if detector is None:
            continue
        if detector.triggers is None:
            return Prefilter(roots, None)
        for literal in (trigger_text(t.encode()) for t in detector.triggers):
            if detector.confirm == "numbers":
                numbers.setdefault(literal, []).append(rule)
            elif detector.confirm == "email":
                emails.setdefault(literal, []).append(rule)
            else:
                walk.add(literal)
    triggers = [Trigger(literal, True) for literal in sorted(walk)]
    for literal in sorted((set(numbers) | set(emails)) - walk):
        confirm_numbers = tuple(numbers.get(literal, ()))
        lengths = frozenset().union(*(r.detector.bare_lengths for r in confirm_numbers))  # type: ignore[union-attr]
        triggers.append(Trigger(literal, False, confirm_numbers, tuple(emails.get(literal, ())), lengths))
    return Prefilter(roots, tuple(triggers))
