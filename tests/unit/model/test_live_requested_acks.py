"""Which acknowledgements a live command or message requests: Ditto's ThingLiveCommandAckRequestSetter and
MessageCommandAckRequestSetter (edge/service acknowledgements; base/model AbstractCommandAckRequestSetter,
ThingLiveCommandAckRequestSetterTest)."""

from __future__ import annotations

import pytest

from twinhub.model.headers import live_requested_acks


@pytest.mark.parametrize(("requested", "response_required", "expected"), [
    (None, True, ("live-response",)),  # none requested: the implicit label while a response is required
    (None, False, ()),
    (("custom:a",), True, ("custom:a", "live-response")),  # bound to response-required: added ...
    (("custom:a", "live-response"), False, ("custom:a",)),  # ... and removed
    (("live-response", "custom:a"), True, ("live-response", "custom:a")),  # the order requested stays
    (("twin-persisted", "search-persisted"), True, ("live-response",)),  # Ditto's other labels are dropped
    (("twin-persisted",), False, ()),
    ((), True, ()),  # an explicitly empty request adds nothing
])
def test_live_requested_acks_follow_dittos_setter(requested: tuple[str, ...] | None, response_required: bool,
                                                  expected: tuple[str, ...]) -> None:
    assert live_requested_acks(requested, response_required=response_required) == expected
