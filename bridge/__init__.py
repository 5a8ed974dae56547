"""GCP Log Bridge: Cloud Logging entries into Elasticsearch and BigQuery."""
