data "archive_file" "source" {
  type        = "zip"
  output_path = "${path.root}/.terraform/tmp/${var.name_prefix}-functions.zip"

  source {
    filename = "main.py"
    content  = file("${local.source_root}/functions/main.py")
  }

  source {
    filename = "requirements.txt"
    content  = file("${local.source_root}/functions/requirements.txt")
  }

  # Redaction rules other than the built-in ones, one file per destination.
  dynamic "source" {
    for_each = var.redaction_rules
    content {
      filename = "redaction/${source.key}.toml"
      content  = source.value
    }
  }

  dynamic "source" {
    for_each = local.bridge_files
    content {
      filename = "bridge/${source.value}"
      content  = file("${local.source_root}/bridge/${source.value}")
    }
  }
}
