# Declared up front (the bridge would create them on first write) so alerts and the dashboard
# can refer to them before the first entry flows.
resource "google_monitoring_metric_descriptor" "bridge" {
  for_each = { for m in local.descriptors.metrics : m.name => m }

  project      = var.project_id
  type         = local.metric_type[each.key]
  display_name = each.value.display_name
  description  = each.value.description
  metric_kind  = each.value.metric_kind
  value_type   = each.value.value_type
  unit         = each.value.unit

  dynamic "labels" {
    for_each = each.value.labels
    content {
      key         = labels.value.key
      value_type  = "STRING"
      description = labels.value.description
    }
  }
}
