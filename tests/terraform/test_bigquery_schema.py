"""Terraform's BigQuery table is the bridge's: the real Terraform binary evaluates the bigquery module's
locals (reading the files through the module's own relative path) and we compare with the bridge's loader."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from bridge.sinks.bigquery.schema import SCHEMA_DIR, load_spec

from .hcl import REPO, TERRAFORM, modules, value
from .terraform_cli import StagedModule

EVAL_OUTPUTS = """
output "logs_schema" { value = local.logs_schema }
output "table" { value = local.table }
output "views" { value = local.views }
output "schema_dir" { value = local.schema_dir }
"""
VALUES = {"project_id": "my-project-1", "dataset_id": "raw_logs", "views_dataset_id": "log_views"}


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory) -> dict:
    staged = StagedModule(TERRAFORM / "modules" / "bigquery", tmp_path_factory.mktemp("bq"), ("variables.tf", "locals.tf"), EVAL_OUTPUTS)
    return staged.outputs(VALUES)


def test_terraform_reads_the_bridge_schema_files_not_copies(evaluated, tmp_path_factory):
    # The staged module links bridge/ to the repository's, so resolving the path lands on the real folder.
    assert Path(evaluated["schema_dir"]).resolve() == SCHEMA_DIR.resolve()
    copies = [p for p in TERRAFORM.rglob("*.json") if "entry_id" in p.read_text()]
    assert copies == []


def test_table_schema_equals_the_bridge_schema(evaluated):
    spec = load_spec()
    assert json.loads(evaluated["logs_schema"]) == [dict(f) for f in spec.fields]
    table = evaluated["table"]
    assert table["table_id"] == spec.table_id
    assert (table["time_partitioning"]["type"], table["time_partitioning"]["field"]) == (spec.partition_type, spec.partition_field)
    assert tuple(table["clustering"]) == spec.clustering
    assert table["dead_letter_table_id"] == spec.dead_letter_table_id
    assert [dict(f) for f in table["dead_letter_schema"]] == [dict(f) for f in spec.dead_letter_fields]


def test_table_resources_take_every_setting_from_the_shared_files():
    tables = {b.name: b.body for b in modules()["modules/bigquery"].blocks if b.type == "google_bigquery_table"}
    logs = tables["logs"]
    assert value(logs["schema"]) == "${local.logs_schema}"
    assert value(logs["table_id"]) == "${local.table.table_id}"
    assert value(logs["clustering"]) == "${local.table.clustering}"
    partitioning = value(logs["time_partitioning"])
    assert value(partitioning["type"]) == "${local.table.time_partitioning.type}"
    assert value(partitioning["field"]) == "${local.table.time_partitioning.field}"
    assert "partition_expiration_days" in value(partitioning["expiration_ms"])
    dead_letter = tables["dead_letter"]
    assert value(dead_letter["schema"]) == "${jsonencode(local.table.dead_letter_schema)}"
    assert value(dead_letter["table_id"]) == "${local.table.dead_letter_table_id}"


def test_every_sql_file_becomes_a_view_with_all_placeholders_filled(evaluated):
    files = sorted(p.stem for p in (REPO / "bridge" / "sql").glob("*.sql"))
    assert sorted(evaluated["views"]) == files and "logs_dedup" in files
    for name, sql in evaluated["views"].items():
        assert "${" not in sql, name
        assert "my-project-1." in sql, name


def test_dedup_view_keeps_the_first_row_per_entry_id(evaluated):
    sql = " ".join(evaluated["views"]["logs_dedup"].split())
    assert "FROM `my-project-1.raw_logs.logs`" in sql
    assert "QUALIFY ROW_NUMBER() OVER (PARTITION BY entry_id, timestamp ORDER BY ingest_time) = 1" in sql
