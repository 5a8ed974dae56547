output "topic_id" {
  description = "Id of the topic the sinks publish to (projects/P/topics/T)."
  value       = google_pubsub_topic.logs.id
}

output "dead_letter_topic_id" {
  description = "Id of the dead-letter topic (BRIDGE_DEAD_LETTER_TOPIC)."
  value       = google_pubsub_topic.dead_letter.id
}

output "dead_letter_subscription_name" {
  description = "Name of the subscription operators read dead letters from."
  value       = google_pubsub_subscription.dead_letter.name
}

output "subscription_ids" {
  description = "Subscription id per destination (projects/P/subscriptions/S)."
  value       = { for k, s in google_pubsub_subscription.destination : k => s.id }
}

output "subscription_names" {
  description = "Subscription short name per destination."
  value       = { for k, s in google_pubsub_subscription.destination : k => s.name }
}

output "push_service_account_email" {
  description = "Service account that signs push requests; the only invoker of the functions. Null when delivery = \"pull\"."
  value       = one(google_service_account.push[*].email)
}
