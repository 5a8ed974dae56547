variable "project_id" {
  description = "Project of the datasets."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a GCP project id."
  }
}

variable "location" {
  description = "BigQuery location of both datasets (e.g. EU, US, asia-northeast3)."
  type        = string
  default     = "EU"

  validation {
    condition     = can(regex("^(US|EU|[a-z]+-[a-z]+[0-9])$", var.location))
    error_message = "location must be US, EU or a region such as asia-northeast3."
  }
}

variable "dataset_id" {
  description = "Dataset of the raw log and dead-letter tables (operators only)."
  type        = string
  default     = "gcp_log_bridge"

  validation {
    condition     = can(regex("^[A-Za-z0-9_]+$", var.dataset_id)) && length(var.dataset_id) <= 1024
    error_message = "dataset_id must be letters, digits and underscores."
  }
}

variable "views_dataset_id" {
  description = "Dataset of the deduplicated and analyst views, the only dataset analysts can read."
  type        = string
  default     = "gcp_log_bridge_views"

  validation {
    condition     = can(regex("^[A-Za-z0-9_]+$", var.views_dataset_id)) && length(var.views_dataset_id) <= 1024
    error_message = "views_dataset_id must be letters, digits and underscores."
  }
}

variable "schema_dir" {
  description = "Folder holding bigquery_logs.json and bigquery_table.json. Null reads the bridge's own bridge/schema, so Terraform and the bridge share one schema."
  type        = string
  default     = null
}

variable "sql_dir" {
  description = "Folder of view definitions (*.sql, one view each, named after the file) with $${project}, $${dataset}, $${table} and $${views_dataset} placeholders. Null reads the bridge's bridge/sql."
  type        = string
  default     = null
}

variable "partition_expiration_days" {
  description = "Days a daily partition of the log table is kept. Null keeps partitions forever."
  type        = number
  default     = 90

  validation {
    condition     = var.partition_expiration_days == null || try(var.partition_expiration_days >= 1 && var.partition_expiration_days <= 3650 && floor(var.partition_expiration_days) == var.partition_expiration_days, false)
    error_message = "partition_expiration_days must be a whole number of days between 1 and 3650, or null."
  }
}

variable "dead_letter_expiration_days" {
  description = "Days a partition of the dead-letter table is kept."
  type        = number
  default     = 30

  validation {
    condition     = var.dead_letter_expiration_days >= 1 && var.dead_letter_expiration_days <= 3650 && floor(var.dead_letter_expiration_days) == var.dead_letter_expiration_days
    error_message = "dead_letter_expiration_days must be a whole number between 1 and 3650."
  }
}

variable "require_partition_filter" {
  description = "Require queries on the raw table to filter on timestamp, so nobody scans every partition by accident."
  type        = bool
  default     = true
}

variable "writer_service_accounts" {
  description = "E-mails of the service accounts that write rows (the BigQuery function or pull worker). They get WRITER (roles/bigquery.dataEditor) on the raw dataset only."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for e in var.writer_service_accounts : can(regex("^[^@\\s]+@[a-z0-9-]+\\.iam\\.gserviceaccount\\.com$", e))])
    error_message = "writer_service_accounts must be service account e-mails."
  }
}

variable "analyst_groups" {
  description = "Google groups (e-mails) that may read the views, and nothing else."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for g in var.analyst_groups : can(regex("^[^@\\s]+@[^@\\s]+\\.[a-z]{2,}$", g))])
    error_message = "analyst_groups must be group e-mail addresses."
  }
}

variable "operator_groups" {
  description = "Google groups (e-mails) that own both datasets: the raw tables and the dead letters stay with them."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for g in var.operator_groups : can(regex("^[^@\\s]+@[^@\\s]+\\.[a-z]{2,}$", g))])
    error_message = "operator_groups must be group e-mail addresses."
  }
}

variable "deletion_protection" {
  description = "Protect the tables from terraform destroy."
  type        = bool
  default     = true
}

variable "kms_key_name" {
  description = "Cloud KMS key for both datasets (CMEK). Null uses Google-managed encryption. The BigQuery service agent needs roles/cloudkms.cryptoKeyEncrypterDecrypter on the key."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_name == null || can(regex("^projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/]+$", var.kms_key_name))
    error_message = "kms_key_name must be projects/P/locations/L/keyRings/R/cryptoKeys/K."
  }
}

variable "labels" {
  description = "Labels put on the datasets and tables."
  type        = map(string)
  default     = {}
}
