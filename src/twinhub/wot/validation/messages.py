"""A live message's payload checked against the Thing Model of the thing or feature it is sent to or from:
inbox messages against the model's `actions` (their `input`, and `output` for the response), outbox messages
against its `events` (their `data`) (Ditto `InternalThingValidation.enforceThingActionPayload` /
`enforceThingEventPayload`, `InternalFeatureValidation` likewise)."""

from __future__ import annotations

from twinhub.model.errors import WotPayloadInvalid
from twinhub.model.types import JsonObject, JsonValue
from twinhub.wot.validation.config import ValidationConfig
from twinhub.wot.validation.model_parts import affordances
from twinhub.wot.validation.schema_check import schema_failures

__all__ = ["check_message"]


def check_message(model: JsonObject, config: ValidationConfig, *, feature_id: str | None, inbox: bool,
                  subject: str, payload: JsonValue, response: bool = False) -> None:
    """Raise WotPayloadInvalid when a message with `subject` sent to the inbox (`inbox`) or from the outbox of the
    thing (`feature_id` None) or of a feature is not modelled, or its payload (`response`: the answer to an
    inbox message, checked against the action's `output`) breaks its schema."""
    scope = "thing" if feature_id is None else "feature"
    owner = "Thing's" if feature_id is None else f"Feature <{feature_id}>'s"
    kind, known = ("action", affordances(model, "actions")) if inbox else ("event", affordances(model, "events"))
    non_modeled = f"{scope}.forbid.non-modeled-{'inbox' if inbox else 'outbox'}-messages"
    if subject not in known:
        if not response and config.on(non_modeled):
            raise WotPayloadInvalid(f"The {owner} message subject <{subject}> is not defined as known {kind} in "
                                    f"the model: [{', '.join(known)}]")
        return
    if inbox:
        aspect = f"{scope}.enforce.inbox-messages-{'output' if response else 'input'}"
        field, what = ("output", "output") if response else ("input", "input")
    else:
        aspect, field, what = f"{scope}.enforce.outbox-messages", "data", "data"
    schema = known[subject].get(field)
    if not config.on(aspect) or not isinstance(schema, dict):
        return
    failures = schema_failures(schema, payload)
    if failures:
        box = "inbox" if inbox else "outbox"
        pointer = ("" if feature_id is None else f"/features/{feature_id}") + f"/{box}/messages/{subject}"
        raise WotPayloadInvalid(f"The {owner} {kind} <{subject}> {what} contained validation errors, check the "
                                "validation details.", {pointer: failures})
