"""Errors of things (Ditto's `things:` codes): ids, thing JSON, missing and unwritable parts, limits."""

# size: a catalogue, one small class per Ditto `things:` error kind; no logic to split
from __future__ import annotations

from twinhub.model.errors.base import Conflict, Invalid, NotFound, NotModifiable, Throttled, TooLarge, TwinhubError

__all__ = [
    "DefinitionInvalid",
    "FeatureDefinitionEmpty",
    "FieldSelectorInvalid",
    "JsonKeyInvalid",
    "MetadataHeadersConflict",
    "MetadataNotModifiable",
    "MetadataWildcardInvalid",
    "MetadataWildcardTooBroad",
    "PolicyIdNotDeletable",
    "ThingConflict",
    "ThingHistoryNotFound",
    "ThingIdInvalid",
    "ThingIdNotDeletable",
    "ThingIdNotSettable",
    "ThingIdsMissing",
    "ThingInvalid",
    "ThingMergeInvalid",
    "ThingNotAccessible",
    "ThingNotCreatable",
    "ThingNotDeletable",
    "ThingNotModifiable",
    "ThingPoliciesConflicting",
    "ThingPolicyExisting",
    "ThingPolicyInvalid",
    "ThingPolicyMissing",
    "ThingPolicyNotAllowed",
    "ThingPolicyNotCreated",
    "ThingResourceNotFound",
    "ThingTooLarge",
    "ThingTooManyModifying",
]

# -- 400 ---------------------------------------------------------------------------------------------------------


class ThingIdInvalid(Invalid):
    """A thing id that is not `namespace:name`."""

    def __init__(self, thing_id: str) -> None:
        super().__init__(
            "things:id.invalid",
            400,
            f"Thing ID '{thing_id}' is not valid!",
            "It must conform to the namespaced entity ID notation (see Ditto documentation)",
        )


class ThingIdNotSettable(Invalid):
    """A `thingId` in the body that differs from the URL's (or any, on a POST that generates one)."""

    def __init__(self, message: str = "The Thing ID in the request body is not equal to the Thing ID in the "
                 "request URL.") -> None:
        super().__init__(
            "things:id.notsettable",
            400,
            message,
            "Either delete the Thing ID from the request body or use the same Thing ID as in the request URL.",
        )


class ThingIdNotDeletable(Invalid):
    """A merge patch that sets `thingId` to null."""

    def __init__(self) -> None:
        super().__init__(
            "things:id.notdeletable",
            400,
            "The Thing ID of a Thing cannot be deleted.",
            "Do not set the Thing ID to null in a merge patch.",
        )


class ThingIdsMissing(Invalid):
    """`ids=` with no id in it."""

    def __init__(self) -> None:
        super().__init__(
            "things:things.ids.missing",
            400,
            "The required list of thing ids was missing.",
            "Please provide at least one thing id and try again.",
        )


class PolicyIdNotDeletable(Invalid):
    """Deleting (or nulling) a thing's `policyId`."""

    def __init__(self, thing_id: str) -> None:
        super().__init__(
            "things:policyId.notdeletable",
            400,
            f"The Policy ID of the Thing with ID '{thing_id}' cannot be deleted.",
            "A Thing always references a Policy; replace the Policy ID instead.",
        )


class ThingPolicyExisting(Invalid):
    """A new thing's policy to be created (its default, inline or copied policy) exists already: Ditto refuses the
    thing rather than use another's policy (ThingNotCreatableException.newBuilderForPolicyExisting)."""

    def __init__(self, thing_id: str, policy_id: str) -> None:
        super().__init__(
            "things:thing.notcreatable",
            400,
            f"The Thing with ID '{thing_id}' could not be created because creation of its implicit Policy ID "
            f"'{policy_id}' failed.",
            "If you want to use an existing Policy, specify it as 'policyId' in the Thing JSON you create.",
        )


class ThingPolicyInvalid(Invalid):
    """A new thing's inline `_policy` that is no valid policy: its JSON is of the wrong shape (`description` says
    how), or no permanent subject may WRITE it (Ditto's things PolicyInvalidException, thrown by
    ThingEnforcerActor.getInitialPolicy)."""

    def __init__(self, thing_id: str, description: str) -> None:
        super().__init__(
            "things:policy.invalid",
            400,
            f"The Policy specified for the Thing with ID '{thing_id}' is invalid.",
            description,
        )


class ThingPoliciesConflicting(Invalid):
    """A new thing with both an inline `_policy` and a `_copyPolicyFrom` (Ditto's PoliciesConflictingException)."""

    def __init__(self, thing_id: str) -> None:
        super().__init__(
            "things:policy.conflicting",
            400,
            f"The Thing with ID '{thing_id}' could not be created as it contained an inline Policy as well "
            "as a policyID to copy.",
            "Please either define an inline Policy or define a policy to copy, but not both.",
        )


class ThingPolicyNotAllowed(Invalid):
    """An inline policy (`_policy`) on anything but the creation of a thing."""

    def __init__(self, thing_id: str) -> None:
        super().__init__(
            "things:policy.notallowed",
            400,
            f"The Thing with ID '{thing_id}' could not be modified as it contained an inline Policy.",
            "Once a Thing is created, its Policy is changed through the policies API.",
        )


class ThingInvalid(Invalid):
    """A request body that is valid JSON but not a valid thing or part of one."""

    def __init__(self, message: str) -> None:
        super().__init__(
            "json.format.invalid",
            400,
            message,
            "Check if the JSON was valid and if it was in required format.",
        )


class ThingMergeInvalid(Invalid):
    """A merge patch of a whole thing that is `null` or names none of its fields (`{}`): Ditto's
    `ThingMergeInvalidException`, which its gateway and protocol adapter raise before the command exists."""

    def __init__(self, message: str = "The provided json value can not be applied at this resource") -> None:
        super().__init__(
            "things:merge.invalid",
            400,
            message,
            "The provided JSON Merge Patch cannot be applied at the given path.",
        )


class MetadataHeadersConflict(Invalid):
    """More than one of `put-metadata`, `get-metadata`, `delete-metadata` on one command (Ditto's
    MetadataHeaderChecker)."""

    def __init__(self, *, query: bool) -> None:
        if query:
            message = "Metadata of the Thing could not be retrieved."
            description = ("Multiple metadata headers were specified. For GET requests only the 'get-metadata' "
                           "header can be specified.")
        else:
            message = "Metadata of the Thing could not be created, modified or deleted."
            description = ("Multiple metadata headers were specified. For PUT/PATCH requests either the "
                           "'put-metadata' or 'delete-metadata' header can be specified not both at the same time.")
        super().__init__("things:metadata.headersconflict", 400, message, description)


class MetadataNotModifiable(Invalid):
    """A created thing that carries `_metadata` in its JSON and a `put-metadata` header as well."""

    def __init__(self) -> None:
        super().__init__(
            "things:metadata.notmodifiable",
            400,
            "Metadata of the Thing could not be modified",
            "Multiple occurrences of metadata per request is not allowed. Either specify the metadata inline in "
            "the Thing JSON or via the 'put-metadata' header.",
        )


class MetadataWildcardInvalid(Invalid):
    """A wildcard key of a metadata header that Ditto's MetadataWildcardValidator refuses at the resource."""

    def __init__(self, expression: str, header: str) -> None:
        super().__init__(
            "header.invalid",
            400,
            f"The wildcard expression '{expression}' in header '{header}' is not valid.",
            f"Verify that the value of the '{header}' header is valid and try again.",
        )


class MetadataWildcardTooBroad(Invalid):
    """Metadata header wildcards that stand for more keys than any thing's metadata holds (beyond Ditto, which
    has no bound: a clean 400 instead of minutes of work and a thing too large anyway)."""

    def __init__(self, header: str, limit: int) -> None:
        super().__init__(
            "header.invalid",
            400,
            f"The wildcards in header '{header}' stand for more than {limit} keys of the resource.",
            f"Use fewer or narrower wildcards in the '{header}' header.",
        )


class JsonKeyInvalid(Invalid):
    """An attribute, feature or property key that is empty or has a slash or control character."""

    def __init__(self, key: str) -> None:
        super().__init__(
            "things:json.key.invalid",
            400,
            f"The JSON key <{key}> is invalid!",
            "JSON keys must not be empty and must not contain slashes or control characters.",
        )


class FieldSelectorInvalid(Invalid):
    """A `fields` selector that does not parse."""

    def __init__(self, selector: str, reason: str = "") -> None:
        super().__init__(
            "things:field.selection.invalid",
            400,
            f"The field selector <{selector}> is invalid!" + (f" {reason}" if reason else ""),
            "Check the field selector: a comma-separated list of JSON pointers, sub-fields in parentheses.",
        )


class DefinitionInvalid(Invalid):
    """A thing or feature definition that is neither `namespace:name:version` nor an http(s) URL."""

    def __init__(self, definition: str) -> None:
        super().__init__(
            "things:definition.identifier.invalid",
            400,
            f"Definition identifier <{definition}> is invalid!",
            "An identifier is 'namespace:name:version' or an http(s) URL.",
        )


class FeatureDefinitionEmpty(Invalid):
    """A feature definition that is an empty list."""

    def __init__(self) -> None:
        super().__init__(
            "things:feature.definition.empty",
            400,
            "Feature Definition must not be empty!",
            "Provide at least one definition identifier.",
        )


# -- 403 ---------------------------------------------------------------------------------------------------------


class ThingNotModifiable(NotModifiable):
    """Missing WRITE on a thing at `path` (`things:thing.notmodifiable`, `things:attribute.notmodifiable`, ... by
    `resource`, the kind of part the path names), whether or not the requester may read it (Ditto's
    ThingCommandToModifyExceptionRegistry)."""

    def __init__(self, thing_id: str, resource: str, path: str) -> None:
        super().__init__(
            f"things:{resource}.notmodifiable",
            403,
            f"The {resource} at '{path}' of the Thing with ID '{thing_id}' could not be modified as the requester "
            "had insufficient permissions to modify it ('WRITE' is required).",
            "Check if the ID of the Thing and the path were correct and you have sufficient permissions.",
        )


class ThingPolicyMissing(NotModifiable):
    """A change to an existing thing whose policy is not or no longer there: nobody may change it until the policy
    is created again (Ditto's ThingEnforcerActor.errorForExistingThingWithDeletedPolicy, a ThingModifyCommand)."""

    def __init__(self, thing_id: str, policy_id: str) -> None:
        super().__init__("things:thing.notmodifiable", 403, *_policy_missing(thing_id, policy_id))


def _policy_missing(thing_id: str, policy_id: str) -> tuple[str, str]:
    """Ditto's message and description for a thing whose policy is not or no longer there."""
    return (f"The Thing with ID '{thing_id}' could not be accessed as its Policy with ID '{policy_id}' is not or no "
            "longer existing.",
            f"Recreate/create the Policy with ID '{policy_id}' in order to get access to the Thing again.")


class ThingNotDeletable(NotModifiable):
    """Missing WRITE to delete a thing the requester may read."""

    def __init__(self, thing_id: str) -> None:
        super().__init__(
            "things:thing.notdeletable",
            403,
            f"The Thing with ID '{thing_id}' could not be deleted as the requester had insufficient permissions "
            "to delete it ('WRITE' is required).",
            "Check if the ID of the Thing was correct and you have sufficient permissions.",
        )


class ThingNotCreatable(NotModifiable):
    """Creating a thing with a policy that does not grant the requester WRITE on `thing:/`."""

    def __init__(self, thing_id: str, policy_id: str) -> None:
        super().__init__(
            "things:thing.notcreatable",
            403,
            f"The Thing with ID '{thing_id}' could not be created as the Policy with ID '{policy_id}' does not "
            "grant the requester 'WRITE' on 'thing:/'.",
            "Check if the Policy grants you WRITE on 'thing:/', or create the Thing with a Policy that does.",
        )


class ThingPolicyNotCreated(TwinhubError):
    """The policy of a new thing (its default, inline or copied policy) could not be created for a reason the
    policies answered with `cause` (the creator may not write it, an import it may not read, ...): Ditto's
    ThingNotCreatableException.newBuilderForOtherReason keeps the cause's status and message
    (ThingEnforcerActor.reportInitialPolicyCreationFailure)."""

    def __init__(self, thing_id: str, policy_id: str, cause: TwinhubError) -> None:
        super().__init__(
            "things:thing.notcreatable",
            cause.status,
            f"The Thing with ID '{thing_id}' could not be created as the Policy with ID '{policy_id}' "
            f"could not be created due to: '{cause.message}'",
            "Either check if the ID of the Policy you created the Thing with is correct and that the Policy is "
            "existing or If you want to use the existing Policy, specify it as 'policyId' in the Thing JSON you "
            "create.",
        )


# -- 404 ---------------------------------------------------------------------------------------------------------


class ThingNotAccessible(NotFound):
    """A thing that does not exist, or that the requester may not read; with `missing_policy`, an existing thing
    whose policy (of that id) is not or no longer there (Ditto's errorForExistingThingWithDeletedPolicy)."""

    def __init__(self, thing_id: str, *, missing_policy: str | None = None) -> None:
        if missing_policy is not None:
            super().__init__("things:thing.notfound", 404, *_policy_missing(thing_id, missing_policy))
            return
        super().__init__(
            "things:thing.notfound",
            404,
            f"The Thing with ID '{thing_id}' could not be found or requester had insufficient permissions "
            "to access it.",
            "Check if the ID of your requested Thing was correct and you have sufficient permissions.",
        )


class ThingResourceNotFound(NotFound):
    """A part of an existing thing is missing: `things:attribute.notfound`, `things:feature.property.notfound`,
    ... by `resource`, the kind of part."""

    def __init__(self, resource: str, message: str) -> None:
        super().__init__(
            f"things:{resource}.notfound",
            404,
            message,
            "Check if the path of your request was correct and you have sufficient permissions.",
        )


class ThingHistoryNotFound(NotFound):
    """A historical revision or timestamp of a thing that is not (or no longer) in its journal."""

    def __init__(self, thing_id: str, at: str) -> None:
        super().__init__(
            "things:thing.history.notfound",
            404,
            f"The Thing with ID '{thing_id}' at {at} could not be found or requester had insufficient "
            "permissions to access it.",
            "Check if the ID of your requested Thing was correct, you have sufficient permissions and ensure "
            "that the asked for revision/timestamp does not exceed the history-retention-duration.",
        )


# -- 409, 413, 429 -----------------------------------------------------------------------------------------------


class ThingConflict(Conflict):
    """Ditto Protocol `create` of a thing that exists (HTTP's PUT would modify it instead)."""

    def __init__(self, thing_id: str) -> None:
        super().__init__(
            "things:thing.conflict",
            409,
            f"The Thing with ID '{thing_id}' already exists.",
            "Choose another Thing ID.",
        )


class ThingTooLarge(TooLarge):
    """A write whose resulting thing exceeds the configured size."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(
            "things:thing.toolarge",
            413,
            f"The size of '{size}' bytes exceeds the maximal allowed Thing size of '{limit}' bytes.",
            "Reduce the Thing size in the bounds of the specified limit.",
        )


class ThingTooManyModifying(Throttled):
    """More modifying commands outstanding on one thing than its lane holds, or so many writers on it at
    once (across workers) that a command kept losing the thing's revision to them."""

    def __init__(self, thing_id: str) -> None:
        super().__init__(
            "things:thing.toomanymodifyingrequests",
            429,
            f"Too many modifying requests are already outstanding to the Thing with ID '{thing_id}'.",
            "Throttle your modifying requests to the Thing or re-structure your Thing in multiple Things.",
        )
