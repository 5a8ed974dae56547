# The one project-level grant: writing time series cannot be scoped lower than a project. Write-only: the
# role reads no metric, log or other data. Off with metric_writer = false (then set BRIDGE_METRICS=off).
resource "google_project_iam_member" "metric_writer" {
  for_each = { for k, sa in google_service_account.function : k => sa.member if var.metric_writer }

  project = var.project_id
  role    = "roles/monitoring.metricWriter"
  member  = each.value
}
