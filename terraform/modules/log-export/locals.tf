locals {
  # GKE ships container stdout/stderr and pod events to Cloud Logging on its own: no agent needed.
  gke_resources = "resource.type=(\"k8s_container\" OR \"k8s_pod\")"
  gke_namespace_clause = length(var.gke_namespaces) == 0 ? "" : format(
    " AND resource.labels.namespace_name=(%s)", join(" OR ", [for n in var.gke_namespaces : "\"${n}\""])
  )
  audit_clause   = var.include_audit_logs ? " OR logName:\"cloudaudit.googleapis.com\"" : ""
  default_filter = "(${local.gke_resources}${local.gke_namespace_clause})${local.audit_clause}"

  destination = "pubsub.googleapis.com/${var.topic_id}"

  sinks_by_parent = {
    for parent_type in ["project", "folder", "organization"] :
    parent_type => { for name, s in var.sinks : name => merge(s, { filter = coalesce(s.filter, local.default_filter) }) if s.parent_type == parent_type }
  }
}
