# A gen2 function is a Cloud Run service: only the push account may invoke it, so every request carries its OIDC token.
resource "google_cloud_run_v2_service_iam_member" "push_invoker" {
  for_each = google_cloudfunctions2_function.destination

  project  = var.project_id
  location = var.region
  name     = each.value.service_config[0].service
  role     = "roles/run.invoker"
  member   = "serviceAccount:${var.invoker_service_account_email}"
}
