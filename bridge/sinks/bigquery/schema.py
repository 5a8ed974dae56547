"""The table definition the bridge and Terraform both read: bridge/schema/bigquery_*.json."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import orjson

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schema"


@dataclass(frozen=True, slots=True)
class TableSpec:
    """Fields are BigQuery JSON schema objects ({"name", "type", "mode", "description"})."""

    table_id: str
    fields: tuple[Mapping[str, Any], ...]
    partition_type: str
    partition_field: str
    clustering: tuple[str, ...]
    dead_letter_table_id: str
    dead_letter_fields: tuple[Mapping[str, Any], ...]
    dead_letter_partition_field: str = "failed_at"


def load_spec(schema_dir: Path = SCHEMA_DIR) -> TableSpec:
    fields = orjson.loads((schema_dir / "bigquery_logs.json").read_bytes())
    table = orjson.loads((schema_dir / "bigquery_table.json").read_bytes())
    return TableSpec(
        table_id=table["table_id"],
        fields=tuple(fields),
        partition_type=table["time_partitioning"]["type"],
        partition_field=table["time_partitioning"]["field"],
        clustering=tuple(table["clustering"]),
        dead_letter_table_id=table["dead_letter_table_id"],
        dead_letter_fields=tuple(table["dead_letter_schema"]),
    )
