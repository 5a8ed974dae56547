"""The monitoring module and bridge/metrics.py report and chart the same metrics: both read
bridge/schema/metric_descriptors.json (Terraform evaluated for real, offline)."""
from __future__ import annotations

import re

import pytest

from bridge.metrics import load_catalog

from .hcl import TERRAFORM, modules, value
from .terraform_cli import StagedModule

EVAL_OUTPUTS = """
output "descriptors" { value = local.descriptors }
output "metric_type" { value = local.metric_type }
"""


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory) -> dict:
    staged = StagedModule(TERRAFORM / "modules" / "monitoring", tmp_path_factory.mktemp("mon"), ("variables.tf", "locals.tf"), EVAL_OUTPUTS)
    return staged.outputs({"project_id": "my-project-1", "subscriptions": {"bigquery": "s"}, "dead_letter_subscription": "dl"})


def test_terraform_declares_exactly_the_metrics_the_bridge_writes(evaluated):
    catalog = load_catalog()
    assert evaluated["metric_type"] == {name: spec.type for name, spec in catalog.metrics.items()}
    for metric in evaluated["descriptors"]["metrics"]:
        spec = catalog.metrics[metric["name"]]
        assert (metric["metric_kind"], metric["value_type"]) == (spec.metric_kind, spec.value_type)
        assert tuple(label["key"] for label in metric["labels"]) == spec.label_keys
    assert evaluated["descriptors"]["resource_type"] == catalog.resource_type


def test_alerts_cover_exports_backlog_dead_letters_and_function_errors():
    text = modules()["modules/monitoring"].text()
    for metric in [
        "logging.googleapis.com/exports/error_count",
        "pubsub.googleapis.com/subscription/oldest_unacked_message_age",
        "pubsub.googleapis.com/subscription/num_undelivered_messages",
        "run.googleapis.com/request_count",
        "logging.googleapis.com/user/",
    ]:
        assert metric in text, metric
    policies = {b.name: b.body for b in modules()["modules/monitoring"].blocks if b.type == "google_monitoring_alert_policy"}
    assert value(policies["oldest_unacked"]["for_each"]) == "${var.subscriptions}"  # one per subscription
    metric = next(b.body for b in modules()["modules/monitoring"].blocks if b.type == "google_logging_metric")
    assert set(value(metric["label_extractors"])) == {"cluster", "namespace"}


def test_every_alert_and_chart_filter_names_a_resource_type_and_a_metric_type():
    # The Monitoring API refuses a threshold condition whose filter lacks either.
    text = modules()["modules/monitoring"].text()
    filters = re.findall(r'filter\s*=\s*"((?:[^"\\]|\\.)*)"', text)
    metric_filters = [f for f in filters if "metric.type" in f]  # the log filter of the log-based metric has none
    assert len(metric_filters) >= 12
    assert [f for f in metric_filters if "resource.type" not in f] == []
