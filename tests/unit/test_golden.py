"""Every golden input converts to exactly its reviewed expected output, line for line."""
import orjson
import pytest

from tests.golden.cases import CORPUS, DESTINATIONS, convert, expected_paths, inputs

CASES = inputs()


def test_corpus_is_present_and_complete():
    manifest = orjson.loads((CORPUS / "MANIFEST.json").read_bytes())
    listed = {name for name in manifest["files"] if name.startswith("entries/")}
    assert listed, f"no corpus entries under {CORPUS}"
    assert {f"corpus__{name.split('/')[1].removesuffix('.jsonl')}" for name in listed} <= set(CASES)


@pytest.mark.parametrize("destination", DESTINATIONS)
@pytest.mark.parametrize("name", sorted(CASES))
def test_golden(name, destination):
    good, dead = convert(CASES[name], destination)
    expected_good, expected_dead = expected_paths(name, destination)
    assert [orjson.loads(line) for line in good] == [orjson.loads(line) for line in expected_good.read_bytes().splitlines()]
    assert [orjson.loads(line) for line in dead] == [orjson.loads(line) for line in expected_dead.read_bytes().splitlines()]


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_line_is_accounted_for(name):
    from tests.golden.cases import input_lines

    lines = [line for line in input_lines(CASES[name]) if line.strip()]
    good, dead = convert(CASES[name], "elasticsearch")
    assert len(good) + len(dead) == len(lines)
