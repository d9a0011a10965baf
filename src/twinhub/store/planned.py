"""Bucket queries through rollups (pure): the per-segment requests of a fleet query as `twinhub.history.plan`
splits its range, and the segments' partials merged into the answer.

Raw segments are read as `Store.fleet_buckets` reads raw points (by the step); the rollup segment reads each
thing's rollup rows of its width, combined per group and bucket. How many things contributed is counted apart,
over the whole range: a thing counts when it has a raw sample in range or a rollup bucket in the rollup segment
(its raw points there may be gone to retention).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from twinhub.history import FleetPartials, Partial
from twinhub.history.plan import Segment, combine, plan_segments
from twinhub.store.buckets import BucketRequest, bucket_request
from twinhub.store.points import to_micros
from twinhub.store.rollups import width_micros

__all__ = ["SegmentRequest", "alone", "merge_segments", "segment_requests"]

SegmentRequest = tuple[Segment, BucketRequest]


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
