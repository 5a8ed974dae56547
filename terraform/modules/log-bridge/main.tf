locals {
  destinations = toset(keys(var.destinations))
  push         = var.delivery == "push"
}

module "pubsub" {
  source = "../pubsub"

  project_id   = var.project_id
  name_prefix  = var.name_prefix
  labels       = var.labels
  delivery     = var.delivery
  kms_key_name = var.kms_key_name
  subscriptions = {
    for d, s in var.destinations : d => {
      push_endpoint         = local.push ? module.functions[0].uris[d] : null
      ack_deadline_seconds  = s.ack_deadline_seconds
      minimum_backoff       = s.minimum_backoff
      maximum_backoff       = s.maximum_backoff
      max_delivery_attempts = s.max_delivery_attempts
    }
  }

  depends_on = [google_project_service.api]
}

module "config" {
  source = "../runtime-config"

  project_id           = var.project_id
  destinations         = local.destinations
  elasticsearch        = var.elasticsearch
  bigquery             = contains(local.destinations, "bigquery") ? { project_id = var.project_id, dataset_id = var.bigquery.dataset_id } : null
  dead_letter_topic_id = module.pubsub.dead_letter_topic_id
  redaction            = var.redaction
  engineer_groups      = var.readers.engineer_groups
  bridge_metrics       = var.bridge_metrics
}

module "functions" {
  source = "../functions"
  count  = local.push ? 1 : 0

  project_id                    = var.project_id
  region                        = var.region
  name_prefix                   = var.name_prefix
  labels                        = var.labels
  runtime                       = var.runtime
  environment                   = module.config.environment
  secret_ids                    = module.config.secret_ids
  redaction_rules               = module.config.redaction_rules
  dead_letter_topic_id          = module.pubsub.dead_letter_topic_id
  invoker_service_account_email = module.pubsub.push_service_account_email
  metric_writer                 = var.bridge_metrics
  destinations = {
    for d, s in var.destinations : d => {
      timeout_seconds = s.ack_deadline_seconds
      max_instances   = s.max_instances
      concurrency     = s.concurrency
      memory          = s.memory
    }
  }

  depends_on = [google_project_service.api]
}

module "pull_worker" {
  source = "../pull-worker"
  count  = local.push ? 0 : 1

  project_id           = var.project_id
  region               = var.region
  name_prefix          = var.name_prefix
  labels               = var.labels
  image                = var.pull_worker_image
  environment          = module.config.environment
  secret_ids           = module.config.secret_ids
  redaction_rules      = module.config.redaction_rules
  dead_letter_topic_id = module.pubsub.dead_letter_topic_id
  metric_writer        = var.bridge_metrics
  workers = {
    for d, s in var.destinations : d => {
      subscription_id = module.pubsub.subscription_ids[d]
      instances       = s.pull_instances
    }
  }

  depends_on = [google_project_service.api]
}

module "bigquery" {
  source = "../bigquery"
  count  = contains(local.destinations, "bigquery") ? 1 : 0

  project_id                = var.project_id
  location                  = var.bigquery.location
  dataset_id                = var.bigquery.dataset_id
  views_dataset_id          = var.bigquery.views_dataset_id
  partition_expiration_days = var.bigquery.partition_expiration_days
  deletion_protection       = var.bigquery.deletion_protection
  kms_key_name              = var.kms_key_name
  labels                    = var.labels
  analyst_groups            = var.readers.analyst_groups
  operator_groups           = var.readers.operator_groups
  writer_service_accounts = [
    for destination, email in(local.push ? module.functions[0].service_account_emails : module.pull_worker[0].service_account_emails) :
    email if destination == "bigquery"
  ]

  depends_on = [google_project_service.api]
}

module "log_export" {
  source = "../log-export"

  topic_id           = module.pubsub.topic_id
  sinks              = var.sinks
  include_audit_logs = var.include_audit_logs
  gke_namespaces     = var.gke_namespaces
}

module "monitoring" {
  source = "../monitoring"

  project_id               = var.project_id
  name_prefix              = var.name_prefix
  notification_channels    = var.notification_channels
  subscriptions            = module.pubsub.subscription_names
  dead_letter_subscription = module.pubsub.dead_letter_subscription_name
  function_services        = local.push ? module.functions[0].service_names : {}
  thresholds               = var.alert_thresholds
  gke_error_metric         = var.gke_error_metric

  depends_on = [google_project_service.api]
}
