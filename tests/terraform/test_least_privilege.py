"""Least privilege, read from the Terraform itself: no service account of the bridge (nor a sink's writer
identity) holds a project-, folder- or organization-wide role; every grant is one role on one resource.

One exception, named here and nowhere else: roles/monitoring.metricWriter on the bridge's own project, for
its own metrics. Writing time series cannot be granted on anything narrower than a project, and the role
writes metrics only: it reads no log, metric or other data. It is switched off with bridge_metrics = false."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from .hcl import Block, Module, load_module, modules, value

# Roles granted on a whole project, folder, organization or billing account, and authoritative IAM
# resources that would wipe other grants: none may appear.
WIDE_IAM = re.compile(r"^google_(project|folder|organization|billing_account)_iam_|_iam_(policy|binding)$")
# The one role each resource-level IAM kind may grant, and what it is for.
ALLOWED_ROLE = {
    "google_pubsub_topic_iam_member": "roles/pubsub.publisher",  # sinks -> topic; bridge and service agent -> dead letters
    "google_pubsub_subscription_iam_member": "roles/pubsub.subscriber",  # pull worker; service agent for dead-lettering
    "google_secret_manager_secret_iam_member": "roles/secretmanager.secretAccessor",  # one named secret
    "google_cloud_run_v2_service_iam_member": "roles/run.invoker",  # the push account on one function
    "google_service_account_iam_member": "roles/iam.serviceAccountTokenCreator",  # service agent signs push tokens
}
# Dataset access roles: READER is roles/bigquery.dataViewer, WRITER roles/bigquery.dataEditor.
DATASET_ROLES = {"logs": {"OWNER", "WRITER"}, "views": {"OWNER", "READER"}}
PUBLIC = re.compile(r"allUsers|allAuthenticatedUsers")


def _iam_blocks(module: Module) -> list[Block]:
    return [b for b in module.blocks if "_iam_" in b.type]


# (resource kind, role, for_each) of the one allowed project-level grant: the bridge's own accounts, when enabled.
PROJECT_EXCEPTION = re.compile(r"^\$\{\{for k\s*,\s*sa in google_service_account\.\w+ : k => sa\.member if var\.metric_writer\}\}$")


def _allowed_project_grant(block: Block) -> bool:
    return (
        block.type == "google_project_iam_member"
        and value(block.body.get("role", [""])) == "roles/monitoring.metricWriter"
        and bool(PROJECT_EXCEPTION.match(str(value(block.body.get("for_each", [""])))))
    )


def violations(all_modules: dict[str, Module]) -> list[str]:
    found = []
    for name, module in all_modules.items():
        found += [f"{b.address}: wide or authoritative IAM resource" for b in module.blocks
                  if WIDE_IAM.search(b.type) and not _allowed_project_grant(b)]
        for block in _iam_blocks(module):
            if _allowed_project_grant(block):
                continue
            role = value(block.body.get("role", [""]))
            if block.type not in ALLOWED_ROLE:
                found.append(f"{block.address}: IAM resource kind not reviewed for least privilege")
            elif role != ALLOWED_ROLE[block.type]:
                found.append(f"{block.address}: role {role} instead of {ALLOWED_ROLE[block.type]}")
        if PUBLIC.search(module.text()):
            found.append(f"{name}: grants to allUsers or allAuthenticatedUsers")
    return found


def test_no_wide_role_and_only_one_reviewed_role_per_resource_kind():
    assert violations(modules()) == []


def test_checker_flags_project_wide_roles_for_a_bridge_account(tmp_path: Path):
    (tmp_path / "iam.tf").write_text(
        'resource "google_service_account" "fn" {\n  account_id = "log-bridge-fn"\n}\n'
        'resource "google_project_iam_member" "fn" {\n  project = "p"\n  role = "roles/bigquery.dataEditor"\n'
        '  member = google_service_account.fn.member\n}\n'
        'resource "google_pubsub_topic_iam_member" "fn" {\n  topic = "t"\n  role = "roles/pubsub.editor"\n'
        '  member = "allAuthenticatedUsers"\n}\n'
        'resource "google_project_iam_member" "writer" {\n  for_each = { for k, sa in google_service_account.fn : k => sa.member if var.metric_writer }\n'
        '  project = "p"\n  role = "roles/logging.viewer"\n  member = each.value\n}\n'
    )
    found = violations({"synthetic": load_module(tmp_path)})
    assert any("google_project_iam_member.fn: wide" in v for v in found)
    assert any("google_project_iam_member.writer: wide" in v for v in found)  # the exception is for metricWriter only
    assert any("role roles/pubsub.editor instead of roles/pubsub.publisher" in v for v in found)
    assert any("allUsers or allAuthenticatedUsers" in v for v in found)


def test_sink_writer_identities_are_bound_on_the_topic_only():
    module = modules()["modules/log-export"]
    grants = [b for b in _iam_blocks(module)]
    assert [(b.type, value(b.body["role"])) for b in grants] == [("google_pubsub_topic_iam_member", "roles/pubsub.publisher")]
    assert value(grants[0].body["topic"]) == "${var.topic_id}"
    assert "writer_identity" in value(grants[0].body["for_each"])


@pytest.mark.parametrize("module,account,grants", [
    ("modules/functions", "function", {
        "google_secret_manager_secret_iam_member": "${google_service_account.function[each.value.destination].member}",
        "google_pubsub_topic_iam_member": "${each.value.member}",
    }),
    ("modules/pull-worker", "worker", {
        "google_secret_manager_secret_iam_member": "${google_service_account.worker[each.value.destination].member}",
        "google_pubsub_topic_iam_member": "${each.value.member}",
        "google_pubsub_subscription_iam_member": "${google_service_account.worker[each.key].member}",
    }),
])
def test_each_bridge_account_holds_exactly_its_resource_grants(module, account, grants):
    blocks = _iam_blocks(modules()[module])
    members = {b.type: value(b.body["member"]) for b in blocks if account in value(b.body["member"]) or "each.value.member" in value(b.body["member"])}
    assert members == grants
    # One named resource each: the secret ids, the dead-letter topic and the worker's own subscription.
    targets = {b.type: value(b.body.get("secret_id") or b.body.get("topic") or b.body.get("subscription")) for b in blocks}
    assert targets["google_pubsub_topic_iam_member"] == "${var.dead_letter_topic_id}"
    assert targets["google_secret_manager_secret_iam_member"] == "${each.value.secret_id}"


def test_push_account_has_no_role_but_invoker_on_each_function():
    functions = modules()["modules/functions"]
    invokers = [b for b in _iam_blocks(functions) if b.type == "google_cloud_run_v2_service_iam_member"]
    assert [value(b.body["member"]) for b in invokers] == ["serviceAccount:${var.invoker_service_account_email}"]
    pubsub = modules()["modules/pubsub"]
    push_grants = [b for b in _iam_blocks(pubsub) if "google_service_account.push" in str(b.body.get("member"))]
    assert push_grants == []


def test_functions_accept_only_internal_authenticated_calls():
    (function,) = [b for b in modules()["modules/functions"].blocks if b.type == "google_cloudfunctions2_function"]
    service = value(function.body["service_config"])
    assert value(service["ingress_settings"]) == "ALLOW_INTERNAL_ONLY"
    # Push carries an OIDC token of the push account, the only invoker.
    (subscription,) = [b for b in modules()["modules/pubsub"].blocks if b.name == "destination"]
    push = subscription.body["dynamic"][0]["push_config"]["content"][0]
    assert value(value(push["oidc_token"])["service_account_email"]) == "${google_service_account.push[0].email}"


def test_dataset_access_keeps_raw_tables_with_operators_and_views_with_analysts():
    datasets = {b.name: b.body for b in modules()["modules/bigquery"].blocks if b.type == "google_bigquery_dataset"}
    for name, allowed in DATASET_ROLES.items():
        body = datasets[name]
        static = [value(a["role"]) for a in body.get("access", []) if "role" in a]
        dynamic = [value(d[next(iter(d))]["content"][0]["role"]) for d in body.get("dynamic", []) if next(iter(d)) == "access"]
        assert set(static + dynamic) <= allowed, name
    dynamic_logs = {value(d["access"]["for_each"]): value(d["access"]["content"][0]["role"]) for d in datasets["logs"]["dynamic"] if "access" in d}
    assert dynamic_logs == {"${toset(var.operator_groups)}": "OWNER", "${toset(var.writer_service_accounts)}": "WRITER"}
    dynamic_views = {value(d["access"]["for_each"]): value(d["access"]["content"][0]["role"]) for d in datasets["views"]["dynamic"] if "access" in d}
    assert dynamic_views == {"${toset(var.operator_groups)}": "OWNER", "${toset(var.analyst_groups)}": "READER"}
    # The raw dataset is readable through the views dataset only (an authorized dataset), never by analysts.
    authorized = [a for a in datasets["logs"]["access"] if "dataset" in a]
    assert len(authorized) == 1 and "analyst_groups" not in str(datasets["logs"])


def test_the_only_project_grant_is_metric_writer_for_the_bridge_accounts():
    project_grants = [b for m in modules().values() for b in m.blocks if b.type.startswith("google_project_iam")]
    assert sorted(b.address for b in project_grants) == [
        "modules/functions:google_project_iam_member.metric_writer",
        "modules/pull-worker:google_project_iam_member.metric_writer",
    ]
    assert all(_allowed_project_grant(b) for b in project_grants)
