"""The local stack: a real Elasticsearch, Google's pstest Pub/Sub fake, bqemulator and the functions.

Module and CLI::

    python tools/stack.py install|up|down|status|env [--components es,pubsub,bigquery,functions]

Everything listens on 127.0.0.1. `up` installs what is missing (the Elasticsearch
zip through `mvn dependency:get`, the pstest binary through `go build`, an
unprivileged user for Elasticsearch, which refuses to run as root), starts each
component in its own process group, waits for it to answer within a bounded time
and records its pid in the state dir, so `down` (another process, later) stops
exactly what was started. A failing start raises StackError naming the log file.

Configuration comes from the environment (see StackConfig.from_env); tests build
a StackConfig with free ports and a temporary state dir instead.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import fcntl
import hashlib
import json
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TOOLS = REPO / "tools"

ES_VERSION = "8.19.7"
ES_ARTIFACT = f"org.elasticsearch.distribution.integ-test-zip:elasticsearch:{ES_VERSION}:zip"
ES_USER = "esbridge"
ES_HEAP = "-Xms1g -Xmx1g"
# Extracted once per version, readable by the Elasticsearch user (root's home is mode 700).
ES_INSTALL_ROOT = Path(os.environ.get("BRIDGE_ES_CACHE") or ("/var/cache/gcp-log-bridge" if os.geteuid() == 0 else Path.home() / ".cache/gcp-log-bridge"))
BIN_CACHE = Path.home() / ".cache/gcp-log-bridge/bin"
PUBSUB_EMULATOR_SRC = TOOLS / "pubsub-emulator"

COMPONENTS = ("es", "pubsub", "bigquery", "functions")
FUNCTION_TARGETS = ("to_elasticsearch", "to_bigquery")
STOP_GRACE_S = 20.0


class StackError(RuntimeError):
    """A component could not be installed, started or stopped; the message says which log to read."""


@dataclass(frozen=True)
class StackConfig:
    state_dir: Path
    es_port: int = 9200
    pubsub_port: int = 8085
    bq_port: int = 9050
    bq_grpc_port: int = 9060
    fn_es_port: int = 8081
    fn_bq_port: int = 8082
    bq_project: str = "local-project"
    bq_dataset: str = "logs"
    functions_source: Path = REPO / "functions" / "main.py"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> StackConfig:
        ports = {
            "es_port": "BRIDGE_ES_PORT",
            "pubsub_port": "BRIDGE_PUBSUB_PORT",
            "bq_port": "BRIDGE_BQ_PORT",
            "bq_grpc_port": "BRIDGE_BQ_GRPC_PORT",
            "fn_es_port": "BRIDGE_FN_ES_PORT",
            "fn_bq_port": "BRIDGE_FN_BQ_PORT",
        }
        values: dict = {key: int(environ[var]) for key, var in ports.items() if var in environ}
        values.update({key: environ[var] for key, var in (("bq_project", "BRIDGE_BQ_PROJECT"), ("bq_dataset", "BRIDGE_BQ_DATASET")) if var in environ})
        state_dir = Path(environ["BRIDGE_STACK_DIR"]) if "BRIDGE_STACK_DIR" in environ else default_state_dir()
        return cls(state_dir=state_dir.resolve(), **values)

    @property
    def es_url(self) -> str:
        return f"http://127.0.0.1:{self.es_port}"

    @property
    def pubsub_host(self) -> str:
        return f"127.0.0.1:{self.pubsub_port}"

    @property
    def bq_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.bq_port}"

    def function_url(self, target: str) -> str:
        return f"http://127.0.0.1:{self.function_ports()[target]}"

    def function_ports(self) -> dict[str, int]:
        return {"to_elasticsearch": self.fn_es_port, "to_bigquery": self.fn_bq_port}

    def function_env(self, target: str) -> dict[str, str]:
        """What each function process gets in its environment, besides the parent's."""
        per_target = {
            "to_elasticsearch": {"BRIDGE_ES_URL": self.es_url},
            "to_bigquery": {
                "BRIDGE_BQ_ENDPOINT": self.bq_endpoint,
                "BRIDGE_BQ_PROJECT": self.bq_project,
                "BRIDGE_BQ_DATASET": self.bq_dataset,
            },
        }
        return {"PUBSUB_EMULATOR_HOST": self.pubsub_host, **per_target[target]}

    def exports(self) -> dict[str, str]:
        return {
            "BRIDGE_STACK_DIR": str(self.state_dir),
            "PUBSUB_EMULATOR_HOST": self.pubsub_host,
            "BRIDGE_ES_URL": self.es_url,
            "BRIDGE_BQ_ENDPOINT": self.bq_endpoint,
            "BRIDGE_BQ_PROJECT": self.bq_project,
            "BRIDGE_BQ_DATASET": self.bq_dataset,
            "BRIDGE_FN_ES_URL": self.function_url("to_elasticsearch"),
            "BRIDGE_FN_BQ_URL": self.function_url("to_bigquery"),
        }


def default_state_dir() -> Path:
    """`<repo>/.stack`, unless the Elasticsearch user cannot reach it (a clone under /root)."""
    in_repo = REPO / ".stack"
    if traversable_by_others(REPO):
        return in_repo
    digest = hashlib.sha1(str(REPO).encode()).hexdigest()[:12]
    return Path("/var/lib/gcp-log-bridge") / f"stack-{digest}"


def traversable_by_others(path: Path) -> bool:
    """True when every existing ancestor lets any user through (o+x)."""
    for part in [path, *path.parents]:
        if part.exists() and not part.stat().st_mode & stat.S_IXOTH:
            return False
    return True


@dataclass(frozen=True)
class ProcessRecord:
    """One started process, as written to `<state>/run/<name>.json`."""

    name: str
    pid: int
    started: str  # /proc start time, guards against pid reuse
    log: str
    url: str
    argv: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- processes


def _proc_start_time(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def _alive(record: ProcessRecord) -> bool:
    return _proc_start_time(record.pid) == record.started and not _zombie(record.pid)


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return any(_pgid_of(pid) == pgid and not _zombie(pid) for pid in _all_pids())


def _all_pids() -> Iterator[int]:
    return (int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit())


def _pgid_of(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return None


def port_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def tcp_open(host: str, port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=1):
        return True
    return False


def http_ok(url: str) -> bool:
    with contextlib.suppress(OSError, urllib.error.URLError):
        with urllib.request.urlopen(url, timeout=2) as response:
            return 200 <= response.status < 300
    return False


def tail(path: Path, lines: int = 15) -> str:
    with contextlib.suppress(OSError):
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    return ""


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Serialise installs between concurrent stacks (several test runs on one machine)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


# --------------------------------------------------------------------------- installs


def _run(argv: Sequence[str], what: str, **kwargs) -> None:
    result = subprocess.run(argv, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        raise StackError(f"{what} failed ({' '.join(argv)}):\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")


def ensure_es_user() -> pwd.struct_passwd | None:
    """The unprivileged user Elasticsearch runs as when we are root (None: run as ourselves)."""
    if os.geteuid() != 0:
        return None
    with file_lock(ES_INSTALL_ROOT / ".user.lock"):
        try:
            return pwd.getpwnam(ES_USER)
        except KeyError:
            _run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", ES_USER], "creating user " + ES_USER)
            return pwd.getpwnam(ES_USER)


def es_zip() -> Path:
    group, artifact, version, _ = ES_ARTIFACT.split(":")
    return Path.home() / ".m2/repository" / group.replace(".", "/") / artifact / version / f"{artifact}-{version}.zip"


def ensure_es_home() -> Path:
    """Elasticsearch extracted once per version into a cache every user can read."""
    home = ES_INSTALL_ROOT / f"elasticsearch-{ES_VERSION}"
    with file_lock(ES_INSTALL_ROOT / ".es.lock"):
        if (home / "bin/elasticsearch").exists():
            return home
        if not es_zip().exists():
            maven_repo = f"-Dmaven.repo.local={Path.home() / '.m2/repository'}"  # where es_zip() looks, whatever Java thinks home is
            _run(["mvn", "-q", "-B", maven_repo, "dependency:get", f"-Dartifact={ES_ARTIFACT}", "-Dtransitive=false"], "fetching Elasticsearch with Maven")
        staging = Path(tempfile.mkdtemp(dir=ES_INSTALL_ROOT, prefix=".extract-"))
        with zipfile.ZipFile(es_zip()) as archive:
            for info in archive.infolist():
                target = archive.extract(info, staging)
                mode = info.external_attr >> 16
                os.chmod(target, (mode & 0o777 or 0o644) | 0o444 | (0o111 if info.is_dir() or mode & 0o111 else 0))
        (staging / f"elasticsearch-{ES_VERSION}").rename(home)
        staging.rmdir()
        ES_INSTALL_ROOT.chmod(0o755)
    return home


def java_home() -> Path:
    java = shutil.which("java")
    if java is None:
        raise StackError("java not found on PATH: Elasticsearch needs Java 17 or newer")
    return Path(java).resolve().parent.parent


def go_binary() -> str:
    found = shutil.which("go") or "/usr/local/go/bin/go"
    if not Path(found).exists():
        raise StackError("go not found (PATH or /usr/local/go/bin): needed to build tools/pubsub-emulator")
    return found


def ensure_pubsub_emulator() -> Path:
    """`go build` of tools/pubsub-emulator, cached by the hash of its sources."""
    digest = hashlib.sha256()
    for name in ("main.go", "go.mod", "go.sum"):
        digest.update((PUBSUB_EMULATOR_SRC / name).read_bytes())
    binary = BIN_CACHE / f"pubsub-emulator-{digest.hexdigest()[:16]}"
    with file_lock(BIN_CACHE / ".build.lock"):
        if not binary.exists():
            staging = binary.with_suffix(".tmp")
            _run([go_binary(), "build", "-trimpath", "-o", str(staging), "."], "building the pstest Pub/Sub emulator", cwd=PUBSUB_EMULATOR_SRC)
            staging.rename(binary)
    return binary


def install() -> list[str]:
    """Everything `up` would fetch or build, done ahead (idempotent); returns what is in place."""
    home = ensure_es_home()
    user = ensure_es_user()
    return [f"elasticsearch {ES_VERSION} in {home} (runs as {user.pw_name if user else 'the current user'}, java {java_home()})", f"pstest emulator {ensure_pubsub_emulator()}"]


# --------------------------------------------------------------------------- the stack


@dataclass(frozen=True)
class Launch:
    """How to start one process and how to tell it is up."""

    argv: list[str]
    url: str
    ports: tuple[int, ...]  # must be free before the start
    healthy: Callable[[], bool]
    timeout_s: float
    env: dict[str, str] = field(default_factory=dict)
    user: pwd.struct_passwd | None = None
    cwd: Path | None = None


class Stack:
    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self._children: dict[str, subprocess.Popen] = {}

    # paths
    @property
    def run_dir(self) -> Path:
        return self.config.state_dir / "run"

    @property
    def log_dir(self) -> Path:
        return self.config.state_dir / "logs"

    @property
    def es_dir(self) -> Path:
        return self.config.state_dir / "es"

    def log_path(self, name: str) -> Path:
        return self.log_dir / f"{name}.log"

    # public API
    def up(self, components: Sequence[str] = COMPONENTS) -> None:
        unknown = set(components) - set(COMPONENTS)
        if unknown:
            raise StackError(f"unknown components {sorted(unknown)}; known: {', '.join(COMPONENTS)}")
        for name in components:
            started = time.monotonic()
            self.start(name)
            print(f"{name}: up in {time.monotonic() - started:.1f}s", file=sys.stderr)

    def down(self) -> list[str]:
        """Stop every process recorded in the state dir; returns their names."""
        names = [record.name for record in self.records()]
        for name in reversed(names):
            self.stop(name)
        return names

    def start(self, component: str) -> None:
        """Start one component (no-op when it is already running); functions start both targets."""
        starters = {
            "es": lambda: self._start("es", self._es_launch()),
            "pubsub": lambda: self._start("pubsub", self._pubsub_launch()),
            "bigquery": lambda: self._start("bigquery", self._bigquery_launch()),
            "functions": self._start_functions,
        }
        if component not in starters:
            raise StackError(f"unknown component {component!r}; known: {', '.join(COMPONENTS)}")
        starters[component]()

    def stop(self, component: str) -> None:
        names = [f"fn-{target}" for target in FUNCTION_TARGETS] if component == "functions" else [component]
        for name in names:
            self._stop(name)

    def start_function(self, target: str, port: int, env: Mapping[str, str], source: Path | None = None, name: str | None = None) -> str:
        """A functions-framework process serving `target` from `source`; returns its URL."""
        source = source or self.config.functions_source
        if not source.exists():
            raise StackError(f"function source {source} does not exist")
        cli = Path(sys.executable).parent / "functions-framework"
        argv = [str(cli if cli.exists() else "functions-framework"), "--source", str(source), "--target", target, "--host", "127.0.0.1", "--port", str(port)]
        url = f"http://127.0.0.1:{port}"
        # The repo on PYTHONPATH stands in for the deployed source folder, which holds the bridge package.
        pythonpath = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
        launch = Launch(argv, url, (port,), lambda: tcp_open("127.0.0.1", port), 60.0, env={"PYTHONPATH": pythonpath, **env}, cwd=source.parent)
        self._start(name or f"fn-{target}", launch)
        return url

    def start_process(self, name: str, launch: Launch) -> None:
        """Start any other long-running helper (a push relay, say) under the same bookkeeping."""
        self._start(name, launch)

    def records(self) -> list[ProcessRecord]:
        if not self.run_dir.exists():
            return []
        return [ProcessRecord(**json.loads(path.read_text())) for path in sorted(self.run_dir.glob("*.json"), key=os.path.getmtime)]

    def status(self) -> dict[str, dict]:
        return {r.name: {"pid": r.pid, "running": _alive(r), "url": r.url, "log": r.log} for r in self.records()}

    # starting
    def _start(self, name: str, launch: Launch) -> None:
        record_path = self.run_dir / f"{name}.json"
        if record_path.exists():
            record = ProcessRecord(**json.loads(record_path.read_text()))
            if _alive(record):
                return
            record_path.unlink()
        for port in launch.ports:
            if not port_free(port):
                raise StackError(f"{name}: port {port} on 127.0.0.1 is already in use; pick another (the BRIDGE_*_PORT variables, tools/README.md)")
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_path(name)
        with open(log, "ab") as out:
            out.write(f"\n=== {time.strftime('%Y-%m-%dT%H:%M:%S')} starting {name}: {' '.join(launch.argv)}\n".encode())
            out.flush()
            user = launch.user
            process = subprocess.Popen(
                launch.argv,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, **launch.env},
                cwd=launch.cwd,
                start_new_session=True,
                user=user.pw_uid if user else None,
                group=user.pw_gid if user else None,
                extra_groups=[] if user else None,
            )
        self._children[name] = process
        record = ProcessRecord(name, process.pid, _proc_start_time(process.pid) or "", str(log), launch.url, list(launch.argv))
        record_path.write_text(json.dumps(dataclasses.asdict(record)))
        deadline = time.monotonic() + launch.timeout_s
        while not launch.healthy():
            if process.poll() is not None:
                record_path.unlink(missing_ok=True)
                raise StackError(f"{name} exited with code {process.returncode} while starting; read {log}\n{tail(log)}")
            if time.monotonic() > deadline:
                self._stop(name)
                raise StackError(f"{name} did not become healthy at {launch.url} within {launch.timeout_s:.0f}s; read {log}\n{tail(log)}")
            time.sleep(0.25)

    def _es_launch(self) -> Launch:
        home = ensure_es_home()
        user = ensure_es_user()
        if user and not traversable_by_others(self.config.state_dir.parent):
            raise StackError(
                f"Elasticsearch runs as {ES_USER} and cannot reach {self.config.state_dir}; set BRIDGE_STACK_DIR to a folder every user can traverse"
            )
        self.config.state_dir.mkdir(parents=True, exist_ok=True)
        self.config.state_dir.chmod(self.config.state_dir.stat().st_mode | 0o055)
        conf, data, logs, tmp = (self.es_dir / sub for sub in ("config", "data", "logs", "tmp"))
        for folder in (conf, data, logs, tmp):
            folder.mkdir(parents=True, exist_ok=True)
        for name in ("jvm.options", "log4j2.properties"):
            shutil.copyfile(home / "config" / name, conf / name)
        settings = {
            "cluster.name": "gcp-log-bridge",
            "node.name": "local",
            "path.data": str(data),
            "path.logs": str(logs),
            "network.host": "127.0.0.1",
            "http.port": self.config.es_port,
            "discovery.type": "single-node",
            "xpack.security.enabled": "false",
        }
        (conf / "elasticsearch.yml").write_text("".join(f"{key}: {value}\n" for key, value in settings.items()))
        if user:
            for path in [self.es_dir, *self.es_dir.rglob("*")]:
                os.chown(path, user.pw_uid, user.pw_gid)
        env = {"ES_PATH_CONF": str(conf), "ES_JAVA_HOME": str(java_home()), "ES_JAVA_OPTS": ES_HEAP, "ES_TMPDIR": str(tmp), "HOME": str(self.es_dir)}
        health = f"{self.config.es_url}/_cluster/health?wait_for_status=yellow&timeout=1s"
        return Launch([str(home / "bin/elasticsearch")], self.config.es_url, (self.config.es_port,), lambda: http_ok(health), 240.0, env=env, user=user, cwd=self.es_dir)

    def _pubsub_launch(self) -> Launch:
        binary = ensure_pubsub_emulator()
        port = self.config.pubsub_port
        return Launch([str(binary), "-host", "127.0.0.1", "-port", str(port)], f"http://{self.config.pubsub_host}", (port,), lambda: tcp_open("127.0.0.1", port), 30.0)

    def _bigquery_launch(self) -> Launch:
        c = self.config
        argv = [
            sys.executable, str(TOOLS / "bq_emulator.py"),
            "--rest-port", str(c.bq_port), "--grpc-port", str(c.bq_grpc_port),
            "--project", c.bq_project, "--data-dir", str(c.state_dir / "bigquery"),
            "--log-level", "warning",
        ]  # fmt: skip
        # /healthz, not /readyz: bqemulator serves only after DuckDB and its catalog are open, and
        # /readyz's `SELECT 1` leaves an unfinished result that breaks inserts under DuckDB 2.
        return Launch(argv, c.bq_endpoint, (c.bq_port, c.bq_grpc_port), lambda: http_ok(f"{c.bq_endpoint}/healthz"), 60.0, cwd=c.state_dir)

    def _start_functions(self) -> None:
        for target, port in self.config.function_ports().items():
            self.start_function(target, port, self.config.function_env(target))

    # stopping
    def _stop(self, name: str) -> None:
        record_path = self.run_dir / f"{name}.json"
        if not record_path.exists():
            return
        record = ProcessRecord(**json.loads(record_path.read_text()))
        if _proc_start_time(record.pid) == record.started:
            self._signal_group(record, signal.SIGTERM)
            if not self._wait_gone(record, STOP_GRACE_S):
                self._signal_group(record, signal.SIGKILL)
                if not self._wait_gone(record, 10.0):
                    raise StackError(f"{name} (pid {record.pid}) did not stop; read {record.log}")
        self._children.pop(name, None)
        record_path.unlink()

    @staticmethod
    def _signal_group(record: ProcessRecord, sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(record.pid, sig)

    def _wait_gone(self, record: ProcessRecord, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            child = self._children.get(record.name)
            if child is not None:
                child.poll()
            if not _group_alive(record.pid):
                return True
            time.sleep(0.1)
        return False


# --------------------------------------------------------------------------- CLI


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("install", "up", "down", "status", "env"))
    parser.add_argument("--components", default=None, help=f"comma-separated subset of {','.join(COMPONENTS)} (default: all)")
    args = parser.parse_args(argv)
    config = StackConfig.from_env()
    stack = Stack(config)
    try:
        if args.command == "up":
            components = args.components.split(",") if args.components else list(COMPONENTS)
            if args.components is None and not config.functions_source.exists():
                print(f"functions: not started, {config.functions_source} does not exist yet", file=sys.stderr)
                components.remove("functions")
            started = time.monotonic()
            stack.up(components)
            print(f"stack up in {time.monotonic() - started:.1f}s: {', '.join(components)} (state {config.state_dir})", file=sys.stderr)
            _print_exports(config)
        elif args.command == "install":
            for line in install():
                print(line)
        elif args.command == "down":
            stopped = stack.down()
            print(f"stopped: {', '.join(stopped) or 'nothing was running'}", file=sys.stderr)
        elif args.command == "status":
            for name, info in stack.status().items():
                print(f"{name:24} {'running' if info['running'] else 'DEAD':8} pid={info['pid']:<8} {info['url']:28} log={info['log']}")
        else:
            _print_exports(config)
    except StackError as error:
        print(f"stack: {error}", file=sys.stderr)
        return 1
    return 0


def _print_exports(config: StackConfig) -> None:
    for key, value in config.exports().items():
        print(f"export {key}={value}")


if __name__ == "__main__":
    sys.exit(main())
