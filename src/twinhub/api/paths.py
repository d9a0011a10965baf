"""Percent-decoding of ids and keys in URLs: strictly UTF-8, so `%FF` is a 400 and never U+FFFD.

Routes split the raw (still encoded) path themselves, so that `%2F` stays inside its segment; every segment
and every `ids` value is then decoded here. What the decoded text may contain is the model's business
(`twinhub.model.ids`, `twinhub.model.pointer`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from urllib.parse import unquote, unquote_plus

from starlette.requests import Request

from twinhub.model.errors import JsonPointerInvalid, PolicyIdInvalid, ResourceNotFound, ThingIdInvalid, TwinhubError

__all__ = ["ALL_METHODS", "check_route_segments", "decode_keys", "decode_policy_id", "decode_thing_id", "query_values"]

# What a route registers when every method reaches its handler, which answers Ditto's 405 (with `Allow`) for the
# ones its resource lacks (Starlette's own 405 would not be Ditto's error).
ALL_METHODS = ["GET", "HEAD", "PUT", "PATCH", "POST", "DELETE", "OPTIONS"]


def check_route_segments(raw_path: bytes, segments: Sequence[str], matched: int) -> None:
    """Raises 404 `gateway:resource.notfound` when one of the first `matched` `segments` (those Ditto's routes take
    one by one, the rest being one key or a pointer) is empty.

    Pekko's `segment()` matcher needs at least one character and `pathEndOrSingleSlash` takes one trailing slash
    only, so `/things//x` or `/policies/{id}//entries` match no route of Ditto's: not an invalid id or key. An
    empty last segment after the others, when the route takes every segment, is that one trailing slash."""
    route = segments[:matched]
    if matched >= len(segments) > 1:
        route = route[:-1]
    if "" in route:
        raise ResourceNotFound(raw_path.decode("latin-1"))


def _decode(text: str, error: Callable[[], TwinhubError]) -> str:
    """`text` percent-decoded; `error()` (built only then: most paths are valid) unless it is UTF-8."""
    try:
        return unquote(text, errors="strict")
    except UnicodeDecodeError:
        raise error() from None


def decode_thing_id(segment: str) -> str:
    """A thing id from its URL segment; 400 `things:id.invalid` unless it is percent-encoded UTF-8."""
    return _decode(segment, lambda: ThingIdInvalid(segment))


def decode_policy_id(segment: str) -> str:
    """A policy id from its URL segment; 400 `policies:id.invalid` unless it is percent-encoded UTF-8."""
    return _decode(segment, lambda: PolicyIdInvalid(segment))


def decode_keys(segments: list[str]) -> list[str]:
    """The keys of a pointer from their URL segments; 400 `json.pointer.invalid` unless each is
    percent-encoded UTF-8."""

    def error() -> TwinhubError:
        return JsonPointerInvalid("/" + "/".join(segments), "It is not percent-encoded UTF-8.")

    return [_decode(segment, error) for segment in segments]


def query_values(request: Request, name: str, error: Callable[[str], TwinhubError]) -> list[str]:
    """Every value of query parameter `name`, decoded strictly (Starlette's `query_params` replace what is
    not UTF-8 with U+FFFD); `error(raw value)` when one is not percent-encoded UTF-8."""
    values = []
    for part in request.scope.get("query_string", b"").decode("latin-1").split("&"):
        key, _, raw = part.partition("=")
        if unquote_plus(key) == name:
            try:
                values.append(unquote_plus(raw, errors="strict"))
            except UnicodeDecodeError:
                raise error(raw) from None
    return values
