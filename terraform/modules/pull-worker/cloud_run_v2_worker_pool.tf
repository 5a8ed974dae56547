# A worker pool runs always-on instances with no HTTP endpoint at all: nothing can call in.
resource "google_cloud_run_v2_worker_pool" "worker" {
  for_each = var.workers

  project             = var.project_id
  location            = var.region
  name                = "${var.name_prefix}-pull-${each.key}"
  labels              = merge(var.labels, { destination = each.key })
  launch_stage        = var.launch_stage
  deletion_protection = false

  scaling {
    scaling_mode          = "MANUAL"
    manual_instance_count = each.value.instances
  }

  template {
    service_account = google_service_account.worker[each.key].email

    containers {
      name    = "bridge-pull"
      image   = var.image
      command = local.command[each.key].command
      args    = concat(["pull", "--subscription", each.value.subscription_id, "--to", each.key], each.value.extra_args)

      resources {
        limits = {
          cpu    = each.value.cpu
          memory = each.value.memory
        }
      }

      dynamic "env" {
        for_each = merge(var.environment[each.key], local.command[each.key].env, { BRIDGE_METRICS_LOCATION = var.region })
        content {
          name  = env.key
          value = env.value
        }
      }
    }
  }

  depends_on = [
    google_pubsub_subscription_iam_member.worker,
    google_secret_manager_secret_iam_member.accessor,
  ]
}
