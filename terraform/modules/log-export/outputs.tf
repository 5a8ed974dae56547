output "default_filter" {
  description = "The filter used by sinks that set none."
  value       = local.default_filter
}

output "writer_identities" {
  description = "Writer identity of every sink, keyed by \"<parent_type>/<sink name>\"."
  value       = { for k, m in google_pubsub_topic_iam_member.sink_writer : k => m.member }
}

output "sink_names" {
  description = "Names of the sinks created, keyed by parent type."
  value = {
    project      = keys(google_logging_project_sink.this)
    folder       = keys(google_logging_folder_sink.this)
    organization = keys(google_logging_organization_sink.this)
  }
}
