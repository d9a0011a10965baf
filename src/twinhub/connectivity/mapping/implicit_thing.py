"""`ImplicitThingCreation` (inbound only): every message becomes a *create thing* command from a template, as
Ditto's ImplicitThingCreationMessageMapper (put it beside the mapper of the payload; an existing thing answers
the create with `If-None-Match: *` and stays as it is).

Options:
    thing               the thing JSON (required, with `thingId`); may hold `_policy` (an inline policy) or
                        `_copyPolicyFrom`; its strings may use `{{ header:... }}`, `{{ request:subjectId }}`,
                        `{{ time:now }}`.
    commandHeaders      headers of the command, same placeholders; `If-None-Match: *` is always set after
                        them, as Ditto's mapper does (a create never replaces an existing thing)
    allowPolicyLockout  default true

Placeholders are resolved in each string of the template, not in its text, so that a header value cannot
inject JSON into the thing; an unresolvable one fails the message.
"""

from __future__ import annotations

from collections.abc import Sequence

from twinhub.connectivity.external import ExternalMessage
from twinhub.connectivity.mapping.base import MapperConfigurationInvalid, MapperContext, MappingFailed
from twinhub.connectivity.mapping.support import (
    header_text,
    inbound_placeholders,
    option_bool,
    option_object,
    resolve_strings,
)
from twinhub.connectivity.placeholders import INBOUND_PREFIXES, validate
from twinhub.model.errors import TwinhubError
from twinhub.model.ids import parse_policy_id, parse_thing_id
from twinhub.model.thing import COPY_POLICY_FROM
from twinhub.model.types import JsonObject, JsonValue
from twinhub.protocol import Envelope, Topic

__all__ = ["ImplicitThingCreationMapper"]



class ImplicitThingCreationMapper:
    def __init__(self, context: MapperContext) -> None:
        self.context = context
        thing = option_object(context, "thing")
        if thing is None:
            raise MapperConfigurationInvalid("The mapper <ImplicitThingCreation> needs the option <thing>.")
        thing_id = thing.get("thingId")
        if not isinstance(thing_id, str):
            raise MapperConfigurationInvalid("The option <thing/thingId> is missing or no string.")
        headers = option_object(context, "commandHeaders") or {}
        try:
            _check_templates({key: value for key, value in thing.items() if not _is_reference(key, value)})
            _check_templates(headers)
            if "{{" not in thing_id:
                parse_thing_id(thing_id)
            policy_id = thing.get("policyId")
            if isinstance(policy_id, str) and "{{" not in policy_id:
                parse_policy_id(policy_id)
        except TwinhubError as error:
            raise MapperConfigurationInvalid(f"The option <thing> is invalid: {error.message}") from error
        self.thing = thing
        self.command_headers: JsonObject = headers
        self.allow_policy_lockout = option_bool(context, "allowPolicyLockout", True)

    def map_inbound(self, message: ExternalMessage) -> Sequence[Envelope]:
        placeholders = inbound_placeholders(message, self.context)
        template = {key: value for key, value in self.thing.items() if not _is_reference(key, value)}
        thing = resolve_strings(template, placeholders, keep_unresolved=False)
        assert isinstance(thing, dict)
        thing.update({key: value for key, value in self.thing.items() if _is_reference(key, value)})
        thing_id = thing.get("thingId")
        try:
            entity = parse_thing_id(thing_id if isinstance(thing_id, str) else "")
        except TwinhubError as error:
            raise MappingFailed(f"The implicitly created thing has no valid id: {error.message}") from error
        headers: dict[str, JsonValue] = {}
        for name, value in self.command_headers.items():
            resolved = resolve_strings(header_text(value), placeholders, keep_unresolved=True)
            if not (isinstance(resolved, str) and "{{" in resolved):  # unresolved headers are left out
                headers[name.lower()] = resolved
        headers["allow-policy-lockout"] = self.allow_policy_lockout
        headers["if-none-match"] = "*"
        topic = Topic(entity.namespace, entity.name, "things", "twin", "commands", "create")
        return [Envelope(topic=topic, headers=headers, path="/", value=thing)]

    def map_outbound(self, envelope: Envelope) -> Sequence[ExternalMessage]:
        return []

    def close(self) -> None:
        pass


def _is_reference(key: str, value: JsonValue) -> bool:
    """`_copyPolicyFrom: {{ ref:things/<id>/policyId }}` is resolved by the thing service, not here."""
    return key == COPY_POLICY_FROM and isinstance(value, str) and "ref:" in value


def _check_templates(value: JsonValue) -> None:
    """Every string of the template may only use the placeholders an inbound message offers."""
    if isinstance(value, str):
        if "{{" in value:
            validate(value, INBOUND_PREFIXES)
    elif isinstance(value, list):
        for item in value:
            _check_templates(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_templates(key)
            _check_templates(item)
