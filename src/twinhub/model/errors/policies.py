"""Errors of policies (Ditto's `policies:` codes): ids, policy JSON, missing and unwritable parts, lockout,
limits."""

from __future__ import annotations

from twinhub.model.errors.base import Conflict, Invalid, NotFound, NotModifiable, Throttled, TooLarge

__all__ = [
    "PolicyConflict",
    "PolicyEntryInvalid",
    "PolicyEntryModificationInvalid",
    "PolicyEntryReferenceConflict",
    "PolicyHistoryNotFound",
    "PolicyIdInvalid",
    "PolicyIdNotSettable",
    "PolicyImportInvalid",
    "PolicyImportReferenceConflict",
    "PolicyImportsTooLarge",
    "PolicyJsonInvalid",
    "PolicyLabelInvalid",
    "PolicyModificationInvalid",
    "PolicyNotAccessible",
    "PolicyNotCreatable",
    "PolicyNotModifiable",
    "PolicyResourceNotFound",
    "PolicyResourceNotModifiable",
    "PolicyTooLarge",
    "PolicyTooManyModifying",
    "SubjectAnnouncementInvalid",
    "SubjectExpiryInvalid",
    "SubjectIdInvalid",
]

# -- 400 ---------------------------------------------------------------------------------------------------------


class PolicyIdInvalid(Invalid):
    """A policy id that is not `namespace:name`."""

    def __init__(self, policy_id: str) -> None:
        super().__init__(
            "policies:id.invalid",
            400,
            f"Policy ID '{policy_id}' is not valid!",
            "It must conform to the namespaced entity ID notation (see Ditto documentation)",
        )


class PolicyIdNotSettable(Invalid):
    """A `policyId` in the body that differs from the URL's, or any on a POST that generates one (`for_post`;
    Ditto's PolicyIdNotExplicitlySettableException.forPostMethod)."""

    def __init__(self, *, for_post: bool = False) -> None:
        if for_post:
            super().__init__(
                "policies:id.notsettable",
                400,
                "It is not allowed to provide a Policy ID in the request body for method POST. The method POST will "
                "generate the Policy ID by itself.",
                "To provide your own Policy ID use a PUT request instead.",
            )
            return
        super().__init__(
            "policies:id.notsettable",
            400,
            "The Policy ID in the request body is not equal to the Policy ID in the request URL.",
            "Either delete the Policy ID from the request body or use the same Policy ID as in the request URL.",
        )


class PolicyJsonInvalid(Invalid):
    """Policy JSON that parses but has a field of the wrong JSON type (Ditto's JsonParseException,
    `json.invalid`)."""

    def __init__(
        self,
        message: str,
        description: str = "Check if the JSON was valid (e.g. on https://jsonlint.com) and if it was in required "
        "format.",
    ) -> None:
        super().__init__("json.invalid", 400, message, description)


class PolicyLabelInvalid(Invalid):
    """An entry label with a reserved prefix (`imported`, `nsimported`)."""

    def __init__(self, label: str) -> None:
        super().__init__(
            "policies:label.invalid",
            400,
            f"Label '{label}' is not valid!",
            "It must not start with the blocklisted 'imported' or 'nsimported' prefix.",
        )


class PolicyEntryInvalid(Invalid):
    """An entry without permissions, or whose references point nowhere (another local entry, or an imported
    policy, must be named)."""

    def __init__(
        self,
        message: str = "The Policy Entry is invalid.",
        description: str = "Policy entry does not contain any known permission like 'READ' or 'WRITE'",
    ) -> None:
        super().__init__("policies:entry.invalid", 400, message, description)


class SubjectIdInvalid(Invalid):
    """A subject id without an issuer prefix (`issuer:subject`)."""

    def __init__(
        self,
        subject_id: str,
        description: str = "It must contain an issuer as prefix separated by a colon ':' from the actual subject",
    ) -> None:
        super().__init__("policies:subjectid.invalid", 400, f"Subject ID '{subject_id}' is not valid!", description)


class SubjectExpiryInvalid(Invalid):
    """An expiry that is no ISO-8601 timestamp, or (`in_past`) one that already passed."""

    def __init__(self, expiry: str, *, in_past: bool = False) -> None:
        super().__init__(
            "policies:subjectexpiry.invalid",
            400,
            f"Subject expiry timestamp '{expiry}' is not valid.",
            "It must not be in the past, please adjust to a timestamp in the future."
            if in_past
            else "It must be provided as ISO-8601 formatted char sequence.",
        )


class SubjectAnnouncementInvalid(Invalid):
    """A subject's `announcement` whose durations do not parse (Ditto's SubjectAnnouncementInvalidException)."""

    def __init__(self, duration: str) -> None:
        super().__init__(
            "policies:subjectannouncement.invalid",
            400,
            f"The 'beforeExpiry' duration '{duration}' is not valid.",
            "It must be a positive integer followed by 'h' (hours), 'm' (minutes) or 's' (seconds).",
        )


class PolicyImportInvalid(Invalid):
    """An import of the policy itself, or of entries the imported policy does not offer."""

    def __init__(
        self,
        message: str = "The Policy Import is invalid.",
        description: str = "The Policy Import references the policy where it is defined.",
    ) -> None:
        super().__init__("policies:import.invalid", 400, message, description)


class PolicyImportsTooLarge(Invalid):
    """More imports than allowed (Ditto answers 400, not 413)."""

    def __init__(self, policy_id: str, limit: int) -> None:
        super().__init__(
            "policies:imports.toolarge",
            400,
            f"The Imports of the Policy with ID '{policy_id}' could not be modified as they exceed the allowed "
            f"number of '{limit}'.",
            f"Please reduce the number of imports you're trying to add to {limit}",
        )


# -- 403 ---------------------------------------------------------------------------------------------------------


class PolicyNotModifiable(NotModifiable):
    """Missing WRITE on a policy (or its entries) the requester may read."""

    def __init__(self, policy_id: str) -> None:
        super().__init__(
            "policies:policy.notmodifiable",
            403,
            f"The Policy with ID '{policy_id}' could not be modified as the requester had insufficient permissions.",
            "Check if the ID of your requested Policy was correct and you have sufficient permissions.",
        )


class PolicyResourceNotModifiable(NotModifiable):
    """Missing WRITE on a part of a policy: `policies:entry.notmodifiable`, `policies:subject.notmodifiable`,
    ... by `resource`, the kind of part."""

    def __init__(self, resource: str, message: str, description: str) -> None:
        super().__init__(f"policies:{resource}.notmodifiable", 403, message, description)


class PolicyNotCreatable(NotModifiable):
    """Creating a policy that would not grant its creator WRITE on `policy:/` (without
    `allow-policy-lockout`)."""

    def __init__(self, policy_id: str) -> None:
        super().__init__(
            "policies:policy.notcreatable",
            403,
            f"The Policy with ID '{policy_id}' could not be created as it would not grant the requester WRITE "
            "permission on 'policy:/'.",
            "Grant yourself WRITE on 'policy:/', or send 'allow-policy-lockout=true'.",
        )


class PolicyModificationInvalid(NotModifiable):
    """The resulting policy would lock everybody out (Ditto's PoliciesValidator)."""

    def __init__(self, policy_id: str, description: str) -> None:
        super().__init__(
            "policies:policy.modificationinvalid",
            403,
            f"The Policy with ID '{policy_id}' could not be modified as the resulting Policy would be invalid.",
            description,
        )


class PolicyEntryModificationInvalid(NotModifiable):
    """A change of one entry after which the policy would lock everybody out: the policy's `error`, named
    for the entry (as Ditto does)."""

    def __init__(self, error: PolicyModificationInvalid) -> None:
        super().__init__("policies:entry.modificationinvalid", 403, error.message, error.description)


# -- 404 ---------------------------------------------------------------------------------------------------------


class PolicyNotAccessible(NotFound):
    """A policy that does not exist, or that the requester may not read."""

    def __init__(self, policy_id: str,
                 description: str = "Check if the ID of your requested Policy was correct and you have sufficient "
                 "permissions.") -> None:
        super().__init__(
            "policies:policy.notfound",
            404,
            f"The Policy with ID '{policy_id}' could not be found or requester had insufficient permissions to "
            "access it.",
            description,
        )


class PolicyHistoryNotFound(NotFound):
    """A historical revision or timestamp of a policy that is not (or no longer) in its journal."""

    def __init__(self, policy_id: str, at: str) -> None:
        super().__init__(
            "policies:policy.history.notfound",
            404,
            f"The Policy with ID '{policy_id}' at {at} could not be found or requester had insufficient "
            "permissions to access it.",
            "Check if the ID of your requested Policy was correct, you have sufficient permissions and ensure that "
            "the asked for revision/timestamp does not exceed the history-retention-duration or is from the future.",
        )


class PolicyResourceNotFound(NotFound):
    """A part of an existing policy is missing: `policies:entry.notfound`, `policies:subject.notfound`, ...
    by `resource`, the kind of part."""

    def __init__(self, resource: str, message: str, description: str) -> None:
        super().__init__(f"policies:{resource}.notfound", 404, message, description)


# -- 409, 413, 429 -----------------------------------------------------------------------------------------------


class PolicyConflict(Conflict):
    """Creating a policy that exists."""

    def __init__(self, policy_id: str) -> None:
        super().__init__(
            "policies:policy.conflict",
            409,
            f"The Policy with ID '{policy_id}' already exists",
            "Choose another Policy ID",
        )


class PolicyImportReferenceConflict(Conflict):
    """Removing an import (or all of them, `imported_id` None) that entry references still point to, or narrowing an
    import's entries so that a reference would point nowhere (Ditto's PolicyImportReferenceConflictException)."""

    def __init__(self, policy_id: str, imported_id: str | None,
                 description: str = "Remove the entry references first before deleting the import.") -> None:
        message = (f"The imports of Policy '{policy_id}' cannot be removed because entry references still point to "
                   "them." if imported_id is None else f"The import '{imported_id}' of Policy '{policy_id}' cannot be "
                   "removed because entry references still point to it.")
        super().__init__("policies:import.referenceconflict", 409, message, description)


class PolicyEntryReferenceConflict(Conflict):
    """Deleting an entry that a local reference of another entry points to, or making it `importable: never`
    (Ditto's PolicyEntryReferenceConflictException)."""

    def __init__(self, policy_id: str, label: str, referencing: str, *, importable: bool = False) -> None:
        if importable:
            message = (f"The entry '{label}' of Policy '{policy_id}' cannot be marked importable=never because a "
                       f"local reference from entry '{referencing}' still points to it.")
            description = "Remove the local reference first before marking the entry importable=never."
        else:
            message = (f"The entry '{label}' of Policy '{policy_id}' cannot be removed because a local reference "
                       f"from entry '{referencing}' still points to it.")
            description = "Remove the local entry references first before deleting the referenced entry."
        super().__init__("policies:entry.referenceconflict", 409, message, description)


class PolicyTooLarge(TooLarge):
    """A write whose resulting policy exceeds the configured size."""

    def __init__(self, size_kb: str, limit_kb: str) -> None:
        super().__init__(
            "policies:policy.toolarge",
            413,
            f"The size of '{size_kb}' kB exceeds the maximal allowed Policy size of '{limit_kb}' kB.",
            "Reduce the Policy size in the bounds of the specified limit",
        )


class PolicyTooManyModifying(Throttled):
    """More modifying commands outstanding on one policy than its lane holds, or so many writers on it at
    once (across workers) that a command kept losing the policy's revision to them."""

    def __init__(self, policy_id: str) -> None:
        super().__init__(
            "policies:policy.toomanymodifyingrequests",
            429,
            f"Too many modifying requests are already outstanding to the Policy with ID '{policy_id}'.",
            "Throttle your modifying requests to the Policy or re-structure your Policy in multiple Policies if you "
            "really need so many concurrent modifications.",
        )
