# Raw rows and dead letters. The access list is authoritative: operators own it, the writers write,
# the views dataset is authorized to read it; project viewers and analysts get nothing here.
resource "google_bigquery_dataset" "logs" {
  project                    = var.project_id
  dataset_id                 = var.dataset_id
  location                   = var.location
  description                = "GCP Log Bridge raw log rows and dead letters (operators only)."
  labels                     = var.labels
  delete_contents_on_destroy = false

  dynamic "default_encryption_configuration" {
    for_each = var.kms_key_name == null ? [] : [var.kms_key_name]
    content {
      kms_key_name = default_encryption_configuration.value
    }
  }

  access {
    role          = "OWNER"
    special_group = "projectOwners"
  }

  dynamic "access" {
    for_each = toset(var.operator_groups)
    content {
      role           = "OWNER"
      group_by_email = access.value
    }
  }

  # WRITER is the dataset-level form of roles/bigquery.dataEditor (the API stores the basic role).
  dynamic "access" {
    for_each = toset(var.writer_service_accounts)
    content {
      role          = "WRITER"
      user_by_email = access.value
    }
  }

  access {
    dataset {
      dataset {
        project_id = var.project_id
        dataset_id = google_bigquery_dataset.views.dataset_id
      }
      target_types = ["VIEWS"]
    }
  }
}

# Only views live here; analysts read them without any access to the raw dataset.
resource "google_bigquery_dataset" "views" {
  project     = var.project_id
  dataset_id  = var.views_dataset_id
  location    = var.location
  description = "GCP Log Bridge views for analysts (deduplicated, analyst views)."
  labels      = var.labels

  dynamic "default_encryption_configuration" {
    for_each = var.kms_key_name == null ? [] : [var.kms_key_name]
    content {
      kms_key_name = default_encryption_configuration.value
    }
  }

  access {
    role          = "OWNER"
    special_group = "projectOwners"
  }

  dynamic "access" {
    for_each = toset(var.operator_groups)
    content {
      role           = "OWNER"
      group_by_email = access.value
    }
  }

  dynamic "access" {
    for_each = toset(var.analyst_groups)
    content {
      role           = "READER"
      group_by_email = access.value
    }
  }
}
