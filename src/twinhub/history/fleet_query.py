"""The parameters of a fleet aggregation (`GET /api/2/history/search`), parsed and bounded (pure).

`filter` (RQL, checked by the search) and `namespaces` choose the things; `path` is the one leaf aggregated;
`from`/`to` as for one thing; `step` is required (a fleet has no raw page); `agg` defaults to mean; `groupBy`
names an attribute whose value splits the things into groups.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from twinhub.history.aggregate import Aggregation
from twinhub.history.query import parse_agg, parse_paths
from twinhub.history.timespec import MAX_BUCKETS, TimeRange, bucket_count, parse_range, parse_step
from twinhub.model.errors import HistoryPathsInvalid, HistoryStepInvalid
from twinhub.model.pointer import parse_pointer
from twinhub.model.types import Pointer

__all__ = ["MAX_FLEET_CELLS", "MAX_GROUPS", "FleetQuery", "parse_fleet_query"]

MAX_GROUPS = 1_000  # series of one answer
# groups x buckets of one answer, as for one thing's paths: each cell is a partial from the store and a pair in
# the JSON (~0.5 KB while the answer is built), so ten times this bound let one request take ~0.5 GB
MAX_FLEET_CELLS = MAX_BUCKETS


@dataclass(frozen=True, slots=True)
class FleetQuery:
    filter: str | None
    namespaces: tuple[str, ...] | None
    path: str  # normalised, `/features/t/properties/value`
    range: TimeRange
    step: timedelta
    agg: Aggregation
    group_by: Pointer | None

    def check_groups(self, groups: int) -> None:
        """Raises HistoryStepInvalid when `groups` series of this range and step would be too large an answer."""
        if groups > MAX_GROUPS:
            raise HistoryStepInvalid("", f"groupBy makes {groups} groups; at most {MAX_GROUPS}. Narrow the filter.")
        bucket_count(self.range, self.step, limit=MAX_FLEET_CELLS // max(groups, 1))


def parse_fleet_query(params: Mapping[str, str], now: datetime) -> FleetQuery:
    """The query of `params`; raises the History*Invalid errors (400)."""
    time_range = parse_range(params.get("from"), params.get("to"), now)
    path_text = params.get("path")
    if not path_text:
        raise HistoryPathsInvalid("", "Name the aggregated leaf with path=, as path=/features/t/properties/value.")
    if "," in path_text:
        raise HistoryPathsInvalid(path_text, "A fleet aggregation takes one path.")
    (path,) = parse_paths(path_text)
    step_text = params.get("step")
    if step_text is None:
        raise HistoryStepInvalid("", "A fleet aggregation needs a step, as step=5m.")
    step = parse_step(step_text)
    bucket_count(time_range, step)
    agg_text = params.get("agg")
    agg = parse_agg(agg_text) if agg_text is not None else Aggregation.MEAN
    group_by = None
    if (group_text := params.get("groupBy")) is not None:
        group_by = parse_pointer(group_text)
        if len(group_by) < 2 or group_by[0] != "attributes":
            raise HistoryPathsInvalid(group_text, "groupBy names an attribute, as groupBy=/attributes/site.")
    namespaces_text = params.get("namespaces")
    namespaces = None if namespaces_text is None else tuple(
        namespace.strip() for namespace in namespaces_text.split(",") if namespace.strip())
    return FleetQuery(params.get("filter"), namespaces, path, time_range, step, agg, group_by)
