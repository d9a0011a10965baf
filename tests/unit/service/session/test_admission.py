"""Sessions per subject on a worker."""

from __future__ import annotations

import pytest

from twinhub.model.errors import TooManyRequests
from twinhub.service.session import SessionCounts


def test_a_subject_holds_at_most_its_limit_of_sessions_and_others_are_not_affected() -> None:
    counts = SessionCounts(2)
    counts.admit("nginx:busy")
    counts.admit("nginx:busy")
    with pytest.raises(TooManyRequests) as refused:
        counts.admit("nginx:busy")
    assert refused.value.status == 429
    counts.admit("nginx:other")
    counts.leave("nginx:busy")
    counts.admit("nginx:busy")
    assert (counts.count("nginx:busy"), counts.count("nginx:other")) == (2, 1)
    counts.leave("nginx:other")
    assert counts.count("nginx:other") == 0
