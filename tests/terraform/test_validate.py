"""`terraform validate` of both examples (and so of every module they call), by the real Terraform binary,
offline, against the google 6.50.0 and archive provider schemas served by the schema-only plugin."""
from __future__ import annotations

import pytest

from .validate import install_mirror, stage_repository, validate

EXAMPLES = ["examples/project", "examples/organization"]


@pytest.fixture(scope="module")
def staged(tmp_path_factory):
    root = tmp_path_factory.mktemp("validate")
    return install_mirror(root), stage_repository(root)


@pytest.mark.parametrize("example", EXAMPLES)
def test_example_validates(staged, example, capsys):
    cli_config, terraform = staged
    result = validate(terraform / example, cli_config)
    with capsys.disabled():
        print(f"\nterraform validate {example}: valid={result['valid']} errors={result['error_count']} warnings={result['warning_count']}")
    assert result["diagnostics"] == [] and result["valid"] is True


def test_validate_catches_wrong_types_arguments_and_attributes(tmp_path):
    cli_config = install_mirror(tmp_path)
    terraform = stage_repository(tmp_path)
    (terraform / "modules" / "pubsub" / "zz_broken.tf").write_text(
        'resource "google_pubsub_topic" "broken" {\n  name = ["not", "a", "string"]\n  message_retention = "600s"\n}\n'
        'output "broken" {\n  value = google_pubsub_topic.logs.writer_identity\n}\n'
    )
    result = validate(terraform / "examples" / "project", cli_config)
    summaries = sorted(d["summary"] for d in result["diagnostics"])
    assert summaries == ["Incorrect attribute value type", "Unsupported argument", "Unsupported attribute"]
