"""Retention: delete daily indices whose date (in their name) is older than N days.

The date in the name is the entries' own UTC date, so an index is deleted when its
entries are old, not when it was created. Only names of the exact form
`<prefix>-YYYY.MM.DD` are considered; anything else under the pattern is left alone.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Iterable

from elasticsearch import Elasticsearch

from ...errors import ConfigError

_DATE_SUFFIX = re.compile(r"-(\d{4})\.(\d{2})\.(\d{2})")
# Comma-joined names must keep the request line short.
_DELETE_BATCH = 50


def index_day(name: str, prefix: str) -> dt.date | None:
    if not name.startswith(prefix):
        return None
    match = _DATE_SUFFIX.fullmatch(name, len(prefix))
    if match is None:
        return None
    try:
        return dt.date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def expired_indices(names: Iterable[str], prefix: str, today: dt.date, keep_days: int) -> list[str]:
    """Keeps the last `keep_days` UTC dates including today: keep_days=1 keeps only today's index."""
    if keep_days < 1:
        raise ConfigError("--keep-days must be at least 1", reason="bad_keep_days")
    oldest_kept = today - dt.timedelta(days=keep_days - 1)
    dated = ((name, index_day(name, prefix)) for name in names)
    return sorted(name for name, day in dated if day is not None and day < oldest_kept)


def daily_indices(client: Elasticsearch, prefix: str) -> list[str]:
    rows = client.cat.indices(index=f"{prefix}-*", h="index", format="json", expand_wildcards="open,closed")
    return [row["index"] for row in rows.body]


def delete_indices(client: Elasticsearch, names: list[str]) -> None:
    for start in range(0, len(names), _DELETE_BATCH):
        client.indices.delete(index=",".join(names[start : start + _DELETE_BATCH]), expand_wildcards="none")


def apply_retention(client: Elasticsearch, prefix: str, keep_days: int, today: dt.date, *, dry_run: bool = False) -> list[str]:
    """The names deleted (or that would be, with dry_run)."""
    expired = expired_indices(daily_indices(client, prefix), prefix, today, keep_days)
    if not dry_run:
        delete_indices(client, expired)
    return expired
