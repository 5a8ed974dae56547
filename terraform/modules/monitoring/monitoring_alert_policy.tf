resource "google_monitoring_alert_policy" "sink_export_errors" {
  project               = var.project_id
  display_name          = "${var.name_prefix}: log sink export errors"
  combiner              = "OR"
  notification_channels = var.notification_channels

  documentation {
    mime_type = "text/markdown"
    content   = "A log sink failed to publish entries to Pub/Sub: those entries are lost. Check the sink's writer identity still has roles/pubsub.publisher on the topic and that the topic exists."
  }

  conditions {
    display_name = "exports/error_count > ${var.thresholds.export_errors}"
    condition_threshold {
      filter          = "resource.type=\"logging_sink\" AND metric.type=\"logging.googleapis.com/exports/error_count\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.thresholds.export_errors
      duration        = "0s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["resource.label.name"]
      }
    }
  }
}

resource "google_monitoring_alert_policy" "oldest_unacked" {
  for_each = var.subscriptions

  project               = var.project_id
  display_name          = "${var.name_prefix}: ${each.key} backlog older than ${var.thresholds.oldest_unacked_age_seconds}s"
  combiner              = "OR"
  notification_channels = var.notification_channels

  documentation {
    mime_type = "text/markdown"
    content   = "Entries for ${each.key} wait in subscription ${each.value}: the bridge is down, failing, or too slow. Messages are kept 7 days."
  }

  conditions {
    display_name = "oldest_unacked_message_age ${each.value}"
    condition_threshold {
      filter          = "resource.type=\"pubsub_subscription\" AND resource.label.subscription_id=\"${each.value}\" AND metric.type=\"pubsub.googleapis.com/subscription/oldest_unacked_message_age\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.thresholds.oldest_unacked_age_seconds
      duration        = local.duration
      aggregations {
        alignment_period   = "60s"
        per_series_aligner = "ALIGN_MAX"
      }
    }
  }
}

resource "google_monitoring_alert_policy" "dead_letters_waiting" {
  project               = var.project_id
  display_name          = "${var.name_prefix}: messages in the dead-letter subscription"
  combiner              = "OR"
  notification_channels = var.notification_channels

  documentation {
    mime_type = "text/markdown"
    content   = "Messages reached the dead letters (${var.dead_letter_subscription}). Read them, fix the cause, and replay or acknowledge them."
  }

  conditions {
    display_name = "num_undelivered_messages ${var.dead_letter_subscription}"
    condition_threshold {
      filter          = "resource.type=\"pubsub_subscription\" AND resource.label.subscription_id=\"${var.dead_letter_subscription}\" AND metric.type=\"pubsub.googleapis.com/subscription/num_undelivered_messages\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.thresholds.dead_letter_messages
      duration        = "0s"
      aggregations {
        alignment_period   = "60s"
        per_series_aligner = "ALIGN_MAX"
      }
    }
  }
}

resource "google_monitoring_alert_policy" "function_errors" {
  for_each = var.function_services

  project               = var.project_id
  display_name          = "${var.name_prefix}: ${each.key} function errors"
  combiner              = "OR"
  notification_channels = var.notification_channels

  documentation {
    mime_type = "text/markdown"
    content   = "The ${each.key} function answers 5xx: Pub/Sub redelivers, and after the maximum attempts dead-letters. Check the function's logs and the destination's health."
  }

  conditions {
    display_name = "5xx responses of ${each.value}"
    condition_threshold {
      filter          = "resource.type=\"cloud_run_revision\" AND resource.label.service_name=\"${each.value}\" AND metric.type=\"run.googleapis.com/request_count\" AND metric.label.response_code_class=\"5xx\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.thresholds.function_5xx_per_minute
      duration        = local.duration
      aggregations {
        alignment_period     = "60s"
        per_series_aligner   = "ALIGN_DELTA"
        cross_series_reducer = "REDUCE_SUM"
      }
    }
  }
}

# The bridge's own metric: works for both push and pull delivery.
resource "google_monitoring_alert_policy" "bridge_dead_letters" {
  project               = var.project_id
  display_name          = "${var.name_prefix}: entries rejected by the bridge"
  combiner              = "OR"
  notification_channels = var.notification_channels

  documentation {
    mime_type = "text/markdown"
    content   = "The bridge dead-lettered entries (grouped by destination and reason). The records carry the reason; nothing was dropped silently."
  }

  conditions {
    display_name = "entries_dead_lettered by destination and reason"
    condition_threshold {
      filter          = "resource.type=\"${local.descriptors.resource_type}\" AND metric.type=\"${google_monitoring_metric_descriptor.bridge["entries_dead_lettered"].type}\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.thresholds.bridge_dead_letters_per_5min
      duration        = "0s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_DELTA"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["metric.label.destination", "metric.label.reason"]
      }
    }
  }
}

# Example of alerting on a log-based metric: a namespace logging many errors.
resource "google_monitoring_alert_policy" "gke_namespace_errors" {
  count = var.gke_error_metric ? 1 : 0

  project               = var.project_id
  display_name          = "${var.name_prefix}: GKE namespace error burst"
  combiner              = "OR"
  notification_channels = var.notification_channels

  documentation {
    mime_type = "text/markdown"
    content   = "A GKE namespace logged more than ${var.thresholds.namespace_errors_per_5min} ERROR entries in 5 minutes."
  }

  conditions {
    display_name = "errors per namespace"
    condition_threshold {
      filter          = "resource.type=\"k8s_container\" AND metric.type=\"logging.googleapis.com/user/${google_logging_metric.gke_errors_by_namespace[0].name}\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.thresholds.namespace_errors_per_5min
      duration        = "0s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_DELTA"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["metric.label.cluster", "metric.label.namespace"]
      }
    }
  }
}
