"""Kibana saved objects for the Elasticsearch destination, and their import."""
