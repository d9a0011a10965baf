"""The `ThingModelStore` contract on both stores: SQLite (the store's file) and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.contract.conftest import StoreOpener
from twinhub.store.postgres import PostgresStore, PostgresThingModelStore
from twinhub.store.sqlite.wot_models import SqliteThingModelStore
from twinhub.store.wot_models import ModelNameInvalid, ThingModelStore

pytestmark = pytest.mark.anyio

LAMP = b'{"@type": "tm:ThingModel", "title": "Lamp"}'
LAMP_2 = b'{"@type": "tm:ThingModel", "title": "Lamp 2"}'


@pytest.fixture
async def models(backend: str, open_store: StoreOpener, db_path: Path) -> AsyncIterator[ThingModelStore]:
    async with open_store() as store:
        if backend == "postgres":
            assert isinstance(store, PostgresStore)
            yield PostgresThingModelStore(store)
        else:
            yield SqliteThingModelStore(db_path)


async def test_put_get_and_list(models: ThingModelStore) -> None:
    assert await models.put_model("acme/lamp-1.0.0.tm.jsonld", LAMP) is True
    assert await models.put_model("Zeta.json", LAMP) is True
    assert await models.get_model("acme/lamp-1.0.0.tm.jsonld") == LAMP
    assert await models.list_models() == ["Zeta.json", "acme/lamp-1.0.0.tm.jsonld"]  # code point order


async def test_put_replaces_and_says_it_was_not_new(models: ThingModelStore) -> None:
    await models.put_model("lamp.json", LAMP)
    assert await models.put_model("lamp.json", LAMP_2) is False
    assert await models.get_model("lamp.json") == LAMP_2
    assert await models.list_models() == ["lamp.json"]


async def test_delete(models: ThingModelStore) -> None:
    await models.put_model("lamp.json", LAMP)
    assert await models.delete_model("lamp.json") is True
    assert await models.delete_model("lamp.json") is False
    assert await models.get_model("lamp.json") is None
    assert await models.delete_model("../lamp.json") is False


@pytest.mark.parametrize("name", ["", "/lamp.json", "lamp.json/", "a//b", "../x", "a/./b", "a/../b", "sp ace",
                                  "q?x", "h#x", "%2e%2e", "x" * 257])
async def test_invalid_names_are_refused_and_hold_nothing(models: ThingModelStore, name: str) -> None:
    with pytest.raises(ModelNameInvalid):
        await models.put_model(name, LAMP)
    assert await models.get_model(name) is None
    assert await models.list_models() == []
