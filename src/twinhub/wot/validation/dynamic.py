"""Ditto's `dynamic-configuration` of Thing Model validation: overrides of the switches for the calls whose
context matches (`wot/api/.../config/InternalDynamicTmValidationConfiguration.java`, doc
`basic-wot-integration.md` "Configuration of Thing Model based validation").

A section applies when each of its non-empty pattern lists matches (AND): one of its header blocks (OR), every
header of the block matching its pattern (AND); one of its thing definition patterns (OR); one of its feature
definition patterns (OR). Patterns match the whole value (Java's `Matcher.matches`). Every section that applies
overrides, a later one over an earlier one.

    [{"validation-context": {"ditto-headers-patterns": [{"ditto-originator": "^pre:ditto$"}],
                             "thing-definition-patterns": ["^https://models.example.com/.*$"],
                             "feature-definition-patterns": []},
      "config-overrides": {"enabled": true, "log-warning-instead-of-failing-api-calls": false,
                           "thing": {"enforce": {"attributes": false}}, "feature": {"forbid": {...}}}}]
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from twinhub.model.types import JsonValue

__all__ = ["DynamicSection", "Overrides", "parse_dynamic"]


@dataclass(frozen=True, slots=True)
class Overrides:
    """What a section sets: `enabled`, `log_only` (None: left as is) and aspects switched on or off."""

    enabled: bool | None = None
    log_only: bool | None = None
    aspects: tuple[tuple[str, bool], ...] = ()


@dataclass(frozen=True, slots=True)
class DynamicSection:
    headers: tuple[tuple[tuple[str, re.Pattern[str]], ...], ...]
    thing_definitions: tuple[re.Pattern[str], ...]
    feature_definitions: tuple[re.Pattern[str], ...]
    overrides: Overrides

    def applies(self, headers: Mapping[str, str], thing_definition: str | None,
                feature_definition: str | None) -> bool:
        if self.thing_definitions and (thing_definition is None or not any(
                pattern.fullmatch(thing_definition) for pattern in self.thing_definitions)):
            return False
        if self.feature_definitions and (feature_definition is None or not any(
                pattern.fullmatch(feature_definition) for pattern in self.feature_definitions)):
            return False
        return not self.headers or any(
            all(name in headers and pattern.fullmatch(headers[name]) for name, pattern in block)
            for block in self.headers)


def parse_dynamic(raw: JsonValue, aspects: frozenset[str]) -> tuple[DynamicSection, ...]:
    """The sections of `raw` (a JSON array as above); raises ValueError naming what is wrong."""
    if not isinstance(raw, list):
        raise ValueError("the dynamic configuration is a JSON array of sections")
    return tuple(_section(item, index, aspects) for index, item in enumerate(raw))


def _section(raw: JsonValue, index: int, aspects: frozenset[str]) -> DynamicSection:
    where = f"section {index}"
    if not isinstance(raw, dict):
        raise ValueError(f"{where} is no JSON object")
    context = raw.get("validation-context", {})
    overrides = raw.get("config-overrides", {})
    if not isinstance(context, dict) or not isinstance(overrides, dict):
        raise ValueError(f"{where}: validation-context and config-overrides are JSON objects")
    blocks = context.get("ditto-headers-patterns", [])
    if not isinstance(blocks, list) or not all(isinstance(block, dict) for block in blocks):
        raise ValueError(f"{where}: ditto-headers-patterns is a list of JSON objects")
    headers = tuple(tuple((str(name).lower(), _pattern(value, where)) for name, value in block.items())
                    for block in blocks if isinstance(block, dict))
    return DynamicSection(headers, _patterns(context.get("thing-definition-patterns", []), where),
                          _patterns(context.get("feature-definition-patterns", []), where),
                          _overrides(overrides, where, aspects))


def _patterns(raw: JsonValue, where: str) -> tuple[re.Pattern[str], ...]:
    if not isinstance(raw, list):
        raise ValueError(f"{where}: a definition pattern list is a list of regular expressions")
    return tuple(_pattern(item, where) for item in raw)


def _pattern(raw: JsonValue, where: str) -> re.Pattern[str]:
    if not isinstance(raw, str):
        raise ValueError(f"{where}: {raw!r} is no regular expression")
    try:
        return re.compile(raw)
    except re.error as exc:
        raise ValueError(f"{where}: {raw!r} is no regular expression ({exc})") from exc


def _overrides(raw: dict[str, JsonValue], where: str, aspects: frozenset[str]) -> Overrides:
    flags: dict[str, bool | None] = {}
    for key in ("enabled", "log-warning-instead-of-failing-api-calls"):
        value = raw.get(key)
        if value is not None and not isinstance(value, bool):
            raise ValueError(f"{where}: {key} is true or false")
        flags[key] = value
    switched: list[tuple[str, bool]] = []
    for scope in ("thing", "feature"):
        kinds = raw.get(scope, {})
        if not isinstance(kinds, dict):
            raise ValueError(f"{where}: {scope} is a JSON object")
        for kind, switches in kinds.items():
            if not isinstance(switches, dict):
                raise ValueError(f"{where}: {scope}.{kind} is a JSON object")
            for name, value in switches.items():
                aspect = f"{scope}.{kind}.{name}"
                if aspect not in aspects or not isinstance(value, bool):
                    raise ValueError(f"{where}: {aspect} is no validation aspect set to true or false")
                switched.append((aspect, value))
    return Overrides(flags["enabled"], flags["log-warning-instead-of-failing-api-calls"], tuple(switched))
