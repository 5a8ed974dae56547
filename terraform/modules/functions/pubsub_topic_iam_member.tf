# Entries rejected for good are published to the dead-letter topic with their reason.
resource "google_pubsub_topic_iam_member" "dead_letter_publisher" {
  for_each = google_service_account.function

  project = split("/", var.dead_letter_topic_id)[1]
  topic   = var.dead_letter_topic_id
  role    = "roles/pubsub.publisher"
  member  = each.value.member
}
