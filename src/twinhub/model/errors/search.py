"""Errors of search and RQL: filters, options, cursors and namespaces.

Ditto answers a filter it cannot parse with `InvalidRqlExpressionException` and an option string it cannot
parse with `InvalidOptionException`, both carrying the parser's message ("Invalid input ..., expected ...
(line 1, column 8)" plus the line and a caret); `twinhub.rql` writes its messages with the same parts.
"""

from __future__ import annotations

from twinhub.model.errors.base import Invalid

__all__ = ["CursorInvalid", "NamespacesInvalid", "RqlInvalid", "RqlOptionInvalid"]

_OPTION_CODE = "thing-search:search.option.invalid"


class RqlInvalid(Invalid):
    """A filter that does not parse, names an unknown field, uses a non-string like/ilike value, or is too
    large; `position` is where in the text it went wrong, if known."""

    def __init__(self, message: str, *, position: int | None = None) -> None:
        super().__init__(
            "rql.expression.invalid",
            400,
            message,
            "Ensure that all opening parentheses have also closing ones and that the RQL expression is valid.",
        )
        self.position = position


class RqlOptionInvalid(Invalid):
    """An option string (sort, size, cursor, limit) that does not parse or sorts by an unknown field."""

    def __init__(self, message: str, *, position: int | None = None) -> None:
        super().__init__(_OPTION_CODE, 400, message, "At least one provided option is invalid.")
        self.position = position


class CursorInvalid(Invalid):
    """A cursor that is not one of ours, or was made for another filter, sort or namespaces."""

    def __init__(self, description: str) -> None:
        super().__init__(_OPTION_CODE, 400, "The cursor option is invalid.", description)


class NamespacesInvalid(Invalid):
    """A `namespaces` parameter with a name that is no namespace."""

    def __init__(self, namespace: str) -> None:
        super().__init__(
            "thing-search:search.namespaces.invalid",
            400,
            f"The namespace <{namespace}> is not valid.",
            "Namespaces are dot-separated names, each starting with a letter.",
        )
