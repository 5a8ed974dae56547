variable "project_id" {
  description = "Project that holds the alert policies, dashboard and metrics (the bridge's project)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a GCP project id."
  }
}

variable "name_prefix" {
  description = "Prefix of display names and of the log-based metric."
  type        = string
  default     = "log-bridge"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,19}$", var.name_prefix))
    error_message = "name_prefix must be 1-20 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "notification_channels" {
  description = "Notification channel ids (projects/P/notificationChannels/N) the alerts notify."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.notification_channels : can(regex("^projects/[^/]+/notificationChannels/[0-9]+$", c))])
    error_message = "notification_channels must be projects/P/notificationChannels/N ids."
  }
}

variable "subscriptions" {
  description = "Source subscription name per destination (from the pubsub module)."
  type        = map(string)

  validation {
    condition     = length(var.subscriptions) > 0 && alltrue([for k in keys(var.subscriptions) : contains(["elasticsearch", "bigquery"], k)])
    error_message = "subscriptions keys must be \"elasticsearch\" or \"bigquery\"."
  }
}

variable "dead_letter_subscription" {
  description = "Name of the dead-letter subscription."
  type        = string
}

variable "function_services" {
  description = "Cloud Run service behind each function, per destination (empty with delivery = \"pull\")."
  type        = map(string)
  default     = {}
}

variable "metric_descriptors_file" {
  description = "The bridge's metric descriptors (JSON). Null reads bridge/schema/metric_descriptors.json, the file the bridge itself reports with."
  type        = string
  default     = null
}

variable "thresholds" {
  description = "Alert thresholds. Omitted attributes take the defaults shown."
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

  validation {
    condition     = var.thresholds.oldest_unacked_age_seconds >= 60 && var.thresholds.oldest_unacked_age_seconds <= 604800
    error_message = "thresholds.oldest_unacked_age_seconds must be between 60 and 604800 (the 7-day retention)."
  }

  validation {
    condition     = alltrue([for v in [var.thresholds.dead_letter_messages, var.thresholds.export_errors, var.thresholds.function_5xx_per_minute, var.thresholds.namespace_errors_per_5min, var.thresholds.bridge_dead_letters_per_5min] : v >= 0])
    error_message = "Count thresholds must not be negative."
  }

  validation {
    condition     = var.thresholds.duration_seconds >= 0 && var.thresholds.duration_seconds <= 86400 && var.thresholds.duration_seconds % 60 == 0
    error_message = "thresholds.duration_seconds must be a whole number of minutes between 0 and 86400 seconds."
  }
}

variable "gke_error_metric" {
  description = "Create the log-based metric of GKE container errors per namespace (with its example alert) in this project."
  type        = bool
  default     = true
}
