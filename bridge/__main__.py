"""Command line: `python -m bridge <command>`."""
from __future__ import annotations

import argparse
import sys
from contextlib import ExitStack

from . import backfill, worker
from .config import redactor_from_env
from .convert import run_convert
from .pipeline import Transform
from .redact import Redactor
from .sinks.bigquery import cli as bigquery_cli
from .sinks.elasticsearch import cli as elasticsearch_cli


def _cmd_convert(args: argparse.Namespace) -> int:
    with ExitStack() as stack:
        source = stack.enter_context(open(args.input, "rb")) if args.input != "-" else sys.stdin.buffer
        dead = stack.enter_context(open(args.dead_letter, "wb")) if args.dead_letter else sys.stderr.buffer
        redactor = None if args.no_redact else Redactor.from_file(args.rules) if args.rules else redactor_from_env()
        counts = run_convert(source, sys.stdout.buffer, dead, Transform(destination=args.to, redactor=redactor))
    sys.stdout.flush()
    print(
        f"convert: lines={counts.lines} converted={counts.converted} dead_letter={counts.dead_lettered}",
        file=sys.stderr,
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bridge", description="GCP Log Bridge")
    commands = parser.add_subparsers(dest="command", required=True)
    convert = commands.add_parser("convert", help="LogEntries/push bodies/CloudEvents (JSON lines) -> destination lines")
    convert.add_argument("--to", choices=("elasticsearch", "bigquery"), required=True)
    convert.add_argument("--input", default="-", help="JSON lines file (default: standard input)")
    convert.add_argument("--dead-letter", help="file for lines that cannot be converted (default: standard error)")
    convert.add_argument("--rules", help="redaction rules file (default: the packaged rules, or BRIDGE_REDACTION_RULES)")
    convert.add_argument("--no-redact", action="store_true", help="keep personal data as it is (redaction is on by default)")
    convert.set_defaults(handler=_cmd_convert)
    bq_setup = commands.add_parser("bq-setup", help="create or update the BigQuery datasets, tables and views (idempotent)")
    bigquery_cli.add_setup_arguments(bq_setup)
    bq_setup.set_defaults(handler=bigquery_cli.run_setup)
    bq_query = commands.add_parser("bq-query", help="run a saved query or read a view; one JSON object per row")
    bigquery_cli.add_query_arguments(bq_query)
    bq_query.set_defaults(handler=bigquery_cli.run_query)
    pull = commands.add_parser("pull", help="streaming-pull worker: a subscription -> a destination, batched")
    worker.add_arguments(pull)
    pull.set_defaults(handler=worker.run_pull)
    past = commands.add_parser("backfill", help="past entries from Cloud Logging -> a destination, resumable")
    backfill.add_arguments(past)
    past.set_defaults(handler=backfill.run_backfill)
    elasticsearch_cli.add_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
