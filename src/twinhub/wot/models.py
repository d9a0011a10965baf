"""`LocalModels`: the Thing Models kept in twinhub (`/api/2/wot/models/{name}`, a twinhub extension) on a
`ThingModelStore`, and the `ModelSource` that URL prefixes mapped to `store` read them through."""

from __future__ import annotations

from twinhub.model.errors import RequestTooLarge, ThingModelInvalid, ThingModelNameInvalid, ThingModelNotStored
from twinhub.model.json import loads
from twinhub.store.wot_models import ThingModelStore, is_valid_model_name

__all__ = ["LocalModels"]


class LocalModels:
    """Stored models: checked on the way in (a JSON object of at most `max_bytes`), kept as sent."""

    def __init__(self, store: ThingModelStore, *, max_bytes: int) -> None:
        self._store = store
        self._max_bytes = max_bytes

    async def load(self, name: str) -> bytes | None:
        """The `ModelSource` side: the stored document, or None."""
        return await self._store.get_model(name)

    async def get(self, name: str) -> bytes:
        """Raises ThingModelNameInvalid, ThingModelNotStored."""
        document = await self._store.get_model(_checked(name))
        if document is None:
            raise ThingModelNotStored(name)
        return document

    async def put(self, name: str, document: bytes) -> bool:
        """Store (or replace) the model; True if it is new. Raises ThingModelNameInvalid, a 413 for a document
        over the model size limit, ThingModelInvalid for one that is no JSON object."""
        _checked(name)
        if len(document) > self._max_bytes:
            raise RequestTooLarge(len(document), self._max_bytes)
        try:
            parsed = loads(document)
        except ValueError as exc:
            raise ThingModelInvalid(name, "The ThingModel is no valid JSON.") from exc
        if not isinstance(parsed, dict):
            raise ThingModelInvalid(name, "The ThingModel is no JSON object.")
        return await self._store.put_model(name, document)

    async def delete(self, name: str) -> None:
        """Raises ThingModelNameInvalid, ThingModelNotStored."""
        if not await self._store.delete_model(_checked(name)):
            raise ThingModelNotStored(name)

    async def names(self) -> list[str]:
        return await self._store.list_models()


def _checked(name: str) -> str:
    if not is_valid_model_name(name):
        raise ThingModelNameInvalid(name)
    return name
