# One subscription per destination, so a slow destination never holds back the other.
resource "google_pubsub_subscription" "destination" {
  for_each = var.subscriptions

  project                    = var.project_id
  name                       = "${var.name_prefix}-${each.key}"
  topic                      = google_pubsub_topic.logs.id
  labels                     = merge(var.labels, { destination = each.key })
  ack_deadline_seconds       = each.value.ack_deadline_seconds
  message_retention_duration = each.value.message_retention
  retain_acked_messages      = false

  # Never expire: an idle subscription must not silently disappear.
  expiration_policy {
    ttl = ""
  }

  retry_policy {
    minimum_backoff = each.value.minimum_backoff
    maximum_backoff = each.value.maximum_backoff
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.dead_letter.id
    max_delivery_attempts = each.value.max_delivery_attempts
  }

  dynamic "push_config" {
    for_each = var.delivery == "push" ? [each.value.push_endpoint] : []
    content {
      push_endpoint = push_config.value
      oidc_token {
        service_account_email = google_service_account.push[0].email
        audience              = push_config.value
      }
    }
  }

  lifecycle {
    precondition {
      condition     = var.delivery == "pull" || each.value.push_endpoint != null
      error_message = "delivery = \"push\" needs push_endpoint for every subscription."
    }
  }

  depends_on = [google_pubsub_topic_iam_member.dead_letter_publisher]
}

# Operators read dead letters here; nothing consumes it automatically.
resource "google_pubsub_subscription" "dead_letter" {
  project                    = var.project_id
  name                       = "${var.name_prefix}-dead-letter"
  topic                      = google_pubsub_topic.dead_letter.id
  labels                     = var.labels
  ack_deadline_seconds       = 60
  message_retention_duration = var.dead_letter_retention
  retain_acked_messages      = true

  expiration_policy {
    ttl = ""
  }
}
