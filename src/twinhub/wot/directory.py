"""The Thing Description of twinhub's WoT Thing Directory, `GET /.well-known/wot` (Ditto 3.9: "WoT Discovery Thing
Directory" in `basic-wot-integration.md`; `gateway/service/.../routes/wot/WotDiscoveryThingDirectoryRoute.java`)."""

from __future__ import annotations

from twinhub.model.types import JsonObject

__all__ = ["thing_directory"]


def thing_directory(base: str, template: JsonObject) -> JsonObject:
    """The directory's TD with `base` as its base URL and `template` set over its top level."""
    td: JsonObject = {
        "@context": ["https://www.w3.org/2022/wot/td/v1.1", "https://www.w3.org/2022/wot/discovery"],
        "@type": "ThingDirectory",
        "id": "urn:ditto:wot:thing-directory",
        "title": "Thing Description Directory (TDD) of Eclipse Ditto",
        "version": {"model": "1.0.0", "instance": "1.0.0"},
        "base": base,
    }
    td.update(template)
    td["properties"] = {"things": {
        "description": "Retrieve all Thing Descriptions",
        "type": "array",
        "items": {"type": "object"},
        "uriVariables": {
            "offset": {"type": "integer", "title": "Offset", "minimum": 0,
                       "description": "Number of Thing Descriptions to skip for pagination"},
            "limit": {"type": "integer", "title": "Limit", "minimum": 1,
                      "description": "Maximum number of Thing Descriptions to return"},
        },
        "readOnly": True,
        "forms": [{
            "href": "api/2/things{?offset,limit}",
            "op": "readproperty",
            "contentType": "application/json",
            "htv:statusCode": 200,
            "additionalResponses": [{"contentType": "application/td+json", "htv:statusCode": 200, "success": True}],
        }],
    }}
    td["actions"] = {"retrieveThing": {
        "description": "Retrieve a Thing Description by its Thing ID.",
        "uriVariables": {"thingId": {"@type": "ThingID", "title": "Thing ID", "type": "string",
                                     "format": "iri-reference"}},
        "output": {"type": "object", "description": "The schema is implied by the content type"},
        "safe": True,
        "idempotent": True,
        "forms": [{
            "href": "api/2/things/{thingId}",
            "htv:methodName": "GET",
            "htv:headers": [{"htv:fieldName": "Accept", "htv:fieldValue": "application/td+json"}],
            "response": {"contentType": "application/td+json", "htv:statusCode": 200},
            "additionalResponses": [{"contentType": "application/json", "htv:statusCode": 404, "success": False}],
        }],
    }}
    return td
