"""RQL errors, with Ditto's codes; syntax errors point at the offending character.

    TwinhubError (twinhub.model.errors)
    ├── RqlInvalid        rql.expression.invalid              400  filter syntax, unknown field, like value
    └── RqlOptionInvalid  thing-search:search.option.invalid  400  option syntax, unknown sort field

Ditto answers a filter it cannot parse with `InvalidRqlExpressionException` and an option string it cannot parse
with `InvalidOptionException`, both carrying the parser's message ("Invalid input ..., expected ... (line 1,
column 8)" plus the line and a caret); the messages here have the same parts.
"""

from __future__ import annotations

from twinhub.model.errors import TwinhubError

__all__ = ["RqlInvalid", "RqlOptionInvalid", "syntax_message"]

FILTER_DESCRIPTION = "Ensure that all opening parentheses have also closing ones and that the RQL expression is valid."
OPTION_DESCRIPTION = "At least one provided option is invalid."

_SNIPPET_RADIUS = 40


class RqlInvalid(TwinhubError):
    """A filter that does not parse, names an unknown field, or uses a non-string like/ilike value."""

    def __init__(self, message: str, *, position: int | None = None) -> None:
        super().__init__("rql.expression.invalid", 400, message, FILTER_DESCRIPTION)
        self.position = position


class RqlOptionInvalid(TwinhubError):
    """An option string (sort, size, cursor, limit) that does not parse or sorts by an unknown field."""

    def __init__(self, message: str, *, position: int | None = None) -> None:
        super().__init__("thing-search:search.option.invalid", 400, message, OPTION_DESCRIPTION)
        self.position = position


def syntax_message(subject: str, text: str, position: int, reason: str) -> str:
    """`<subject> is invalid at position N (line L, column C): <reason>` plus that line and a caret under it.

    Long lines are cut to a window around the position, marked with `…`.
    """
    line_start = text.rfind("\n", 0, position) + 1
    line_end = text.find("\n", position)
    if line_end < 0:
        line_end = len(text)
    line = text[line_start:line_end]
    column = position - line_start
    left = max(0, column - _SNIPPET_RADIUS)
    right = min(len(line), column + _SNIPPET_RADIUS)
    prefix = "…" if left else ""
    snippet = prefix + line[left:right] + ("…" if right < len(line) else "")
    caret = " " * (len(prefix) + column - left) + "^"
    line_number = text.count("\n", 0, position) + 1
    return (
        f"{subject} is invalid at position {position} (line {line_number}, column {column + 1}): {reason}\n"
        f"{snippet}\n{caret}"
    )
