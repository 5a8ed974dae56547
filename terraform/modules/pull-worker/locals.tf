locals {
  short_names = { elasticsearch = "es", bigquery = "bq" }

  secret_grants = merge([
    for destination, ids in var.secret_ids : { for id in ids : "${destination}/${id}" => { destination = destination, secret_id = id } }
  ]...)

  rules_path = "/tmp/bridge-redaction.toml"
  # Cloud Run has no plain config files: custom rules travel in an environment variable and are written to a file
  # before the worker starts, so the bridge reads them exactly as it does in the functions.
  command = {
    for d, w in var.workers : d => contains(keys(var.redaction_rules), d) ? {
      command = ["/bin/sh", "-c", "printf '%s' \"$BRIDGE_REDACTION_RULES_CONTENT\" > \"$BRIDGE_REDACTION_RULES\" && exec python -m bridge \"$@\"", "bridge"]
      env     = { BRIDGE_REDACTION_RULES_CONTENT = var.redaction_rules[d], BRIDGE_REDACTION_RULES = local.rules_path }
      } : {
      command = ["python", "-m", "bridge"]
      env     = {}
    }
  }
}
