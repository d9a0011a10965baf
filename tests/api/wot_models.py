"""Thing Models for the WoT validation and migration tests, published on a local `ModelServer` under a path unique
per test (the server's model cache keeps a URL's document for an hour)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.wot_server import ModelServer
from twinhub.model.types import JsonObject, JsonValue

TM = {"@context": "https://www.w3.org/2022/wot/td/v1.1", "@type": "tm:ThingModel"}


def lamp(sensor_url: str, *, extra_links: list[JsonObject] | None = None) -> JsonObject:
    """A thing model: a required string `serial`, an optional integer `rating` >= 1, an action `switch` taking
    `{"on": boolean}` (required) and answering a string, an event `overheated` carrying a number; a `sensor`
    submodel."""
    return {**TM, "title": "Lamp",
            "properties": {"serial": {"type": "string"}, "rating": {"type": "integer", "minimum": 1}},
            "tm:optional": ["/properties/rating"],
            "actions": {"switch": {"input": {"type": "object", "properties": {"on": {"type": "boolean"}},
                                             "required": ["on"]}, "output": {"type": "string"}}},
            "events": {"overheated": {"data": {"type": "number"}}},
            "links": [{"rel": "tm:submodel", "href": sensor_url, "type": "application/tm+json",
                       "instanceName": "sensor"}, *(extra_links or [])]}


SENSOR = {**TM, "title": "Sensor",
          "properties": {"value": {"type": "number", "default": 0},
                         "status": {"type": "object", "required": ["updatedAt", "message"],
                                    "properties": {"message": {"type": "string"}}}},
          "tm:optional": ["/properties/status"],
          "actions": {"calibrate": {"input": {"type": "integer"}}}}

COFFEE = {**TM, "title": "Coffee", "properties": {"counter": {"type": "integer", "default": 7}}}


class Models:
    """The lamp (1.0.0), its sensor, and a lamp 1.1.0 that adds a `coffeeMaker` submodel, under a fresh prefix."""

    def __init__(self, server: ModelServer) -> None:
        prefix = "/" + uuid.uuid4().hex[:10]
        self.sensor = server.serve(prefix + "/sensor-1.0.0.tm.jsonld", SENSOR)
        self.coffee = server.serve(prefix + "/coffee-1.0.0.tm.jsonld", COFFEE)
        self.lamp = server.serve(prefix + "/lamp-1.0.0.tm.jsonld", lamp(self.sensor))
        self.lamp_next = server.serve(prefix + "/lamp-1.1.0.tm.jsonld", lamp(self.sensor, extra_links=[
            {"rel": "tm:submodel", "href": self.coffee, "type": "application/tm+json", "instanceName": "coffeeMaker"}]))

    def thing(self) -> JsonObject:
        """A thing that conforms to the lamp model."""
        return {"definition": self.lamp, "attributes": {"serial": "L-1"},
                "features": {"sensor": {"definition": [self.sensor], "properties": {"value": 21.5}}}}


# Fixtures of the test modules that use these models; a module imports the ones it needs (pytest collects a
# fixture from the test module's namespace; the function names differ from the fixture names so that a test's
# parameter does not shadow the import), so the one model server per module is written once here.
@pytest.fixture(scope="module", name="model_server")
def model_server_fixture() -> Iterator[ModelServer]:
    with ModelServer() as server:
        yield server


@pytest.fixture(name="models")
def models_fixture(model_server: ModelServer) -> Models:
    return Models(model_server)


@pytest.fixture(name="lamp")
def lamp_thing(client: httpx.Client, thing_id: str, models: Models) -> str:
    """A thing conforming to the lamp model; its path."""
    response = client.put(f"/things/{thing_id}", json=models.thing())
    assert response.status_code == 201, response.text
    return f"/things/{thing_id}"


def while_model_held(client: httpx.Client, server: ModelServer, path: str, request: tuple[str, str, JsonValue],
                     meanwhile: Callable[[], None]) -> httpx.Response:
    """`request` (method, url, body), sent by another client of the same user while the model at `path` (held by
    `server`) is asked for; `meanwhile` runs once the download has begun, then the model is served and the
    request's answer returned."""
    method, url, body = request
    with httpx.Client(base_url=client.base_url, auth=client.auth, timeout=30) as other, ThreadPoolExecutor(1) as pool:
        pending = pool.submit(other.request, method, url, json=body)
        assert server.wait_asked(path)
        meanwhile()
        server.release(path)
        return pending.result(30)
