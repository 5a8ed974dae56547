locals {
  bridge_dir = abspath("${path.module}/../../../bridge")
  schema_dir = coalesce(var.schema_dir, "${local.bridge_dir}/schema")
  sql_dir    = coalesce(var.sql_dir, "${local.bridge_dir}/sql")

  # The same files the bridge reads: one schema for the writer and the table.
  logs_schema = file("${local.schema_dir}/bigquery_logs.json")
  table       = jsondecode(file("${local.schema_dir}/bigquery_table.json"))

  views = {
    for f in fileset(local.sql_dir, "*.sql") : trimsuffix(f, ".sql") => templatefile("${local.sql_dir}/${f}", {
      project       = var.project_id
      dataset       = var.dataset_id
      table         = local.table.table_id
      views_dataset = var.views_dataset_id
    })
  }
  # Analyst views may build on the deduplicated view, so it is created first.
  dedup_view = "logs_dedup"

  day_ms = 86400000
}
