"""Which daily indices retention deletes: by the date in the name, never anything else."""
import datetime as dt

import pytest

from bridge.errors import ConfigError
from bridge.sinks.elasticsearch.retention import expired_indices, index_day

TODAY = dt.date(2024, 5, 10)


def test_keeps_the_last_n_dates_including_today():
    names = [f"gcp-logs-2024.05.{day:02d}" for day in range(1, 12)]
    assert expired_indices(names, "gcp-logs", TODAY, 3) == [f"gcp-logs-2024.05.{day:02d}" for day in range(1, 8)]
    assert expired_indices(names, "gcp-logs", TODAY, 1) == [f"gcp-logs-2024.05.{day:02d}" for day in range(1, 10)]
    assert expired_indices(names, "gcp-logs", TODAY, 30) == []


def test_only_exact_daily_names_of_the_prefix_are_candidates():
    names = [
        "gcp-logs-2020.01.01",  # expired
        "gcp-logs-2020.01.01-restored", "gcp-logs-2020.1.1", "gcp-logs-2020.02.30", "gcp-logs",
        "gcp-logs-archive-2020.01.01", "other-gcp-logs-2020.01.01", "gcp-deadletter-2020.01.01",
    ]
    assert expired_indices(names, "gcp-logs", TODAY, 7) == ["gcp-logs-2020.01.01"]
    assert expired_indices(names, "gcp-deadletter", TODAY, 7) == ["gcp-deadletter-2020.01.01"]


def test_index_day_parses_the_suffix():
    assert index_day("gcp-logs-2024.02.29", "gcp-logs") == dt.date(2024, 2, 29)
    assert index_day("gcp-logs-2023.02.29", "gcp-logs") is None
    assert index_day("gcp-logsx2024.02.29", "gcp-logs") is None


def test_keep_days_must_be_positive():
    with pytest.raises(ConfigError):
        expired_indices(["gcp-logs-2024.05.10"], "gcp-logs", TODAY, 0)
