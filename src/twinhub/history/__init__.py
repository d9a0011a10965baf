"""Time-series history of twin values: the points a change records, and which paths are recorded."""

from twinhub.history.points import Point, PointValue, changed_points, format_leaf_path
from twinhub.history.rules import HistoryRules, Rule, parse_rules
from twinhub.history.timestamps import HISTORY_TIMESTAMP_HEADER, device_time, parse_device_time

__all__ = [
    "HISTORY_TIMESTAMP_HEADER",
    "HistoryRules",
    "Point",
    "PointValue",
    "Rule",
    "changed_points",
    "device_time",
    "format_leaf_path",
    "parse_device_time",
    "parse_rules",
]
