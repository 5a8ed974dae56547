"""Runs the atheris fuzz target for a bounded number of inputs, seeded with real push bodies."""
import os
import subprocess
import sys
from pathlib import Path

FUZZ = Path(__file__).parents[1] / "fuzz"
REPO = FUZZ.parents[1]


def test_fuzz_pipeline_finds_no_crash_hang_or_memory_blowup(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    result = subprocess.run(
        [sys.executable, str(FUZZ / "fuzz_pipeline.py"), "-runs=20000", "-max_len=4096", "-timeout=5",
         "-rss_limit_mb=2048", "-seed=1", str(corpus), str(FUZZ / "seeds")],
        capture_output=True, text=True, timeout=600, env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert result.returncode == 0, result.stderr[-4000:]
    assert "Done 20000 runs" in result.stderr, result.stderr[-2000:]
