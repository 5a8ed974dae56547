variable "project_id" {
  description = "Project that runs the functions."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a GCP project id."
  }
}

variable "region" {
  description = "Region of the functions and of their source bucket."
  type        = string

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]$", var.region))
    error_message = "region must be a Cloud Functions region such as europe-west1 or asia-northeast3."
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

variable "runtime" {
  description = "Cloud Functions Python runtime."
  type        = string
  default     = "python311"

  validation {
    condition     = can(regex("^python31[1-9]$", var.runtime))
    error_message = "runtime must be python311 or newer (python312, python313, ...)."
  }
}

variable "source_root" {
  description = "Repository root holding functions/ and bridge/. Null uses the repository this module lives in."
  type        = string
  default     = null
}

variable "destinations" {
  description = <<-EOT
    One function per destination ("elasticsearch", "bigquery"). timeout_seconds must equal the subscription's
    ack deadline so Pub/Sub never redelivers a message the function is still writing.
    concurrency above 1 needs cpu of at least "1".
  EOT
  type = map(object({
    timeout_seconds = number
    max_instances   = optional(number, 10)
    min_instances   = optional(number, 0)
    concurrency     = optional(number, 40)
    cpu             = optional(string, "1")
    memory          = optional(string, "512Mi")
  }))

  validation {
    condition     = length(var.destinations) > 0 && alltrue([for k in keys(var.destinations) : contains(["elasticsearch", "bigquery"], k)])
    error_message = "destinations keys must be \"elasticsearch\" or \"bigquery\"."
  }

  validation {
    condition     = alltrue([for d in values(var.destinations) : d.timeout_seconds >= 10 && d.timeout_seconds <= 600])
    error_message = "timeout_seconds must be between 10 and 600, the range of a Pub/Sub ack deadline."
  }

  validation {
    condition     = alltrue([for d in values(var.destinations) : d.min_instances >= 0 && d.max_instances >= 1 && d.min_instances <= d.max_instances && d.max_instances <= 1000])
    error_message = "Need 0 <= min_instances <= max_instances <= 1000 and max_instances >= 1."
  }

  validation {
    condition     = alltrue([for d in values(var.destinations) : d.concurrency >= 1 && d.concurrency <= 1000 && (d.concurrency == 1 || try(tonumber(d.cpu) >= 1, false))])
    error_message = "concurrency must be 1-1000, and above 1 only with cpu >= \"1\"."
  }

  validation {
    condition     = alltrue([for d in values(var.destinations) : can(regex("^[0-9]+(Mi|Gi|M|G)$", d.memory)) && can(regex("^[0-9]+(\\.[0-9]+)?$", d.cpu))])
    error_message = "memory must look like \"512Mi\" or \"1Gi\", and cpu like \"1\" or \"0.583\"."
  }
}

variable "environment" {
  description = "Environment variables per destination (from the runtime-config module). Never secret values: secrets are passed by Secret Manager name."
  type        = map(map(string))

  validation {
    condition     = alltrue(flatten([for env in values(var.environment) : [for k, v in env : !can(regex("(?i)(password|api_key|token)$", k)) || can(regex("^projects/[^/]+/secrets/", v))]]))
    error_message = "A variable named like a password, API key or token must hold a Secret Manager name (projects/P/secrets/S/...), not a secret value."
  }
}

variable "redaction_rules" {
  description = "Redaction rules file content per destination (from the runtime-config module); destinations without one use the bridge's built-in rules."
  type        = map(string)
  default     = {}
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

variable "dead_letter_topic_id" {
  description = "Topic (projects/P/topics/T) the functions publish rejected entries to."
  type        = string

  validation {
    condition     = can(regex("^projects/[^/]+/topics/[^/]+$", var.dead_letter_topic_id))
    error_message = "dead_letter_topic_id must be projects/P/topics/T."
  }
}

variable "invoker_service_account_email" {
  description = "The Pub/Sub push service account: the only identity allowed to invoke the functions."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]@[a-z0-9-]+\\.iam\\.gserviceaccount\\.com$", var.invoker_service_account_email))
    error_message = "invoker_service_account_email must be a service account e-mail (NAME@PROJECT.iam.gserviceaccount.com)."
  }
}

variable "build_service_account" {
  description = "Service account Cloud Build uses to build the functions (projects/P/serviceAccounts/EMAIL). Null uses the project's default build account."
  type        = string
  default     = null

  validation {
    condition     = var.build_service_account == null || can(regex("^projects/[^/]+/serviceAccounts/[^/]+$", var.build_service_account))
    error_message = "build_service_account must be projects/P/serviceAccounts/EMAIL."
  }
}

variable "kms_key_name" {
  description = "Cloud KMS key for the source bucket (CMEK). Null uses Google-managed encryption. The Cloud Storage service agent needs roles/cloudkms.cryptoKeyEncrypterDecrypter on the key."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_name == null || can(regex("^projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/]+$", var.kms_key_name))
    error_message = "kms_key_name must be projects/P/locations/L/keyRings/R/cryptoKeys/K."
  }
}

variable "access_log_bucket" {
  description = "Bucket that receives usage logs of the source bucket. Null disables usage logging."
  type        = string
  default     = null
}

variable "metric_writer" {
  description = "Grant roles/monitoring.metricWriter so the bridge can report its own metrics. Cloud Monitoring has no resource narrower than a project for writing time series; the role writes metrics only and reads nothing."
  type        = bool
  default     = true
}
