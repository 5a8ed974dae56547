"""Elasticsearch destination: ECS documents in daily indices, bulk `create` with stable ids."""
