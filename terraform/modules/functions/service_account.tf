# One identity per destination, each holding only what its own writes need.
resource "google_service_account" "function" {
  for_each = var.destinations

  project      = var.project_id
  account_id   = "${var.name_prefix}-fn-${local.short_names[each.key]}"
  display_name = "GCP Log Bridge function to ${each.key}"
  description  = "Runs the ${each.key} function of the log bridge."
}
