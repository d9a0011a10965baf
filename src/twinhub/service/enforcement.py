"""Ditto's enforcement of thing commands: who may read which part, who may write what.

Queries need partial READ and see only readable fields (the thing id always); without any READ on the
thing its existence stays hidden (404). Modifications need unrestricted WRITE on their target (403 otherwise,
readable or not, as in Ditto); a merge needs it on every leaf the patch touches, and is refused as a whole
(`things:thing.notmodifiable`).
"""

from __future__ import annotations

from twinhub.model.commands import ThingCommand
from twinhub.model.errors import ThingNotAccessible, ThingPolicyMissing, TwinhubError
from twinhub.model.events import Thing
from twinhub.model.merge import patch_leaves
from twinhub.model.metadata import METADATA_FIELD, readable_metadata
from twinhub.model.policy import READ, WRITE
from twinhub.model.resources import not_found, not_modifiable
from twinhub.model.types import MISSING, JsonObject, JsonValue, Missing, Pointer
from twinhub.policy import Enforcer


def ensure_readable(enforcer: Enforcer | None, subjects: tuple[str, ...], thing_id: str, path: Pointer) -> Enforcer:
    """The enforcer, if the subjects may read something at or below `path`; Ditto's 404 otherwise."""
    if enforcer is None or not enforcer.has_partial(subjects, "thing", (), [READ]):
        raise ThingNotAccessible(thing_id)
    if path and not enforcer.has_partial(subjects, "thing", path, [READ]):
        raise not_found(thing_id, path)
    return enforcer


def readable_view(enforcer: Enforcer, subjects: tuple[str, ...], thing_id: str, path: Pointer,
                  value: JsonValue) -> JsonValue:
    """`value` (the thing's part at `path`) reduced to what the subjects may READ."""
    view = enforcer.view(subjects, "thing", path, value)
    if not path:
        # The thing id is always part of a readable thing (Ditto's allow-list).
        rest = view if isinstance(view, dict) else {}
        return {"thingId": thing_id, **{key: item for key, item in rest.items() if key != "thingId"}}
    if view is MISSING:
        raise not_found(thing_id, path)
    return view


def metadata_view(enforcer: Enforcer, subjects: tuple[str, ...], metadata: JsonObject | None) -> JsonObject | None:
    """What the subjects may READ of a thing's `metadata`: as Ditto, what `thing:/_metadata/...` grants them, and
    beyond Ditto only where they may READ the data it describes too (the metadata of `/attributes/x` at
    `/_metadata/attributes/x` needs `thing:/attributes/x`), so that it never tells of revoked data. None: nothing."""
    if not metadata:
        return None
    own = enforcer.view(subjects, "thing", (METADATA_FIELD,), metadata)
    data = enforcer.view(subjects, "thing", (), metadata)
    if own is MISSING or data is MISSING:
        return None
    view = readable_metadata(own, data)
    return view if isinstance(view, dict) and view else None


def with_metadata(view: JsonObject, metadata: JsonObject | None) -> JsonObject:
    """A thing's READ view with its readable metadata under `_metadata`, if it has any."""
    return view if metadata is None else {**view, METADATA_FIELD: metadata}


def condition_view(enforcer: Enforcer, subjects: tuple[str, ...], thing: Thing,
                   root: JsonValue | Missing = MISSING) -> JsonValue:
    """What a condition sees of `thing`: the subjects' READ view (`root`, when the caller has it already), with
    its readable `_metadata`."""
    if root is MISSING:
        root = readable_view(enforcer, subjects, thing.thing_id, (), thing.doc)
    if thing.metadata and isinstance(root, dict):
        return with_metadata(root, metadata_view(enforcer, subjects, thing.metadata))
    return root


def write_paths(command: ThingCommand) -> list[Pointer]:
    """The paths a command needs unrestricted WRITE on."""
    if command.action == "merge":
        return [command.path + leaf for leaf in patch_leaves(command.value)] or [command.path]
    return [command.path]


def authorize_write(enforcer: Enforcer, subjects: tuple[str, ...], command: ThingCommand) -> None:
    """Raise 403 unless every write path is writable: also when the thing is not even readable, as Ditto's
    ThingCommandEnforcement.authorizeByPolicyOrThrow answers every unauthorized modify command
    (ThingCommandEnforcementTest.rejectByPolicy: an empty policy, FeatureNotModifiableException)."""
    if all(enforcer.has_unrestricted(subjects, "thing", path, [WRITE]) for path in write_paths(command)):
        return
    # Ditto maps each modify command to the error of its resource (ThingCommandToModifyExceptionRegistry), but
    # has no entry for MergeThing: a merge falls back to things:thing.notmodifiable at whatever path it targets.
    path = () if command.action == "merge" else command.path
    raise not_modifiable(command.thing_id, path, deleting=command.action == "delete")


def policy_gone(thing: Thing, *, modifying: bool) -> TwinhubError:
    """Ditto's answer to whoever sends a command to an existing thing whose policy is not or no longer there
    (ThingEnforcerActor.errorForExistingThingWithDeletedPolicy): 403 `things:thing.notmodifiable` to a change,
    404 `things:thing.notfound` to a query, each naming the policy to create again."""
    policy_id = str(thing.doc.get("policyId"))
    if modifying:
        return ThingPolicyMissing(thing.thing_id, policy_id)
    return ThingNotAccessible(thing.thing_id, missing_policy=policy_id)
