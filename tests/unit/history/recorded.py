"""A recorded point for the pure history tests: what a store's point looks like to `RecordedPoint`, a scalar value
(never the deletion marker None that `twinhub.history.Point` may carry)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from twinhub.history.series import Scalar


@dataclass(frozen=True)
class Point:
    thing_id: str
    path: str
    time: datetime
    value: Scalar
    revision: int
