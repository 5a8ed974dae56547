"""The examples a user copies: every .tf parses and is formatted, each terraform.tfvars.example sets only
declared variables with the right types, and the runtime configuration they produce is what the bridge reads."""
from __future__ import annotations

import json

import hcl2
import pytest

from .hcl import REPO, TERRAFORM, modules, tf_files
from .terraform_cli import StagedModule, run

EXAMPLES = ["examples/project", "examples/organization"]


def test_every_terraform_file_parses():
    files = tf_files()
    assert len(files) > 40
    assert all(isinstance(hcl2.loads(f.read_text()), dict) for f in files)


def test_terraform_fmt_is_clean():
    result = run(["fmt", "-check", "-recursive", "-list=true", str(TERRAFORM)], TERRAFORM)
    assert (result.returncode, result.stdout) == (0, "")


@pytest.mark.parametrize("example", EXAMPLES)
def test_tfvars_example_sets_declared_variables_with_valid_types(example, tmp_path):
    tfvars = TERRAFORM / example / "terraform.tfvars.example"
    assert set(hcl2.loads(tfvars.read_text())) <= set(modules()[example].variables)
    staged = StagedModule(TERRAFORM / example, tmp_path)
    assert staged.plan(tfvars) == []


@pytest.mark.parametrize("example", EXAMPLES)
def test_example_without_required_values_is_refused(example, tmp_path):
    staged = StagedModule(TERRAFORM / example, tmp_path)
    assert {e["summary"] for e in staged.plan({})} == {"No value for required variable"}




@pytest.fixture(scope="module")
def runtime_config(tmp_path_factory) -> StagedModule:
    return StagedModule(TERRAFORM / "modules" / "runtime-config", tmp_path_factory.mktemp("rc"), ("variables.tf", "locals.tf", "outputs.tf"))


def test_runtime_config_gives_each_destination_its_environment_and_secrets(runtime_config):
    rules = REPO / "bridge" / "schema" / "bigquery_table.json"  # any file stands for a rules file
    out = runtime_config.outputs({
        "project_id": "my-project-1",
        "destinations": ["elasticsearch", "bigquery"],
        "elasticsearch": {"url": "https://es.example.com", "api_key_secret": "es-api-key"},
        "bigquery": {"project_id": "my-project-1", "dataset_id": "gcp_log_bridge"},
        "dead_letter_topic_id": "projects/my-project-1/topics/log-bridge-dead-letter",
        "redaction": {"hmac_secret": "hmac-key", "rules_files_by_destination": {"bigquery": str(rules)}},
        "engineer_groups": ["platform-engineers"],
    })
    hmac = "projects/my-project-1/secrets/hmac-key/versions/latest"
    assert out["environment"] == {
        "elasticsearch": {
            "BRIDGE_ES_URL": "https://es.example.com",
            "BRIDGE_ES_API_KEY_SECRET": "projects/my-project-1/secrets/es-api-key/versions/latest",
            "BRIDGE_DEAD_LETTER_TOPIC": "projects/my-project-1/topics/log-bridge-dead-letter",
            "BRIDGE_REDACTION_HMAC_SECRET": hmac,
            "BRIDGE_METRICS_PROJECT": "my-project-1",
        },
        "bigquery": {
            "BRIDGE_BQ_PROJECT": "my-project-1",
            "BRIDGE_BQ_DATASET": "gcp_log_bridge",
            "BRIDGE_DEAD_LETTER_TOPIC": "projects/my-project-1/topics/log-bridge-dead-letter",
            "BRIDGE_REDACTION_HMAC_SECRET": hmac,
            "BRIDGE_METRICS_PROJECT": "my-project-1",
        },
    }
    assert out["secret_ids"] == {
        "elasticsearch": ["projects/my-project-1/secrets/es-api-key", "projects/my-project-1/secrets/hmac-key"],
        "bigquery": ["projects/my-project-1/secrets/hmac-key"],
    }
    assert out["redaction_rules"] == {"bigquery": rules.read_text()}
    role = json.loads(out["elasticsearch_reader_role"])
    assert role["indices"] == [{"names": ["gcp-logs-*"], "privileges": ["read", "view_index_metadata"], "allow_restricted_indices": False}]
    mapping = json.loads(out["elasticsearch_reader_role_mapping"])
    assert mapping["roles"] == ["gcp_log_bridge_reader"] and mapping["rules"] == {"any": [{"field": {"groups": "platform-engineers"}}]}


def test_runtime_config_turns_the_bridge_metrics_off_with_the_grant(runtime_config):
    out = runtime_config.outputs({
        "project_id": "my-project-1", "destinations": ["bigquery"], "bridge_metrics": False,
        "bigquery": {"project_id": "my-project-1", "dataset_id": "logs"},
        "dead_letter_topic_id": "projects/my-project-1/topics/dl",
    })
    assert out["environment"]["bigquery"]["BRIDGE_METRICS"] == "off"
    assert "BRIDGE_METRICS_PROJECT" not in out["environment"]["bigquery"]


def test_runtime_config_refuses_a_destination_without_its_settings(runtime_config):
    with pytest.raises(RuntimeError, match='destinations has "bigquery" but var.bigquery is null'):
        runtime_config.outputs({
            "project_id": "my-project-1", "destinations": ["bigquery"],
            "dead_letter_topic_id": "projects/my-project-1/topics/dl",
        })
