locals {
  descriptors = jsondecode(file(coalesce(var.metric_descriptors_file, abspath("${path.module}/../../../bridge/schema/metric_descriptors.json"))))
  metric_type = { for m in local.descriptors.metrics : m.name => "${local.descriptors.type_prefix}${m.name}" }

  duration              = "${var.thresholds.duration_seconds}s"
  gke_error_metric_name = "${var.name_prefix}/gke_errors_by_namespace"
}
