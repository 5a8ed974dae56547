# Projects created before April 2021 need the service agent to be allowed to mint tokens for the push account.
resource "google_service_account_iam_member" "push_token_creator" {
  count = var.delivery == "push" ? 1 : 0

  service_account_id = google_service_account.push[0].name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = local.pubsub_service_agent
}
