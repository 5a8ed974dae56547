"""Creates or brings up to date the datasets, tables and views Terraform also creates. Idempotent.

Everything comes from the files Terraform reads: the schema and table options from
bridge/schema, the views from bridge/sql/*.sql (one view per file, named after it, with
Terraform's ${project} ${dataset} ${table} ${views_dataset} placeholders).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

from google.api_core import exceptions as api_exceptions
from google.cloud import bigquery

from ...errors import ConfigError
from .schema import TableSpec, load_spec
from .settings import BigQuerySettings

SQL_DIR = Path(__file__).resolve().parents[2] / "sql"
QUERIES_DIR = SQL_DIR / "queries"
# Analyst views select from it, so it is created first.
DEDUP_VIEW = "logs_dedup"
DAY_MS = 86_400_000
_PLACEHOLDER = re.compile(r"\$\{(\w+)\}")


@dataclass(frozen=True, slots=True)
class Change:
    kind: str  # dataset | table | view
    name: str
    action: str  # created | updated | unchanged


def template_names(settings: BigQuerySettings, spec: TableSpec) -> dict[str, str]:
    return {
        "project": settings.project,
        "dataset": settings.dataset,
        "table": spec.table_id,
        "views_dataset": settings.views_dataset,
    }


def render(sql: str, names: Mapping[str, str]) -> str:
    """Fills the placeholders the way Terraform's templatefile does; an unknown one is an error."""

    def fill(match: re.Match[str]) -> str:
        if match.group(1) not in names:
            raise ConfigError(f"unknown placeholder ${{{match.group(1)}}} in a view (known: {', '.join(names)})")
        return names[match.group(1)]

    return _PLACEHOLDER.sub(fill, sql)


def view_sql(names: Mapping[str, str], sql_dir: Path = SQL_DIR) -> dict[str, str]:
    """View name -> query, the deduplicated view first."""
    files = sorted(sql_dir.glob("*.sql"), key=lambda p: (p.stem != DEDUP_VIEW, p.stem))
    return {path.stem: render(path.read_text(), names) for path in files}


def saved_query(name: str, names: Mapping[str, str], queries_dir: Path = QUERIES_DIR) -> str:
    path = queries_dir / f"{name}.sql"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in queries_dir.glob("*.sql")))
        raise ConfigError(f"no saved query {name!r} (known: {known})")
    return render(path.read_text(), names)


def _fields(fields: Iterable[Mapping[str, Any]]) -> list[bigquery.SchemaField]:
    return [bigquery.SchemaField.from_api_repr(dict(f)) for f in fields]


def _ensure_dataset(client: bigquery.Client, dataset_id: str, location: str, description: str) -> Change:
    try:
        client.get_dataset(dataset_id)
        return Change("dataset", dataset_id, "unchanged")
    except api_exceptions.NotFound:
        dataset = bigquery.Dataset(f"{client.project}.{dataset_id}")
        dataset.location = location
        dataset.description = description
        client.create_dataset(dataset, exists_ok=True)
        return Change("dataset", dataset_id, "created")


def _ensure_table(client: bigquery.Client, wanted: bigquery.Table) -> Change:
    """Creates the table, or adds missing NULLABLE columns and updates expiration, filter and clustering."""
    try:
        table = client.get_table(wanted.reference)
    except api_exceptions.NotFound:
        client.create_table(wanted, exists_ok=True)
        return Change("table", wanted.table_id, "created")
    if (table.time_partitioning.field if table.time_partitioning else None) != wanted.time_partitioning.field:
        raise ConfigError(f"table {wanted.table_id} is partitioned differently; BigQuery cannot change that in place")
    existing = {f.name for f in table.schema}
    added = [f for f in wanted.schema if f.name not in existing]
    required = [f.name for f in added if f.mode == "REQUIRED"]
    if required:
        raise ConfigError(f"table {wanted.table_id} lacks REQUIRED columns {required}; BigQuery adds only NULLABLE ones")
    changed: list[str] = []
    if added:
        table.schema = [*table.schema, *added]
        changed.append("schema")
    if table.time_partitioning.expiration_ms != wanted.time_partitioning.expiration_ms:
        table.time_partitioning = wanted.time_partitioning
        changed.append("time_partitioning")
    if bool(table.require_partition_filter) != bool(wanted.require_partition_filter):
        table.require_partition_filter = wanted.require_partition_filter
        changed.append("require_partition_filter")
    if (table.clustering_fields or None) != (wanted.clustering_fields or None):
        table.clustering_fields = wanted.clustering_fields
        changed.append("clustering_fields")
    if not changed:
        return Change("table", wanted.table_id, "unchanged")
    client.update_table(table, changed)
    return Change("table", wanted.table_id, "updated")


def _ensure_view(client: bigquery.Client, dataset_id: str, name: str, query: str) -> Change:
    ref = f"{client.project}.{dataset_id}.{name}"
    try:
        view = client.get_table(ref)
    except api_exceptions.NotFound:
        view = bigquery.Table(ref)
        view.view_query = query
        client.create_table(view, exists_ok=True)
        return Change("view", name, "created")
    if view.view_query == query:
        return Change("view", name, "unchanged")
    view.view_query = query
    client.update_table(view, ["view_query"])
    return Change("view", name, "updated")


def _partitioning(field: str, days: int | None) -> bigquery.TimePartitioning:
    return bigquery.TimePartitioning(
        type_=bigquery.TimePartitioningType.DAY, field=field, expiration_ms=days * DAY_MS if days else None
    )


def ensure_all(client: bigquery.Client, settings: BigQuerySettings, spec: TableSpec | None = None) -> list[Change]:
    spec = spec or load_spec()
    if spec.partition_type != "DAY":
        raise ConfigError(f"bigquery_table.json asks for {spec.partition_type} partitions; the bridge sets up DAY")
    changes = [
        _ensure_dataset(client, settings.dataset, settings.location, "GCP Log Bridge raw log rows and dead letters."),
        _ensure_dataset(client, settings.views_dataset, settings.location, "GCP Log Bridge views for analysts."),
    ]
    logs = bigquery.Table(f"{client.project}.{settings.dataset}.{spec.table_id}", schema=_fields(spec.fields))
    logs.time_partitioning = _partitioning(spec.partition_field, settings.retention_days)
    logs.clustering_fields = list(spec.clustering)
    logs.require_partition_filter = settings.require_partition_filter
    logs.description = "Log entries written by the bridge, one row per delivery (query the logs_dedup view)."
    changes.append(_ensure_table(client, logs))
    dead = bigquery.Table(f"{client.project}.{settings.dataset}.{spec.dead_letter_table_id}", schema=_fields(spec.dead_letter_fields))
    dead.time_partitioning = _partitioning(spec.dead_letter_partition_field, settings.dead_letter_retention_days)
    dead.description = "Rows BigQuery rejected, with the reason (redacted)."
    changes.append(_ensure_table(client, dead))
    for name, query in view_sql(template_names(settings, spec)).items():
        changes.append(_ensure_view(client, settings.views_dataset, name, query))
    return changes
