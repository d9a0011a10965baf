"""Errors of conditional requests: entity-tag preconditions (of things and policies) and RQL conditions."""

from __future__ import annotations

from twinhub.model.errors.base import Invalid, PreconditionFailed

__all__ = [
    "ThingConditionFailed",
    "ThingConditionInvalid",
    "ThingEqualitySkipped",
    "ThingNotModified",
    "ThingPreconditionFailed",
]


_DOMAINS = {"Policy": "policies", "Connection": "connectivity"}


def _domain(entity: str) -> str:
    return _DOMAINS.get(entity, "things")


class ThingPreconditionFailed(PreconditionFailed):
    """`if-match` or `if-none-match` evaluated to false on a thing (or, with `entity="Policy"`, a policy;
    with `entity="Connection"`, a connection);
    the HTTP answer carries the current entity tag."""

    def __init__(self, header: str, value: str, current: str | None, *, entity: str = "Thing") -> None:
        super().__init__(
            f"{_domain(entity)}:precondition.failed",
            412,
            f"The comparison of precondition header '{header}' for the requested {entity} resource evaluated to "
            f"false. Header value: '{value}', actual entity-tag: '{current or '<none>'}'.",
            "The comparison of the provided precondition header with the entity-tag evaluated to false. Check "
            "the value of your conditional header value.",
        )
        self.etag = current  # Ditto answers a failed precondition with the current entity tag


class ThingNotModified(PreconditionFailed):
    """304: a read's `if-none-match` matched the current entity tag of a thing (or a policy)."""

    def __init__(self, value: str, current: str, *, entity: str = "Thing") -> None:
        super().__init__(
            f"{_domain(entity)}:precondition.notmodified",
            304,
            f"The comparison of precondition header 'if-none-match' for the requested {entity} resource "
            f"evaluated to false. Expected: '{value}' not to match actual: '{current}'.",
            "The comparison of the provided precondition header 'if-none-match' with the entity-tag "
            "evaluated to false. Check the value of your conditional header value.",
        )
        self.etag = current


class ThingEqualitySkipped(PreconditionFailed):
    """`if-equal: skip` and the new value equals the current one."""

    def __init__(self) -> None:
        super().__init__(
            "things:precondition.failed",
            412,
            "The requested modification was skipped as the new value equals the existing value "
            "(header 'if-equal: skip').",
            "Send 'if-equal: update' to apply the modification even if it changes nothing.",
        )


class ThingConditionFailed(PreconditionFailed):
    """A `condition` (RQL) that the thing does not match, or (`readable=False`) that names a field the requester
    may not READ."""

    def __init__(self, thing_id: str, condition: str, *, readable: bool = True) -> None:
        if readable:
            super().__init__(
                "things:condition.failed",
                412,
                f"The specified condition <{condition}> does not match the state of the requested Thing "
                f"'{thing_id}'.",
                "Change the condition or the request.",
            )
        else:
            super().__init__(
                "things:condition.failed",
                412,
                "The specified resource in the condition could not be found or the requester had insufficient "
                "permissions to access it.",
                "Check if you have sufficient permissions to access the specified resource (READ permission is "
                "required).",
            )


class ThingConditionInvalid(Invalid):
    """A `condition` that is no valid RQL filter."""

    def __init__(self, message: str) -> None:
        super().__init__(
            "things:condition.invalid",
            400,
            message,
            "The condition must be a valid RQL filter, e.g. 'gt(attributes/temperature,20)'.",
        )
