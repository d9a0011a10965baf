"""Retention in bounded steps (pure): what one pruning call reports, and its limits.

Each call of a store's `prune_*` deletes at most a bounded number of rows in one short transaction (never one
huge delete that would stall the writer) and says where the next call resumes; the caller repeats until
`next` is None. Calls are idempotent: workers pruning at the same time delete each row once, and a call
repeated after a crash deletes what is still older than the cutoff.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["PRUNE_ROWS", "PRUNE_SERIES", "Pruned", "SeriesKey"]

PRUNE_SERIES = 500  # series (or things) looked at per call
PRUNE_ROWS = 5_000  # rows deleted per call, at most

_K = TypeVar("_K")


@dataclass(frozen=True, slots=True, order=True)
class SeriesKey:
    """One series of history points: a thing's leaf (`path` as `Point.path` spells it)."""

    thing_id: str
    path: str


@dataclass(frozen=True, slots=True)
class Pruned(Generic[_K]):
    """How many rows a call deleted, and where the next call starts (inclusive; None: the pass is done)."""

    deleted: int
    next: _K | None
