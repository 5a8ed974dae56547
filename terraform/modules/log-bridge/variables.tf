variable "project_id" {
  description = "Project that hosts the bridge: topic, subscriptions, functions or workers, BigQuery datasets and monitoring."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a GCP project id."
  }
}

variable "region" {
  description = "Region of the functions, workers and source bucket."
  type        = string

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]$", var.region))
    error_message = "region must be a region such as europe-west1 or asia-northeast3."
  }
}

variable "name_prefix" {
  description = "Prefix of every resource name."
  type        = string
  default     = "log-bridge"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,19}$", var.name_prefix))
    error_message = "name_prefix must be 1-20 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "labels" {
  description = "Labels put on every resource that takes labels."
  type        = map(string)
  default     = { app = "gcp-log-bridge" }
}

variable "enable_apis" {
  description = "Enable the Google APIs the bridge uses in project_id (never disabled on destroy)."
  type        = bool
  default     = true
}

variable "delivery" {
  description = "\"push\": Pub/Sub pushes each message to a Cloud Function (cheapest at a few entries per second). \"pull\": Cloud Run worker pools stream-pull and write in bulk (cheaper at thousands per second)."
  type        = string
  default     = "push"

  validation {
    condition     = contains(["push", "pull"], var.delivery)
    error_message = "delivery must be \"push\" or \"pull\"."
  }
}

variable "destinations" {
  description = <<-EOT
    Destinations and their delivery settings. ack_deadline_seconds is also the function timeout.
    Function settings apply with delivery = "push", pull_instances with delivery = "pull".
  EOT
  type = map(object({
    ack_deadline_seconds  = optional(number, 120)
    max_delivery_attempts = optional(number, 10)
    minimum_backoff       = optional(string, "10s")
    maximum_backoff       = optional(string, "600s")
    max_instances         = optional(number, 10)
    concurrency           = optional(number, 40)
    memory                = optional(string, "512Mi")
    pull_instances        = optional(number, 1)
  }))
  default = { elasticsearch = {}, bigquery = {} }

  validation {
    condition     = length(var.destinations) > 0 && alltrue([for k in keys(var.destinations) : contains(["elasticsearch", "bigquery"], k)])
    error_message = "destinations keys must be \"elasticsearch\" or \"bigquery\"."
  }
}

variable "elasticsearch" {
  description = "Elasticsearch URL and the Secret Manager secret (short id or projects/P/secrets/S) holding its API key. Create the secret and its version outside Terraform so the key never enters the state."
  type = object({
    url                    = string
    api_key_secret         = string
    api_key_secret_version = optional(string, "latest")
  })
  default = null
}

variable "bigquery" {
  description = "BigQuery datasets and retention."
  type = object({
    location                  = optional(string, "EU")
    dataset_id                = optional(string, "gcp_log_bridge")
    views_dataset_id          = optional(string, "gcp_log_bridge_views")
    partition_expiration_days = optional(number, 90)
    deletion_protection       = optional(bool, true)
  })
  default = {}
}

variable "sinks" {
  description = "Log sinks (see the log-export module): parent_type project, folder or organization, parent_id, optional filter, include_children and exclusions."
  type = map(object({
    parent_type      = string
    parent_id        = string
    filter           = optional(string)
    include_children = optional(bool, true)
    description      = optional(string, "GCP Log Bridge export to Pub/Sub")
    disabled         = optional(bool, false)
    exclusions = optional(list(object({
      name        = string
      filter      = string
      description = optional(string)
      disabled    = optional(bool, false)
    })), [])
  }))
}

variable "include_audit_logs" {
  description = "Whether the default sink filter also exports Cloud Audit Logs."
  type        = bool
  default     = true
}

variable "gke_namespaces" {
  description = "Restrict the default sink filter to these GKE namespaces (empty: all)."
  type        = list(string)
  default     = []
}

variable "redaction" {
  description = "Redaction rules files (default or per destination) and the Secret Manager secret of the keyed-hash key (see the runtime-config module). Empty keeps the bridge's built-in default rules."
  type = object({
    rules_file                 = optional(string)
    rules_files_by_destination = optional(map(string), {})
    hmac_secret                = optional(string)
    hmac_secret_version        = optional(string, "latest")
  })
  default = {}
}

variable "readers" {
  description = "Who reads what: analysts read the BigQuery views only; engineers get the Elasticsearch read-only role on the log indices (role and mapping bodies are outputs); operators own the raw tables and dead letters."
  type = object({
    analyst_groups  = optional(list(string), [])
    engineer_groups = optional(list(string), [])
    operator_groups = optional(list(string), [])
  })
  default = {}
}

variable "notification_channels" {
  description = "Notification channel ids the alerts notify."
  type        = list(string)
  default     = []
}

variable "alert_thresholds" {
  description = "Alert thresholds (see the monitoring module); omitted attributes keep their defaults."
  type = object({
    oldest_unacked_age_seconds   = optional(number, 900)
    dead_letter_messages         = optional(number, 0)
    export_errors                = optional(number, 0)
    function_5xx_per_minute      = optional(number, 10)
    namespace_errors_per_5min    = optional(number, 100)
    duration_seconds             = optional(number, 300)
    bridge_dead_letters_per_5min = optional(number, 0)
  })
  default = {}
}

variable "gke_error_metric" {
  description = "Create the log-based metric of GKE errors per namespace (and its example alert) in project_id; useful when the GKE workloads log in this project."
  type        = bool
  default     = true
}

variable "runtime" {
  description = "Cloud Functions Python runtime (python311 or newer)."
  type        = string
  default     = "python311"
}

variable "pull_worker_image" {
  description = "Container image of the bridge for delivery = \"pull\" (see terraform/modules/pull-worker/Dockerfile)."
  type        = string
  default     = null
}

variable "kms_key_name" {
  description = "Cloud KMS key (CMEK) for the topics and datasets; null uses Google-managed keys."
  type        = string
  default     = null
}

variable "bridge_metrics" {
  description = "The bridge reports its own metrics to Cloud Monitoring (needs roles/monitoring.metricWriter on project_id for its service accounts, the only project-level grant)."
  type        = bool
  default     = true
}
