"""Figure 4: Pub/Sub emulator -> pull worker -> BigQuery emulator, against a plain insertAll loop.

Two datasets with the bridge's own table (same schema, partitioning and clustering): the
worker writes one, the baseline sends the very rows the bridge builds (row(record) plus
ingest_time, the stable id as insertId) to the other with plain insert_rows_json calls of
500 rows, on as many connections as the worker has flushers.
"""
from __future__ import annotations

import time
from typing import Any

from bridge.config import transform_from_env
from bridge.decode import decode_message
from bridge.model import PubsubMessage
from bridge.sinks.bigquery.row import row
from bridge.sinks.bigquery.schema import load_spec
from bridge.sinks.bigquery.settings import BigQuerySettings
from bridge.sinks.bigquery.setup import ensure_all
from bridge.timestamps import format_us

from .corpus import unique_entries
from .es_path import DAY_NS, FLUSHERS
from .loops import send_all
from .procs import start_worker
from .pubsub import PubSub
from .results import Result
from .stack import Endpoints

ROWS_PER_CALL = 500
TARGET_RATIO = 0.8


def _settings(stack: Endpoints, dataset: str) -> BigQuerySettings:
    return BigQuerySettings.from_env(stack.bridge_env(bq_dataset=dataset))


def _rows(raw: list[bytes]) -> list[tuple[str, dict[str, Any]]]:
    transform = transform_from_env("bigquery", {})
    ingest_time = format_us(time.time_ns())
    out = []
    for data in raw:
        record = transform.prepare(decode_message(PubsubMessage(data=data))).record
        out.append((record.entry_id, {**row(record), "ingest_time": ingest_time}))
    return out


def _row_count(settings: BigQuerySettings) -> int:
    table = load_spec().table_id
    query = f"SELECT COUNT(*) AS n FROM `{settings.project}.{settings.dataset}.{table}`"
    return int(next(iter(settings.client().query(query).result()))["n"])


def plain_insert_loop(
    settings: BigQuerySettings, rows: list[tuple[str, dict[str, Any]]], connections: int, skip_invalid_rows: bool = False
) -> float:
    """Seconds to insert every row with plain insert_rows_json calls; every row must be accepted."""
    client = settings.client()
    table = f"{settings.project}.{settings.dataset}.{load_spec().table_id}"

    def send(chunk: list[tuple[str, dict[str, Any]]]) -> None:
        errors = client.insert_rows_json(
            table, [values for _, values in chunk], row_ids=[rid for rid, _ in chunk], skip_invalid_rows=skip_invalid_rows
        )
        if errors:
            raise RuntimeError(f"plain insertAll loop had row errors: {errors[:2]}")

    return send_all([rows[i : i + ROWS_PER_CALL] for i in range(0, len(rows), ROWS_PER_CALL)], connections, send)


def run(stack: Endpoints, pubsub: PubSub, *, entries: int = 6000) -> Result:
    bridge_settings, plain_settings = _settings(stack, "bench_bridge"), _settings(stack, "bench_plain")
    for settings in (bridge_settings, plain_settings):
        ensure_all(settings.client(), settings)
    raw = unique_entries(entries, "bq", DAY_NS)
    rows = _rows(raw)
    baseline = entries / plain_insert_loop(plain_settings, rows, FLUSHERS)
    # The bridge asks for partial success (skipInvalidRows: good rows land, bad ones are reported);
    # the same plain loop with that one flag shows what the emulator charges for it.
    again = [(f"{row_id}-skip", values) for row_id, values in rows]
    baseline_skip = entries / plain_insert_loop(plain_settings, again, FLUSHERS, skip_invalid_rows=True)

    subscription = pubsub.backlog("bq-path", raw)
    env = stack.bridge_env(bq_dataset="bench_bridge")
    stats = start_worker(env, subscription, "bigquery", stack.work_dir, subscription, ["--receiver", "unary", "--flushers", str(FLUSHERS)]).wait(900)
    pubsub.delete_subscription(subscription)
    rate = stats["entries"] / stats["active_seconds"]
    stored, stored_plain = _row_count(bridge_settings), _row_count(plain_settings)
    ratio = rate / baseline
    details = {
        "entries": entries,
        "stored": stored,
        "baseline_stored": stored_plain,
        "baseline_with_skip_invalid_rows": baseline_skip,
        "ratio_to_baseline_with_skip_invalid_rows": rate / baseline_skip,
        "ratio": ratio,
        "rows_per_insert_call": ROWS_PER_CALL,
        "connections": FLUSHERS,
        "worker": {k: stats[k] for k in ("written", "dead_lettered", "retry", "batches", "active_seconds", "cpu_seconds")},
        "met": ratio >= TARGET_RATIO and stored == entries and stored_plain == 2 * entries,
    }
    return Result("bigquery_path", rate, "rows/s", baseline, "rows/s (plain insertAll loop)", f">= {TARGET_RATIO} x baseline", True, details)
