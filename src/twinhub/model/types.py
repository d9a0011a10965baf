"""The shared vocabulary of JSON values; thing documents stay plain JSON."""

from __future__ import annotations

from typing import TypeAlias

JsonValue: TypeAlias = "bool | int | float | str | list[JsonValue] | dict[str, JsonValue] | None"
JsonObject: TypeAlias = "dict[str, JsonValue]"
JsonArray: TypeAlias = "list[JsonValue]"

# A JSON pointer, already split into its keys ("" is the root: an empty tuple).
Pointer: TypeAlias = tuple[str, ...]
