"""Where the BigQuery destination lives, from the environment (the names Terraform's runtime-config sets)."""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping

from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import bigquery

from ...errors import ConfigError

_OFF = frozenset({"0", "off", "false", "no"})
# Defaults match terraform/modules/bigquery/variables.tf.
DEFAULT_DATASET = "gcp_log_bridge"
DEFAULT_VIEWS_DATASET = "gcp_log_bridge_views"
DEFAULT_LOCATION = "EU"
DEFAULT_RETENTION_DAYS = 90
DEFAULT_DEAD_LETTER_RETENTION_DAYS = 30


@dataclass(frozen=True, slots=True)
class BigQuerySettings:
    project: str
    dataset: str = DEFAULT_DATASET
    views_dataset: str = DEFAULT_VIEWS_DATASET
    location: str = DEFAULT_LOCATION
    retention_days: int | None = DEFAULT_RETENTION_DAYS  # None keeps partitions forever
    dead_letter_retention_days: int = DEFAULT_DEAD_LETTER_RETENTION_DAYS
    require_partition_filter: bool = True
    # An emulator's base URL (http://127.0.0.1:PORT); None talks to BigQuery with default credentials.
    endpoint: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> BigQuerySettings:
        project = environ.get("BRIDGE_BQ_PROJECT") or environ.get("GOOGLE_CLOUD_PROJECT")
        if not project:
            raise ConfigError("BRIDGE_BQ_PROJECT is not set (the project of the BigQuery dataset)")
        retention = environ.get("BRIDGE_BQ_RETENTION_DAYS", str(DEFAULT_RETENTION_DAYS))
        try:
            return cls(
                project=project,
                dataset=environ.get("BRIDGE_BQ_DATASET", DEFAULT_DATASET),
                views_dataset=environ.get("BRIDGE_BQ_VIEWS_DATASET", DEFAULT_VIEWS_DATASET),
                location=environ.get("BRIDGE_BQ_LOCATION", DEFAULT_LOCATION),
                retention_days=None if retention.lower() in ("", "none", "forever") else int(retention),
                dead_letter_retention_days=int(environ.get("BRIDGE_BQ_DEAD_LETTER_RETENTION_DAYS", DEFAULT_DEAD_LETTER_RETENTION_DAYS)),
                require_partition_filter=environ.get("BRIDGE_BQ_REQUIRE_PARTITION_FILTER", "on").lower() not in _OFF,
                endpoint=environ.get("BRIDGE_BQ_ENDPOINT") or None,
            )
        except ValueError as exc:
            raise ConfigError(f"BigQuery setting is not a number: {exc}") from None

    def client(self) -> bigquery.Client:
        if self.endpoint:
            return bigquery.Client(
                project=self.project,
                credentials=AnonymousCredentials(),
                client_options=ClientOptions(api_endpoint=self.endpoint),
            )
        return bigquery.Client(project=self.project, location=self.location)
