"""Which stored resolution answers a bucketed query (pure): raw points at the ends, rollups in between.

A rollup of width W keeps one `Partial` per thing, path and epoch-aligned W-bucket. For a query with step S,
a W that divides S puts every W-bucket inside one S-bucket, so the S-buckets' partials are the W-buckets'
combined (`rollup`), exactly. The plan takes the coarsest maintained W that divides the step (fewest rows to
read), rounds the range's ends inward to W and reads:

    raw [start, a)  +  rollup of width W over [a, b)  +  raw [b, end)

with `a` the first multiple of W at or after `start` and `b` the last at or before `end`; raw points only when
no width divides the step or the range holds no whole W-bucket. `combine` merges the segments' partials (each
already in S-buckets) into the answer: the same as `partials` of every raw sample in [start, end).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from twinhub.history.aggregate import Partial, rollup
from twinhub.history.series import from_micros, micros

__all__ = ["Segment", "coarsest_width", "combine", "plan_segments"]

_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class Segment:
    """The half-open `[start, end)` read from raw points (`width` None) or from the rollup of `width`."""

    start: datetime
    end: datetime
    width: timedelta | None = None


def coarsest_width(step: timedelta, widths: Iterable[timedelta]) -> timedelta | None:
    """The largest of `widths` that divides `step` (None: none does)."""
    fitting = [width for width in widths if timedelta(0) < width <= step and step % width == timedelta(0)]
    return max(fitting, default=None)


def plan_segments(start: datetime, end: datetime, step: timedelta, widths: Iterable[timedelta]) -> tuple[Segment, ...]:
    """The segments that cover `[start, end)` for buckets of `step`, in time order, none empty."""
    if start >= end:
        return ()
    width = coarsest_width(step, widths)
    if width is None:
        return (Segment(start, end),)
    unit = width // _MICROSECOND
    inner_start = from_micros(-(-micros(start) // unit) * unit)
    inner_end = from_micros(micros(end) // unit * unit)
    if inner_start >= inner_end:
        return (Segment(start, end),)
    segments = [Segment(start, inner_start)] if start < inner_start else []
    segments.append(Segment(inner_start, inner_end, width))
    if inner_end < end:
        segments.append(Segment(inner_end, end))
    return tuple(segments)


def combine(parts: Iterable[tuple[Segment, Mapping[datetime, Partial]]], step: timedelta) -> dict[datetime, Partial]:
    """The partials per bucket of `step` of all segments together, oldest first: each segment's partials are
    by bucket of its own resolution (raw segments: already by `step`; rollups: by their width)."""
    merged: dict[datetime, Partial] = {}
    for segment, found in parts:
        buckets = found if segment.width is None or segment.width == step else rollup(found, segment.width, step)
        for start, partial in buckets.items():
            merged[start] = merged[start].combine(partial) if start in merged else partial
    return dict(sorted(merged.items()))
