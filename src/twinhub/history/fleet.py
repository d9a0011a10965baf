"""Fleet aggregation: one path across many things, per bucket, optionally one series per group.

The reference for `GET /api/2/history/search`: samples carry their thing id; a thing's group is the value of
the `groupBy` attribute (None when it has none, which forms a group of its own). Each series says how many
things contributed to it. Buckets and aggregates are those of `aggregate` (same partials, same rules).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from twinhub.history.aggregate import Aggregation, Bucket, Partial, aggregate
from twinhub.history.series import Sample, Scalar, scalar_json

__all__ = ["MAX_FLEET_THINGS", "FleetPartials", "FleetSeries", "Group", "fleet_aggregate", "group_order"]

MAX_FLEET_THINGS = 10_000  # thing ids of one fleet query, in all its groups (what a store reads in one statement)

Group = Scalar | None


@dataclass(frozen=True, slots=True)
class FleetSeries:
    """The buckets of one group (None without `groupBy`, or for things without the attribute)."""

    group: Group
    things: int
    points: list[Bucket]


@dataclass(frozen=True, slots=True)
class FleetPartials:
    """What a store gives for one group of things: how many of them have a sample in the range, and the partials
    of all their samples by bucket start (`partials` of those samples)."""

    things: int
    partials: dict[datetime, Partial]


def group_order(group: Group) -> tuple[int, str, str]:
    """The sort key of a group: by kind, then JSON text; the missing group (None) last."""
    return (1, "", "") if group is None else (0, type(group).__name__, scalar_json(group))


def fleet_aggregate(samples: Iterable[Sample], step: timedelta, agg: Aggregation,
                    group_of: Callable[[str], Group] | None = None) -> list[FleetSeries]:
    """One series per group of the samples' things (one series, group None, when `group_of` is None), sorted by
    group; raises HistoryAggregationInvalid as `aggregate` does."""
    groups: dict[tuple[int, str, str], tuple[Group, list[Sample], set[str]]] = {}
    for sample in samples:
        group = group_of(sample.thing_id) if group_of is not None else None
        _, members, things = groups.setdefault(group_order(group), (group, [], set()))
        members.append(sample)
        things.add(sample.thing_id)
    return [FleetSeries(group, len(things), aggregate(members, step, agg))
            for _, (group, members, things) in sorted(groups.items())]
