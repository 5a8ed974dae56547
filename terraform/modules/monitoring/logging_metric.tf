# Logs become metrics: error entries of GKE containers, counted per cluster and namespace.
resource "google_logging_metric" "gke_errors_by_namespace" {
  count = var.gke_error_metric ? 1 : 0

  project     = var.project_id
  name        = local.gke_error_metric_name
  description = "GKE container log entries with severity ERROR or above, per cluster and namespace."
  filter      = "resource.type=\"k8s_container\" AND severity>=ERROR"

  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    unit        = "1"

    labels {
      key         = "cluster"
      value_type  = "STRING"
      description = "GKE cluster name"
    }

    labels {
      key         = "namespace"
      value_type  = "STRING"
      description = "Kubernetes namespace"
    }
  }

  label_extractors = {
    cluster   = "EXTRACT(resource.labels.cluster_name)"
    namespace = "EXTRACT(resource.labels.namespace_name)"
  }
}
