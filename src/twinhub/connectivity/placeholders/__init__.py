"""Ditto's placeholders: `{{ prefix:name | fn:... }}` in connection addresses, header mappings, enforcement,
mapper options and mapping conditions. Pure: no I/O, no clock (`now` is an argument).

    template = validate("events/{{ thing:namespace }}/{{ thing:name | fn:lower() }}", TARGET_PREFIXES)
    sources = envelope_placeholders(envelope, connection_id="c1", now=now)
    address = apply_or_delete(template, sources)        # None: unresolved, the message is dropped (as Ditto)
    apply(template, sources)                             # raises placeholder:unresolved instead
    condition_holds("fn:filter(header:qos,'ne','0')", sources)   # a mapper's incoming/outgoing condition

Templates are parsed once (`parse`, cached); `syntax` parses, `pipeline` resolves and holds the `fn:`
library, `sources` the placeholders themselves.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from typing import Final

from twinhub.connectivity.external import ExternalMessage
from twinhub.connectivity.placeholders.pipeline import (
    DELETED,
    Deleted,
    Element,
    Placeholder,
    Placeholders,
    resolve_template,
)
from twinhub.connectivity.placeholders.sources import (
    NAMES,
    ConnectionPlaceholder,
    EntityPlaceholder,
    FeaturePlaceholder,
    HeaderPlaceholder,
    PolicyPlaceholder,
    RequestPlaceholder,
    ResourcePlaceholder,
    SourcePlaceholder,
    ThingJsonPlaceholder,
    ThingPlaceholder,
    TimePlaceholder,
    TopicPlaceholder,
)
from twinhub.connectivity.placeholders.syntax import Template, parse_template
from twinhub.model.errors import PlaceholderUnresolved
from twinhub.model.types import JsonObject
from twinhub.protocol import Envelope

__all__ = [
    "ALL_PREFIXES",
    "DELETED",
    "INBOUND_PREFIXES",
    "TARGET_PREFIXES",
    "ConnectionPlaceholder",
    "Deleted",
    "Element",
    "EntityPlaceholder",
    "FeaturePlaceholder",
    "HeaderPlaceholder",
    "Placeholder",
    "Placeholders",
    "PolicyPlaceholder",
    "RequestPlaceholder",
    "ResourcePlaceholder",
    "SourcePlaceholder",
    "Template",
    "ThingJsonPlaceholder",
    "ThingPlaceholder",
    "TimePlaceholder",
    "TopicPlaceholder",
    "apply",
    "apply_all",
    "apply_or_delete",
    "condition_holds",
    "envelope_placeholders",
    "message_placeholders",
    "parse",
    "placeholders_of",
    "resolve",
    "validate",
]

ALL_PREFIXES: Final = frozenset(NAMES)
# What an outbound signal offers a target's address and header mapping (Ditto's connection scope).
TARGET_PREFIXES: Final = frozenset({"entity", "thing", "thing-json", "policy", "connection", "feature", "header",
                                    "request", "resource", "topic", "time"})
# What an inbound message offers before it is mapped: its headers, the connection, its source, the time.
INBOUND_PREFIXES: Final = frozenset({"header", "connection", "source", "time", "request"})


@functools.lru_cache(maxsize=1024)
def parse(text: str) -> Template:
    """The parsed template (cached: connections use the same few templates for every message); raises the
    `placeholder:*` errors of `syntax`."""
    return parse_template(text)


def validate(template: str, allowed_prefixes: Iterable[str]) -> Template:
    """Parse `template` and check that it uses only placeholders of `allowed_prefixes` with names they have;
    raises `placeholder:unresolved` (as Ditto's validation, which resolves every placeholder to a dummy) or
    a function error. Returns the parsed template."""
    parsed = parse(template)
    allowed = frozenset(allowed_prefixes)
    for ref in parsed.placeholders():
        supports = NAMES.get(ref.prefix)
        if ref.prefix not in allowed or supports is None or not supports(ref.name):
            raise PlaceholderUnresolved(str(ref))
    return parsed


def resolve(template: str | Template, placeholders: Placeholders) -> Element:
    """All values of the template: a tuple (empty: unresolved) or `DELETED`."""
    return resolve_template(parse(template) if isinstance(template, str) else template, placeholders)


def apply(template: str | Template, placeholders: Placeholders) -> str:
    """The template's (first) value; raises `placeholder:unresolved` when it has none or was deleted."""
    value = apply_or_delete(template, placeholders)
    if value is None:
        raise PlaceholderUnresolved(template if isinstance(template, str) else template.source)
    return value


def apply_or_delete(template: str | Template, placeholders: Placeholders) -> str | None:
    """The template's (first) value, or None when unresolved or deleted (Ditto's `applyOrElseDelete`)."""
    element = resolve(template, placeholders)
    return None if element is DELETED or not element else element[0]


def apply_all(template: str | Template, placeholders: Placeholders) -> list[str]:
    """Every value of the template (none when unresolved or deleted)."""
    element = resolve(template, placeholders)
    return [] if element is DELETED else list(element)


def condition_holds(condition: str, placeholders: Placeholders) -> bool:
    """A mapping condition (`fn:filter(header:x,'eq','y')`): resolved as Ditto's
    `{{ fn:default('true') | <condition> }}`; it holds when that resolves to a value."""
    return apply_or_delete(parse("{{ fn:default('true') | " + condition + " }}"), placeholders) is not None


def placeholders_of(*placeholders: Placeholder) -> dict[str, Placeholder]:
    """The placeholders keyed by prefix (later ones win)."""
    return {placeholder.prefix: placeholder for placeholder in placeholders}


def message_placeholders(message: ExternalMessage, *, connection_id: str, now: dt.datetime,
                         subject_id: str | None = None) -> dict[str, Placeholder]:
    """What an inbound message offers (`INBOUND_PREFIXES`): its headers, the connection, its address, the time
    and the subject the source acts as."""
    return placeholders_of(HeaderPlaceholder(message.headers), ConnectionPlaceholder(connection_id),
                           SourcePlaceholder(message.address or None), TimePlaceholder(now),
                           RequestPlaceholder(subject_id))


def envelope_placeholders(envelope: Envelope, *, connection_id: str, now: dt.datetime,
                          subject_id: str | None = None, thing: JsonObject | None = None) -> dict[str, Placeholder]:
    """What an outbound signal offers a target (`TARGET_PREFIXES`); `thing` feeds `thing-json:`."""
    topic = envelope.topic
    entity_id = topic.entity_id if topic.name != "_" else None
    keys = [key for key in envelope.path.split("/") if key]
    feature_id = keys[1] if len(keys) >= 2 and keys[0] == "features" else None
    resource_type = {"things": "message" if topic.criterion == "messages" else "thing", "policies": "policy",
                     "connections": "connection"}[topic.group]
    policy_id = entity_id if topic.group == "policies" else None
    return placeholders_of(
        HeaderPlaceholder(envelope.headers), EntityPlaceholder(entity_id),
        ThingPlaceholder(entity_id if topic.group == "things" else None), PolicyPlaceholder(policy_id),
        FeaturePlaceholder(feature_id), ConnectionPlaceholder(connection_id), TopicPlaceholder(topic),
        ResourcePlaceholder(resource_type, envelope.path), TimePlaceholder(now), RequestPlaceholder(subject_id),
        ThingJsonPlaceholder(thing))

