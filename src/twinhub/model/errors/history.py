"""Errors of history queries and exports: time ranges, steps, aggregations, paths, cursors, fleets, formats and
limits.

History is a twinhub extension (Ditto has none), so these codes are twinhub's own, spelled in Ditto's manner
(`<domain>:<what>.invalid`). Every one is a 400: the query is malformed and fails again unchanged.
"""

from __future__ import annotations

from twinhub.model.errors.base import Invalid, echoed

__all__ = [
    "HistoryAggregationInvalid",
    "HistoryCursorInvalid",
    "HistoryFleetTooLarge",
    "HistoryFormatInvalid",
    "HistoryLimitInvalid",
    "HistoryPathsInvalid",
    "HistoryStepInvalid",
    "HistoryTimeInvalid",
]


class HistoryTimeInvalid(Invalid):
    """A `from` or `to` that is neither ISO-8601 nor relative (`-24h`, `now`), or a range that is empty,
    reversed or outside the representable years."""

    def __init__(self, value: str, description: str) -> None:
        super().__init__("history:time.invalid", 400, f"The time <{echoed(value)}> is invalid.", description)


class HistoryStepInvalid(Invalid):
    """A `step` that does not parse, is outside 1s..1d, or cuts the range into too many buckets."""

    def __init__(self, value: str, description: str) -> None:
        super().__init__("history:step.invalid", 400, f"The step <{echoed(value)}> is invalid.", description)


class HistoryAggregationInvalid(Invalid):
    """An `agg` that is unknown, given without a step, or does not apply to the values (mean of strings)."""

    def __init__(self, value: str, description: str) -> None:
        super().__init__("history:aggregation.invalid", 400, f"The aggregation <{echoed(value)}> is invalid.",
                         description)


class HistoryPathsInvalid(Invalid):
    """A `paths` list that is empty, too long, or names the root (each path is a JSON pointer besides)."""

    def __init__(self, value: str, description: str) -> None:
        super().__init__("history:paths.invalid", 400, f"The paths <{echoed(value)}> are invalid.", description)


class HistoryCursorInvalid(Invalid):
    """A cursor that this service did not issue, was altered, or belongs to another query."""

    def __init__(self, description: str) -> None:
        super().__init__("history:cursor.invalid", 400, "The history cursor is invalid.", description)


class HistoryFleetTooLarge(Invalid):
    """A fleet aggregation whose filter matches more things than one aggregation takes."""

    def __init__(self, limit: int) -> None:
        super().__init__("history:fleet.toolarge", 400, f"The filter matches more than {limit} things.",
                         "Narrow the filter (or the namespaces) to at most this many things.")


class HistoryFormatInvalid(Invalid):
    """An export `format` that is none of the known ones."""

    def __init__(self, value: str, description: str) -> None:
        super().__init__("history:format.invalid", 400, f"The format <{echoed(value)}> is not supported.",
                         description)


class HistoryLimitInvalid(Invalid):
    """A page `limit` that is not a whole number within the allowed bounds."""

    def __init__(self, value: str, description: str) -> None:
        super().__init__("history:limit.invalid", 400, f"The limit <{echoed(value)}> is invalid.", description)
