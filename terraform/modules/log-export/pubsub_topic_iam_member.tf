# Each sink's own writer identity may publish to this one topic and nothing else.
resource "google_pubsub_topic_iam_member" "sink_writer" {
  for_each = merge(
    { for k, s in google_logging_project_sink.this : "project/${k}" => s.writer_identity },
    { for k, s in google_logging_folder_sink.this : "folder/${k}" => s.writer_identity },
    { for k, s in google_logging_organization_sink.this : "organization/${k}" => s.writer_identity },
  )

  project = split("/", var.topic_id)[1]
  topic   = var.topic_id
  role    = "roles/pubsub.publisher"
  member  = each.value
}
