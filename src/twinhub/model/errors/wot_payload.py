"""The error of a payload that breaks its WoT Thing Model (Ditto's `wot:payload.validation.error`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from twinhub.model.errors.base import ErrorBody, Invalid

__all__ = ["WotPayloadInvalid"]


class WotPayloadInvalid(Invalid):
    """A thing, feature or message payload that does not conform to the WoT Thing Model its definition links.
    Its body carries `validationDetails`, a map from the JSON pointer of each offending part to what is wrong
    with it (Ditto `wot/validation/.../WotThingModelPayloadValidationException.java`)."""

    def __init__(self, description: str, details: Mapping[str, Sequence[str]] | None = None) -> None:
        super().__init__(
            "wot:payload.validation.error",
            400,
            "The provided payload did not conform to the specified WoT (Web of Things) model.",
            description,
        )
        self.details: dict[str, list[str]] = {pointer: list(messages) for pointer, messages in (details or {}).items()}

    def to_json(self) -> ErrorBody:
        body = super().to_json()
        if self.details:
            body["validationDetails"] = self.details
        return body
