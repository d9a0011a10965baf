"""Conformance: the real `ditto-client` package (Kiota, generated from Ditto's OpenAPI) drives twinhub.

Every test runs under each way of authenticating (`auth_mode`: dev-mode basic, a real `twinhub user add` user
with its password, an OpenID Connect bearer token; see `auth_modes`), each against its own server; the plain
httpx cross-checks use the same credentials as the client.

Every write made through the client is checked with plain httpx as well, and what the client parses is compared
with what plain httpx sees, so a client call that silently does nothing (or parses nothing) cannot pass.

Two things about the generated client shape these tests:
* sub-resources whose 200 response has no schema in Ditto's OpenAPI (a single attribute or feature property) are
  generated with `send_no_response_content_async`: their `get()` returns None. Their value is read through the
  client's own request pipeline (`request_adapter.send_primitive_async(..., "bytes", ...)`) and with plain httpx.
* Kiota converts additional-data strings that look like dates or UUIDs into `datetime`/`UUID`; the test data
  avoids such strings so that equality with plain JSON is meaningful.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from ditto_client.generated.ditto_client import DittoClient
from ditto_client.generated.models.advanced_error import AdvancedError
from ditto_client.generated.models.attributes import Attributes
from ditto_client.generated.models.feature import Feature
from ditto_client.generated.models.feature_properties import FeatureProperties
from ditto_client.generated.models.features import Features
from ditto_client.generated.models.new_thing import NewThing
from ditto_client.generated.models.patch_thing import PatchThing
from ditto_client.generated.models.thing import Thing
from ditto_client.generated.models.who_am_i import WhoAmI
from kiota_abstractions.base_request_configuration import RequestConfiguration
from kiota_abstractions.request_information import RequestInformation
from kiota_http.middleware.options.headers_inspection_handler_option import HeadersInspectionHandlerOption

from tests.conformance.auth_modes import AuthMode

pytestmark = [
    pytest.mark.anyio,
    # The generated request builders and kiota-abstractions warn about their own deprecated classes when first
    # imported (lazily, inside the client's methods); that is the library's business, not the server's.
    pytest.mark.filterwarnings("ignore:This class is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:GetQueryParameters is deprecated:DeprecationWarning"),
]

ATTRIBUTES: dict[str, Any] = {
    "manufacturer": "ACME demo corp.",
    "serialno": "42",
    "model": {"name": "brewer", "version": 3},
    "tags": ["kitchen", "coffee"],
    "active": True,
}
THERMOSTAT_PROPERTIES: dict[str, Any] = {
    "temperature": 21.5,
    "unit": "celsius",
    "status": {"on": True, "level": 3},
}


def new_thing() -> NewThing:
    return NewThing(
        attributes=Attributes(additional_data=json.loads(json.dumps(ATTRIBUTES))),
        features=Features(
            additional_data={
                "thermostat": Feature(
                    properties=FeatureProperties(additional_data=json.loads(json.dumps(THERMOSTAT_PROPERTIES))),
                ),
            },
        ),
    )


def inspect_headers() -> tuple[HeadersInspectionHandlerOption, RequestConfiguration[Any]]:
    """A request configuration whose option captures the response headers (Kiota's headers inspection)."""
    option = HeadersInspectionHandlerOption(inspect_request_headers=False, inspect_response_headers=True)
    return option, RequestConfiguration(options=[option])


def single_header(option: HeadersInspectionHandlerOption, name: str) -> str:
    values = option.response_headers.get(name)
    assert len(values) == 1, f"{name}: {values}"
    return next(iter(values))


async def raw_get(raw: httpx.AsyncClient, path: str) -> Any:
    response = await raw.get(path)
    assert response.status_code == 200, (path, response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


async def assert_raw_error(raw: httpx.AsyncClient, path: str, status: int, code: str) -> None:
    response = await raw.get(path)
    assert response.status_code == status, (path, response.status_code, response.text)
    assert response.json()["error"] == code


async def read_through_client(ditto: DittoClient, request: RequestInformation) -> Any:
    """GET with the client's request pipeline (auth, URL template, middleware) and parse the body as JSON."""
    content = await ditto.request_adapter.send_primitive_async(request, "bytes", {"4XX": AdvancedError})
    assert isinstance(content, bytes)
    return json.loads(content)


async def test_whoami_shows_the_authenticated_subject(ditto: DittoClient, raw: httpx.AsyncClient,
                                                     auth_mode: AuthMode) -> None:
    who = await ditto.api.two.whoami.get()
    assert isinstance(who, WhoAmI)
    assert who.default_subject == auth_mode.subject
    assert who.subjects == [auth_mode.subject]
    assert await raw_get(raw, "/whoami") == {"defaultSubject": auth_mode.subject, "subjects": [auth_mode.subject]}


async def test_wrong_credentials_get_401(wrongly_authenticated_ditto: DittoClient, raw: httpx.AsyncClient,
                                         auth_mode: AuthMode, thing_id: str) -> None:
    """A wrong password (basic) or a token signed by a key the issuer does not have (jwt) is refused with the
    client's typed 401 error; dev mode checks no password, so there the same client is let in."""
    if not auth_mode.secure:
        who = await wrongly_authenticated_ditto.api.two.whoami.get()
        assert who is not None
        assert who.default_subject == auth_mode.subject
        return
    for call in (wrongly_authenticated_ditto.api.two.whoami.get,
                 wrongly_authenticated_ditto.api.two.things.by_thing_id(thing_id).get,
                 lambda: wrongly_authenticated_ditto.api.two.things.by_thing_id(thing_id).put(new_thing())):
        with pytest.raises(AdvancedError) as raised:
            await call()
        assert raised.value.response_status_code == 401
        assert raised.value.status == 401
        assert raised.value.error == "gateway:authentication.failed"
    # the refused PUT created nothing
    await assert_raw_error(raw, f"/things/{thing_id}", 404, "things:thing.notfound")


async def test_pre_authentication_header(pre_authenticated_ditto: DittoClient, auth_mode: AuthMode) -> None:
    """`x-ditto-pre-authenticated` (the package's `PreAuthProvider`) is trusted in dev mode only: a server with
    real authentication (pre-authentication off by default) refuses it, whatever subject it claims."""
    if not auth_mode.secure:
        who = await pre_authenticated_ditto.api.two.whoami.get()
        assert who is not None
        assert who.default_subject == auth_mode.subject
        assert auth_mode.subject in (who.subjects or [])
        return
    with pytest.raises(AdvancedError) as raised:
        await pre_authenticated_ditto.api.two.whoami.get()
    assert raised.value.response_status_code == 401
    assert raised.value.error == "gateway:authentication.failed"


def default_policy(policy_id: str, subject: str) -> dict[str, Any]:
    """Ditto's implicit policy for a thing created without one (`ThingEnforcerActor.getDefaultPolicy`)."""
    grant = {"grant": ["READ", "WRITE"], "revoke": []}
    return {
        "policyId": policy_id,
        "imports": {},
        "entries": {
            "DEFAULT": {
                "subjects": {subject: {"type": "generated"}},
                "resources": {"thing:/": grant, "policy:/": grant, "message:/": grant},
                "importable": "implicit",
            },
        },
    }


async def test_created_things_get_a_default_policy_for_the_subject(
    ditto: DittoClient, raw: httpx.AsyncClient, auth_mode: AuthMode, thing_id: str
) -> None:
    put = await ditto.api.two.things.by_thing_id(thing_id).put(new_thing())
    merged_id = f"{thing_id}-merged"
    merged = await ditto.api.two.things.by_thing_id(merged_id).patch(
        PatchThing(attributes=Attributes(additional_data={"origin": "merge"})),
    )
    posted = await ditto.api.two.things.post(NewThing())
    for thing in (put, merged, posted):
        assert isinstance(thing, Thing)
        assert thing.thing_id is not None
        assert thing.policy_id == thing.thing_id
        policy = await raw_get(raw, f"/policies/{thing.thing_id}")
        assert policy == default_policy(thing.thing_id, auth_mode.subject)


async def test_put_creates_thing_and_reads_parse(ditto: DittoClient, raw: httpx.AsyncClient, thing_id: str) -> None:
    from ditto_client.generated.api.two.things.item.with_thing_item_request_builder import (
        WithThingItemRequestBuilder,
    )
    from ditto_client.generated.api.two.things.things_request_builder import ThingsRequestBuilder

    thing_api = ditto.api.two.things.by_thing_id(thing_id)
    option, config = inspect_headers()
    created = await thing_api.put(new_thing(), request_configuration=config)

    # 201 with the created thing as body, parsed into the typed model
    assert isinstance(created, Thing)
    assert created.thing_id == thing_id
    assert created.policy_id == thing_id
    assert created.attributes is not None
    assert created.attributes.additional_data == ATTRIBUTES
    assert created.features is not None
    assert created.features.additional_data == {"thermostat": {"properties": THERMOSTAT_PROPERTIES}}
    assert single_header(option, "etag") == '"rev:1"'
    assert unquote(single_header(option, "location")).endswith(f"/api/2/things/{thing_id}")

    expected = {
        "thingId": thing_id,
        "policyId": thing_id,
        "attributes": ATTRIBUTES,
        "features": {"thermostat": {"properties": THERMOSTAT_PROPERTIES}},
    }
    assert await raw_get(raw, f"/things/{thing_id}") == expected

    thing = await thing_api.get()
    assert isinstance(thing, Thing)
    assert thing.thing_id == thing_id
    assert thing.policy_id == thing_id
    assert thing.definition is None
    assert thing.attributes is not None
    assert thing.attributes.additional_data == ATTRIBUTES
    assert thing.features is not None
    assert thing.features.additional_data == expected["features"]
    assert thing.additional_data == {}

    # field selection through the generated query parameters
    selected = await thing_api.get(
        request_configuration=RequestConfiguration(
            query_parameters=WithThingItemRequestBuilder.WithThingItemRequestBuilderGetQueryParameters(
                fields="thingId,attributes/model",
            ),
        ),
    )
    assert isinstance(selected, Thing)
    assert selected.thing_id == thing_id
    assert selected.attributes is not None
    assert selected.attributes.additional_data == {"model": ATTRIBUTES["model"]}
    assert selected.policy_id is None
    assert selected.features is None

    attributes = await thing_api.attributes.get()
    assert isinstance(attributes, Attributes)
    assert attributes.additional_data == ATTRIBUTES

    features = await thing_api.features.get()
    assert isinstance(features, Features)
    assert features.additional_data == expected["features"]

    feature = await thing_api.features.by_feature_id("thermostat").get()
    assert isinstance(feature, Feature)
    assert feature.definition is None
    assert feature.properties is not None
    assert feature.properties.additional_data == THERMOSTAT_PROPERTIES

    properties = await thing_api.features.by_feature_id("thermostat").properties.get()
    assert isinstance(properties, FeatureProperties)
    assert properties.additional_data == THERMOSTAT_PROPERTIES

    # GET /things?ids=... is a collection of typed things; unknown ids are left out
    missing = f"{thing_id}-missing"
    listed = await ditto.api.two.things.get(
        request_configuration=RequestConfiguration(
            query_parameters=ThingsRequestBuilder.ThingsRequestBuilderGetQueryParameters(ids=f"{thing_id},{missing}"),
        ),
    )
    assert listed is not None
    assert [item.thing_id for item in listed] == [thing_id]
    assert listed[0].attributes is not None
    assert listed[0].attributes.additional_data == ATTRIBUTES


async def test_patch_merges_thing(ditto: DittoClient, raw: httpx.AsyncClient, thing_id: str) -> None:
    thing_api = ditto.api.two.things.by_thing_id(thing_id)
    await thing_api.put(new_thing())

    patch = PatchThing(
        attributes=Attributes(additional_data={"serialno": None, "location": "kitchen", "model": {"version": 4}}),
        features=Features(
            additional_data={
                "thermostat": {"properties": {"status": {"level": None}, "unit": "kelvin"}},
                "lamp": {"properties": {"on": False}},
            },
        ),
    )
    assert await thing_api.patch(patch) is None  # 204: merged into the existing thing

    attributes = {key: value for key, value in ATTRIBUTES.items() if key != "serialno"}
    attributes["location"] = "kitchen"
    attributes["model"] = {"name": "brewer", "version": 4}
    features = {
        "thermostat": {"properties": {"temperature": 21.5, "unit": "kelvin", "status": {"on": True}}},
        "lamp": {"properties": {"on": False}},
    }
    assert await raw_get(raw, f"/things/{thing_id}") == {
        "thingId": thing_id,
        "policyId": thing_id,
        "attributes": attributes,
        "features": features,
    }
    thing = await thing_api.get()
    assert thing is not None
    assert thing.attributes is not None
    assert thing.attributes.additional_data == attributes
    assert thing.features is not None
    assert thing.features.additional_data == features


async def test_patch_creates_missing_thing(ditto: DittoClient, raw: httpx.AsyncClient, thing_id: str) -> None:
    created = await ditto.api.two.things.by_thing_id(thing_id).patch(
        PatchThing(attributes=Attributes(additional_data={"origin": "merge"})),
    )
    assert isinstance(created, Thing)
    assert created.thing_id == thing_id
    assert created.attributes is not None
    assert created.attributes.additional_data == {"origin": "merge"}
    assert (await raw_get(raw, f"/things/{thing_id}"))["attributes"] == {"origin": "merge"}


async def test_attribute_put_read_patch_delete(ditto: DittoClient, raw: httpx.AsyncClient, thing_id: str) -> None:
    from ditto_client.generated.api.two.things.item.attributes.item.with_attribute_path_patch_request_body import (
        WithAttributePathPatchRequestBody,
    )
    from ditto_client.generated.api.two.things.item.attributes.item.with_attribute_path_put_request_body import (
        WithAttributePathPutRequestBody,
    )

    thing_api = ditto.api.two.things.by_thing_id(thing_id)
    await thing_api.put(new_thing())
    location = thing_api.attributes.by_attribute_path("location")

    # PUT (create) a new attribute; the generated body type is an object, so the value is an object
    assert await location.put(WithAttributePathPutRequestBody(additional_data={"room": "attic", "floor": 2})) is None
    assert await raw_get(raw, f"/things/{thing_id}/attributes/location") == {"room": "attic", "floor": 2}
    assert await location.get() is None  # 200; the generated GET discards the (schema-less) value
    assert await read_through_client(ditto, location.to_get_request_information()) == {"room": "attic", "floor": 2}

    # a nested path: the client sends `location%2Froom` as one path segment
    nested = thing_api.attributes.by_attribute_path("location/room")
    assert await read_through_client(ditto, nested.to_get_request_information()) == "attic"
    assert await nested.put(WithAttributePathPutRequestBody(additional_data={"name": "attic", "window": True})) is None
    assert await raw_get(raw, f"/things/{thing_id}/attributes/location/room") == {"name": "attic", "window": True}

    # PUT (replace) an existing attribute
    assert await location.put(WithAttributePathPutRequestBody(additional_data={"room": "cellar", "floor": -1})) is None
    assert await raw_get(raw, f"/things/{thing_id}/attributes/location") == {"room": "cellar", "floor": -1}

    # PATCH (merge) the attribute
    merge = WithAttributePathPatchRequestBody(additional_data={"floor": None, "wing": "east"})
    assert await location.patch(merge) is None
    assert await raw_get(raw, f"/things/{thing_id}/attributes/location") == {"room": "cellar", "wing": "east"}

    attributes = await thing_api.attributes.get()
    assert attributes is not None
    assert attributes.additional_data == {**ATTRIBUTES, "location": {"room": "cellar", "wing": "east"}}

    # DELETE it
    assert await location.delete() is None
    await assert_raw_error(raw, f"/things/{thing_id}/attributes/location", 404, "things:attribute.notfound")
    attributes = await thing_api.attributes.get()
    assert attributes is not None
    assert attributes.additional_data == ATTRIBUTES
    with pytest.raises(AdvancedError) as raised:
        await location.get()
    assert raised.value.response_status_code == 404
    assert raised.value.error == "things:attribute.notfound"
    with pytest.raises(AdvancedError) as raised:
        await location.delete()
    assert raised.value.response_status_code == 404
    assert raised.value.error == "things:attribute.notfound"


async def test_feature_put_read_delete(ditto: DittoClient, raw: httpx.AsyncClient, thing_id: str) -> None:
    thing_api = ditto.api.two.things.by_thing_id(thing_id)
    await thing_api.put(new_thing())
    lamp = thing_api.features.by_feature_id("lamp")

    definition = ["org.twinhub:lamp:1.0.0"]
    created = await lamp.put(
        Feature(definition=definition, properties=FeatureProperties(additional_data={"on": True, "brightness": 80})),
    )
    assert isinstance(created, Feature)  # 201 with the feature as body
    assert created.definition == definition
    assert created.properties is not None
    assert created.properties.additional_data == {"on": True, "brightness": 80}
    assert await raw_get(raw, f"/things/{thing_id}/features/lamp") == {
        "definition": definition,
        "properties": {"on": True, "brightness": 80},
    }

    read = await lamp.get()
    assert isinstance(read, Feature)
    assert read.definition == definition
    assert read.properties is not None
    assert read.properties.additional_data == {"on": True, "brightness": 80}

    # replacing an existing feature is a 204 without body
    assert await lamp.put(Feature(properties=FeatureProperties(additional_data={"on": False}))) is None
    assert await raw_get(raw, f"/things/{thing_id}/features/lamp") == {"properties": {"on": False}}
    read = await lamp.get()
    assert isinstance(read, Feature)
    assert read.definition is None
    assert read.properties is not None
    assert read.properties.additional_data == {"on": False}

    assert await lamp.delete() is None
    await assert_raw_error(raw, f"/things/{thing_id}/features/lamp", 404, "things:feature.notfound")
    features = await thing_api.features.get()
    assert features is not None
    assert set(features.additional_data) == {"thermostat"}
    with pytest.raises(AdvancedError) as raised:
        await lamp.get()
    assert raised.value.response_status_code == 404
    assert raised.value.error == "things:feature.notfound"


async def test_feature_property_put_read_delete(ditto: DittoClient, raw: httpx.AsyncClient, thing_id: str) -> None:
    from ditto_client.generated.api.two.things.item.features.item.properties.item.with_property_path_put_request_body import (  # noqa: E501
        WithPropertyPathPutRequestBody,
    )

    thing_api = ditto.api.two.things.by_thing_id(thing_id)
    await thing_api.put(new_thing())
    properties_api = thing_api.features.by_feature_id("thermostat").properties
    base = f"/things/{thing_id}/features/thermostat/properties"

    target = properties_api.by_property_path("target")
    assert await target.put(WithPropertyPathPutRequestBody(additional_data={"value": 22, "mode": "eco"})) is None
    assert await raw_get(raw, f"{base}/target") == {"value": 22, "mode": "eco"}
    assert await target.get() is None  # 200; the generated GET discards the (schema-less) value
    assert await read_through_client(ditto, target.to_get_request_information()) == {"value": 22, "mode": "eco"}

    nested = properties_api.by_property_path("status/level")
    assert await read_through_client(ditto, nested.to_get_request_information()) == 3

    properties = await properties_api.get()
    assert properties is not None
    assert properties.additional_data == {**THERMOSTAT_PROPERTIES, "target": {"value": 22, "mode": "eco"}}

    assert await target.delete() is None
    await assert_raw_error(raw, f"{base}/target", 404, "things:feature.property.notfound")
    with pytest.raises(AdvancedError) as raised:
        await target.get()
    assert raised.value.response_status_code == 404
    assert raised.value.error == "things:feature.property.notfound"

    # replacing all properties at once: 204, and the typed read shows the new set
    assert await properties_api.put(FeatureProperties(additional_data={"temperature": 19.0})) is None
    assert await raw_get(raw, base) == {"temperature": 19.0}
    properties = await properties_api.get()
    assert properties is not None
    assert properties.additional_data == {"temperature": 19.0}


async def test_put_replaces_existing_thing(ditto: DittoClient, raw: httpx.AsyncClient, thing_id: str) -> None:
    thing_api = ditto.api.two.things.by_thing_id(thing_id)
    await thing_api.put(new_thing())

    option, config = inspect_headers()
    replaced = await thing_api.put(
        NewThing(attributes=Attributes(additional_data={"replaced": True})), request_configuration=config
    )
    assert replaced is None  # 204: modified, no body
    assert single_header(option, "etag") == '"rev:2"'

    assert await raw_get(raw, f"/things/{thing_id}") == {
        "thingId": thing_id,
        "policyId": thing_id,
        "attributes": {"replaced": True},
    }
    thing = await thing_api.get()
    assert thing is not None
    assert thing.attributes is not None
    assert thing.attributes.additional_data == {"replaced": True}
    assert thing.features is None


async def test_delete_thing_then_get_raises_not_found(
    ditto: DittoClient, raw: httpx.AsyncClient, thing_id: str
) -> None:
    thing_api = ditto.api.two.things.by_thing_id(thing_id)
    await thing_api.put(new_thing())
    assert await raw_get(raw, f"/things/{thing_id}") is not None

    assert await thing_api.delete() is None
    await assert_raw_error(raw, f"/things/{thing_id}", 404, "things:thing.notfound")

    with pytest.raises(AdvancedError) as raised:
        await thing_api.get()
    error = raised.value
    assert error.response_status_code == 404
    assert error.status == 404
    assert error.error == "things:thing.notfound"
    assert error.message is not None
    assert thing_id in error.message
    assert "(status 404)" in str(error)

    with pytest.raises(AdvancedError) as raised:
        await thing_api.delete()
    assert raised.value.response_status_code == 404
    assert raised.value.error == "things:thing.notfound"


async def test_post_creates_thing_with_generated_id(ditto: DittoClient, raw: httpx.AsyncClient) -> None:
    from ditto_client.generated.api.two.things.things_request_builder import ThingsRequestBuilder

    option, config = inspect_headers()
    created = await ditto.api.two.things.post(
        NewThing(attributes=Attributes(additional_data={"posted": True})), request_configuration=config
    )
    assert isinstance(created, Thing)
    assert created.thing_id is not None
    namespace, _, name = created.thing_id.partition(":")
    assert namespace
    assert name
    assert created.policy_id == created.thing_id
    assert created.attributes is not None
    assert created.attributes.additional_data == {"posted": True}
    assert unquote(single_header(option, "location")).endswith(f"/api/2/things/{created.thing_id}")
    assert single_header(option, "etag") == '"rev:1"'
    assert await raw_get(raw, f"/things/{created.thing_id}") == {
        "thingId": created.thing_id,
        "policyId": created.thing_id,
        "attributes": {"posted": True},
    }

    in_namespace = await ditto.api.two.things.post(
        NewThing(),
        request_configuration=RequestConfiguration(
            query_parameters=ThingsRequestBuilder.ThingsRequestBuilderPostQueryParameters(
                namespace="org.twinhub.posted",
            ),
        ),
    )
    assert isinstance(in_namespace, Thing)
    assert in_namespace.thing_id is not None
    assert in_namespace.thing_id.startswith("org.twinhub.posted:")
    assert (await raw_get(raw, f"/things/{in_namespace.thing_id}"))["thingId"] == in_namespace.thing_id

    for thing in (created, in_namespace):
        assert thing.thing_id is not None
        assert await ditto.api.two.things.by_thing_id(thing.thing_id).delete() is None
        await assert_raw_error(raw, f"/things/{thing.thing_id}", 404, "things:thing.notfound")
