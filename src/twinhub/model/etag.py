"""Entity tags and conditional requests (If-Match, If-None-Match) as Ditto evaluates them.

A whole thing is tagged `"rev:<revision>"`, a part of it `"hash:<digest of its JSON>"`. A part is hashed as
the caller may READ it (its READ view, as the response body shows it), so that neither the tag nor any
precondition compared with it tells anything about values the caller may not read; the revision is no secret.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import orjson

from twinhub.model.errors import HeaderInvalid, ThingNotModified, ThingPreconditionFailed
from twinhub.model.types import MISSING, JsonValue, Missing


@dataclass(frozen=True, slots=True)
class Preconditions:
    """The conditional headers of a request, as sent (None: not sent)."""

    if_match: str | None = None
    if_none_match: str | None = None


NO_PRECONDITIONS = Preconditions()

# One entity-tag matcher as Ditto accepts it (EntityTagMatcher.isValid): `*`, or a quoted opaque tag without `"`
# or `*`, weak or not; a header holds a list of them, separated by commas and optional blanks.
_MATCHER = re.compile(r'\*|(?:W/)?"[^"*]*"')
_SEPARATOR = re.compile(r"\s*,\s*")


def parse_preconditions(if_match: str | None, if_none_match: str | None) -> Preconditions:
    """The conditional headers of a request; 400 `header.invalid` unless each is a list of entity-tag matchers."""
    for name, value in (("if-match", if_match), ("if-none-match", if_none_match)):
        if value is not None and not all(_MATCHER.fullmatch(part) for part in _SEPARATOR.split(value)):
            raise HeaderInvalid(name, value, "entity-tag")
    if if_match is None and if_none_match is None:
        return NO_PRECONDITIONS
    return Preconditions(if_match, if_none_match)


def revision_tag(revision: int) -> str:
    return f'"rev:{revision}"'


def hash_tag(view: JsonValue | Missing) -> str:
    """The tag of a part: pass the caller's READ view of it; MISSING (nothing readable) has a tag of its own."""
    data = b"" if view is MISSING else orjson.dumps(view, option=orjson.OPT_SORT_KEYS)
    digest = hashlib.blake2b(data, digest_size=8).hexdigest()
    return f'"hash:{digest}"'


def _tags(header: str) -> list[str]:
    return [tag.strip() for tag in header.split(",") if tag.strip()]


def _weak(tag: str) -> str:
    return tag[2:] if tag.startswith("W/") else tag


def check_preconditions(*, if_match: str | None, if_none_match: str | None, current: str | None,
                        is_read: bool, entity: str = "Thing") -> None:
    """Evaluate the conditional headers against the current tag (None: the resource does not exist).

    Raises `things:precondition.failed` (412) when If-Match fails or If-None-Match matches on a write,
    and `things:precondition.notmodified` (304) when If-None-Match matches on a read.
    """
    if if_match is not None:
        tags = _tags(if_match)
        matched = current is not None and ("*" in tags or current in tags)
        if not matched:
            raise ThingPreconditionFailed("if-match", if_match, current, entity=entity)
    if if_none_match is not None and current is not None:
        tags = _tags(if_none_match)
        if "*" in tags or _weak(current) in {_weak(tag) for tag in tags}:
            if is_read:
                raise ThingNotModified(if_none_match, current, entity=entity)
            raise ThingPreconditionFailed("if-none-match", if_none_match, current, entity=entity)
