"""The real local stack (tools/stack.py) on free ports, and the environment a bridge process gets."""
from __future__ import annotations

import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Mapping

from tools.stack import Stack, StackConfig, free_port

PROJECT = "bench-project"
COMPONENTS = ("es", "pubsub", "bigquery")


@dataclass(frozen=True, slots=True)
class Endpoints:
    es_url: str
    pubsub_host: str
    bigquery_endpoint: str
    work_dir: Path
    project: str = PROJECT
    stack: Any = None  # tools.stack.Stack, for starting function processes under its bookkeeping

    def start_function(self, name: str, source: Path, target: str, env: Mapping[str, str]) -> tuple[str, int]:
        """A functions-framework process (one function instance); returns its URL and pid."""
        url = self.stack.start_function(target, free_port(), env, source=source, name=name)
        return url, self.stack.status()[name]["pid"]

    def stop_function(self, name: str) -> None:
        self.stack.stop(name)

    def bridge_env(self, es_prefix: str | None = None, bq_dataset: str | None = None) -> dict[str, str]:
        """Environment of a bridge process (worker or function) writing under its own names."""
        env = {
            "PUBSUB_EMULATOR_HOST": self.pubsub_host,
            "GOOGLE_CLOUD_PROJECT": self.project,
            "BRIDGE_ES_URL": self.es_url,
            "BRIDGE_BQ_PROJECT": self.project,
            "BRIDGE_BQ_ENDPOINT": self.bigquery_endpoint,
            "BRIDGE_METRICS": "off",
        }
        if es_prefix:
            env["BRIDGE_ES_INDEX_PREFIX"] = es_prefix
            env["BRIDGE_ES_DEADLETTER_PREFIX"] = f"deadletter-{es_prefix}"
        if bq_dataset:
            env["BRIDGE_BQ_DATASET"] = bq_dataset
            env["BRIDGE_BQ_VIEWS_DATASET"] = f"{bq_dataset}_views"
        return env


@contextmanager
def local_stack(keep: bool = False) -> Iterator[Endpoints]:
    """Elasticsearch, the Pub/Sub emulator and the BigQuery emulator on free ports in a fresh state dir."""
    state = Path(tempfile.mkdtemp(prefix="bridge-bench-"))
    state.chmod(0o755)  # Elasticsearch runs as its own user and must reach its data below
    ports = {name: free_port() for name in ("es_port", "pubsub_port", "bq_port", "bq_grpc_port", "fn_es_port", "fn_bq_port")}
    config = StackConfig(state_dir=state, bq_project=PROJECT, **ports)
    stack = Stack(config)
    work = state / "bench"
    work.mkdir()
    try:
        stack.up(COMPONENTS)
        yield Endpoints(config.es_url, config.pubsub_host, config.bq_endpoint, work, PROJECT, stack)
    finally:
        stack.down()
        if not keep:
            shutil.rmtree(state, ignore_errors=True)
