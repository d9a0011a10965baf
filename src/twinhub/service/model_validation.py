"""Thing Model validation on the write path and for live messages (Ditto 3.6+, `basic-wot-integration.md`).

A thing write or a message whose thing or feature links a WoT Thing Model (a definition that is an http(s) URL)
is checked against the resolved model before it is committed or sent; any other pays one look at the
definitions. In log-only mode (Ditto's `log-warning-instead-of-failing-api-calls`) a failure is logged instead.

A write resolves its models (`ModelValidator.prefetch`) before it takes its thing's turn: a download may take
up to the fetch timeout, and in the turn it would hold back every other write of the thing that long.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Protocol

import orjson

from twinhub.model.commands import ThingCommand
from twinhub.model.errors import TwinhubError, WotPayloadInvalid
from twinhub.model.events import NO_HEADERS
from twinhub.model.live import LiveMessage, LiveResponse
from twinhub.model.types import JsonObject, JsonValue
from twinhub.wot.validation import (
    Models,
    ValidationConfig,
    check_message,
    check_thing_write,
    feature_model,
    feature_model_url,
    is_model_url,
    submodels,
)

__all__ = ["ModelResolver", "ModelValidator", "links_model"]

log = logging.getLogger(__name__)


class ModelResolver(Protocol):
    async def resolve(self, url: str) -> JsonObject:
        """The Thing Model at `url`, with `tm:extends`/`tm:ref` resolved and its `links` kept."""
        ...


def links_model(doc: JsonObject | None) -> bool:
    """Whether the thing or one of its features has a definition that is a Thing Model URL."""
    if doc is None:
        return False
    if is_model_url(doc.get("definition")):
        return True
    features = doc.get("features")
    if isinstance(features, dict):
        return any(feature_model(feature) is not None for feature in features.values())
    return False


class ModelValidator:
    """Checks writes and messages against the models a `ModelResolver` resolves, as `config` says."""

    def __init__(self, resolver: ModelResolver, config: ValidationConfig) -> None:
        self._resolver = resolver
        self._config = config

    async def prefetch(self, command: ThingCommand, headers: Mapping[str, str], *docs: JsonObject) -> ModelValidator:
        """A validator for `command` holding the models `docs` link (the thing as it is, the command's value
        shaped as a thing), resolved now; its failures are held too, reported by the check without a second
        download. A model the write turns out to need besides is resolved when checked. Nothing is resolved
        for a call the (dynamic) configuration does not check."""
        if not any(self._config_for(command, headers, doc).enabled for doc in docs):
            return self
        resolved: dict[str, JsonObject | TwinhubError] = {}
        thing_urls = {url for doc in docs if isinstance(url := doc.get("definition"), str) and is_model_url(url)}
        for url in thing_urls:
            resolved[url] = await self._attempt(url)
        thing_models = [model for model in resolved.values() if isinstance(model, dict)]
        for doc in docs:
            features = doc.get("features")
            for feature_id, feature in (features.items() if isinstance(features, dict) else ()):
                own = feature_model_url(feature, None, feature_id)
                for url in [own] if own else [submodels(model).get(feature_id) for model in thing_models]:
                    if url is not None and url not in resolved:
                        resolved[url] = await self._attempt(url)
        return ModelValidator(_Resolved(self._resolver, resolved), self._config)

    def _config_for(self, command: ThingCommand, headers: Mapping[str, str],
                    doc: JsonObject | None) -> ValidationConfig:
        """The configuration of `command`'s call on `doc`: the dynamic sections matching its headers, the thing's
        definition and that of the feature it writes, if any."""
        feature_id = command.path[1] if len(command.path) > 1 and command.path[0] == "features" else None
        return self._config.for_call(headers, *_definitions(doc, feature_id))

    async def _attempt(self, url: str) -> JsonObject | TwinhubError:
        try:
            return await self._resolver.resolve(url)
        except TwinhubError as error:
            return error

    async def check_write(self, command: ThingCommand, before: JsonObject | None, after: JsonObject | None,
                          headers: Mapping[str, str] = NO_HEADERS) -> None:
        """Raise WotPayloadInvalid (400) when the write breaks the models of `after` (of `before` for a
        deletion); call only when `links_model(before)` or `links_model(after)`. `headers` (the command's) select
        the dynamic configuration that applies."""
        doc = after if after is not None else before
        config = self._config_for(command, headers, doc)
        if not config.enabled:
            return
        try:
            models = await self._models(command, before, after)
            check_thing_write(models, config, action=command.action, path=command.path, before=before,
                              after=after, patch=command.value)
        except WotPayloadInvalid as error:
            self._fail(error, command.thing_id, config)

    async def check_message(self, message: LiveMessage, thing: JsonObject | None,
                            response: LiveResponse | None = None) -> None:
        """Raise WotPayloadInvalid (400) when `message` (or `response`, the answer to it) breaks the model of its
        thing or feature (`thing` its current document)."""
        if thing is None or message.claim or (response is not None and message.direction != "inbox"):
            return
        config = self._config.for_call(message.headers, *_definitions(thing, message.feature_id))
        if not config.enabled:
            return
        if message.feature_id is None:
            url = thing.get("definition")
            url = url if is_model_url(url) else None
        else:
            features = thing.get("features")
            feature = features.get(message.feature_id) if isinstance(features, dict) else None
            thing_model = await self._maybe(thing.get("definition"))
            url = feature_model_url(feature, thing_model, message.feature_id)
        model = await self._maybe(url)
        if model is None:
            return
        carrier = message if response is None else response
        try:
            check_message(model, config, feature_id=message.feature_id, inbox=message.direction == "inbox",
                          subject=message.subject, payload=_payload(carrier, message.subject, response is not None),
                          response=response is not None)
        except WotPayloadInvalid as error:
            self._fail(error, message.thing_id, config)

    @staticmethod
    def _fail(error: WotPayloadInvalid, thing_id: str, config: ValidationConfig) -> None:
        if not config.log_only:
            raise error
        log.warning("thing %s does not conform to its WoT model: %s %s", thing_id, error.description, error.details)

    async def _maybe(self, url: object) -> JsonObject | None:
        return await self._resolver.resolve(url) if isinstance(url, str) and is_model_url(url) else None

    async def _models(self, command: ThingCommand, before: JsonObject | None, after: JsonObject | None) -> Models:
        doc = after if after is not None else before
        assert doc is not None
        thing_model = await self._maybe(doc.get("definition"))
        if thing_model is None and command.action == "delete" and before is not None:
            thing_model = await self._maybe(before.get("definition"))
        features = doc.get("features")
        features = features if isinstance(features, dict) else {}
        path = command.path
        wanted = [path[1]] if len(path) > 1 and path[0] == "features" else list(features)
        feature_models: dict[str, JsonObject] = {}
        for feature_id in wanted:
            model = await self._maybe(feature_model_url(features.get(feature_id), thing_model, feature_id))
            if model is not None:
                feature_models[feature_id] = model
        return Models(thing_model, feature_models)


class _Resolved:
    """A `ModelResolver` answering from models resolved before (or why they could not be), else from `resolver`."""

    def __init__(self, resolver: ModelResolver, resolved: Mapping[str, JsonObject | TwinhubError]) -> None:
        self._resolver = resolver
        self._resolved = resolved

    async def resolve(self, url: str) -> JsonObject:
        found = self._resolved.get(url)
        if found is None:
            return await self._resolver.resolve(url)
        if isinstance(found, TwinhubError):
            raise found
        return found


def _definitions(doc: JsonObject | None, feature_id: str | None) -> tuple[str | None, str | None]:
    """The thing's definition and the feature's first definition entry, as a dynamic section matches them."""
    if doc is None:
        return None, None
    definition = doc.get("definition")
    features = doc.get("features")
    feature = features.get(feature_id) if feature_id is not None and isinstance(features, dict) else None
    entries = feature.get("definition") if isinstance(feature, dict) else None
    first = entries[0] if isinstance(entries, list) and entries else None
    return (definition if isinstance(definition, str) else None), (first if isinstance(first, str) else None)


def _payload(carrier: LiveMessage | LiveResponse, subject: str, response: bool) -> JsonValue:
    """A message's (or its response's) payload as Ditto validates it: none is null, JSON content is its value;
    other content cannot be validated and is refused (Ditto `ThingEnforcerActor.isJsonMessageContent`)."""
    if not carrier.payload:
        return None
    content_type = (carrier.content_type or "").split(";")[0].strip().lower()
    if content_type == "application/json" or content_type.endswith("+json"):
        try:
            value: JsonValue = orjson.loads(carrier.payload)
        except orjson.JSONDecodeError:
            return carrier.payload.decode("utf-8", "replace")
        return value
    raise WotPayloadInvalid(f"Could not validate non-JSON message content type <{carrier.content_type or '?'}> "
                            f"for message {'response ' if response else ''}subject <{subject}>")
