resource "google_service_account" "worker" {
  for_each = var.workers

  project      = var.project_id
  account_id   = "${var.name_prefix}-pull-${local.short_names[each.key]}"
  display_name = "GCP Log Bridge pull worker to ${each.key}"
  description  = "Pulls the ${each.key} subscription of the log bridge and writes to ${each.key}."
}
