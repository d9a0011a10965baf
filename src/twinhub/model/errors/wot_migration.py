"""The error of a thing definition migration whose new model gives no skeleton (Ditto's
`wot:skeleton.generation.failed`, `wot/model/.../SkeletonGenerationFailedException.java`)."""

from __future__ import annotations

from twinhub.model.errors.base import Invalid, echoed

__all__ = ["SkeletonGenerationFailed"]


class SkeletonGenerationFailed(Invalid):
    """`migrateDefinition` to a definition that is no Thing Model URL, or whose model yields no skeleton."""

    def __init__(self, definition: str) -> None:
        super().__init__(
            "wot:skeleton.generation.failed",
            400,
            f"Failed to generate a valid skeleton for the definition: '{echoed(definition)}'.",
            "The provided ThingDefinition could not be used to generate a valid skeleton. Ensure the definition is "
            "correct and reachable.",
        )
