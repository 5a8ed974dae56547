locals {
  tile_width   = 4
  tile_height  = 4
  destinations = sort(keys(var.subscriptions))

  # A time-series chart of one or more filters, each aligned and reduced the same way.
  chart = merge(
    merge([for i, d in local.destinations : {
      "${d}/flow" = {
        title = "${d}: messages acked (Pub/Sub) and entries written (bridge) per second"
        row   = i
        col   = 0
        series = [
          { filter = "resource.type=\"pubsub_subscription\" AND resource.label.subscription_id=\"${var.subscriptions[d]}\" AND metric.type=\"pubsub.googleapis.com/subscription/ack_message_count\"", aligner = "ALIGN_RATE", reducer = "REDUCE_SUM", group_by = [] },
          { filter = "resource.type=\"${local.descriptors.resource_type}\" AND metric.type=\"${local.metric_type["entries_written"]}\" AND metric.label.destination=\"${d}\"", aligner = "ALIGN_RATE", reducer = "REDUCE_SUM", group_by = [] },
        ]
      }
      "${d}/backlog" = {
        title = "${d}: backlog (messages) and oldest unacked age (s)"
        row   = i
        col   = 1
        series = [
          { filter = "resource.type=\"pubsub_subscription\" AND resource.label.subscription_id=\"${var.subscriptions[d]}\" AND metric.type=\"pubsub.googleapis.com/subscription/num_undelivered_messages\"", aligner = "ALIGN_MAX", reducer = "REDUCE_SUM", group_by = [] },
          { filter = "resource.type=\"pubsub_subscription\" AND resource.label.subscription_id=\"${var.subscriptions[d]}\" AND metric.type=\"pubsub.googleapis.com/subscription/oldest_unacked_message_age\"", aligner = "ALIGN_MAX", reducer = "REDUCE_MAX", group_by = [] },
        ]
      }
      "${d}/lag" = {
        title = "${d}: delivery lag p50 / p99 (publish to written, s)"
        row   = i
        col   = 2
        series = [
          { filter = "resource.type=\"${local.descriptors.resource_type}\" AND metric.type=\"${local.metric_type["delivery_lag"]}\" AND metric.label.destination=\"${d}\"", aligner = "ALIGN_DELTA", reducer = "REDUCE_PERCENTILE_50", group_by = [] },
          { filter = "resource.type=\"${local.descriptors.resource_type}\" AND metric.type=\"${local.metric_type["delivery_lag"]}\" AND metric.label.destination=\"${d}\"", aligner = "ALIGN_DELTA", reducer = "REDUCE_PERCENTILE_99", group_by = [] },
        ]
      }
    }]...),
    {
      "dead_letters/bridge" = {
        title = "Entries dead-lettered and retried by the bridge, per second"
        row   = length(local.destinations)
        col   = 0
        series = [
          { filter = "resource.type=\"${local.descriptors.resource_type}\" AND metric.type=\"${local.metric_type["entries_dead_lettered"]}\"", aligner = "ALIGN_RATE", reducer = "REDUCE_SUM", group_by = ["metric.label.destination", "metric.label.reason"] },
          { filter = "resource.type=\"${local.descriptors.resource_type}\" AND metric.type=\"${local.metric_type["entries_retried"]}\"", aligner = "ALIGN_RATE", reducer = "REDUCE_SUM", group_by = ["metric.label.destination"] },
        ]
      }
      "dead_letters/subscription" = {
        title = "Messages waiting in the dead-letter subscription"
        row   = length(local.destinations)
        col   = 1
        series = [
          { filter = "resource.type=\"pubsub_subscription\" AND resource.label.subscription_id=\"${var.dead_letter_subscription}\" AND metric.type=\"pubsub.googleapis.com/subscription/num_undelivered_messages\"", aligner = "ALIGN_MAX", reducer = "REDUCE_SUM", group_by = [] },
        ]
      }
      "dead_letters/sinks" = {
        title = "Log sink export errors"
        row   = length(local.destinations)
        col   = 2
        series = [
          { filter = "resource.type=\"logging_sink\" AND metric.type=\"logging.googleapis.com/exports/error_count\"", aligner = "ALIGN_SUM", reducer = "REDUCE_SUM", group_by = ["resource.label.name"] },
        ]
      }
    },
  )
}

resource "google_monitoring_dashboard" "flow" {
  project = var.project_id
  dashboard_json = jsonencode({
    displayName = "${var.name_prefix}: log flow per destination"
    mosaicLayout = {
      columns = 3 * local.tile_width
      tiles = [for key in sort(keys(local.chart)) : {
        xPos   = local.chart[key].col * local.tile_width
        yPos   = local.chart[key].row * local.tile_height
        width  = local.tile_width
        height = local.tile_height
        widget = {
          title = local.chart[key].title
          xyChart = {
            dataSets = [for s in local.chart[key].series : {
              plotType = "LINE"
              timeSeriesQuery = {
                timeSeriesFilter = {
                  filter = s.filter
                  aggregation = {
                    alignmentPeriod    = "60s"
                    perSeriesAligner   = s.aligner
                    crossSeriesReducer = s.reducer
                    groupByFields      = s.group_by
                  }
                }
              }
            }]
          }
        }
      }]
    }
  })

  depends_on = [google_monitoring_metric_descriptor.bridge]
}
