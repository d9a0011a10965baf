"""Subject templates: Ditto's `auth-subjects` of an OpenID Connect issuer, resolved against JWT claims.

A template is text with `{{ jwt:<claim pointer> }}` placeholders, e.g. `{{ jwt:sub }}`,
`{{ jwt:realm_access/roles }}` or `role-{{ jwt:roles }}`. The pointer is a JSON pointer into the claims
(leading `/` optional; `~1` is `/` and `~0` is `~` as in RFC 6901, so a namespaced claim like
`https://example.com/roles` is `https:~1~1example.com~1roles`; a number selects an array element).

Resolving yields one value per combination of placeholder values: an array claim yields one value per
(scalar) element, a placeholder that resolves to nothing (missing claim, object, null, empty string)
makes the whole template yield nothing. Pure: no I/O.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["DEFAULT_AUTH_SUBJECT", "MAX_SUBJECTS_PER_TEMPLATE", "ClaimPointer", "SubjectTemplate"]

DEFAULT_AUTH_SUBJECT = "{{ jwt:sub }}"

# A token with a 10,000-element array claim must not turn into 10,000 subjects.
MAX_SUBJECTS_PER_TEMPLATE = 64

_PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True, slots=True)
class ClaimPointer:
    """A parsed `jwt:` placeholder: the keys leading into the claims."""

    keys: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> ClaimPointer:
        """Parse the pointer part of `jwt:<pointer>`; raises ValueError for an empty one or an empty key."""
        body = text[1:] if text.startswith("/") else text
        if not body:
            raise ValueError("the claim pointer is empty")
        keys = tuple(key.replace("~1", "/").replace("~0", "~") for key in body.split("/"))
        if any(not key for key in keys):
            raise ValueError(f"the claim pointer {text!r} has an empty key")
        return cls(keys)

    def values(self, claims: Mapping[str, object]) -> list[str]:
        """The subject values the pointer selects: scalars as text, arrays element by element."""
        node: object = claims
        for key in self.keys:
            if isinstance(node, Mapping):
                if key not in node:
                    return []
                node = node[key]
            elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
                node = node[int(key)]
            else:
                return []
        items = node if isinstance(node, list) else [node]
        found: dict[str, None] = {}  # ordered and deduplicated
        for item in items:
            value = _scalar_text(item)
            if value is not None:
                found[value] = None
                if len(found) == MAX_SUBJECTS_PER_TEMPLATE:
                    break
        return list(found)


def _scalar_text(value: object) -> str | None:
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = value
    elif isinstance(value, int | float):
        text = repr(value)
    else:
        return None  # null, objects, nested arrays
    if not text or _CONTROL.search(text):
        return None
    return text


@dataclass(frozen=True, slots=True)
class SubjectTemplate:
    """A parsed template: literal text and claim pointers, in order."""

    text: str
    parts: tuple[str | ClaimPointer, ...]

    @classmethod
    def parse(cls, text: str) -> SubjectTemplate:
        """Parse a template; raises ValueError for anything but `{{ jwt:... }}` placeholders (Ditto's
        pipeline functions such as `| fn:lower()` are not supported) or for unbalanced braces."""
        if not text.strip():
            raise ValueError("an auth subject template is empty")
        parts: list[str | ClaimPointer] = []
        position = 0
        for match in _PLACEHOLDER.finditer(text):
            parts.append(text[position:match.start()])
            parts.append(_parse_placeholder(match[1].strip(), text))
            position = match.end()
        parts.append(text[position:])
        for part in parts:
            if isinstance(part, str) and ("{{" in part or "}}" in part):
                raise ValueError(f"the auth subject template {text!r} has unbalanced '{{{{' / '}}}}'")
        return cls(text, tuple(part for part in parts if part != ""))

    def resolve(self, claims: Mapping[str, object]) -> list[str]:
        """The values the template yields for `claims` (at most MAX_SUBJECTS_PER_TEMPLATE)."""
        choices: list[list[str]] = []
        for part in self.parts:
            values = [part] if isinstance(part, str) else part.values(claims)
            if not values:
                return []
            choices.append(values)
        combinations = itertools.islice(itertools.product(*choices), MAX_SUBJECTS_PER_TEMPLATE)
        return list(dict.fromkeys("".join(combination) for combination in combinations))


def _parse_placeholder(expression: str, template: str) -> ClaimPointer:
    prefix, colon, pointer = expression.partition(":")
    if not colon or prefix.strip() != "jwt":
        raise ValueError(f"the auth subject template {template!r} has the placeholder {{{{ {expression} }}}}; "
                         "only {{ jwt:<claim> }} is supported")
    if "|" in pointer:
        raise ValueError(f"the auth subject template {template!r} uses a pipeline function; "
                         "only plain {{ jwt:<claim> }} placeholders are supported")
    return ClaimPointer.parse(pointer.strip())
