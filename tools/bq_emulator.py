"""Start the bqemulator BigQuery emulator without its DuckDB spatial extension.

bqemulator installs DuckDB's ``spatial`` extension at start-up and refuses to
run without it; the install downloads from DuckDB's own extension site, which
this machine cannot reach. The bridge never uses GEOGRAPHY, so the launcher
replaces that one step with a no-op and turns off the (best-effort) Avro
extension download too, then runs bqemulator's own ``start`` command with the
arguments given here (``--rest-port``, ``--grpc-port``, ``--project``,
``--data-dir`` for a DuckDB file that survives a restart, ...).

Usage: python tools/bq_emulator.py --rest-port 9050 --grpc-port 9060 \
           --project local-project --data-dir .stack/bigquery
"""

from __future__ import annotations

import os
import sys


def _skip_spatial_extension() -> None:
    from bqemulator.storage.engine import DuckDBEngine

    DuckDBEngine._load_spatial = lambda self: None  # type: ignore[method-assign]


def main(argv: list[str] | None = None) -> None:
    # Avro load/extract jobs are not used; skipping avoids a network attempt.
    os.environ.setdefault("BQEMU_ENABLE_FORMAT_EXTENSIONS", "false")
    _skip_spatial_extension()
    from bqemulator.cli import main as bqemulator_main

    bqemulator_main(["start", *(sys.argv[1:] if argv is None else argv)], standalone_mode=True)


if __name__ == "__main__":
    main()
