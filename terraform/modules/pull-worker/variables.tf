variable "project_id" {
  description = "Project that runs the workers."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a GCP project id."
  }
}

variable "region" {
  description = "Region of the Cloud Run worker pools."
  type        = string

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]$", var.region))
    error_message = "region must be a Cloud Run region such as europe-west1 or asia-northeast3."
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

variable "image" {
  description = "Container image with the bridge installed (build it from the repository with terraform/modules/pull-worker/Dockerfile), e.g. europe-docker.pkg.dev/P/R/gcp-log-bridge:0.1.0. Pin a tag or digest."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9.-]+(:[0-9]+)?/[^\\s:@]+(:[A-Za-z0-9._-]+|@sha256:[a-f0-9]{64})$", var.image)) && !endswith(var.image, ":latest")
    error_message = "image must be a registry path with an explicit tag (not :latest) or a sha256 digest."
  }
}

variable "workers" {
  description = <<-EOT
    One worker pool per destination ("elasticsearch", "bigquery"), each running
    `python -m bridge pull --subscription <subscription_id> --to <destination>`.
    Pub/Sub shares a subscription's messages between instances, so instances scales out safely.
  EOT
  type = map(object({
    subscription_id = string
    instances       = optional(number, 1)
    cpu             = optional(string, "1")
    memory          = optional(string, "1Gi")
    extra_args      = optional(list(string), [])
  }))

  validation {
    condition     = length(var.workers) > 0 && alltrue([for k in keys(var.workers) : contains(["elasticsearch", "bigquery"], k)])
    error_message = "workers keys must be \"elasticsearch\" or \"bigquery\"."
  }

  validation {
    condition     = alltrue([for w in values(var.workers) : can(regex("^projects/[^/]+/subscriptions/[^/]+$", w.subscription_id))])
    error_message = "subscription_id must be projects/P/subscriptions/S."
  }

  validation {
    condition     = alltrue([for w in values(var.workers) : w.instances >= 1 && w.instances <= 100 && floor(w.instances) == w.instances])
    error_message = "instances must be a whole number between 1 and 100."
  }

  validation {
    condition     = alltrue([for w in values(var.workers) : can(regex("^[0-9]+(Mi|Gi)$", w.memory)) && can(regex("^[0-9]+(\\.[0-9]+)?$", w.cpu))])
    error_message = "memory must look like \"512Mi\" or \"1Gi\", and cpu like \"1\" or \"2\"."
  }
}

variable "environment" {
  description = "Environment variables per destination (from the runtime-config module)."
  type        = map(map(string))
}

variable "secret_ids" {
  description = "Secrets (projects/P/secrets/S) each destination's service account may access."
  type        = map(list(string))
  default     = {}

  validation {
    condition     = alltrue(flatten([for ids in values(var.secret_ids) : [for id in ids : can(regex("^projects/[^/]+/secrets/[A-Za-z0-9_-]+$", id))]]))
    error_message = "secret_ids must be projects/P/secrets/S names."
  }
}

variable "redaction_rules" {
  description = "Redaction rules file content per destination (from the runtime-config module); written to a file in the container at start."
  type        = map(string)
  default     = {}
}

variable "dead_letter_topic_id" {
  description = "Topic (projects/P/topics/T) the workers publish rejected entries to."
  type        = string

  validation {
    condition     = can(regex("^projects/[^/]+/topics/[^/]+$", var.dead_letter_topic_id))
    error_message = "dead_letter_topic_id must be projects/P/topics/T."
  }
}

variable "launch_stage" {
  description = "Launch stage of the Cloud Run worker pool API to use (worker pools were in preview when this module was written)."
  type        = string
  default     = "BETA"

  validation {
    condition     = contains(["BETA", "GA"], var.launch_stage)
    error_message = "launch_stage must be BETA or GA."
  }
}

variable "metric_writer" {
  description = "Grant roles/monitoring.metricWriter so the bridge can report its own metrics. Cloud Monitoring has no resource narrower than a project for writing time series; the role writes metrics only and reads nothing."
  type        = bool
  default     = true
}
