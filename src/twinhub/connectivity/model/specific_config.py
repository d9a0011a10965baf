"""The `specificConfig` of the connection types whose clients are twinhub's own, read the same way by the
validation of a connection and by its client: `nats` (its uri, subjects and `specificConfig`, see
`twinhub.connectivity.clients.nats` for what they mean) and `http-push` (`parallelism`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

__all__ = ["MAX_PARALLELISM", "NatsConfig", "SpecificConfigInvalid", "http_push_parallelism", "validate_nats_subject",
           "validate_nats_uri"]

MAX_PARALLELISM: Final = 256

_SUBJECT_TOKEN: Final = re.compile(r"[^\s.*>]+")
_NAME_UNSAFE: Final = re.compile(r"[^A-Za-z0-9_-]")


class SpecificConfigInvalid(ValueError):
    """A `specificConfig` entry, uri or address the type's client cannot use; the message says which."""


def validate_nats_subject(subject: str, *, wildcards: bool) -> None:
    """Raise SpecificConfigInvalid unless `subject` is a NATS subject (with `*`/`>` only when `wildcards`)."""
    tokens = subject.split(".")
    for position, token in enumerate(tokens):
        if token == "*" and wildcards:
            continue
        if token == ">" and wildcards and position == len(tokens) - 1:
            continue
        if not _SUBJECT_TOKEN.fullmatch(token):
            kind = "source" if wildcards else "target"
            raise SpecificConfigInvalid(f"the {kind} address <{subject}> is not a NATS subject")


@dataclass(frozen=True, slots=True)
class NatsConfig:
    """The connection's `specificConfig`, parsed (see the module docstring)."""

    jetstream: bool = False
    stream: str | None = None
    durable: str = "twinhub"
    max_ack_pending: int = 1000
    ack_wait_seconds: float = 30.0
    max_deliver: int | None = None
    deliver_new: bool = False

    @classmethod
    def parse(cls, specific_config: Mapping[str, str]) -> NatsConfig:
        known = {"jetstream", "stream", "durable", "maxAckPending", "ackWaitSeconds", "maxDeliver", "deliverPolicy"}
        unknown = sorted(set(specific_config) - known)
        if unknown:
            raise SpecificConfigInvalid(f"unknown specificConfig for nats: {', '.join(unknown)}")
        jetstream = _flag(specific_config, "jetstream")
        deliver_policy = specific_config.get("deliverPolicy", "all")
        if deliver_policy not in ("all", "new"):
            raise SpecificConfigInvalid("specificConfig.deliverPolicy must be 'all' or 'new'")
        durable = specific_config.get("durable", "twinhub")
        if not durable or _NAME_UNSAFE.search(durable):
            raise SpecificConfigInvalid("specificConfig.durable may hold only letters, digits, '_' and '-'")
        stream = specific_config.get("stream")
        if stream is not None and (not stream or re.search(r"[\s.*>/\\]", stream)):
            raise SpecificConfigInvalid("specificConfig.stream is not a JetStream stream name")
        max_deliver = specific_config.get("maxDeliver")
        return cls(jetstream=jetstream, stream=stream, durable=durable,
                   max_ack_pending=_positive(specific_config, "maxAckPending", 1000, maximum=100_000),
                   ack_wait_seconds=_seconds(specific_config, "ackWaitSeconds", 30.0),
                   max_deliver=None if max_deliver is None else _positive(specific_config, "maxDeliver", 1,
                                                                          maximum=1_000_000),
                   deliver_new=deliver_policy == "new")


def _flag(config: Mapping[str, str], key: str) -> bool:
    value = config.get(key, "false").lower()
    if value not in ("true", "false"):
        raise SpecificConfigInvalid(f"specificConfig.{key} must be 'true' or 'false'")
    return value == "true"


def _positive(config: Mapping[str, str], key: str, default: int, *, maximum: int) -> int:
    text = config.get(key)
    if text is None:
        return default
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= maximum:  # "²" is a digit, no int
        raise SpecificConfigInvalid(f"specificConfig.{key} must be a whole number from 1 to {maximum}")
    return int(text)


def _seconds(config: Mapping[str, str], key: str, default: float) -> float:
    text = config.get(key)
    if text is None:
        return default
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0.1 <= value <= 86_400:
        raise SpecificConfigInvalid(f"specificConfig.{key} must be a number of seconds from 0.1 to 86400")
    return value


def validate_nats_uri(uri: str) -> None:
    """Raise SpecificConfigInvalid unless `uri` is a `nats://` or `tls://` URL."""
    if not re.fullmatch(r"(nats|tls)://[^\s/]+(:\d+)?/?", uri):
        raise SpecificConfigInvalid(f"the uri <{_redacted(uri)}> is not nats://[user:password@]host[:port]")


def _redacted(uri: str) -> str:
    return re.sub(r"//[^@/]*@", "//***@", uri)


def http_push_parallelism(specific_config: Mapping[str, str]) -> int:
    """HTTP push's `specificConfig.parallelism` (default 1, as Ditto); raises SpecificConfigInvalid for it or an
    unknown key."""
    unknown = sorted(set(specific_config) - {"parallelism"})
    if unknown:
        raise SpecificConfigInvalid(f"unknown specificConfig for http-push: {', '.join(unknown)}")
    text = specific_config.get("parallelism", "1")
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_PARALLELISM:
        raise SpecificConfigInvalid(f"specificConfig.parallelism must be a whole number from 1 to {MAX_PARALLELISM}")
    return int(text)
