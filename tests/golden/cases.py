"""Golden input/expected pairs: hand-written cases and every file of the shared real-sample corpus.

`python -m tests.golden.cases` rewrites the expected files; review the diff before committing.
"""
from __future__ import annotations

import os
from pathlib import Path

from bridge.convert import convert_lines
from bridge.pipeline import Transform
from bridge.redact import Redactor

# The default rules, as `convert`, the functions and the worker apply them out of the box.
REDACTOR = Redactor.default(environ={})

GOLDEN = Path(__file__).parent
EXPECTED = GOLDEN / "expected"
CORPUS = Path(os.environ.get("BRIDGE_CORPUS_DIR", GOLDEN.parents[2] / "shared" / "corpus"))
DESTINATIONS = ("elasticsearch", "bigquery")


def inputs() -> dict[str, Path]:
    """name -> input file. The corpus is required: a missing corpus fails the tests, it is not skipped."""
    found = {p.name.removesuffix(".input.jsonl"): p for p in sorted((GOLDEN / "cases").glob("*.input.jsonl"))}
    found.update({f"corpus__{p.stem}": p for p in sorted((CORPUS / "entries").glob("*.jsonl"))})
    found.update({f"corpus__{p.stem}": p for p in sorted((CORPUS / "envelopes").glob("*.json"))})
    return found


def input_lines(path: Path) -> list[bytes]:
    data = path.read_bytes()
    if path.suffix == ".json":  # an envelope file holds one pretty-printed object
        import orjson

        return [orjson.dumps(orjson.loads(data))]
    return data.splitlines()


def convert(path: Path, destination: str) -> tuple[list[bytes], list[bytes]]:
    good, dead = [], []
    for ok, line in convert_lines(input_lines(path), Transform(destination=destination, redactor=REDACTOR)):
        (good if ok else dead).append(line)
    return good, dead


def expected_paths(name: str, destination: str) -> tuple[Path, Path]:
    return EXPECTED / f"{name}.{destination}.jsonl", EXPECTED / f"{name}.{destination}.dead.jsonl"


def regenerate() -> None:
    EXPECTED.mkdir(exist_ok=True)
    for name, path in inputs().items():
        for destination in DESTINATIONS:
            good, dead = convert(path, destination)
            out, dead_out = expected_paths(name, destination)
            out.write_bytes(b"".join(line + b"\n" for line in good))
            dead_out.write_bytes(b"".join(line + b"\n" for line in dead))


if __name__ == "__main__":
    regenerate()
