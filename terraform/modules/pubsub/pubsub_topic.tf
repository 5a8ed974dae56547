# The topic the log sinks publish to.
resource "google_pubsub_topic" "logs" {
  project                    = var.project_id
  name                       = "${var.name_prefix}-logs"
  labels                     = var.labels
  message_retention_duration = var.topic_message_retention
  kms_key_name               = var.kms_key_name
}

# Messages that failed max_delivery_attempts times, and entries the bridge rejected for good.
resource "google_pubsub_topic" "dead_letter" {
  project                    = var.project_id
  name                       = "${var.name_prefix}-dead-letter"
  labels                     = var.labels
  message_retention_duration = var.dead_letter_retention
  kms_key_name               = var.kms_key_name
}
