"""Figure 8: dollars per million entries, push (Cloud Functions gen2) against pull (an always-on worker),
from the CPU seconds measured in this run, and the rate above which pull is cheaper.

Push: Cloud Functions gen2 are billed as Cloud Run services with CPU allocated during
requests: vCPU-seconds and GiB-seconds while serving, plus a fee per request (one push
request per message). The CPU seconds measured per message stand in for billed instance
time, which assumes a busy instance; real billing counts every second a request is open,
so this is the lower bound for push. Pull: one instance always on (a Cloud Run worker pool,
instance-based billing) whatever the traffic, or a GKE Autopilot pod; more instances only
when one vCPU is not enough. Pub/Sub's own charges are the same for push and pull and
are left out.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from .results import Result

MONTH_S = 30 * 24 * 3600
PRICES_AS_OF = "2025-06 (Tier 1 regions such as us-central1; free tiers ignored)"


@dataclass(frozen=True, slots=True)
class Prices:
    """List prices in USD, from the Cloud Run and GKE pricing pages as of PRICES_AS_OF."""

    request_vcpu_s: float = 0.000024  # Cloud Run, CPU allocated during requests (Cloud Functions gen2)
    request_gib_s: float = 0.0000025
    per_million_requests: float = 0.40
    instance_vcpu_s: float = 0.000018  # Cloud Run, instance-based billing (always allocated)
    instance_gib_s: float = 0.000002
    autopilot_vcpu_h: float = 0.0445  # GKE Autopilot, general-purpose pod
    autopilot_gib_h: float = 0.0049225


@dataclass(frozen=True, slots=True)
class Shape:
    vcpu: float = 1.0
    gib: float = 0.5


def push_per_million(cpu_s_per_entry: float, prices: Prices = Prices(), shape: Shape = Shape()) -> float:
    seconds = cpu_s_per_entry / shape.vcpu * 1e6  # instance-seconds for a million entries on a busy instance
    return seconds * (shape.vcpu * prices.request_vcpu_s + shape.gib * prices.request_gib_s) + prices.per_million_requests


def pull_instance_month(prices: Prices = Prices(), shape: Shape = Shape()) -> float:
    return MONTH_S * (shape.vcpu * prices.instance_vcpu_s + shape.gib * prices.instance_gib_s)


def autopilot_month(prices: Prices = Prices(), shape: Shape = Shape()) -> float:
    return MONTH_S / 3600 * (shape.vcpu * prices.autopilot_vcpu_h + shape.gib * prices.autopilot_gib_h)


def pull_month(rate: float, cpu_s_per_entry: float, prices: Prices = Prices(), shape: Shape = Shape()) -> float:
    """Always-on instances, as many as the rate needs at one vCPU each."""
    capacity = shape.vcpu / cpu_s_per_entry
    return max(1, math.ceil(rate / capacity)) * pull_instance_month(prices, shape)


def run(pull_cpu_s_per_entry: float, push_cpu_s_per_entry: float, prices: Prices = Prices(), shape: Shape = Shape()) -> Result:
    push_million = push_per_million(push_cpu_s_per_entry, prices, shape)
    capacity = shape.vcpu / pull_cpu_s_per_entry
    instance_month = pull_instance_month(prices, shape)
    # A full instance: its monthly price over what it can carry in a month.
    pull_million = instance_month / (capacity * MONTH_S) * 1e6
    break_even = instance_month / (push_million / 1e6 * MONTH_S)
    rates = (1, 10, 100, 1000, 10_000)
    monthly: list[dict[str, Any]] = [
        {
            "entries_per_second": rate,
            "push_usd_month": push_million * rate * MONTH_S / 1e6,
            "pull_usd_month": pull_month(rate, pull_cpu_s_per_entry, prices, shape),
        }
        for rate in rates
    ]
    details = {
        "prices_usd": asdict(prices),
        "prices_as_of": PRICES_AS_OF,
        "instance_shape": asdict(shape),
        "push_cpu_seconds_per_entry": push_cpu_s_per_entry,
        "pull_cpu_seconds_per_entry": pull_cpu_s_per_entry,
        "pull_capacity_entries_per_second_per_vcpu": capacity,
        "pull_instance_usd_month": instance_month,
        "gke_autopilot_pod_usd_month": autopilot_month(prices, shape),
        "break_even_entries_per_second": break_even,
        "monthly": monthly,
        "assumptions": "push instance time = measured CPU time (busy instance; a lower bound), one request per entry; "
        "pull = one always-on instance (1 vCPU, 512 MiB) until its CPU is full; Pub/Sub charges equal for both, left out",
        "met": pull_million < push_million,
    }
    return Result(
        "cost_pull", pull_million, "USD per million entries (pull, full instance)", push_million, "USD per million entries (push)",
        f"pull cheaper per entry than push; pull is cheaper above {break_even:,.1f} entries/s", False, details,
    )
