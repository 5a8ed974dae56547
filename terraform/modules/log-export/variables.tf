variable "topic_id" {
  description = "Pub/Sub topic the sinks publish to, as projects/P/topics/T."
  type        = string

  validation {
    condition     = can(regex("^projects/[a-z][a-z0-9-]{4,28}[a-z0-9]/topics/[A-Za-z][A-Za-z0-9._~+%-]{2,254}$", var.topic_id))
    error_message = "topic_id must be projects/PROJECT_ID/topics/TOPIC."
  }
}

variable "sinks" {
  description = <<-EOT
    Log sinks keyed by sink name. parent_type is "project", "folder" or "organization";
    parent_id is the project id, the numeric folder id or the numeric organization id.
    filter null uses the module's default filter (GKE containers and pods plus audit logs).
    include_children (folders and organizations) also exports every project below the parent.
    Each exclusion drops the entries its filter matches before they are exported.
  EOT
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

  validation {
    condition     = length(var.sinks) > 0
    error_message = "sinks must declare at least one sink."
  }

  validation {
    condition     = alltrue([for name in keys(var.sinks) : can(regex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$", name))])
    error_message = "Sink names must be 1-100 letters, digits, underscores, hyphens or periods, starting with a letter or digit."
  }

  validation {
    condition     = alltrue([for s in values(var.sinks) : contains(["project", "folder", "organization"], s.parent_type)])
    error_message = "parent_type must be \"project\", \"folder\" or \"organization\"."
  }

  validation {
    condition = alltrue([for s in values(var.sinks) : s.parent_type == "project" ?
      can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", s.parent_id)) :
    can(regex("^[0-9]{1,20}$", s.parent_id))])
    error_message = "parent_id must be a project id for parent_type \"project\", and the numeric id (no \"folders/\" or \"organizations/\" prefix) for folders and organizations."
  }

  validation {
    condition     = alltrue([for s in values(var.sinks) : s.filter == null || try(length(trimspace(s.filter)) > 0 && length(s.filter) <= 20000, false)])
    error_message = "A sink filter must be non-empty (an empty filter exports every log) and at most 20000 characters; leave it null for the default filter."
  }

  validation {
    condition = alltrue(flatten([for s in values(var.sinks) : [
      for e in s.exclusions : can(regex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$", e.name)) && length(trimspace(e.filter)) > 0
    ]]))
    error_message = "Each exclusion needs a name (letters, digits, _ - .) and a non-empty filter."
  }
}

variable "include_audit_logs" {
  description = "Whether the default filter also exports Cloud Audit Logs (admin activity, data access, system event, policy)."
  type        = bool
  default     = true
}

variable "gke_namespaces" {
  description = "Restrict the default filter's GKE entries to these namespaces. Empty exports every namespace."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for n in var.gke_namespaces : can(regex("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", n))])
    error_message = "gke_namespaces must be Kubernetes namespace names (RFC 1123 labels)."
  }
}
