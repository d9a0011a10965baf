"""Errors of the Web of Things integration (Ditto's `wot:` codes, `wot/model/.../WotException.java` and its
subclasses beside it): a Thing Model that cannot be fetched, parsed or resolved, a definition that is no URL,
a placeholder of a model left unresolved, a payload that breaks its model."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from twinhub.model.errors.base import ErrorBody, Invalid, NotFound, TwinhubError, echoed

__all__ = [
    "SkeletonGenerationFailed",
    "ThingModelInvalid",
    "ThingModelNameInvalid",
    "ThingModelNotAccessible",
    "ThingModelNotStored",
    "ThingModelPlaceholderUnresolved",
    "ThingModelRefInvalid",
    "WotDefinitionInvalid",
    "WotPayloadInvalid",
]


class ThingModelNotAccessible(TwinhubError):
    """421: the Thing Model at a URL could not be downloaded (unreachable, a non-2xx answer, too slow, too large,
    not http(s)); Ditto's WotThingModelNotAccessibleException answers 421 Misdirected Request."""

    def __init__(self, url: str, description: str | None = None) -> None:
        super().__init__(
            "wot:tm.notfound",
            421,
            f"The WoT ThingModel at URI '{echoed(url)}' could not be accessed.",
            description or "Please ensure that the linked ThingModel is publicly available in order to be downloaded.",
        )


class ThingModelInvalid(Invalid):
    """The document at a URL is no valid Thing Model (no JSON object, malformed `links`, a `tm:extends` cycle)."""

    def __init__(self, url: str, description: str | None = None) -> None:
        super().__init__(
            "wot:tm.invalid",
            400,
            f"The WoT ThingModel at URI '{echoed(url)}' was not valid.",
            description
            or "Please ensure that the linked ThingModel is valid regarding to the WoT (Web of Things) specification.",
        )


class ThingModelRefInvalid(Invalid):
    """A `tm:ref` that is neither `#<pointer>` nor `<uri>#<pointer>`, points at nothing, or runs in a circle."""

    def __init__(self, ref: str, description: str | None = None) -> None:
        super().__init__(
            "wot:tm.ref.invalid",
            400,
            f"The WoT ThingModel tm:ref '{echoed(ref)}' is invalid.",
            description
            or "Please ensure that it is either a local reference '#<jsonPointer>' or an external reference "
            "'<uri>#<jsonPointer>'.",
        )


class ThingModelPlaceholderUnresolved(Invalid):
    """A `{{placeholder}}` of a Thing Model that neither `model-placeholders` nor the configuration provide."""

    def __init__(self, placeholder: str) -> None:
        super().__init__(
            "wot:tm.placeholder.unresolved",
            400,
            f"The WoT ThingModel contained placeholder '{echoed(placeholder)}' which could not be resolved during "
            "TD generation.",
            "Please ensure that all used placeholders from the ThingModel are provided, e.g. via the "
            "'model-placeholders' object in the Thing/Feature.",
        )


class WotDefinitionInvalid(NotFound):
    """404: a Thing Description was asked of a thing or feature without a definition that is a Thing Model URL
    (Ditto's ThingDefinitionInvalidException)."""

    def __init__(self, definition: str | None = None) -> None:
        super().__init__(
            "wot:definition.invalid",
            404,
            "The definition identifier is missing from the Thing or Feature." if definition is None
            else f"The definition identifier '{echoed(definition)}' is not a valid URL.",
            "Please add a URL pointing to a WoT (Web of Things) ThingModel from the Thing or Feature in order to "
            "make use of the WoT integration.",
        )


class SkeletonGenerationFailed(Invalid):
    """A skeleton could not be generated from a definition where the configuration says creation must fail."""

    def __init__(self, definition: str) -> None:
        super().__init__(
            "wot:skeleton.generation.failed",
            400,
            f"Failed to generate a valid skeleton for the definition: '{echoed(definition)}'.",
            "The provided ThingDefinition could not be used to generate a valid skeleton. Ensure the definition "
            "is correct and reachable.",
        )


class ThingModelNameInvalid(Invalid):
    """twinhub's model store: a name that is no relative URL path of `[A-Za-z0-9._~-]` segments."""

    def __init__(self, name: str) -> None:
        super().__init__(
            "twinhub:wot.model.name.invalid",
            400,
            f"The Thing Model name '{echoed(name)}' is invalid.",
            "A name is segments of letters, digits and '.', '_', '~', '-' joined by '/' (no '.' or '..' "
            "segment), at most 256 characters.",
        )


class ThingModelNotStored(NotFound):
    """twinhub's model store holds no model of this name."""

    def __init__(self, name: str) -> None:
        super().__init__(
            "twinhub:wot.model.notfound",
            404,
            f"The Thing Model '{echoed(name)}' is not stored.",
            "Check the name, or store the model with PUT /api/2/wot/models/<name>.",
        )


class WotPayloadInvalid(Invalid):
    """A thing, feature or message payload that does not conform to the WoT Thing Model its definition links.
    Its body carries `validationDetails`, a map from the JSON pointer of each offending part to what is wrong
    with it (Ditto `wot/validation/.../WotThingModelPayloadValidationException.java`)."""

    def __init__(self, description: str, details: Mapping[str, Sequence[str]] | None = None) -> None:
        super().__init__(
            "wot:payload.validation.error",
            400,
            "The provided payload did not conform to the specified WoT (Web of Things) model.",
            description,
        )
        self.details: dict[str, list[str]] = {pointer: list(messages) for pointer, messages in (details or {}).items()}

    def to_json(self) -> ErrorBody:
        body = super().to_json()
        if self.details:
            body["validationDetails"] = self.details
        return body
