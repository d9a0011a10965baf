"""WotService's skeletons against models served over real HTTP (Ditto: `DefaultWotThingSkeletonGenerator`,
`throw-exception-on-wot-errors` in `things.conf` `tm-based-creation`, `generate-defaults-for-optional-properties`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from tests.wot_server import ModelServer
from twinhub.model.errors import ThingModelNotAccessible
from twinhub.model.types import MISSING
from twinhub.store.sqlite.wot_models import SqliteThingModelStore
from twinhub.wot import FetchLimits, ThingModelFetcher, ThingModelResolver
from twinhub.wot.models import LocalModels
from twinhub.wot.service import SkeletonOptions, WotService
from twinhub.wot.skeleton import initial_value

pytestmark = pytest.mark.anyio

Factory = Callable[[SkeletonOptions], WotService]


@pytest.fixture
async def service(tmp_path: Path) -> AsyncIterator[Factory]:
    models = LocalModels(SqliteThingModelStore(tmp_path / "things.db"), max_bytes=1024 * 1024)
    async with ThingModelFetcher(FetchLimits(timeout=2)) as fetcher:
        yield lambda options: WotService(ThingModelResolver(fetcher), models, skeletons=options)


async def test_a_failing_model_gives_no_skeleton_unless_strict(models: ModelServer, service: Factory) -> None:
    url = models.url("/missing.tm.jsonld")

    assert await service(SkeletonOptions()).thing_skeleton(url) is None
    with pytest.raises(ThingModelNotAccessible):
        await service(SkeletonOptions(strict=True)).thing_skeleton(url)


async def test_optional_properties_get_values_only_when_configured(models: ModelServer, service: Factory) -> None:
    url = models.serve("/opt.tm.jsonld", {"@type": "tm:ThingModel", "tm:optional": ["/properties/b"],
                                          "properties": {"a": {"type": "integer"}, "b": {"type": "string"}}})

    assert await service(SkeletonOptions()).thing_skeleton(url) == {"attributes": {"a": 0}}
    assert await service(SkeletonOptions(with_optional=True)).thing_skeleton(url) == {"attributes": {"a": 0, "b": ""}}


@pytest.mark.parametrize(("schema", "value"), [
    ({"type": "integer", "const": 7, "default": 3}, 7),
    ({"type": "integer", "default": 3}, 3),
    ({"type": "boolean"}, False),
    ({"type": "number"}, 0.0),
    ({"type": "string", "format": "time"}, "00:00:00Z"),
    ({"type": "null"}, None),
    ({"type": "object", "required": ["x", "y"], "properties": {"x": {"type": "integer"}, "y": {}, "z": {}}},
     {"x": 0, "y": None}),
    ({"type": "object"}, {}),
    ({"type": "array"}, []),
])
def test_initial_values_follow_dittos_rules(schema: dict[str, object], value: object) -> None:
    assert initial_value(schema) == value


def test_a_schema_without_type_or_value_gives_none() -> None:
    assert initial_value({"description": "free"}) is MISSING
