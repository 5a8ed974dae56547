output "worker_pool_names" {
  description = "Cloud Run worker pool per destination."
  value       = { for k, w in google_cloud_run_v2_worker_pool.worker : k => w.name }
}

output "service_account_emails" {
  description = "Service account of each worker."
  value       = { for k, sa in google_service_account.worker : k => sa.email }
}
