"""Errors of reactive-stream subscriptions over the Ditto Protocol: a search (`thing-search:` codes, Ditto's
SubscriptionManager and SubscriptionActor) or the persisted events of an entity (codes without a prefix,
Ditto's StreamingSubscriptionManager and StreamingSubscriptionActor). Each is sent as the `failed` of the
subscription the client named; Ditto gives them no description."""

from __future__ import annotations

from twinhub.model.errors.base import Invalid, NotFound, echoed

__all__ = [
    "StreamingSubscriptionNotFound",
    "StreamingSubscriptionProtocolError",
    "SubscriptionNotFound",
    "SubscriptionProtocolError",
]

# Ditto's words (pekko's reactive-streams compliance message) for a demand below 1 (reactive streams rule 3.9).
NON_POSITIVE_DEMAND = "The number of requested elements must be > 0 (see reactive-streams specification, rule 3.9)"


def _not_found_message(subscription_id: str) -> str:
    return f"No subscription with ID '{echoed(subscription_id)}' exists."


class SubscriptionNotFound(NotFound):
    """A `request` or `cancel` of a search subscription the session does not hold (never created, or ended)."""

    def __init__(self, subscription_id: str) -> None:
        super().__init__("thing-search:subscription.not.found", 404, _not_found_message(subscription_id))


class SubscriptionProtocolError(Invalid):
    """A search subscription used against the reactive-streams rules (a demand below 1)."""

    def __init__(self) -> None:
        super().__init__("thing-search:subscription.protocol.error", 400, NON_POSITIVE_DEMAND)


class StreamingSubscriptionNotFound(NotFound):
    """A `request` or `cancel` of a persisted-events subscription the session does not hold."""

    def __init__(self, subscription_id: str) -> None:
        super().__init__("streaming.subscription.not.found", 404, _not_found_message(subscription_id))


class StreamingSubscriptionProtocolError(Invalid):
    """A persisted-events subscription used against the reactive-streams rules (a demand below 1)."""

    def __init__(self) -> None:
        super().__init__("streaming.subscription.protocol.error", 400, NON_POSITIVE_DEMAND)
