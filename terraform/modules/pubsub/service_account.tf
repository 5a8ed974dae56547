# The identity Pub/Sub puts in the OIDC token of each push; the functions admit only this account.
resource "google_service_account" "push" {
  count = var.delivery == "push" ? 1 : 0

  project      = var.project_id
  account_id   = "${var.name_prefix}-push"
  display_name = "GCP Log Bridge Pub/Sub push"
  description  = "Signs the OIDC token of push requests to the bridge functions. Holds no roles of its own."
}
