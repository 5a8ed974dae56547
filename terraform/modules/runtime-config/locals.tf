locals {
  # Secret ids in the projects/P/secrets/S form the IAM resources and the bridge both accept.
  es_secret   = var.elasticsearch == null ? null : (startswith(var.elasticsearch.api_key_secret, "projects/") ? var.elasticsearch.api_key_secret : "projects/${var.project_id}/secrets/${var.elasticsearch.api_key_secret}")
  hmac_secret = var.redaction.hmac_secret == null ? null : (startswith(var.redaction.hmac_secret, "projects/") ? var.redaction.hmac_secret : "projects/${var.project_id}/secrets/${var.redaction.hmac_secret}")

  rules_file = { for d in var.destinations : d => lookup(var.redaction.rules_files_by_destination, d, var.redaction.rules_file) }

  common_environment = merge(
    { BRIDGE_DEAD_LETTER_TOPIC = var.dead_letter_topic_id },
    var.bridge_metrics ? { BRIDGE_METRICS_PROJECT = var.project_id } : { BRIDGE_METRICS = "off" },
    local.hmac_secret == null ? {} : { BRIDGE_REDACTION_HMAC_SECRET = "${local.hmac_secret}/versions/${var.redaction.hmac_secret_version}" },
  )

  destination_environment = {
    elasticsearch = var.elasticsearch == null ? {} : {
      BRIDGE_ES_URL            = var.elasticsearch.url
      BRIDGE_ES_API_KEY_SECRET = "${local.es_secret}/versions/${var.elasticsearch.api_key_secret_version}"
    }
    bigquery = var.bigquery == null ? {} : {
      BRIDGE_BQ_PROJECT = var.bigquery.project_id
      BRIDGE_BQ_DATASET = var.bigquery.dataset_id
    }
  }

  destination_secrets = {
    elasticsearch = compact([local.es_secret])
    bigquery      = []
  }
}
