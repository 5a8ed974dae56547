"""`python -m bridge es-setup | es-retention | kibana-import | replay`: the Elasticsearch side from the command line."""
from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from dataclasses import replace
from typing import Any, Callable, Mapping, TextIO

from elasticsearch import ApiError, TransportError

from ...config import transform_from_env
from ...errors import BridgeError
from ...kibana.importer import import_saved_objects, target_from_env
from ...kibana.saved_objects import saved_objects, to_ndjson
from ...worker import subscription_path
from ..base import Sink
from .cluster import build_client, install_templates, max_content_length, outdated_templates
from .replay import SubscriptionPuller, replay_elasticsearch_dead_letters, replay_pubsub_dead_letters
from .retention import apply_retention
from .settings import ElasticsearchSettings, settings_from_env
from .template import index_templates
from .writer import writer_for_client

REPLAY_SOURCES = ("elasticsearch-deadletter", "pubsub-deadletter")
EXIT_RETRY_LATER = 75  # EX_TEMPFAIL: the destination failed transiently; run again later


def _guarded(run: Callable[[argparse.Namespace, ElasticsearchSettings, TextIO], int]) -> Callable[..., int]:
    """Settings from the environment; client and bridge errors become one scrubbed line and exit 1."""

    def handler(args: argparse.Namespace, *, environ: Mapping[str, str] | None = None, stdout: TextIO = sys.stdout) -> int:
        settings: ElasticsearchSettings | None = None
        try:
            settings = settings_from_env(os.environ if environ is None else environ)
            return run(args, settings, stdout)
        except (BridgeError, ApiError, TransportError) as exc:
            text = settings.scrub(str(exc)) if settings else str(exc)
            print(f"{args.command}: {text}", file=sys.stderr)
            return 1

    return handler


def _setup(args: argparse.Namespace, settings: ElasticsearchSettings, out: TextIO) -> int:
    options = settings.template if args.replicas is None else replace(settings.template, replicas=args.replicas)
    client = build_client(settings)
    templates = index_templates(settings.names, options)
    changed = outdated_templates(client, templates)
    install_templates(client, changed)
    for name, body in templates.items():
        print(f"template {name} ({', '.join(body['index_patterns'])}, alias {name}): "
              f"{'installed' if name in changed else 'unchanged'}", file=out)
    limit = max_content_length(client)
    print(f"es-setup: templates={len(templates)} installed={len(changed)} http.max_content_length={limit} "
          f"bulk_bytes={min(settings.limits.max_bytes, limit)}", file=out)
    return 0


def _retention(args: argparse.Namespace, settings: ElasticsearchSettings, out: TextIO) -> int:
    client = build_client(settings)
    today = dt.datetime.now(dt.timezone.utc).date() if args.today is None else dt.date.fromisoformat(args.today)
    plans = [(settings.names.prefix, args.keep_days)]
    if args.dead_letter_keep_days is not None:
        plans.append((settings.names.dead_letter_prefix, args.dead_letter_keep_days))
    total = 0
    for prefix, keep_days in plans:
        for name in apply_retention(client, prefix, keep_days, today, dry_run=args.dry_run):
            print(f"{'would delete' if args.dry_run else 'deleted'} {name}", file=out)
            total += 1
    print(f"es-retention: {'would delete' if args.dry_run else 'deleted'}={total} keep_days={args.keep_days} today={today}", file=out)
    return 0


def _replay(args: argparse.Namespace, settings: ElasticsearchSettings, out: TextIO) -> int:
    client = build_client(settings)
    sink: Sink = writer_for_client(client, settings)
    transform = transform_from_env("elasticsearch")
    if args.source == "elasticsearch-deadletter":
        report = replay_elasticsearch_dead_letters(client, sink, transform, settings.names, query_string=args.filter, page_size=args.batch_size)
    else:
        from google.cloud import pubsub_v1

        name = args.subscription or os.environ.get("BRIDGE_PUBSUB_DEADLETTER_SUBSCRIPTION")
        if not name:
            raise BridgeError("--subscription (or BRIDGE_PUBSUB_DEADLETTER_SUBSCRIPTION) is required for pubsub-deadletter", reason="config_error")
        project = args.project or os.environ.get("GOOGLE_CLOUD_PROJECT") or os.environ.get("PUBSUB_PROJECT_ID")
        puller = SubscriptionPuller(pubsub_v1.SubscriberClient(), subscription_path(name, project))
        report = replay_pubsub_dead_letters(puller, sink, transform, contains=args.filter, batch_size=args.batch_size)
    print(report.line(args.source), file=out)
    return EXIT_RETRY_LATER if report.retry else 0


def _kibana_import(args: argparse.Namespace, settings: ElasticsearchSettings, out: TextIO) -> int:
    ndjson = open(args.file, "rb").read() if args.file else to_ndjson(saved_objects(settings.names))
    result = import_saved_objects(target_from_env(args.url, args.space), ndjson)
    for error in result.errors:
        print(f"not imported: {error.get('type')} {error.get('id')}: {error.get('error', {}).get('type')}", file=out)
    print(f"kibana-import: success={str(result.success).lower()} imported={result.success_count} errors={len(result.errors)}", file=out)
    return 0 if result.success else 1


def add_commands(commands: Any) -> None:
    setup = commands.add_parser("es-setup", help="install the Elasticsearch index templates (idempotent)")
    setup.add_argument("--replicas", type=int, help="replicas per index (default: BRIDGE_ES_REPLICAS or 1)")
    setup.set_defaults(handler=_guarded(_setup))

    retention = commands.add_parser("es-retention", help="delete daily indices older than N days (by the date in their name)")
    retention.add_argument("--keep-days", type=int, required=True, help="keep the last N UTC dates, today included")
    retention.add_argument("--dead-letter-keep-days", type=int, help="also delete dead-letter indices older than this (default: keep all)")
    retention.add_argument("--dry-run", action="store_true", help="print what would be deleted, delete nothing")
    retention.add_argument("--today", help=argparse.SUPPRESS)  # YYYY-MM-DD, for tests and backfills
    retention.set_defaults(handler=_guarded(_retention))

    kibana = commands.add_parser("kibana-import", help="load the Kibana data views, searches and dashboard")
    kibana.add_argument("--url", required=True, help="Kibana base URL, e.g. https://kibana.example:5601")
    kibana.add_argument("--space", help="Kibana space id (default: the default space)")
    kibana.add_argument("--file", help="NDJSON to import (default: the bridge's saved objects for the configured index names)")
    kibana.set_defaults(handler=_guarded(_kibana_import))

    replay = commands.add_parser("replay", help="write dead letters again; remove what succeeds, keep the rest with its new reason")
    replay.add_argument("--from", dest="source", choices=REPLAY_SOURCES, required=True)
    replay.add_argument("--filter", help="elasticsearch-deadletter: a query string over the dead letters (e.g. "
                        "'reason_type:document_parsing_exception'); pubsub-deadletter: text the message data must contain")
    replay.add_argument("--subscription", help="pubsub-deadletter: the dead-letter subscription (default: BRIDGE_PUBSUB_DEADLETTER_SUBSCRIPTION)")
    replay.add_argument("--project", help="project of a short subscription id (default: GOOGLE_CLOUD_PROJECT)")
    replay.add_argument("--batch-size", type=int, default=500, help="dead letters per write")
    replay.set_defaults(handler=_guarded(_replay))
