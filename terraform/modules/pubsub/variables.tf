variable "project_id" {
  description = "Project that holds the topics and subscriptions."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a GCP project id: 6-30 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "name_prefix" {
  description = "Prefix of every resource name this module creates."
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
  default     = {}
}

variable "delivery" {
  description = "How entries reach the bridge: \"push\" (Pub/Sub pushes to the functions with an OIDC token) or \"pull\" (a pull worker reads the subscriptions)."
  type        = string
  default     = "push"

  validation {
    condition     = contains(["push", "pull"], var.delivery)
    error_message = "delivery must be \"push\" or \"pull\"."
  }
}

variable "topic_message_retention" {
  description = "How long the source topic keeps messages, so a subscription can be re-created or seeked back (duration in seconds, e.g. \"604800s\")."
  type        = string
  default     = "604800s"

  validation {
    condition     = can(regex("^[0-9]+s$", var.topic_message_retention)) && try(tonumber(trimsuffix(var.topic_message_retention, "s")) >= 600 && tonumber(trimsuffix(var.topic_message_retention, "s")) <= 2678400, false)
    error_message = "topic_message_retention must be between \"600s\" (10 minutes) and \"2678400s\" (31 days)."
  }
}

variable "subscriptions" {
  description = <<-EOT
    One subscription per destination, keyed by destination ("elasticsearch", "bigquery").
    push_endpoint is the function URL and is required when delivery = "push".
    ack_deadline_seconds must equal the function timeout (the functions module gets the same value).
  EOT
  type = map(object({
    push_endpoint         = optional(string)
    ack_deadline_seconds  = optional(number, 300)
    message_retention     = optional(string, "604800s")
    minimum_backoff       = optional(string, "10s")
    maximum_backoff       = optional(string, "600s")
    max_delivery_attempts = optional(number, 10)
  }))

  validation {
    condition     = length(var.subscriptions) > 0 && alltrue([for k in keys(var.subscriptions) : contains(["elasticsearch", "bigquery"], k)])
    error_message = "subscriptions must have at least one key, each \"elasticsearch\" or \"bigquery\"."
  }

  validation {
    condition     = alltrue([for s in values(var.subscriptions) : s.ack_deadline_seconds >= 10 && s.ack_deadline_seconds <= 600])
    error_message = "ack_deadline_seconds must be between 10 and 600 (the Pub/Sub limits)."
  }

  validation {
    condition     = alltrue([for s in values(var.subscriptions) : can(regex("^[0-9]+s$", s.message_retention)) && try(tonumber(trimsuffix(s.message_retention, "s")) >= 600 && tonumber(trimsuffix(s.message_retention, "s")) <= 604800, false)])
    error_message = "message_retention must be between \"600s\" and \"604800s\" (7 days, the subscription maximum)."
  }

  validation {
    condition = alltrue([for s in values(var.subscriptions) : alltrue([
      for d in [s.minimum_backoff, s.maximum_backoff] : can(regex("^[0-9]+s$", d)) && try(tonumber(trimsuffix(d, "s")) <= 600, false)
    ]) && try(tonumber(trimsuffix(s.minimum_backoff, "s")) <= tonumber(trimsuffix(s.maximum_backoff, "s")), false)])
    error_message = "minimum_backoff and maximum_backoff must be durations like \"10s\" of at most 600s, with minimum_backoff <= maximum_backoff."
  }

  validation {
    condition     = alltrue([for s in values(var.subscriptions) : s.max_delivery_attempts >= 5 && s.max_delivery_attempts <= 100])
    error_message = "max_delivery_attempts must be between 5 and 100 (the Pub/Sub dead-letter limits)."
  }

  validation {
    condition     = alltrue([for s in values(var.subscriptions) : s.push_endpoint == null || can(regex("^https://", s.push_endpoint))])
    error_message = "push_endpoint must be an https:// URL."
  }
}

variable "dead_letter_retention" {
  description = "How long the dead-letter subscription keeps messages for operators to inspect and replay."
  type        = string
  default     = "604800s"

  validation {
    condition     = can(regex("^[0-9]+s$", var.dead_letter_retention)) && try(tonumber(trimsuffix(var.dead_letter_retention, "s")) >= 600 && tonumber(trimsuffix(var.dead_letter_retention, "s")) <= 604800, false)
    error_message = "dead_letter_retention must be between \"600s\" and \"604800s\" (7 days)."
  }
}

variable "kms_key_name" {
  description = "Cloud KMS key for the topics (CMEK). Null uses Google-managed encryption. The Pub/Sub service agent needs roles/cloudkms.cryptoKeyEncrypterDecrypter on the key."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_name == null || can(regex("^projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/]+$", var.kms_key_name))
    error_message = "kms_key_name must be a key resource name: projects/P/locations/L/keyRings/R/cryptoKeys/K."
  }
}
