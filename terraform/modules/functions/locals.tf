locals {
  # Service account ids are limited to 30 characters.
  short_names = { elasticsearch = "es", bigquery = "bq" }

  source_root = coalesce(var.source_root, abspath("${path.module}/../../.."))
  # The bridge package travels inside the archive next to main.py, so the functions run the same core as the CLI.
  bridge_files = fileset("${local.source_root}/bridge", "**/*.{py,json,toml,sql,ndjson}")

  secret_grants = merge([
    for destination, ids in var.secret_ids : { for id in ids : "${destination}/${id}" => { destination = destination, secret_id = id } }
  ]...)
}
