"""Processes the benchmarks start (pull workers, through the real CLI), and what /proc says about them."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import orjson

REPO = Path(__file__).resolve().parents[1]
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a running process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS


def tree_cpu_seconds(pid: int) -> float:
    """CPU time of a process and its live descendants (gunicorn runs the function in a child)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        try:
            total += cpu_seconds(current)
        except OSError:
            continue
        todo.extend(children.get(current, ()))
    return total


def peak_rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmHWM for process {pid}")


@dataclass
class Worker:
    """`python -m bridge pull ... --idle-exit-s S --stats-file F` in its own process."""

    process: subprocess.Popen[bytes]
    stats_path: Path
    log_path: Path

    def stop_after(self, seconds: float) -> dict[str, Any]:
        """SIGTERM after `seconds` unless it exits sooner; a clean drain exits 0 and writes its stats."""
        try:
            self.process.wait(seconds)
        except subprocess.TimeoutExpired:
            self.process.send_signal(signal.SIGTERM)
        return self.wait(120)

    def wait(self, timeout_s: float) -> dict[str, Any]:
        try:
            code = self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(60)
            raise RuntimeError(f"pull worker still busy after {timeout_s:.0f} s; see {self.log_path}") from None
        if code != 0:
            raise RuntimeError(f"pull worker exited {code}; see {self.log_path}")
        return orjson.loads(self.stats_path.read_bytes())


def start_worker(
    env: Mapping[str, str],
    subscription: str,
    destination: str,
    work_dir: Path,
    label: str,
    extra: Sequence[str] = (),
    idle_exit_s: float = 2.0,
) -> Worker:
    stats = work_dir / f"{label}.stats.json"
    log = work_dir / f"{label}.log"
    command = [
        sys.executable, "-m", "bridge", "pull",
        "--subscription", subscription, "--to", destination,
        "--idle-exit-s", str(idle_exit_s), "--stats-file", str(stats), *extra,
    ]
    with open(log, "wb") as out:
        process = subprocess.Popen(command, cwd=REPO, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT)
    return Worker(process, stats, log)
