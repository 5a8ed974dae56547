"""Each variable validation rule, evaluated by the real Terraform binary (no provider needed).

For every module: a baseline of valid values plans cleanly, each bad value is rejected by the rule meant
for it (its own error message, at its own line), boundary values are accepted, and every validation
block in the module is exercised by at least one case.
"""
from __future__ import annotations

import re

import pytest

from .hcl import TERRAFORM, REPO
from .terraform_cli import StagedModule

P = "my-project-1"
TOPIC = f"projects/{P}/topics/log-bridge-dead-letter"
SA = f"log-bridge-push@{P}.iam.gserviceaccount.com"
RULES = str(REPO / "bridge" / "schema" / "bigquery_table.json")  # any existing file stands for a rules file

BASELINES = {
    "pubsub": {"project_id": P, "subscriptions": {"elasticsearch": {"push_endpoint": "https://es-abc.a.run.app"}, "bigquery": {}}},
    "log-export": {"topic_id": f"projects/{P}/topics/log-bridge-logs", "sinks": {"gke": {"parent_type": "project", "parent_id": P}}},
    "functions": {
        "project_id": P, "region": "asia-northeast3", "destinations": {"elasticsearch": {"timeout_seconds": 120}},
        "environment": {"elasticsearch": {"BRIDGE_ES_URL": "https://es.example.com"}},
        "dead_letter_topic_id": TOPIC, "invoker_service_account_email": SA,
    },
    "bigquery": {"project_id": P},
    "monitoring": {"project_id": P, "subscriptions": {"elasticsearch": "log-bridge-elasticsearch"}, "dead_letter_subscription": "log-bridge-dead-letter"},
    "pull-worker": {
        "project_id": P, "region": "europe-west1", "image": "europe-docker.pkg.dev/p1/bridge/gcp-log-bridge:0.1.0",
        "workers": {"bigquery": {"subscription_id": f"projects/{P}/subscriptions/log-bridge-bigquery"}},
        "environment": {"bigquery": {}}, "dead_letter_topic_id": TOPIC,
    },
    "runtime-config": {
        "project_id": P, "destinations": ["elasticsearch"], "dead_letter_topic_id": TOPIC,
        "elasticsearch": {"url": "https://es.example.com", "api_key_secret": "es-api-key"},
    },
    "log-bridge": {"project_id": P, "region": "asia-northeast3", "sinks": {"gke": {"parent_type": "project", "parent_id": P}}},
}

SUB = {"push_endpoint": "https://x.a.run.app"}
SINK = {"parent_type": "project", "parent_id": P}
DEST = {"timeout_seconds": 120}
WORKER = {"subscription_id": f"projects/{P}/subscriptions/s"}

# (module, overrides, start of the expected error message)
REJECTED = [
    ("pubsub", {"project_id": "My_Project"}, "project_id must be a GCP project id"),
    ("pubsub", {"name_prefix": "-bridge"}, "name_prefix must be 1-20"),
    ("pubsub", {"delivery": "stream"}, 'delivery must be "push" or "pull"'),
    ("pubsub", {"topic_message_retention": "31d"}, "topic_message_retention must be between"),
    ("pubsub", {"topic_message_retention": "2678401s"}, "topic_message_retention must be between"),
    ("pubsub", {"subscriptions": {"splunk": SUB}}, "subscriptions must have at least one key"),
    ("pubsub", {"subscriptions": {}}, "subscriptions must have at least one key"),
    ("pubsub", {"subscriptions": {"bigquery": {"ack_deadline_seconds": 601}}}, "ack_deadline_seconds must be between 10 and 600"),
    ("pubsub", {"subscriptions": {"bigquery": {"message_retention": "604801s"}}}, "message_retention must be between"),
    ("pubsub", {"subscriptions": {"bigquery": {"minimum_backoff": "700s"}}}, "minimum_backoff and maximum_backoff"),
    ("pubsub", {"subscriptions": {"bigquery": {"minimum_backoff": "60s", "maximum_backoff": "30s"}}}, "minimum_backoff and maximum_backoff"),
    ("pubsub", {"subscriptions": {"bigquery": {"max_delivery_attempts": 4}}}, "max_delivery_attempts must be between 5 and 100"),
    ("pubsub", {"subscriptions": {"elasticsearch": {"push_endpoint": "http://insecure"}}}, "push_endpoint must be an https:// URL"),
    ("pubsub", {"dead_letter_retention": "1s"}, "dead_letter_retention must be between"),
    ("pubsub", {"kms_key_name": "my-key"}, "kms_key_name must be a key resource name"),
    ("log-export", {"topic_id": "log-bridge-logs"}, "topic_id must be projects/PROJECT_ID/topics/TOPIC"),
    ("log-export", {"sinks": {}}, "sinks must declare at least one sink"),
    ("log-export", {"sinks": {"bad name!": SINK}}, "Sink names must be 1-100"),
    ("log-export", {"sinks": {"s": {"parent_type": "billing_account", "parent_id": "1"}}}, 'parent_type must be "project"'),
    ("log-export", {"sinks": {"s": {"parent_type": "organization", "parent_id": "organizations/123"}}}, "parent_id must be a project id"),
    ("log-export", {"sinks": {"s": {"parent_type": "project", "parent_id": "123"}}}, "parent_id must be a project id"),
    ("log-export", {"sinks": {"s": {**SINK, "filter": "  "}}}, "A sink filter must be non-empty"),
    ("log-export", {"sinks": {"s": {**SINK, "exclusions": [{"name": "x", "filter": ""}]}}}, "Each exclusion needs a name"),
    ("log-export", {"gke_namespaces": ["Kube_System"]}, "gke_namespaces must be Kubernetes namespace names"),
    ("functions", {"project_id": "p"}, "project_id must be a GCP project id"),
    ("functions", {"region": "Seoul"}, "region must be a Cloud Functions region"),
    ("functions", {"name_prefix": "a" * 21}, "name_prefix must be 1-20"),
    ("functions", {"runtime": "python310"}, "runtime must be python311 or newer"),
    ("functions", {"destinations": {"kafka": DEST}}, 'destinations keys must be "elasticsearch" or "bigquery"'),
    ("functions", {"destinations": {"bigquery": {"timeout_seconds": 900}}}, "timeout_seconds must be between 10 and 600"),
    ("functions", {"destinations": {"bigquery": {**DEST, "min_instances": 5, "max_instances": 2}}}, "Need 0 <= min_instances <= max_instances"),
    ("functions", {"destinations": {"bigquery": {**DEST, "concurrency": 10, "cpu": "0.5"}}}, "concurrency must be 1-1000"),
    ("functions", {"destinations": {"bigquery": {**DEST, "memory": "512MB"}}}, 'memory must look like "512Mi"'),
    ("functions", {"environment": {"elasticsearch": {"BRIDGE_ES_API_KEY": "c2VjcmV0"}}}, "A variable named like a password, API key or token"),
    ("functions", {"secret_ids": {"elasticsearch": ["es-api-key"]}}, "secret_ids must be projects/P/secrets/S names"),
    ("functions", {"dead_letter_topic_id": "dead-letter"}, "dead_letter_topic_id must be projects/P/topics/T"),
    ("functions", {"invoker_service_account_email": "someone@example.com"}, "invoker_service_account_email must be a service account"),
    ("functions", {"build_service_account": "builder@p.iam.gserviceaccount.com"}, "build_service_account must be"),
    ("functions", {"kms_key_name": "projects/p/keyRings/r"}, "kms_key_name must be projects/P/locations"),
    ("bigquery", {"project_id": "1project"}, "project_id must be a GCP project id"),
    ("bigquery", {"location": "Europe"}, "location must be US, EU or a region"),
    ("bigquery", {"dataset_id": "gcp-log-bridge"}, "dataset_id must be letters, digits and underscores"),
    ("bigquery", {"views_dataset_id": "views.v1"}, "views_dataset_id must be letters"),
    ("bigquery", {"partition_expiration_days": 0}, "partition_expiration_days must be a whole number"),
    ("bigquery", {"partition_expiration_days": 1.5}, "partition_expiration_days must be a whole number"),
    ("bigquery", {"dead_letter_expiration_days": 4000}, "dead_letter_expiration_days must be a whole number"),
    ("bigquery", {"writer_service_accounts": ["writer@example.com"]}, "writer_service_accounts must be service account e-mails"),
    ("bigquery", {"analyst_groups": ["analysts"]}, "analyst_groups must be group e-mail addresses"),
    ("bigquery", {"operator_groups": ["ops@"]}, "operator_groups must be group e-mail addresses"),
    ("bigquery", {"kms_key_name": "key"}, "kms_key_name must be projects/P/locations"),
    ("monitoring", {"project_id": "x"}, "project_id must be a GCP project id"),
    ("monitoring", {"name_prefix": "Bridge"}, "name_prefix must be 1-20"),
    ("monitoring", {"notification_channels": ["email:ops@example.com"]}, "notification_channels must be"),
    ("monitoring", {"subscriptions": {"es": "s"}}, 'subscriptions keys must be "elasticsearch" or "bigquery"'),
    ("monitoring", {"thresholds": {"oldest_unacked_age_seconds": 30}}, "thresholds.oldest_unacked_age_seconds must be between"),
    ("monitoring", {"thresholds": {"dead_letter_messages": -1}}, "Count thresholds must not be negative"),
    ("monitoring", {"thresholds": {"duration_seconds": 90}}, "thresholds.duration_seconds must be a whole number of minutes"),
    ("pull-worker", {"project_id": "P"}, "project_id must be a GCP project id"),
    ("pull-worker", {"region": "eu"}, "region must be a Cloud Run region"),
    ("pull-worker", {"name_prefix": ""}, "name_prefix must be 1-20"),
    ("pull-worker", {"image": "europe-docker.pkg.dev/p1/bridge/gcp-log-bridge:latest"}, "image must be a registry path"),
    ("pull-worker", {"image": "gcp-log-bridge"}, "image must be a registry path"),
    ("pull-worker", {"workers": {"loki": WORKER}}, 'workers keys must be "elasticsearch" or "bigquery"'),
    ("pull-worker", {"workers": {"bigquery": {"subscription_id": "log-bridge-bigquery"}}}, "subscription_id must be projects/P/subscriptions/S"),
    ("pull-worker", {"workers": {"bigquery": {**WORKER, "instances": 0}}}, "instances must be a whole number"),
    ("pull-worker", {"workers": {"bigquery": {**WORKER, "memory": "1GB"}}}, 'memory must look like "512Mi"'),
    ("pull-worker", {"secret_ids": {"bigquery": ["projects/p/secrets/s/versions/1"]}}, "secret_ids must be projects/P/secrets/S names"),
    ("pull-worker", {"dead_letter_topic_id": "projects/p/subscriptions/s"}, "dead_letter_topic_id must be projects/P/topics/T"),
    ("pull-worker", {"launch_stage": "ALPHA"}, "launch_stage must be BETA or GA"),
    ("runtime-config", {"project_id": "project_1"}, "project_id must be a GCP project id"),
    ("runtime-config", {"destinations": ["s3"]}, "destinations must be a non-empty set"),
    ("runtime-config", {"elasticsearch": {"url": "http://es:9200", "api_key_secret": "k"}}, "elasticsearch.url must be an https:// URL"),
    ("runtime-config", {"elasticsearch": {"url": "https://es", "api_key_secret": "VnVlR0pZ...=="}}, "elasticsearch.api_key_secret must be a secret id"),
    ("runtime-config", {"bigquery": {"project_id": P, "dataset_id": "logs-v1"}}, "bigquery.dataset_id must be letters"),
    ("runtime-config", {"dead_letter_topic_id": "topics/dl"}, "dead_letter_topic_id must be projects/P/topics/T"),
    ("runtime-config", {"redaction": {"rules_files_by_destination": {"splunk": RULES}}}, "redaction.rules_files_by_destination keys"),
    ("runtime-config", {"redaction": {"rules_file": "/nonexistent/rules.toml"}}, "Every redaction rules file must exist"),
    ("runtime-config", {"redaction": {"hmac_secret": "projects/p/secrets/s/versions/1"}}, "redaction.hmac_secret must be a secret id"),
    ("runtime-config", {"elasticsearch_index_prefix": "gcp-deadletter"}, "elasticsearch_index_prefix must be a lowercase"),
    ("runtime-config", {"engineer_groups": [" "]}, "engineer_groups must not contain empty names"),
    ("log-bridge", {"project_id": "-p-"}, "project_id must be a GCP project id"),
    ("log-bridge", {"region": "us"}, "region must be a region"),
    ("log-bridge", {"name_prefix": "9lives"}, "name_prefix must be 1-20"),
    ("log-bridge", {"delivery": "both"}, 'delivery must be "push" or "pull"'),
    ("log-bridge", {"destinations": {"opensearch": {}}}, 'destinations keys must be "elasticsearch" or "bigquery"'),
]

# Values at the edge of a rule that must still be accepted.
ACCEPTED = [
    ("pubsub", {"delivery": "pull", "subscriptions": {"bigquery": {"ack_deadline_seconds": 600, "max_delivery_attempts": 100, "message_retention": "604800s"}}}),
    ("pubsub", {"topic_message_retention": "600s", "kms_key_name": f"projects/{P}/locations/asia/keyRings/r/cryptoKeys/k"}),
    ("log-export", {"sinks": {"org": {"parent_type": "organization", "parent_id": "123456789012", "filter": "severity>=ERROR"},
                              "folder": {"parent_type": "folder", "parent_id": "987", "include_children": False}}, "gke_namespaces": ["default", "kube-system"]}),
    ("functions", {"runtime": "python313", "destinations": {"bigquery": {"timeout_seconds": 10, "concurrency": 1, "cpu": "0.583"}},
                   "environment": {"bigquery": {"BRIDGE_ES_API_KEY_SECRET": "projects/p/secrets/es/versions/latest"}}}),
    ("bigquery", {"partition_expiration_days": None, "location": "asia-northeast3", "writer_service_accounts": [SA]}),
    ("monitoring", {"thresholds": {"oldest_unacked_age_seconds": 604800, "duration_seconds": 0}}),
    ("pull-worker", {"image": "europe-docker.pkg.dev/p1/bridge/gcp-log-bridge@sha256:" + "a" * 64}),
    ("runtime-config", {"destinations": ["elasticsearch", "bigquery"], "bigquery": {"project_id": P, "dataset_id": "gcp_log_bridge"},
                        "redaction": {"rules_file": RULES, "hmac_secret": f"projects/{P}/secrets/hmac"}}),
    ("log-bridge", {"delivery": "pull", "destinations": {"bigquery": {"pull_instances": 3}}}),
]


@pytest.fixture(scope="module")
def staged(tmp_path_factory):
    root = tmp_path_factory.mktemp("tfvars")
    return {name: StagedModule(TERRAFORM / "modules" / name, root) for name in BASELINES}


def _rule(diagnostic: dict) -> int:
    return int(re.search(r"validation rule at variables\.tf:(\d+),", diagnostic["detail"]).group(1))


@pytest.mark.parametrize("module", sorted(BASELINES))
def test_baseline_values_are_valid(staged, module):
    assert staged[module].plan(BASELINES[module]) == []


@pytest.mark.parametrize("module,overrides,message", REJECTED, ids=[f"{m}-{next(iter(o))}-{i}" for i, (m, o, _) in enumerate(REJECTED)])
def test_bad_value_is_rejected_by_its_rule(staged, module, overrides, message):
    errors = staged[module].plan({**BASELINES[module], **overrides})
    assert [e["summary"] for e in errors] == ["Invalid value for variable"]
    assert errors[0]["detail"].startswith(message), errors[0]["detail"]


@pytest.mark.parametrize("module,overrides", ACCEPTED, ids=[f"{m}-{i}" for i, (m, _) in enumerate(ACCEPTED)])
def test_boundary_value_is_accepted(staged, module, overrides):
    assert staged[module].plan({**BASELINES[module], **overrides}) == []


@pytest.mark.parametrize("module", sorted(BASELINES))
def test_every_validation_rule_is_exercised(staged, module):
    text = (TERRAFORM / "modules" / module / "variables.tf").read_text().splitlines()
    rules = {i + 1 for i, line in enumerate(text) if line.strip() == "validation {"}
    fired = {_rule(e) for m, o, _ in REJECTED if m == module for e in staged[module].plan({**BASELINES[module], **o})}
    assert rules - fired == set()
