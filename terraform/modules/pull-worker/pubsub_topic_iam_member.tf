resource "google_pubsub_topic_iam_member" "dead_letter_publisher" {
  for_each = google_service_account.worker

  project = split("/", var.dead_letter_topic_id)[1]
  topic   = var.dead_letter_topic_id
  role    = "roles/pubsub.publisher"
  member  = each.value.member
}
