"""How a new thing gets its policy, as in Ditto: an inline `_policy`, `_copyPolicyFrom` another
policy (or `{{ ref:things/<thingId>/policyId }}`), an existing `policyId`, or else the default policy
that grants the creator READ and WRITE on `thing:/`, `policy:/` and `message:/`."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import replace

from twinhub.model.commands import ThingCommand
from twinhub.model.errors import (
    JsonParseInvalid,
    PlaceholderReferenceNotSupported,
    PlaceholderReferenceUnknownField,
    PolicyConflict,
    PolicyModificationInvalid,
    ThingInvalid,
    ThingPoliciesConflicting,
    ThingPolicyExisting,
    ThingPolicyInvalid,
    ThingPolicyNotAllowed,
    ThingPolicyNotCreated,
    TwinhubError,
)
from twinhub.model.events import PolicyWrite
from twinhub.model.ids import parse_policy_id, parse_thing_id
from twinhub.model.json import render
from twinhub.model.pointer import parse_pointer
from twinhub.model.policy import check_lockout, default_policy
from twinhub.model.thing import COPY_POLICY_FROM, INLINE_POLICY
from twinhub.model.types import JsonObject, JsonValue, Missing, Pointer
from twinhub.policy import Enforcer
from twinhub.service.policies import PolicyService

# What PoliciesValidator asks of a thing's inline policy (Ditto's Permission.MIN_REQUIRED_POLICY_PERMISSIONS).
_MIN_PERMISSIONS = "It must contain at least one Subject with the following permission(s): '[WRITE]'!"

# Ditto's ReferencePlaceholder: `{{ ref:<entity type>/<entity id>/<field> }}`, found anywhere in the value.
_REFERENCE = re.compile(r"\{\{\s?ref:(?P<type>[^/\s]+)/(?P<id>[^/\s]+)/(?P<field>\S+)\s?}}")

# Reads a field (a pointer) of another thing as the caller may read it: its value, MISSING when not readable there;
# 404 `things:thing.notfound` when the thing is not readable at all.
ThingFieldLookup = Callable[[str, Pointer], Awaitable["JsonValue | Missing"]]


def thing_policy_id(command: ThingCommand) -> str:
    body = command.value if isinstance(command.value, dict) else {}
    policy_id = body.get("policyId")
    return policy_id if isinstance(policy_id, str) else command.thing_id


def refuse_inline_policy(command: ThingCommand) -> None:
    """An inline policy only comes with the creation of a thing (Ditto: `things:policy.notallowed`)."""
    if not command.path and isinstance(command.value, dict) and INLINE_POLICY in command.value:
        raise ThingPolicyNotAllowed(command.thing_id)


def changed_policy_id(doc: JsonObject, command: ThingCommand) -> str | None:
    """The policy id a command moves the thing to, if it changes it."""
    new: JsonValue = None
    if command.path == ("policyId",) and command.action != "delete":
        new = command.value
    elif not command.path and isinstance(command.value, dict) and command.action != "delete":
        new = command.value.get("policyId")
    return new if isinstance(new, str) and new != doc.get("policyId") else None


async def plan_creation(policies: PolicyService, command: ThingCommand, subjects: tuple[str, ...], *,
                        allow_lockout: bool, thing_field: ThingFieldLookup
                        ) -> tuple[ThingCommand, PolicyWrite | None, Enforcer]:
    """The creating command (with its `policyId` set, special fields removed), the policy to create with
    it (None when it uses an existing one) and the enforcer the creation is checked with."""
    if not isinstance(command.value, dict):
        raise ThingInvalid("The Thing must be a JSON object.")
    body = dict(command.value)
    inline = body.pop(INLINE_POLICY, None)
    copy_from = body.pop(COPY_POLICY_FROM, None)
    if inline is not None and not isinstance(inline, dict):
        raise JsonParseInvalid(f"Value <{render(inline)}> for </{INLINE_POLICY}> is not of type <JsonObject>!")
    if copy_from is not None and not isinstance(copy_from, str):
        raise JsonParseInvalid(f"Value <{render(copy_from)}> for </{COPY_POLICY_FROM}> is not of type <String>!")
    if inline is not None and copy_from is not None:
        raise ThingPoliciesConflicting(command.thing_id)  # as Ditto's CreateThing.of
    raw_id = body.get("policyId")
    if not isinstance(raw_id, str) and isinstance(inline, dict) and isinstance(inline.get("policyId"), str):
        raw_id = inline["policyId"]  # an inline policy keeps its own id unless the thing names one (Ditto)
    policy_id = str(parse_policy_id(raw_id)) if isinstance(raw_id, str) else command.thing_id
    body["policyId"] = policy_id
    creating = replace(command, value=body)
    namespace = command.thing_id.split(":", 1)[0]
    if isinstance(raw_id, str) and inline is None and copy_from is None \
            and (existing := await policies.enforcer(policy_id, namespace=namespace)) is not None:
        return creating, None, existing
    if inline is not None:
        value: JsonObject = {**inline, "policyId": policy_id}
        _check_initial(policies, command.thing_id, policy_id, value, subjects)
    elif copy_from is not None:
        value = {**await _copy_source(policies, copy_from, subjects, thing_field), "policyId": policy_id}
        policies.validate_new(policy_id, value, subjects)
    else:
        value, allow_lockout = default_policy(policy_id, subjects[0]), True
    write = await _create_policy(policies, command.thing_id, policy_id, value, subjects, allow_lockout)
    return creating, write, await policies.enforcer_for_doc(write.policy.doc, namespace=namespace)


def _check_initial(policies: PolicyService, thing_id: str, policy_id: str, value: JsonObject,
                   subjects: tuple[str, ...]) -> None:
    """Ditto's ThingEnforcerActor.getInitialPolicy: an inline policy whose JSON is of the wrong shape, or that no
    permanent subject may write (PoliciesValidator, whatever `allow-policy-lockout` says), is 400
    `things:policy.invalid`; its other errors (an invalid id, label, subject, expiry, import, size) stay as they
    are, as the policy model raises them."""
    try:
        doc = policies.validate_new(policy_id, value, subjects)
    except TwinhubError as error:
        if error.code.startswith("json."):  # Ditto's JsonRuntimeException / DittoJsonException
            raise ThingPolicyInvalid(thing_id, error.message) from None
        raise
    try:
        check_lockout(doc)
    except PolicyModificationInvalid:
        raise ThingPolicyInvalid(thing_id, _MIN_PERMISSIONS) from None


async def _create_policy(policies: PolicyService, thing_id: str, policy_id: str, value: JsonObject,
                         subjects: tuple[str, ...], allow_lockout: bool) -> PolicyWrite:
    """The policy a new thing is created with, created as by Ditto's CreatePolicy; what refuses it (an import the
    creator may not read, a policy it could not write, ...) refuses the thing: `things:thing.notcreatable` with
    the refusal's status and message (ThingEnforcerActor.reportInitialPolicyCreationFailure). An existing policy
    is never taken over, unless the thing names it."""
    try:
        return await policies.prepare_create(policy_id, value, subjects, allow_lockout=allow_lockout)
    except PolicyConflict:
        raise ThingPolicyExisting(thing_id, policy_id) from None
    except TwinhubError as error:
        raise ThingPolicyNotCreated(thing_id, policy_id, error) from error


async def _copy_source(policies: PolicyService, copy_from: str, subjects: tuple[str, ...],
                       thing_field: ThingFieldLookup) -> JsonObject:
    """What the caller may read of the policy `_copyPolicyFrom` names, directly or by a reference to a thing's field
    (Ditto's ThingEnforcerActor.getCopiedPolicy: a RetrievePolicy with the caller's headers, so filtered to its
    READ view; PolicyIdReferencePlaceholderResolver for the reference and its errors)."""
    source_id = copy_from
    if reference := _REFERENCE.search(copy_from):
        if reference["type"].lower() != "things":
            raise PlaceholderReferenceNotSupported(reference["type"])
        thing_id, field = str(parse_thing_id(reference["id"])), parse_pointer(reference["field"])
        value = await thing_field(thing_id, field)
        if not isinstance(value, str):
            raise PlaceholderReferenceUnknownField("/" + "/".join(field), thing_id)
        source_id = value
    _policy, view, _tag = await policies.retrieve(str(parse_policy_id(source_id)), (), subjects)
    return {key: value for key, value in view.items() if key != "policyId"} if isinstance(view, dict) else {}
