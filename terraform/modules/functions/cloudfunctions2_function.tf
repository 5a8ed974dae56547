resource "google_cloudfunctions2_function" "destination" {
  for_each = var.destinations

  project     = var.project_id
  location    = var.region
  name        = "${var.name_prefix}-to-${each.key}"
  description = "GCP Log Bridge: Pub/Sub push -> ${each.key}"
  labels      = merge(var.labels, { destination = each.key })

  build_config {
    runtime         = var.runtime
    entry_point     = "to_${each.key}"
    service_account = var.build_service_account

    source {
      storage_source {
        bucket = google_storage_bucket.source.name
        object = google_storage_bucket_object.source.name
      }
    }
  }

  service_config {
    service_account_email            = google_service_account.function[each.key].email
    timeout_seconds                  = each.value.timeout_seconds
    max_instance_count               = each.value.max_instances
    min_instance_count               = each.value.min_instances
    max_instance_request_concurrency = each.value.concurrency
    available_cpu                    = each.value.cpu
    available_memory                 = each.value.memory
    environment_variables = merge(
      var.environment[each.key],
      { BRIDGE_METRICS_LOCATION = var.region },
      contains(keys(var.redaction_rules), each.key) ? { BRIDGE_REDACTION_RULES = "/workspace/redaction/${each.key}.toml" } : {},
    )
    # Pub/Sub push from the same project counts as internal traffic; nothing on the internet can reach the function.
    ingress_settings               = "ALLOW_INTERNAL_ONLY"
    all_traffic_on_latest_revision = true
  }
}
