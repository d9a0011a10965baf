"""Namespaced entity ids (`<namespace>:<name>`) validated with Ditto's regexes."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from twinhub.model.errors import PolicyIdInvalid, ThingIdInvalid, TwinhubError

MAX_ID_LENGTH = 256
DEFAULT_NAMESPACE = "org.eclipse.ditto"

# Ditto's RegexPatterns: the namespace may be empty; its segments start with a letter and are joined
# by '.' or '-'. The name excludes '/', control characters and the whole 0x7F-0xFF range.
_NAMESPACE = r"(?:|[a-zA-Z]\w*(?:[.-][a-zA-Z]\w*)*)"
_NAME = r"[^\x00-\x1F\x7F-\xFF/]+"
_NAMESPACE_RE = re.compile(_NAMESPACE, re.ASCII)
_ID_RE = re.compile(rf"(?P<ns>{_NAMESPACE}):(?P<name>{_NAME})", re.ASCII)


@dataclass(frozen=True, slots=True)
class EntityId:
    """A valid namespaced id; `str(entity_id)` is its wire form."""

    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.namespace}:{self.name}"


def _parse(text: str, error: type[TwinhubError]) -> EntityId:
    match = _ID_RE.fullmatch(text) if len(text) <= MAX_ID_LENGTH else None
    if match is None:
        raise error(text)  # type: ignore[call-arg]
    return EntityId(match["ns"], match["name"])


def parse_thing_id(text: str) -> EntityId:
    """Parse a thing id; raise `things:id.invalid` (400) when it breaks Ditto's rules."""
    return _parse(text, ThingIdInvalid)


def parse_policy_id(text: str) -> EntityId:
    """Parse a policy id; raise `policies:id.invalid` (400) when it breaks Ditto's rules."""
    return _parse(text, PolicyIdInvalid)


def is_valid_namespace(text: str) -> bool:
    return _NAMESPACE_RE.fullmatch(text) is not None


def generate_thing_id(namespace: str) -> EntityId:
    """A new `<namespace>:<uuid>` id, as Ditto's POST /things makes."""
    entity_id = EntityId(namespace, str(uuid.uuid4()))
    return parse_thing_id(str(entity_id))
