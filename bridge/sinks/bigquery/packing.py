"""Splits rows into insertAll requests bounded by a row count and a byte size."""
from __future__ import annotations

from typing import Sequence


def pack(sizes: Sequence[int], max_rows: int, max_bytes: int) -> list[range]:
    """Consecutive index ranges; each holds at most `max_rows` rows and `max_bytes` bytes.

    A row larger than `max_bytes` gets a request of its own (the caller rejects such rows
    before packing, so this only keeps the function total).
    """
    batches: list[range] = []
    start, total = 0, 0
    for index, size in enumerate(sizes):
        if index > start and (index - start >= max_rows or total + size > max_bytes):
            batches.append(range(start, index))
            start, total = index, 0
        total += size
    if start < len(sizes):
        batches.append(range(start, len(sizes)))
    return batches
