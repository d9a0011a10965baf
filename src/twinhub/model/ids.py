"""Namespaced entity ids (`<namespace>:<name>`) validated with Ditto's regexes."""

from __future__ import annotations

import re
from dataclasses import dataclass

from twinhub.model.errors import PolicyIdInvalid, ThingIdInvalid, TwinhubError
from twinhub.model.random_ids import random_uuid

MAX_ID_LENGTH = 256
DEFAULT_NAMESPACE = "org.eclipse.ditto"

# Ditto's RegexPatterns: the namespace may be empty; its segments start with a letter and are joined
# by '.' or '-' (ASCII only, as Java's \w). The name excludes '/', control characters and the whole
# 0x7F-0xFF range. Beyond Ditto, the name also excludes the Unicode bidirectional controls (U+061C,
# U+200E-U+200F, U+202A-U+202E, U+2066-U+2069): invisible, they make an id read as another one in logs,
# consoles and policies ("Trojan Source"). Ditto's pattern lets them through; no sane id has them.
_BIDI_CONTROLS = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_NAMESPACE = r"(?:|[a-zA-Z]\w*(?:[.-][a-zA-Z]\w*)*)"
_NAME = rf"[^\x00-\x1F\x7F-\xFF/{_BIDI_CONTROLS}]+"
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
    entity_id = EntityId(namespace, random_uuid())
    return parse_thing_id(str(entity_id))


def generate_policy_id() -> EntityId:
    """A new `:<uuid>` id (the empty namespace), as Ditto's POST /policies makes (PolicyId.generateRandom)."""
    return parse_policy_id(str(EntityId("", random_uuid())))
