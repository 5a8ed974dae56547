"""One benchmark figure: its value next to the baseline measured in the same run, and the target."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import orjson

RESULTS_DIR = Path(__file__).resolve().parent / "results"
ORDER = (
    "transform",
    "elasticsearch_path",
    "push_path",
    "bigquery_path",
    "latency_p99",
    "memory",
    "scale_out",
    "cost_pull",
    "redaction_quality",
    "redaction_overhead",
)


@dataclass(frozen=True, slots=True)
class Result:
    name: str
    value: float
    unit: str
    baseline: float
    baseline_unit: str
    target: str  # what "met" means, in words and numbers, e.g. ">= 50000 entries/s/core and >= 3x baseline"
    higher_is_better: bool
    details: dict[str, Any] = field(default_factory=dict)

    def write(self, directory: Path = RESULTS_DIR) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{self.name}.json"
        path.write_bytes(orjson.dumps(asdict(self), option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS))
        return path


def met(result: Result) -> bool | None:
    """Whether the target holds; the check lives in details['met'] (computed by each figure)."""
    return result.details.get("met")


def _number(value: float) -> str:
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:,.0f}"
    if magnitude >= 1:
        return f"{value:,.2f}"
    return f"{value:.4g}"


def _measure(unit: str) -> str:
    """'entries/s (plain _bulk loop)' -> 'entries/s'."""
    return unit.split(" (", 1)[0]


def table(results: Sequence[Result]) -> str:
    rows = [("figure", "value", "baseline", "ratio", "target", "met")]
    for result in results:
        # A ratio only where value and baseline measure the same thing.
        ratio = f"{result.value / result.baseline:.2f}" if result.baseline and _measure(result.unit) == _measure(result.baseline_unit) else "-"
        state = met(result)
        rows.append(
            (
                result.name,
                f"{_number(result.value)} {result.unit}",
                f"{_number(result.baseline)} {result.baseline_unit}",
                ratio,
                result.target,
                "yes" if state else "NO" if state is not None else "-",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def load_all(directory: Path = RESULTS_DIR) -> list[Result]:
    found = []
    for name in ORDER:
        path = directory / f"{name}.json"
        if path.exists():
            found.append(Result(**orjson.loads(path.read_bytes())))
    return found


Figure = Callable[..., Result]
