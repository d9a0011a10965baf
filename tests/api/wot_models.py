"""Thing Models for the WoT validation and migration tests, published on a local `ModelServer` under a path unique
per test (the server's model cache keeps a URL's document for an hour)."""

from __future__ import annotations

import uuid

from tests.wot_server import ModelServer
from twinhub.model.types import JsonObject

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
