"""`python -m bridge bq-setup` and `python -m bridge bq-query`: the BigQuery side from the command line."""
from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
import sys
from typing import Any

import orjson
from google.cloud import bigquery

from ...errors import ConfigError
from .schema import load_spec
from .settings import BigQuerySettings
from .setup import ensure_all, saved_query, template_names, view_sql


def add_settings_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--project", help="default: BRIDGE_BQ_PROJECT")
    parser.add_argument("--dataset", help="raw dataset (default: BRIDGE_BQ_DATASET or gcp_log_bridge)")
    parser.add_argument("--views-dataset", help="views dataset (default: BRIDGE_BQ_VIEWS_DATASET or gcp_log_bridge_views)")
    parser.add_argument("--endpoint", help="emulator base URL, e.g. http://127.0.0.1:9050 (default: BRIDGE_BQ_ENDPOINT)")


def settings_from(args: argparse.Namespace) -> BigQuerySettings:
    environ = dict(os.environ)
    if args.project:
        environ["BRIDGE_BQ_PROJECT"] = args.project
    settings = BigQuerySettings.from_env(environ)
    overrides = {
        "dataset": args.dataset,
        "views_dataset": args.views_dataset,
        "endpoint": args.endpoint,
        "location": getattr(args, "location", None),
        "retention_days": getattr(args, "retention_days", None),
    }
    return dataclasses.replace(settings, **{k: v for k, v in overrides.items() if v is not None})


def add_setup_arguments(parser: argparse.ArgumentParser) -> None:
    add_settings_arguments(parser)
    parser.add_argument("--location", help="dataset location (default: BRIDGE_BQ_LOCATION or EU)")
    parser.add_argument("--retention-days", type=int, help="partition expiration of the log table (default: 90)")


def run_setup(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    changes = ensure_all(settings.client(), settings)
    for change in changes:
        print(f"{change.kind} {change.name}: {change.action}", file=sys.stderr)
    created = sum(c.action == "created" for c in changes)
    updated = sum(c.action == "updated" for c in changes)
    print(f"bq-setup: project={settings.project} dataset={settings.dataset} views={settings.views_dataset} "
          f"created={created} updated={updated} unchanged={len(changes) - created - updated}")
    return 0


# bq's --parameter syntax: name:TYPE:value.
_PARAMETER_TYPES = {
    "STRING": str,
    "INT64": int,
    "FLOAT64": float,
    "TIMESTAMP": lambda v: dt.datetime.fromisoformat(v),
}


def parse_parameter(text: str) -> bigquery.ScalarQueryParameter:
    name, _, rest = text.partition(":")
    type_, _, value = rest.partition(":")
    convert = _PARAMETER_TYPES.get(type_.upper())
    if not name or convert is None:
        raise ConfigError(f"--parameter {text!r}: expected name:TYPE:value with TYPE one of {', '.join(_PARAMETER_TYPES)}")
    try:
        return bigquery.ScalarQueryParameter(name, type_.upper(), convert(value))
    except ValueError as exc:
        raise ConfigError(f"--parameter {text!r}: {exc}") from None


def add_query_arguments(parser: argparse.ArgumentParser) -> None:
    add_settings_arguments(parser)
    parser.add_argument("name", help="a saved query (bridge/sql/queries) or a view (bridge/sql)")
    parser.add_argument("--parameter", action="append", default=[], help="name:TYPE:value (repeatable)")
    parser.add_argument("--limit", type=int, default=100, help="rows to print from a view (default: 100)")


def _json_default(value: Any) -> str:
    return value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else str(value)


def run_query(args: argparse.Namespace) -> int:
    """Prints one JSON object per row."""
    settings = settings_from(args)
    names = template_names(settings, load_spec())
    if args.name in view_sql(names):
        sql = f"SELECT * FROM `{settings.project}.{settings.views_dataset}.{args.name}` LIMIT {int(args.limit)}"
    else:
        sql = saved_query(args.name, names)
    config = bigquery.QueryJobConfig(query_parameters=[parse_parameter(p) for p in args.parameter])
    count = 0
    for row in settings.client().query(sql, job_config=config).result():
        sys.stdout.buffer.write(orjson.dumps(dict(row), default=_json_default) + b"\n")
        count += 1
    print(f"bq-query: {args.name} rows={count}", file=sys.stderr)
    return 0
