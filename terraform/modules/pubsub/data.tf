# The project number names the Pub/Sub service agent that dead-letters messages and mints push tokens.
data "google_project" "this" {
  project_id = var.project_id
}
