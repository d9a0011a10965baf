"""Errors of Ditto's placeholders (`{{ prefix:name | fn:... }}`) as connections, policies and headers use them.

Ditto's codes and messages (`placeholder:*`, all 400): a template that names a placeholder no resolver knows or
does not parse is *unresolved*; a pipeline function that does not exist, takes other parameters or is chained
too often is refused before anything is resolved.
"""

from __future__ import annotations

from twinhub.model.errors.base import Invalid

__all__ = [
    "PlaceholderFunctionSignatureInvalid",
    "PlaceholderFunctionTooComplex",
    "PlaceholderFunctionUnknown",
    "PlaceholderNotResolvable",
    "PlaceholderReferenceNotSupported",
    "PlaceholderReferenceUnknownField",
    "PlaceholderUnresolved",
]


class PlaceholderUnresolved(Invalid):
    """A placeholder no resolver supports, an expression that does not parse, or a template that resolved to
    nothing where a value was required."""

    def __init__(self, placeholder: str) -> None:
        super().__init__(
            "placeholder:unresolved",
            400,
            f"The placeholder '{placeholder}' could not be resolved.",
            "Some placeholders could not be resolved. Check the spelling of the placeholder and make sure all "
            "required headers are set.",
        )


class PlaceholderNotResolvable(Invalid):
    """A placeholder the header-based substitution (subject ids of written policies) does not know."""

    def __init__(self, placeholder: str, supported: tuple[str, ...]) -> None:
        super().__init__(
            "placeholder:placeholder.notresolvable",
            400,
            f"The placeholder '{placeholder}' is unknown.",
            f"Please use one of the supported placeholders: {', '.join(repr(name) for name in supported)}.",
        )


class PlaceholderReferenceNotSupported(Invalid):
    """A `{{ ref:<type>/<id>/<field> }}` reference to an entity type other than `things`."""

    def __init__(self, entity_type: str) -> None:
        super().__init__(
            "placeholder:placeholder.reference.notsupported",
            400,
            f"The placeholder references a not supported entity: '{entity_type}'.",
            "Please reference one of the supported entities: THINGS.",
        )


class PlaceholderReferenceUnknownField(Invalid):
    """A `{{ ref:things/<id>/<field> }}` reference whose thing has no such (readable, string) field."""

    def __init__(self, field: str, entity_id: str) -> None:
        super().__init__(
            "placeholder:placeholder.reference.unknownfield",
            400,
            f"The referenced entity did not contain the expected field: '{field}'.",
            f"Please verify that you specified a valid field of the referenced entity with id: {entity_id}.",
        )


class PlaceholderFunctionUnknown(Invalid):
    """A pipeline stage `fn:<name>(...)` whose function Ditto does not have."""

    def __init__(self, expression: str) -> None:
        super().__init__(
            "placeholder:function.unknown",
            400,
            f"The function <{expression}> is not known.",
            "Ensure to only use supported functions.",
        )


class PlaceholderFunctionSignatureInvalid(Invalid):
    """A known function given parameters it does not take (count, kind or syntax)."""

    def __init__(self, function: str, parameters: str, signature: str) -> None:
        super().__init__(
            "placeholder:function.signature.invalid",
            400,
            f"The function signature <fn:{function}{parameters}> could not be parsed.",
            f"Ensure to follow the signature of the function: fn:{function}{signature}",
        )


class PlaceholderFunctionTooComplex(Invalid):
    """A pipeline of more functions than Ditto allows."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            "placeholder:function.too.complex",
            400,
            "The placeholder functions are not accepted as they are too complex.",
            f"Please reduce the complexity (e.g. amount of chained functions below the maximum of '{limit}') "
            "of the functions.",
        )
