# Subscriber on its own subscription only.
resource "google_pubsub_subscription_iam_member" "worker" {
  for_each = var.workers

  project      = split("/", each.value.subscription_id)[1]
  subscription = each.value.subscription_id
  role         = "roles/pubsub.subscriber"
  member       = google_service_account.worker[each.key].member
}
