variable "project_id" {
  description = "The GKE project: its logs are exported, and the bridge runs in it."
  type        = string
}

variable "region" {
  description = "Region of the functions (or pull workers)."
  type        = string
  default     = "asia-northeast3"
}

variable "delivery" {
  description = "\"push\" (functions) or \"pull\" (Cloud Run worker pools)."
  type        = string
  default     = "push"
}

variable "pull_worker_image" {
  description = "Bridge container image, needed with delivery = \"pull\"."
  type        = string
  default     = null
}

variable "elasticsearch_url" {
  description = "HTTPS URL of the Elasticsearch cluster."
  type        = string
}

variable "elasticsearch_api_key_secret" {
  description = "Secret Manager secret (in project_id) holding the Elasticsearch API key."
  type        = string
  default     = "log-bridge-es-api-key"
}

variable "redaction_hmac_secret" {
  description = "Secret Manager secret holding the key of keyed-hash redaction; null when no rule hashes."
  type        = string
  default     = null
}

variable "bigquery_location" {
  description = "BigQuery location of the datasets."
  type        = string
  default     = "asia-northeast3"
}

variable "gke_namespaces" {
  description = "Only export these namespaces (empty: all)."
  type        = list(string)
  default     = []
}

variable "exclusions" {
  description = "Entries the sink drops before export (e.g. noisy health checks)."
  type = list(object({
    name        = string
    filter      = string
    description = optional(string)
  }))
  default = []
}

variable "readers" {
  description = "analyst_groups read the BigQuery views; engineer_groups get the Elasticsearch read-only role; operator_groups own raw tables and dead letters."
  type = object({
    analyst_groups  = optional(list(string), [])
    engineer_groups = optional(list(string), [])
    operator_groups = optional(list(string), [])
  })
  default = {}
}

variable "notification_channels" {
  description = "Notification channel ids for the alerts."
  type        = list(string)
  default     = []
}
