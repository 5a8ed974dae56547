output "topic_id" {
  description = "Topic the sinks publish to."
  value       = module.pubsub.topic_id
}

output "subscription_ids" {
  description = "Subscription per destination."
  value       = module.pubsub.subscription_ids
}

output "dead_letter_subscription" {
  description = "Subscription operators read dead letters from."
  value       = module.pubsub.dead_letter_subscription_name
}

output "function_uris" {
  description = "Function endpoint per destination (delivery = \"push\")."
  value       = local.push ? module.functions[0].uris : {}
}

output "worker_pools" {
  description = "Cloud Run worker pool per destination (delivery = \"pull\")."
  value       = local.push ? {} : module.pull_worker[0].worker_pool_names
}

output "bigquery_views_dataset" {
  description = "Dataset analysts query (null without the BigQuery destination)."
  value       = one(module.bigquery[*].views_dataset_id)
}

output "sink_writer_identities" {
  description = "Writer identity of every sink (each may publish to the topic only)."
  value       = module.log_export.writer_identities
}

output "elasticsearch_reader_role" {
  description = "PUT _security/role/gcp_log_bridge_reader with this body: read-only access to the log indices."
  value       = module.config.elasticsearch_reader_role
}

output "elasticsearch_reader_role_mapping" {
  description = "PUT _security/role_mapping/gcp_log_bridge_engineers with this body: the reader role for the engineer groups."
  value       = module.config.elasticsearch_reader_role_mapping
}

output "dashboard_id" {
  description = "Cloud Monitoring dashboard of the flow per destination."
  value       = module.monitoring.dashboard_id
}
