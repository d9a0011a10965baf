"""Ditto's placeholder templates, parsed once: literal text and `{{ expression }}`s.

An expression is a pipeline `first | fn:f(...) | fn:g(...)`: its first stage is a placeholder `prefix:name` or a
function (which then starts from nothing), each further stage a function whose parameters are quoted
constants (`'x'`, `"x"`, a backslash-escaped quote inside kept as written, as Ditto does) or placeholders.

Parsing is a hand-written scanner (no regular expression runs on the template): it refuses, as Ditto does, an
expression that does not split into stages (`placeholder:unresolved`), a pipeline of more than
`MAX_FUNCTIONS` functions (`placeholder:function.too.complex`), an unknown function
(`placeholder:function.unknown`) and parameters a function does not take (`placeholder:function.signature.invalid`).
Whether a placeholder is *known* depends on where the template is used: see `validate` in this package.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from twinhub.model.errors import (
    PlaceholderFunctionSignatureInvalid,
    PlaceholderFunctionTooComplex,
    PlaceholderFunctionUnknown,
    PlaceholderUnresolved,
)

__all__ = [
    "MAX_FUNCTIONS",
    "MAX_TEMPLATE_LENGTH",
    "SIGNATURES",
    "Constant",
    "Expression",
    "FunctionCall",
    "Parameter",
    "PlaceholderRef",
    "Template",
    "parse_template",
]

MAX_FUNCTIONS: Final = 10  # Ditto's limit of chained functions after the first stage
MAX_TEMPLATE_LENGTH: Final = 64 * 1024  # a template is configuration, not a payload


@dataclass(frozen=True, slots=True)
class PlaceholderRef:
    """`prefix:name`, e.g. `header:device-id` (the name keeps its case; header lookups ignore it)."""

    prefix: str
    name: str

    def __str__(self) -> str:
        return f"{self.prefix}:{self.name}"


@dataclass(frozen=True, slots=True)
class Constant:
    value: str


Parameter = Constant | PlaceholderRef


@dataclass(frozen=True, slots=True)
class FunctionCall:
    """`fn:name(parameters)`; `source` is the stage as written, for error messages."""

    name: str
    parameters: tuple[Parameter, ...]
    source: str

    @property
    def parameters_text(self) -> str:
        """The parentheses as written (for error messages)."""
        return self.source.partition(self.name)[2].strip()


@dataclass(frozen=True, slots=True)
class Expression:
    """What stands between `{{` and `}}`: a first placeholder (None: the pipeline starts with a function) and
    the functions applied in order."""

    first: PlaceholderRef | None
    functions: tuple[FunctionCall, ...]
    source: str

    def placeholders(self) -> list[PlaceholderRef]:
        """Every placeholder the expression refers to, the first and those in function parameters."""
        found = [] if self.first is None else [self.first]
        for call in self.functions:
            found += [parameter for parameter in call.parameters if isinstance(parameter, PlaceholderRef)]
        return found


@dataclass(frozen=True, slots=True)
class Template:
    """A parsed template: literal text (str) and expressions, in order."""

    parts: tuple[str | Expression, ...]
    source: str

    @property
    def expressions(self) -> tuple[Expression, ...]:
        return tuple(part for part in self.parts if isinstance(part, Expression))

    def placeholders(self) -> list[PlaceholderRef]:
        return [ref for expression in self.expressions for ref in expression.placeholders()]


# Each function's parameters: (required, optional, placeholders allowed); None: empty parentheses only.
SIGNATURES: Final[dict[str, tuple[int, int, bool]]] = {
    "filter": (2, 1, True),
    "default": (1, 0, True),
    "substring-before": (1, 0, False),
    "substring-after": (1, 0, False),
    "lower": (0, 0, False),
    "upper": (0, 0, False),
    "trim": (0, 0, False),
    "url-encode": (0, 0, False),
    "url-decode": (0, 0, False),
    "base64-encode": (0, 0, False),
    "base64-decode": (0, 0, False),
    "delete": (0, 0, False),
    "replace": (2, 1, True),
    "split": (1, 0, False),
    "join": (1, 0, False),
    "format": (1, 0, False),
}
_SIGNATURE_TEXT: Final = {
    "filter": "(String filterValue, String rqlFunction, String comparedValue)",
    "default": "(String defaultValue)",
    "replace": "(String from, String to)",
    "split": "(String separator)",
    "join": "(String delimiter)",
    "format": "(String template)",
    "substring-before": "(String givenString)",
    "substring-after": "(String givenString)",
}
_FUNCTION_PREFIX: Final = "fn:"


def parse_template(text: str) -> Template:
    """Parse `text`; raises the `placeholder:*` errors of the module docstring."""
    if len(text) > MAX_TEMPLATE_LENGTH:
        raise PlaceholderUnresolved(text[:120] + "...")
    parts: list[str | Expression] = []
    position = 0
    while (start := text.find("{{", position)) != -1:
        end = text.find("}}", start + 2)
        if end == -1:
            break
        if start > position:
            parts.append(text[position:start])
        parts.append(_parse_expression(text[start + 2:end].strip()))
        position = end + 2
    if position < len(text):
        parts.append(text[position:])
    return Template(tuple(parts), text)


def _parse_expression(source: str) -> Expression:
    stages = _split_stages(source)
    if len(stages) > MAX_FUNCTIONS + 1:
        raise PlaceholderFunctionTooComplex(MAX_FUNCTIONS)
    first: PlaceholderRef | None = None
    if not stages[0].startswith(_FUNCTION_PREFIX):
        first = _placeholder(stages.pop(0), source)
    return Expression(first, tuple(_parse_function(stage) for stage in stages), source)


def _split_stages(source: str) -> list[str]:
    """The stages of a pipeline, split on `|` outside quotes, trimmed; none may be empty (Ditto's pipe
    pattern would not match)."""
    stages: list[str] = []
    current: list[str] = []
    quote: str | None = None
    index = 0
    while index < len(source):
        char = source[index]
        if quote is not None:
            if char == "\\" and index + 1 < len(source) and source[index + 1] == quote:
                current.append(source[index:index + 2])
                index += 2
                continue
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "|":
            stages.append("".join(current))
            current = []
            index += 1
            continue
        current.append(char)
        index += 1
    if quote is not None:
        raise PlaceholderUnresolved(source)
    stages.append("".join(current))
    if any(not stage.strip() for stage in stages):
        raise PlaceholderUnresolved(source)
    return [stage.strip() for stage in stages]


def _placeholder(stage: str, source: str) -> PlaceholderRef:
    prefix, colon, name = stage.partition(":")
    if not colon or not prefix.strip() or not name:
        raise PlaceholderUnresolved(source)
    return PlaceholderRef(prefix.strip(), name)


def _parse_function(stage: str) -> FunctionCall:
    body = stage[len(_FUNCTION_PREFIX):] if stage.startswith(_FUNCTION_PREFIX) else stage
    name = next((known for known in SIGNATURES if body.startswith(known + "(")), None)
    if name is None:
        raise PlaceholderFunctionUnknown(stage)
    parameters_text = body[len(name):].strip()
    required, optional, placeholders = SIGNATURES[name]
    parameters = _parse_parameters(parameters_text, placeholders)
    if parameters is None or not required <= len(parameters) <= required + optional:
        raise PlaceholderFunctionSignatureInvalid(name, parameters_text, _SIGNATURE_TEXT.get(name, "()"))
    return FunctionCall(name, tuple(parameters), stage)


def _parse_parameters(text: str, placeholders: bool) -> list[Parameter] | None:
    """`( p, p, ... )` -> the parameters, or None when the text is not that shape."""
    if not text.startswith("(") or not text.endswith(")"):
        return None
    inner = text[1:-1]
    parameters: list[Parameter] = []
    index = _skip_spaces(inner, 0)
    if index == len(inner):
        return parameters
    while True:
        index = _skip_spaces(inner, index)
        if index < len(inner) and inner[index] in "'\"":
            quote = inner[index]
            end = index + 1
            while end < len(inner) and inner[end] != quote:
                end += 2 if inner[end] == "\\" and end + 1 < len(inner) and inner[end + 1] == quote else 1
            if end >= len(inner):
                return None
            parameters.append(Constant(inner[index + 1:end]))
            index = _skip_spaces(inner, end + 1)
        elif placeholders:
            end = index
            while end < len(inner) and inner[end] not in ", \t\r\n":
                end += 1
            ref = inner[index:end]
            prefix, colon, name = ref.partition(":")
            if not colon or not name or not prefix or not all(c.isalnum() or c == "_" for c in prefix):
                return None
            parameters.append(PlaceholderRef(prefix, name))
            while end < len(inner) and inner[end] != ",":  # Ditto ignores what trails a placeholder parameter
                end += 1
            index = end
        else:
            return None
        if index == len(inner):
            return parameters
        if inner[index] != ",":
            return None
        index += 1


def _skip_spaces(text: str, index: int) -> int:
    while index < len(text) and text[index].isspace():
        index += 1
    return index
