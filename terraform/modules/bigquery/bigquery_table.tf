resource "google_bigquery_table" "logs" {
  #checkov:skip=CKV_GCP_121:deletion_protection is var.deletion_protection (default true); checkov cannot resolve the optional() default the root module passes.
  project                  = var.project_id
  dataset_id               = google_bigquery_dataset.logs.dataset_id
  table_id                 = local.table.table_id
  description              = "Log entries written by the bridge, one row per delivery (see the logs_dedup view)."
  labels                   = var.labels
  schema                   = local.logs_schema
  clustering               = local.table.clustering
  require_partition_filter = var.require_partition_filter
  deletion_protection      = var.deletion_protection

  time_partitioning {
    type          = local.table.time_partitioning.type
    field         = local.table.time_partitioning.field
    expiration_ms = var.partition_expiration_days == null ? null : var.partition_expiration_days * local.day_ms
  }

  dynamic "encryption_configuration" {
    for_each = var.kms_key_name == null ? [] : [var.kms_key_name]
    content {
      kms_key_name = encryption_configuration.value
    }
  }
}

resource "google_bigquery_table" "dead_letter" {
  #checkov:skip=CKV_GCP_121:deletion_protection is var.deletion_protection (default true); checkov cannot resolve the optional() default the root module passes.
  project             = var.project_id
  dataset_id          = google_bigquery_dataset.logs.dataset_id
  table_id            = local.table.dead_letter_table_id
  description         = "Rows BigQuery rejected, with the reason (redacted)."
  labels              = var.labels
  schema              = jsonencode(local.table.dead_letter_schema)
  deletion_protection = var.deletion_protection

  time_partitioning {
    type          = "DAY"
    field         = "failed_at"
    expiration_ms = var.dead_letter_expiration_days * local.day_ms
  }

  dynamic "encryption_configuration" {
    for_each = var.kms_key_name == null ? [] : [var.kms_key_name]
    content {
      kms_key_name = encryption_configuration.value
    }
  }
}

resource "google_bigquery_table" "dedup_view" {
  #checkov:skip=CKV_GCP_121:A view holds no data; it is recreated from bridge/sql on every apply, so protecting it only blocks schema changes.
  #checkov:skip=CKV_GCP_80:A view stores no data to encrypt; the tables it reads use the dataset's key.
  project             = var.project_id
  dataset_id          = google_bigquery_dataset.views.dataset_id
  table_id            = local.dedup_view
  description         = "One row per log entry (redeliveries removed). Filter on timestamp to prune partitions."
  labels              = var.labels
  deletion_protection = false

  view {
    query          = local.views[local.dedup_view]
    use_legacy_sql = false
  }

  depends_on = [google_bigquery_table.logs]
}

resource "google_bigquery_table" "analyst_view" {
  #checkov:skip=CKV_GCP_121:A view holds no data; it is recreated from bridge/sql on every apply, so protecting it only blocks schema changes.
  #checkov:skip=CKV_GCP_80:A view stores no data to encrypt; the tables it reads use the dataset's key.
  for_each = { for name, sql in local.views : name => sql if name != local.dedup_view }

  project             = var.project_id
  dataset_id          = google_bigquery_dataset.views.dataset_id
  table_id            = each.key
  description         = "Analyst view ${each.key} (bridge/sql/${each.key}.sql)."
  labels              = var.labels
  deletion_protection = false

  view {
    query          = each.value
    use_legacy_sql = false
  }

  depends_on = [google_bigquery_table.logs, google_bigquery_table.dedup_view]
}
