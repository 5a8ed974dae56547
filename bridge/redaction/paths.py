"""Field-path scoping: globs over dotted LogEntry paths, run as a lazily built automaton.

Path syntax: segments split on '.', a segment is a key ("jsonPayload"), a quoted key holding
dots ("labels.\"k8s-pod/app.kubernetes.io/name\""), `*` (one key), `**` (any number of keys,
none included) or a glob within one key ("*Email"). List elements sit at their list's path:
`jsonPayload.users.email` reaches every `email` in the `users` list.

A rule scoped to a path covers that node and everything under it; an excluded path removes
its subtree from the rule. Whole-field rules act on the node their path names.

The automaton's states are sets of pattern positions plus the rules in force; each state
memoises its transitions per key, so walking an entry costs one dict lookup per key once the
shapes of the logs have been seen.
"""
from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from typing import Any, Callable, Generic, Sequence, TypeVar

_DEEP = "**"
_ANY = "*"
_SEGMENT = re.compile(r'"([^"]*)"|([^."]+)')
_TRANSITIONS_PER_STATE = 1024  # keys of free-form payloads are unbounded; beyond this, recompute


class PathSyntaxError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Segment:
    kind: str  # "key", "any", "deep" or "glob"
    text: str
    glob: re.Pattern[str] | None = None

    def matches(self, key: str) -> bool:
        if self.kind == "key":
            return key == self.text
        if self.kind == "glob":
            return self.glob.fullmatch(key) is not None  # type: ignore[union-attr]
        return True


def parse_path(path: str) -> tuple[Segment, ...]:
    segments: list[Segment] = []
    position = 0
    while position < len(path):
        m = _SEGMENT.match(path, position)
        if m is None:
            raise PathSyntaxError(f"cannot read path {path!r} at character {position}")
        quoted, plain = m.groups()
        if quoted is not None:
            segments.append(Segment("key", quoted))
        elif plain == _DEEP:
            segments.append(Segment("deep", plain))
        elif plain == _ANY:
            segments.append(Segment("any", plain))
        elif any(c in plain for c in "*?["):
            if _DEEP in plain:
                raise PathSyntaxError(f"'**' must be a whole segment in {path!r}")
            segments.append(Segment("glob", plain, re.compile(fnmatch.translate(plain))))
        else:
            segments.append(Segment("key", plain))
        position = m.end()
        if position < len(path):
            if path[position] != ".":
                raise PathSyntaxError(f"expected '.' in {path!r} at character {position}")
            position += 1
            if position == len(path):
                raise PathSyntaxError(f"path {path!r} ends with '.'")
    if not segments:
        raise PathSyntaxError("empty path")
    return tuple(segments)


@dataclass(frozen=True, slots=True)
class Scoped:
    """What the automaton needs to know about one rule."""

    paths: tuple[tuple[Segment, ...], ...]
    exclude_paths: tuple[tuple[Segment, ...], ...]
    whole_field: bool
    tag: Any = None  # handed back as `PathState.whole_field` where a whole-field rule acts


def first_keys(items: Sequence[Scoped]) -> frozenset[str] | None:
    """Top-level keys every included path starts with, or None when some path starts with a wildcard."""
    keys = set()
    for item in items:
        for path in item.paths:
            if path[0].kind != "key":
                return None
            keys.add(path[0].text)
    return frozenset(keys)


def last_keys(items: Sequence[Scoped]) -> frozenset[str] | None:
    """Keys whole-field rules act on, or None when some such path ends in a wildcard."""
    keys = set()
    for item in items:
        if item.whole_field:
            for path in item.paths:
                if path[-1].kind != "key":
                    return None
                keys.add(path[-1].text)
    return frozenset(keys)


T = TypeVar("T")
_Position = tuple[int, int]  # (pattern, next segment)


class PathState(Generic[T]):
    """One node of the automaton. `scanner` is what scans strings here; `whole_field` the tag
    of the whole-field rule acting on a node in this state; `dead` means nothing at or below
    this node is in scope."""

    __slots__ = ("whole_field", "scanner", "dead", "_automaton", "_key", "_next", "_loops")

    def __init__(self, automaton: PathAutomaton[T], key: tuple, whole_field: Any, scanner: T | None, dead: bool, loops: bool) -> None:
        self._automaton = automaton
        self._key = key
        self._next: dict[str, PathState[T]] = {}
        self._loops = loops
        self.whole_field = whole_field
        self.scanner = scanner
        self.dead = dead

    def step(self, key: str) -> PathState[T]:
        if self._loops:
            return self
        following = self._next.get(key)
        if following is None:
            following = self._automaton._step(self._key, key)
            if len(self._next) < _TRANSITIONS_PER_STATE:
                self._next[key] = following
        return following


class PathAutomaton(Generic[T]):
    """Built for one list of rules (already filtered by log name and resource type).

    `scanner_for(indices)` turns the indices of the content rules in force at a node into
    whatever scans strings there; it is called once per distinct set.
    """

    def __init__(self, items: Sequence[Scoped], scanner_for: Callable[[tuple[int, ...]], T]) -> None:
        self._patterns: list[tuple[tuple[Segment, ...], int, bool]] = []  # (segments, rule, excludes)
        for index, item in enumerate(items):
            self._patterns += [(p, index, False) for p in item.paths]
            self._patterns += [(p, index, True) for p in item.exclude_paths]
        self._whole_field = [item.whole_field for item in items]
        self._tags = [item.tag for item in items]
        self._scanner_for = scanner_for
        self._scanners: dict[tuple[int, ...], T | None] = {}
        self._states: dict[tuple, PathState[T]] = {}
        start = self._closure({(p, 0) for p in range(len(self._patterns))})
        self.root = self._state(start, frozenset(), frozenset(), at_root=True)

    def _closure(self, positions: set[_Position]) -> frozenset[_Position]:
        """`**` may match no key at all, so a position before it is also a position after it."""
        pending = list(positions)
        seen = set(positions)
        while pending:
            pattern, index = pending.pop()
            segments = self._patterns[pattern][0]
            if index < len(segments) and segments[index].kind == "deep" and (pattern, index + 1) not in seen:
                seen.add((pattern, index + 1))
                pending.append((pattern, index + 1))
        return frozenset(seen)

    def _state(self, positions: frozenset[_Position], inherited: frozenset[int], excluded: frozenset[int], at_root: bool = False) -> PathState[T]:
        key = (positions, inherited, excluded, at_root)
        state = self._states.get(key)
        if state is not None:
            return state
        accepted = [self._patterns[p][1:] for p, i in positions if i == len(self._patterns[p][0])]
        excluded = excluded | {rule for rule, excludes in accepted if excludes}
        here = {rule for rule, excludes in accepted if not excludes} - excluded
        whole = None if at_root else min((r for r in here if self._whole_field[r]), default=None)
        content = tuple(sorted(r for r in (inherited | here) - excluded if not self._whole_field[r]))
        live = frozenset((p, i) for p, i in positions if i < len(self._patterns[p][0]))
        includes_live = any(not self._patterns[p][2] for p, _ in live)
        if content not in self._scanners:
            self._scanners[content] = self._scanner_for(content) if content else None
        state = PathState(
            self,
            (live, frozenset(content), excluded),
            None if whole is None else self._tags[whole],
            self._scanners[content],
            dead=whole is None and not content and not includes_live,
            loops=not live and whole is None,
        )
        self._states[key] = state
        return state

    def _step(self, key: tuple, name: str) -> PathState[T]:
        positions, inherited, excluded = key
        following: set[_Position] = set()
        for pattern, index in positions:
            segment = self._patterns[pattern][0][index]
            if segment.kind == "deep":
                following.add((pattern, index))
            elif segment.matches(name):
                following.add((pattern, index + 1))
        return self._state(self._closure(following), inherited, excluded)
