"""The real local stack for integration tests: Elasticsearch, the pstest Pub/Sub emulator, bqemulator.

One stack per test session, on free ports and in a fresh temporary state dir, so
several test runs can share this machine. A stack that does not start fails the
tests with the log file to read; nothing is skipped. Everything started here is
stopped at the end of the session.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch
from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import bigquery, pubsub_v1

from tools.stack import Stack, StackConfig, StackError, free_port

STACK_COMPONENTS = ("es", "pubsub", "bigquery")


def _fresh_config() -> StackConfig:
    state_dir = Path(tempfile.mkdtemp(prefix="bridge-stack-"))
    state_dir.chmod(0o755)  # Elasticsearch runs as another user and must reach its data below
    names = ("es_port", "pubsub_port", "bq_port", "bq_grpc_port", "fn_es_port", "fn_bq_port")
    ports: set[int] = set()
    while len(ports) < len(names):  # the kernel may hand the same free port out twice
        ports.add(free_port())
    return StackConfig(state_dir=state_dir, **dict(zip(names, sorted(ports))))


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    config = _fresh_config()
    running = Stack(config)
    saved_host = os.environ.get("PUBSUB_EMULATOR_HOST")
    try:
        running.up(STACK_COMPONENTS)
    except StackError as error:
        running.down()
        pytest.fail(f"the local stack did not start (state in {config.state_dir}): {error}", pytrace=False)
    os.environ["PUBSUB_EMULATOR_HOST"] = config.pubsub_host
    try:
        yield running
    finally:
        running.down()
        if saved_host is None:
            os.environ.pop("PUBSUB_EMULATOR_HOST", None)
        else:
            os.environ["PUBSUB_EMULATOR_HOST"] = saved_host
        if os.environ.get("BRIDGE_KEEP_STACK"):
            print(f"\nlocal stack state kept in {config.state_dir}")
        else:
            shutil.rmtree(config.state_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def project_id(stack: Stack) -> str:
    """One project id for Pub/Sub and BigQuery on the emulators."""
    return stack.config.bq_project


@pytest.fixture(scope="session")
def es(stack: Stack) -> Elasticsearch:
    return Elasticsearch(stack.config.es_url, request_timeout=30)


@pytest.fixture(scope="session")
def publisher(stack: Stack) -> pubsub_v1.PublisherClient:
    return pubsub_v1.PublisherClient()  # PUBSUB_EMULATOR_HOST is set by `stack`


@pytest.fixture(scope="session")
def subscriber(stack: Stack) -> pubsub_v1.SubscriberClient:
    return pubsub_v1.SubscriberClient()


@dataclass(frozen=True)
class BigQueryEmulator:
    """The stack's BigQuery emulator, which a test may stop and start again (its data is on disk)."""

    stack: Stack

    @property
    def endpoint(self) -> str:
        return self.stack.config.bq_endpoint

    @property
    def project(self) -> str:
        return self.stack.config.bq_project

    def client(self) -> bigquery.Client:
        return bigquery_client_for(self.endpoint, self.project)

    def stop(self) -> None:
        self.stack.stop("bigquery")

    def start(self) -> None:
        self.stack.start("bigquery")


def bigquery_client_for(endpoint: str, project: str) -> bigquery.Client:
    return bigquery.Client(project=project, credentials=AnonymousCredentials(), client_options=ClientOptions(api_endpoint=endpoint))


@pytest.fixture(scope="session")
def bigquery_emulator(stack: Stack) -> BigQueryEmulator:
    return BigQueryEmulator(stack)


@pytest.fixture(scope="session")
def bq(bigquery_emulator: BigQueryEmulator) -> bigquery.Client:
    return bigquery_emulator.client()


StartFunction = Callable[..., str]


@pytest.fixture
def start_function(stack: Stack) -> Iterator[StartFunction]:
    """start_function(target, env={...}, source=Path) -> URL of a functions-framework process, stopped after the test."""
    started: list[str] = []

    def start(target: str, env: Mapping[str, str] | None = None, source: Path | None = None) -> str:
        name = f"fn-test-{target}-{len(started)}"
        started.append(name)
        return stack.start_function(target, free_port(), env or {}, source=source, name=name)

    yield start
    for name in started:
        stack.stop(name)
