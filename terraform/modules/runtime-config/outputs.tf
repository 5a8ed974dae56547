output "environment" {
  description = "Environment variables of the bridge, per destination: the same for the functions and the pull worker."
  value = {
    for d in var.destinations : d => merge(
      local.common_environment,
      local.destination_environment[d],
    )
  }

  precondition {
    condition     = !contains(var.destinations, "elasticsearch") || var.elasticsearch != null
    error_message = "destinations has \"elasticsearch\" but var.elasticsearch is null."
  }

  precondition {
    condition     = !contains(var.destinations, "bigquery") || var.bigquery != null
    error_message = "destinations has \"bigquery\" but var.bigquery is null."
  }
}

output "redaction_rules" {
  description = "Content of the redaction rules file per destination, for destinations that do not use the built-in rules. The runtime modules ship it as a file and point BRIDGE_REDACTION_RULES at it."
  value       = { for d, f in local.rules_file : d => file(f) if f != null }
}

output "elasticsearch_reader_role" {
  description = "Body of PUT _security/role/gcp_log_bridge_reader: read-only on the log indices; dead letters stay with operators."
  value = jsonencode({
    cluster = []
    indices = [{
      names                    = ["${var.elasticsearch_index_prefix}-*"]
      privileges               = ["read", "view_index_metadata"]
      allow_restricted_indices = false
    }]
  })
}

output "elasticsearch_reader_role_mapping" {
  description = "Body of PUT _security/role_mapping/gcp_log_bridge_engineers: gives the reader role to the engineer groups from your identity provider (SAML/OIDC realm groups)."
  value = jsonencode({
    roles   = ["gcp_log_bridge_reader"]
    enabled = true
    rules   = { any = [for g in var.engineer_groups : { field = { groups = g } }] }
  })
}

output "secret_ids" {
  description = "Secrets (projects/P/secrets/S) each destination's service account may access, and nothing else."
  value       = { for d in var.destinations : d => compact(concat(local.destination_secrets[d], [local.hmac_secret])) }
}
