# Folder and organization sinks always get their own writer identity.
resource "google_logging_folder_sink" "this" {
  for_each = local.sinks_by_parent["folder"]

  folder           = "folders/${each.value.parent_id}"
  name             = each.key
  description      = each.value.description
  destination      = local.destination
  filter           = each.value.filter
  disabled         = each.value.disabled
  include_children = each.value.include_children

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
