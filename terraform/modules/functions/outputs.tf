output "uris" {
  description = "HTTPS endpoint of each function, the push endpoint of its subscription."
  value       = { for k, f in google_cloudfunctions2_function.destination : k => f.service_config[0].uri }
}

output "service_names" {
  description = "Cloud Run service behind each function (for monitoring filters)."
  value       = { for k, f in google_cloudfunctions2_function.destination : k => f.service_config[0].service }
}

output "service_account_emails" {
  description = "Service account of each function."
  value       = { for k, sa in google_service_account.function : k => sa.email }
}

output "source_object" {
  description = "Archive (gs://bucket/object) the functions were built from."
  value       = "gs://${google_storage_bucket.source.name}/${google_storage_bucket_object.source.name}"
}
