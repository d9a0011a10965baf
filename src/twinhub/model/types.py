"""The shared vocabulary of JSON values; thing documents stay plain JSON.

`MISSING` is "no value here at all", distinct from JSON `null` (`None`): a pointer that finds nothing, a
READ view that shows nothing, a Ditto Protocol message or live signal without a `value`/`payload`.
"""

from __future__ import annotations

import enum
from typing import Final, TypeAlias

JsonValue: TypeAlias = "bool | int | float | str | list[JsonValue] | dict[str, JsonValue] | None"
JsonObject: TypeAlias = "dict[str, JsonValue]"
JsonArray: TypeAlias = "list[JsonValue]"

# A JSON pointer, already split into its keys ("" is the root: an empty tuple).
Pointer: TypeAlias = tuple[str, ...]


class Missing(enum.Enum):
    """The type of `MISSING`: no value at all, distinct from a JSON `null`. Test with `is MISSING`."""

    MISSING = "MISSING"

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = Missing.MISSING
