# One GKE project, both destinations: the project's container, pod and audit logs go to
# Elasticsearch and BigQuery.
module "log_bridge" {
  source = "../../modules/log-bridge"

  project_id        = var.project_id
  region            = var.region
  delivery          = var.delivery
  pull_worker_image = var.pull_worker_image
  gke_namespaces    = var.gke_namespaces

  elasticsearch = {
    url            = var.elasticsearch_url
    api_key_secret = var.elasticsearch_api_key_secret
  }
  bigquery  = { location = var.bigquery_location }
  redaction = { hmac_secret = var.redaction_hmac_secret }

  sinks = {
    "log-bridge-gke" = {
      parent_type = "project"
      parent_id   = var.project_id
      exclusions  = var.exclusions
    }
  }

  readers               = var.readers
  notification_channels = var.notification_channels
}
