variable "project_id" {
  description = "Project that holds the Secret Manager secrets named by short id."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a GCP project id."
  }
}

variable "destinations" {
  description = "Destinations the bridge writes to: \"elasticsearch\", \"bigquery\" or both."
  type        = set(string)

  validation {
    condition     = length(var.destinations) > 0 && alltrue([for d in var.destinations : contains(["elasticsearch", "bigquery"], d)])
    error_message = "destinations must be a non-empty set of \"elasticsearch\" and/or \"bigquery\"."
  }
}

variable "elasticsearch" {
  description = "Elasticsearch endpoint and the Secret Manager secret holding its API key (short id or projects/P/secrets/S). Required when destinations has \"elasticsearch\"."
  type = object({
    url                    = string
    api_key_secret         = string
    api_key_secret_version = optional(string, "latest")
  })
  default = null

  validation {
    condition     = var.elasticsearch == null || try(can(regex("^https://[^/\\s]+", var.elasticsearch.url)), false)
    error_message = "elasticsearch.url must be an https:// URL (the API key must never travel in clear text)."
  }

  validation {
    condition     = var.elasticsearch == null || try(can(regex("^(projects/[^/]+/secrets/)?[A-Za-z0-9_-]{1,255}$", var.elasticsearch.api_key_secret)), false)
    error_message = "elasticsearch.api_key_secret must be a secret id or projects/P/secrets/S, never the key itself."
  }
}

variable "bigquery" {
  description = "Project and dataset of the BigQuery log table. Required when destinations has \"bigquery\"."
  type = object({
    project_id = string
    dataset_id = string
  })
  default = null

  validation {
    condition     = var.bigquery == null || try(can(regex("^[A-Za-z0-9_]+$", var.bigquery.dataset_id)) && length(var.bigquery.dataset_id) <= 1024, false)
    error_message = "bigquery.dataset_id must be letters, digits and underscores."
  }
}

variable "dead_letter_topic_id" {
  description = "Topic (projects/P/topics/T) the bridge publishes rejected entries to."
  type        = string

  validation {
    condition     = can(regex("^projects/[^/]+/topics/[^/]+$", var.dead_letter_topic_id))
    error_message = "dead_letter_topic_id must be projects/P/topics/T."
  }
}

variable "redaction" {
  description = <<-EOT
    Redaction configuration. rules_file is a path to a rules file shipped with the deployment and named by
    BRIDGE_REDACTION_RULES (null keeps the bridge's built-in default rules); rules_files_by_destination overrides it per destination
    (e.g. hashed in BigQuery, masked in Elasticsearch). hmac_secret is the Secret Manager secret (short id or
    projects/P/secrets/S) holding the keyed-hash key.
  EOT
  type = object({
    rules_file                 = optional(string)
    rules_files_by_destination = optional(map(string), {})
    hmac_secret                = optional(string)
    hmac_secret_version        = optional(string, "latest")
  })
  default = {}

  validation {
    condition     = alltrue([for k in keys(var.redaction.rules_files_by_destination) : contains(["elasticsearch", "bigquery"], k)])
    error_message = "redaction.rules_files_by_destination keys must be \"elasticsearch\" or \"bigquery\"."
  }

  validation {
    condition     = alltrue([for f in concat(compact([var.redaction.rules_file]), values(var.redaction.rules_files_by_destination)) : fileexists(f)])
    error_message = "Every redaction rules file must exist."
  }

  validation {
    condition     = var.redaction.hmac_secret == null || can(regex("^(projects/[^/]+/secrets/)?[A-Za-z0-9_-]{1,255}$", var.redaction.hmac_secret))
    error_message = "redaction.hmac_secret must be a secret id or projects/P/secrets/S."
  }
}

variable "elasticsearch_index_prefix" {
  description = "Prefix of the daily log indices the bridge writes (the bridge's default is gcp-logs; dead letters go to gcp-deadletter-*)."
  type        = string
  default     = "gcp-logs"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9_-]*$", var.elasticsearch_index_prefix)) && var.elasticsearch_index_prefix != "gcp-deadletter"
    error_message = "elasticsearch_index_prefix must be a lowercase index name prefix, and never the dead-letter prefix."
  }
}

variable "engineer_groups" {
  description = "Identity-provider groups of engineers who get the Elasticsearch read-only role on the log indices."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for g in var.engineer_groups : length(trimspace(g)) > 0])
    error_message = "engineer_groups must not contain empty names."
  }
}

variable "bridge_metrics" {
  description = "Whether the bridge reports its own metrics (entries written, dead-lettered, retried, delivery lag) to Cloud Monitoring in project_id."
  type        = bool
  default     = true
}
