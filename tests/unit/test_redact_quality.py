"""The redaction quality report: recall and false positives per detector, on the labelled set.

The table is printed in the test output (`make test`) and written to
bench/results/redaction_quality.json, like `python -m bench.redaction_quality` does.
"""
import collections

from bench.redaction_quality import QUALITY_SET, TARGET_FALSE_POSITIVE_RATE, TARGET_RECALL, load, run, table
from tests.redaction.generate_quality_set import generate, render


def test_the_committed_set_is_what_the_generator_makes():
    positives, negatives = generate()
    assert (QUALITY_SET / "positives.jsonl").read_text(encoding="utf-8") == render(positives)
    assert (QUALITY_SET / "negatives.jsonl").read_text(encoding="utf-8") == render(negatives)


def test_the_set_is_big_enough_and_labelled():
    positives = load(QUALITY_SET / "positives.jsonl")
    negatives = load(QUALITY_SET / "negatives.jsonl")
    per_detector = collections.Counter(p["detector"] for p in positives)
    assert len(per_detector) == 11 and min(per_detector.values()) >= 100, per_detector
    assert all(p["value"] and p["value"] in p["text"] for p in positives)
    near_misses = collections.Counter(n["detector"] for n in negatives)
    assert len(negatives) >= 2000 and sum(c for d, c in near_misses.items() if d != "none") >= 800, near_misses


def test_recall_and_false_positives_per_detector(capsys):
    report, result = run()
    path = result.write()
    with capsys.disabled():
        print(f"\n\nredaction quality (tests/redaction, {report[0].negatives} negatives; written to {path}):")
        print(table(report))
    for quality in report:
        assert quality.recall >= TARGET_RECALL, (quality.detector, quality.recall, quality.missed[:10])
        assert quality.false_positive_rate <= TARGET_FALSE_POSITIVE_RATE, (quality.detector, quality.false_positive_notes[:10])
