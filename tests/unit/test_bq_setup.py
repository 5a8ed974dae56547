"""Views, saved queries and settings of the BigQuery destination (the parts that need no server)."""
import re

import pytest
import sqlglot

from bridge.errors import ConfigError
from bridge.sinks.bigquery.cli import parse_parameter
from bridge.sinks.bigquery.schema import load_spec
from bridge.sinks.bigquery.settings import BigQuerySettings
from bridge.sinks.bigquery.setup import DEDUP_VIEW, QUERIES_DIR, SQL_DIR, render, saved_query, template_names, view_sql

SETTINGS = BigQuerySettings(project="my-project", dataset="raw", views_dataset="views")
NAMES = template_names(SETTINGS, load_spec())
VIEWS = view_sql(NAMES)
QUERIES = {p.stem: saved_query(p.stem, NAMES) for p in sorted(QUERIES_DIR.glob("*.sql"))}
ANALYST_VIEWS = {"errors_by_service_hourly", "top_noisy_pods", "gke_container_logs", "audit_activity_by_principal", "lb_requests"}


def test_the_views_are_the_sql_files_with_the_deduplicated_view_first():
    assert list(VIEWS)[0] == DEDUP_VIEW
    assert set(VIEWS) == {DEDUP_VIEW} | ANALYST_VIEWS
    assert set(QUERIES) == {"workload_logs", "lb_latency_hourly"}


def test_placeholders_are_filled_like_terraform_templatefile():
    assert "`my-project.raw.logs`" in VIEWS[DEDUP_VIEW]
    for sql in [*VIEWS.values(), *QUERIES.values()]:
        assert "${" not in sql and "%{" not in sql  # %{ is a Terraform template directive
    with pytest.raises(ConfigError, match="unknown placeholder"):
        render("SELECT 1 FROM `${nope}.t`", NAMES)


@pytest.mark.parametrize("name", sorted(ANALYST_VIEWS))
def test_analyst_views_read_only_the_deduplicated_view(name):
    """Terraform creates the analyst views in parallel after logs_dedup: none may need another."""
    tables = {(t.catalog, t.db, t.name) for t in sqlglot.parse_one(VIEWS[name], read="bigquery").find_all(sqlglot.exp.Table)}
    assert tables == {("my-project", "views", "logs_dedup")}


@pytest.mark.parametrize("name", sorted(VIEWS) + sorted(QUERIES))
def test_the_sql_is_bigquery_sql(name):
    sql = VIEWS.get(name) or QUERIES[name]
    assert sqlglot.parse_one(sql, read="bigquery") is not None


@pytest.mark.parametrize("path", sorted(QUERIES_DIR.glob("*.sql")) + sorted(SQL_DIR.glob("*.sql")), ids=lambda p: p.name)
def test_no_parameter_marker_inside_comments(path):
    """The emulator counts @name even inside -- comments and then refuses the query."""
    comments = [line for line in path.read_text().splitlines() if line.lstrip().startswith("--")]
    assert not [line for line in comments if "@" in line]


def test_saved_query_parameters():
    assert set(re.findall(r"@(\w+)", QUERIES["workload_logs"])) == {"namespace", "workload", "since", "until", "min_severity"}
    with pytest.raises(ConfigError, match="no saved query 'nope'"):
        saved_query("nope", NAMES)


def test_parameters_use_bq_syntax():
    p = parse_parameter("since:TIMESTAMP:2024-05-01T00:00:00+00:00")
    assert (p.name, p.type_, p.value.isoformat()) == ("since", "TIMESTAMP", "2024-05-01T00:00:00+00:00")
    assert parse_parameter("min_severity:INT64:500").value == 500
    with pytest.raises(ConfigError):
        parse_parameter("since:DATE:2024-05-01")


def test_settings_from_the_environment():
    settings = BigQuerySettings.from_env({"BRIDGE_BQ_PROJECT": "p", "BRIDGE_BQ_ENDPOINT": "http://127.0.0.1:1", "BRIDGE_BQ_RETENTION_DAYS": "none"})
    assert (settings.project, settings.dataset, settings.views_dataset, settings.retention_days) == ("p", "gcp_log_bridge", "gcp_log_bridge_views", None)
    assert settings.client().project == "p"
    with pytest.raises(ConfigError, match="BRIDGE_BQ_PROJECT"):
        BigQuerySettings.from_env({})
    with pytest.raises(ConfigError, match="not a number"):
        BigQuerySettings.from_env({"BRIDGE_BQ_PROJECT": "p", "BRIDGE_BQ_RETENTION_DAYS": "ninety"})
