output "dataset_id" {
  description = "Raw dataset (BRIDGE_BQ_DATASET)."
  value       = google_bigquery_dataset.logs.dataset_id
}

output "views_dataset_id" {
  description = "Dataset of the views analysts read."
  value       = google_bigquery_dataset.views.dataset_id
}

output "table_id" {
  description = "Full id of the log table (projects/P/datasets/D/tables/T)."
  value       = google_bigquery_table.logs.id
}

output "dead_letter_table_id" {
  description = "Full id of the dead-letter table."
  value       = google_bigquery_table.dead_letter.id
}

output "view_ids" {
  description = "Full id of every view, by name."
  value = merge(
    { (local.dedup_view) = google_bigquery_table.dedup_view.id },
    { for k, v in google_bigquery_table.analyst_view : k => v.id },
  )
}

output "schema_file" {
  description = "The schema file the table was created from (the bridge's own)."
  value       = "${local.schema_dir}/bigquery_logs.json"
}
