resource "google_logging_project_sink" "this" {
  for_each = local.sinks_by_parent["project"]

  project                = each.value.parent_id
  name                   = each.key
  description            = each.value.description
  destination            = local.destination
  filter                 = each.value.filter
  disabled               = each.value.disabled
  unique_writer_identity = true

  dynamic "exclusions" {
    for_each = each.value.exclusions
    content {
      name        = exclusions.value.name
      filter      = exclusions.value.filter
      description = exclusions.value.description
      disabled    = exclusions.value.disabled
    }
  }
}
