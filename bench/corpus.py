"""The corpus mix (real third-party LogEntries) as benchmark input."""
from __future__ import annotations

import os
from pathlib import Path

import orjson

from bridge.timestamps import format_ns

REPO = Path(__file__).resolve().parents[1]
CORPUS_DIR = Path(os.environ.get("BRIDGE_CORPUS_DIR", REPO.parent / "shared" / "corpus"))


def corpus_lines() -> list[bytes]:
    """Every entry line of ../shared/corpus/entries/*.jsonl, in a stable order."""
    files = sorted((CORPUS_DIR / "entries").glob("*.jsonl"))
    if not files:
        raise SystemExit(f"bench: no corpus at {CORPUS_DIR}/entries/*.jsonl (set BRIDGE_CORPUS_DIR)")
    return [line.strip() for path in files for line in path.read_bytes().splitlines() if line.strip()]


def repeated(count: int) -> list[bytes]:
    """The corpus mix repeated to `count` lines, as a Cloud Logging sink would publish them."""
    lines = corpus_lines()
    return [lines[i % len(lines)] for i in range(count)]


def unique_entries(count: int, run: str, start_ns: int, step_ns: int = 1000) -> list[bytes]:
    """The mix with a fresh insertId and time per entry, so every one is a new document on one day."""
    lines = corpus_lines()
    out = []
    for number in range(count):
        entry = orjson.loads(lines[number % len(lines)])
        entry["insertId"] = f"{run}-{number}"
        entry["timestamp"] = format_ns(start_ns + number * step_ns)
        out.append(orjson.dumps(entry))
    return out
