output "topic_id" {
  description = "Topic the sink publishes to."
  value       = module.log_bridge.topic_id
}

output "function_uris" {
  description = "Function endpoints (push delivery)."
  value       = module.log_bridge.function_uris
}

output "dead_letter_subscription" {
  description = "Where rejected messages wait for an operator."
  value       = module.log_bridge.dead_letter_subscription
}

output "bigquery_views_dataset" {
  description = "Dataset analysts query."
  value       = module.log_bridge.bigquery_views_dataset
}

output "elasticsearch_reader_role" {
  description = "Body for PUT _security/role/gcp_log_bridge_reader."
  value       = module.log_bridge.elasticsearch_reader_role
}

output "elasticsearch_reader_role_mapping" {
  description = "Body for PUT _security/role_mapping/gcp_log_bridge_engineers."
  value       = module.log_bridge.elasticsearch_reader_role_mapping
}
