# One aggregated organization sink (include_children) feeding a central logging project.
module "log_bridge" {
  source = "../../modules/log-bridge"

  project_id        = var.project_id
  region            = var.region
  delivery          = var.delivery
  pull_worker_image = var.pull_worker_image
  destinations      = var.destinations

  elasticsearch = {
    url            = var.elasticsearch_url
    api_key_secret = var.elasticsearch_api_key_secret
  }
  bigquery  = { location = var.bigquery_location }
  redaction = { hmac_secret = var.redaction_hmac_secret }

  sinks = {
    "log-bridge-org" = {
      parent_type      = "organization"
      parent_id        = var.organization_id
      include_children = true
      filter           = var.sink_filter
      exclusions       = var.exclusions
    }
  }

  # GKE logs stay in their own projects: a log-based metric here would see none of them.
  gke_error_metric      = false
  readers               = var.readers
  notification_channels = var.notification_channels
}
