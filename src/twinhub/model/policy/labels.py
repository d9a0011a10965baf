"""The keys of a policy: entry labels, subject ids and resource keys, validated and normalized as Ditto's
`ImmutableLabel`, `ImmutableSubjectId` and `PoliciesModelFactory.newResourceKey` do."""

from __future__ import annotations

import re

from twinhub.model.errors import (
    JsonPointerInvalid,
    PolicyEntryInvalid,
    PolicyJsonInvalid,
    PolicyLabelInvalid,
    SubjectIdInvalid,
)
from twinhub.model.policy._json import invalid_chars_reason, not_empty
from twinhub.model.policy.permissions import RESOURCE_TYPES

# Ditto's Placeholders: `{{ ... }}` or legacy `${...}`; a subject id holding one needs no issuer.
_PLACEHOLDER = re.compile(r"\{\{\s*(?:}[^}]|[^}])*\s*}}|\$\{[^}]*}")


def validate_label(label: str) -> str:
    """A policy entry label (Ditto `ImmutableLabel.of`)."""
    not_empty(label, "label value")
    if label.startswith(("imported", "nsimported")):
        raise PolicyLabelInvalid(label)
    reason = invalid_chars_reason(label, slashes=True)
    if reason:
        raise PolicyEntryInvalid(f"The Policy Label {label} is invalid", reason)
    return label


def validate_subject_id(subject_id: str) -> str:
    """A subject id `<issuer>:<subject>`, normalized as Ditto's `ImmutableSubjectId` renders it.

    The issuer ends at the first `:`, or at the first `:` after a `://` (`https://idp.example:sub`); ids with
    a `{{ placeholder }}` need no issuer; an empty issuer (`:sub`) renders as the bare subject.
    """
    not_empty(subject_id, "subjectIssuerWithId")
    if _PLACEHOLDER.search(subject_id):
        issuer, subject = "", subject_id
    else:
        scheme = subject_id.find("://")
        delimiter = subject_id.find(":", scheme + 3) if scheme >= 0 else subject_id.find(":")
        if delimiter < 0:
            raise SubjectIdInvalid(subject_id)
        issuer, subject = subject_id[:delimiter], subject_id[delimiter + 1 :]
    not_empty(subject, "subject")
    reason = invalid_chars_reason(f"{issuer}:{subject}", slashes=False)
    if reason:
        raise SubjectIdInvalid(f"{issuer}:{subject}", reason)
    return f"{issuer}:{subject}" if issuer else subject


def split_resource_key(key: str) -> tuple[str, tuple[str, ...]]:
    """`thing:/features/lamp` -> ("thing", ("features", "lamp")); `thing:/` -> ("thing", ())."""
    resource_type, _, path = key.partition(":")
    return resource_type, tuple(part.replace("~0", "~") for part in path.strip("/").split("/") if part)


def validate_resource_key(key: str) -> str:
    """A resource key `<type>:<path>` (Ditto `PoliciesModelFactory.newResourceKey`), normalized to `type:/path`."""
    not_empty(key, "typeWithPath")
    reason = invalid_chars_reason(key, slashes=False)
    if reason:
        raise PolicyEntryInvalid(f"The Policy Resource {key} is invalid", reason)
    if ":" not in key:
        raise PolicyJsonInvalid("The provided string was not in the expected format 'type:path'")
    resource_type, _, path = key.partition(":")
    not_empty(resource_type, "type")
    if resource_type not in RESOURCE_TYPES:
        raise PolicyEntryInvalid(
            f"The Policy Resource {key} is invalid",
            "The resource type must be one of 'thing', 'policy' or 'message'.",
        )
    if "//" in path:
        raise JsonPointerInvalid(path, "Consecutive slashes in JSON pointers are not supported.")
    return f"{resource_type}:/{path.strip('/')}"
