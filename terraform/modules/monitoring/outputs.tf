output "dashboard_id" {
  description = "Id of the flow dashboard."
  value       = google_monitoring_dashboard.flow.id
}

output "alert_policy_ids" {
  description = "Ids of the alert policies, by purpose."
  value = merge(
    {
      sink_export_errors   = google_monitoring_alert_policy.sink_export_errors.id
      dead_letters_waiting = google_monitoring_alert_policy.dead_letters_waiting.id
      bridge_dead_letters  = google_monitoring_alert_policy.bridge_dead_letters.id
    },
    { for k, p in google_monitoring_alert_policy.oldest_unacked : "oldest_unacked/${k}" => p.id },
    { for k, p in google_monitoring_alert_policy.function_errors : "function_errors/${k}" => p.id },
    { for p in google_monitoring_alert_policy.gke_namespace_errors : "gke_namespace_errors" => p.id },
  )
}

output "bridge_metric_types" {
  description = "Metric types the bridge reports, by name."
  value       = { for k, d in google_monitoring_metric_descriptor.bridge : k => d.type }
}

output "gke_error_metric" {
  description = "Type of the log-based metric of GKE errors per namespace (null when disabled)."
  value       = var.gke_error_metric ? "logging.googleapis.com/user/${local.gke_error_metric_name}" : null
}
