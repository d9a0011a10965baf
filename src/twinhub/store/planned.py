"""Bucket queries through rollups (pure): the per-segment requests of a fleet query as `twinhub.history.plan`
splits its range, and the segments' partials merged into the answer.

Raw segments are read as `Store.fleet_buckets` reads raw points (by the step); the rollup segment reads each
thing's rollup rows of its width, combined per group and bucket. How many things contributed is counted apart,
over the whole range: a thing counts when it has a raw sample in range or a rollup bucket in the rollup segment
(its raw points there may be gone to retention).

A rollup pays only where its rows hold several samples each: a row is wider and costlier to combine than a raw
point (measured on 1,000 things with a point every 2 minutes, at one sample per 1-minute row the fleet read took
9.0 s from the rollup and 6.6 s from raw points on SQLite). So the store first counts the rollup segment's rows
and the samples they hold (`Density`); when they are sparse and every one of those samples is still a raw point
(none gone to retention), the whole range is read from raw points instead, which answers the same exactly.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import NamedTuple

from twinhub.history import FleetPartials, Partial
from twinhub.history.plan import Segment, combine, plan_segments
from twinhub.store.buckets import BucketRequest, bucket_request
from twinhub.store.points import to_micros
from twinhub.store.rollups import width_micros

__all__ = ["DENSE", "Density", "SegmentRequest", "alone", "merge_segments", "segment_requests"]

SegmentRequest = tuple[Segment, BucketRequest]

DENSE = 2  # samples per rollup row from which the rollup is read rather than the raw points


class Density(NamedTuple):
    """The rollup segment's rows of the request's things and the samples they sum up."""

    rows: int
    samples: int

    @property
    def sparse(self) -> bool:
        """Whether raw points are cheaper to read than these rows (if they are all still there)."""
        return self.samples < DENSE * self.rows

    def complete(self, raw: int) -> bool:
        """Whether `raw` raw samples (counted up to `samples + 1`) of the segment are all its rolled-up ones."""
        return raw == self.samples


def segment_requests(groups: Sequence[Sequence[str]], start: datetime, end: datetime, step: timedelta,
                     widths: Sequence[timedelta]) -> tuple[BucketRequest, list[SegmentRequest]]:
    """The whole query's request (checked as `bucket_request` checks it, so it raises ValueError alike) and one
    request per segment: by the step for raw segments, by the rollup's width for the rollup segment."""
    request = bucket_request(groups, start, end, step)
    parts: list[SegmentRequest] = []
    for segment in plan_segments(start, end, step, widths):
        width = request.width if segment.width is None else width_micros([segment.width])[0]
        parts.append((segment, request._replace(start=to_micros(segment.start), end=to_micros(segment.end),
                                                width=width)))
    return request, parts


def alone(groups: int, group: int, partials: Iterable[tuple[datetime, Partial]]) -> list[dict[datetime, Partial]]:
    """Per group, the partials of a segment whose one thing is in `group` (the others have none)."""
    found: list[dict[datetime, Partial]] = [{} for _ in range(groups)]
    found[group] = dict(partials)
    return found


def merge_segments(request: BucketRequest, parts: Sequence[tuple[Segment, Sequence[dict[datetime, Partial]]]],
                   things: Sequence[int], step: timedelta) -> list[FleetPartials]:
    """Per group: `things[group]` and the partials of every segment together, by bucket of `step`."""
    return [FleetPartials(things[group], combine(((segment, found[group]) for segment, found in parts), step))
            for group in range(request.groups)]
