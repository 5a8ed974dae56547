"""Redaction quality: recall and false-positive rate per detector on the labelled set.

    python -m bench.redaction_quality     # prints the table, writes bench/results/redaction_quality.json

The set is tests/redaction/positives.jsonl and negatives.jsonl (made by
tests/redaction/generate_quality_set.py). A positive counts as found when the detector's
spans cover its `value` and the full redaction pipeline (a one-rule Redactor applied to
{"textPayload": text}) fires and leaves no trace of the value. A negative is a false positive
for a detector when that detector finds anything in it; the rate is over all negatives.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import orjson

from bridge.redact import Redactor
from bridge.redaction.detectors import BUILTIN
from bridge.redaction.rules import parse_rules

from .results import Result

QUALITY_SET = Path(__file__).resolve().parents[1] / "tests" / "redaction"
TARGET_RECALL = 0.99
TARGET_FALSE_POSITIVE_RATE = 0.001


@dataclass(frozen=True, slots=True)
class DetectorQuality:
    detector: str
    positives: int
    found: int
    negatives: int
    false_positives: int
    missed: tuple[str, ...]  # notes of the positives not found (never the values)
    false_positive_notes: tuple[str, ...]

    @property
    def recall(self) -> float:
        return self.found / self.positives if self.positives else 0.0

    @property
    def false_positive_rate(self) -> float:
        return self.false_positives / self.negatives if self.negatives else 0.0

    @property
    def met(self) -> bool:
        return self.positives > 0 and self.recall >= TARGET_RECALL and self.false_positive_rate <= TARGET_FALSE_POSITIVE_RATE


def load(path: Path) -> list[dict[str, str]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def _single_rule_redactor(detector: str) -> Redactor:
    rules = f'[[rules]]\nname = "{detector}"\ndetector = "{detector}"\naction = "mask"\npaths = ["textPayload"]\n'
    return Redactor(parse_rules(rules, source=f"<quality:{detector}>"))


def _covered(spans: list[tuple[int, int, str]], text: str, value: str) -> bool:
    start = text.find(value)
    return start >= 0 and any(s <= start and start + len(value) <= e for s, e, _ in spans)


def _found_by_pipeline(redactor: Redactor, detector: str, text: str, value: str) -> bool:
    result = redactor.apply({"logName": "projects/quality/logs/set", "textPayload": text})
    return result.fired.get(detector, 0) > 0 and value not in result.entry.get("textPayload", "")


def measure(positives: Sequence[dict[str, str]], negatives: Sequence[dict[str, str]]) -> list[DetectorQuality]:
    report = []
    for name, detector in BUILTIN.items():
        redactor = _single_rule_redactor(name)
        mine = [p for p in positives if p["detector"] == name]
        missed = [
            p["note"]
            for p in mine
            if not (_covered(detector.find(p["text"]), p["text"], p["value"]) and _found_by_pipeline(redactor, name, p["text"], p["value"]))
        ]
        false_positives = [f"{n['detector']}: {n['note']}" for n in negatives if detector.find(n["text"])]
        report.append(
            DetectorQuality(name, len(mine), len(mine) - len(missed), len(negatives), len(false_positives), tuple(missed), tuple(false_positives))
        )
    return report


def table(report: Sequence[DetectorQuality]) -> str:
    rows = [("detector", "positives", "recall", "negatives", "false pos.", "FP rate", "met")]
    for q in report:
        rows.append((q.detector, str(q.positives), f"{q.recall:.4f}", str(q.negatives), str(q.false_positives), f"{q.false_positive_rate:.4%}", "yes" if q.met else "NO"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def as_result(report: Sequence[DetectorQuality]) -> Result:
    details: dict[str, Any] = {
        "detectors": {
            q.detector: {
                "positives": q.positives,
                "found": q.found,
                "recall": q.recall,
                "negatives": q.negatives,
                "false_positives": q.false_positives,
                "false_positive_rate": q.false_positive_rate,
                "missed_notes": list(q.missed),
                "false_positive_notes": list(q.false_positive_notes),
                "met": q.met,
            }
            for q in report
        },
        "met": all(q.met for q in report),
    }
    return Result(
        "redaction_quality",
        min(q.recall for q in report),
        "recall (lowest detector)",
        max(q.false_positive_rate for q in report),
        "false-positive rate (highest detector)",
        f"recall >= {TARGET_RECALL} and false positives <= {TARGET_FALSE_POSITIVE_RATE:.1%} for every detector",
        True,
        details,
    )


def run(directory: Path = QUALITY_SET) -> tuple[list[DetectorQuality], Result]:
    report = measure(load(directory / "positives.jsonl"), load(directory / "negatives.jsonl"))
    return report, as_result(report)


def main() -> int:
    report, result = run()
    print(table(report))
    print(f"wrote {result.write()}")
    return 0 if result.details["met"] else 1


if __name__ == "__main__":
    sys.exit(main())
