from __future__ import annotations

import pytest

from twinhub.model.errors import ResourceNotFound, ThingNotAccessible, ThingResourceNotFound
from twinhub.model.resources import Resource, classify, not_found
from twinhub.model.types import Pointer

THING_ID = "org.eclipse.ditto:fancy-thing"

CLASSIFIED: list[tuple[Pointer, Resource]] = [
    ((), Resource.THING),
    (("policyId",), Resource.POLICY_ID),
    (("definition",), Resource.DEFINITION),
    (("attributes",), Resource.ATTRIBUTES),
    (("attributes", "a"), Resource.ATTRIBUTE),
    (("attributes", "a", "b", "c"), Resource.ATTRIBUTE),
    (("attributes", "properties"), Resource.ATTRIBUTE),
    (("features",), Resource.FEATURES),
    (("features", "lamp"), Resource.FEATURE),
    (("features", "definition"), Resource.FEATURE),
    (("features", "lamp", "definition"), Resource.FEATURE_DEFINITION),
    (("features", "lamp", "properties"), Resource.FEATURE_PROPERTIES),
    (("features", "lamp", "properties", "on"), Resource.FEATURE_PROPERTY),
    (("features", "lamp", "properties", "a", "b"), Resource.FEATURE_PROPERTY),
    (("features", "lamp", "desiredProperties"), Resource.FEATURE_DESIRED_PROPERTIES),
    (("features", "lamp", "desiredProperties", "on"), Resource.FEATURE_DESIRED_PROPERTY),
    (("features", "lamp", "desiredProperties", "a", "b"), Resource.FEATURE_DESIRED_PROPERTY),
]


@pytest.mark.parametrize(("path", "resource"), CLASSIFIED)
def test_classify_names_every_thing_resource(path: Pointer, resource: Resource) -> None:
    assert classify(path) is resource


INVALID: list[Pointer] = [
    ("thingId",),
    ("_revision",),
    ("_policy",),
    ("unknown",),
    ("Attributes",),
    ("policyId", "x"),
    ("definition", "x"),
    ("features", "lamp", "unknown"),
    ("features", "lamp", "definition", "0"),
    ("features", "lamp", "Properties"),
    ("features", "lamp", "inbox"),
    ("features", "lamp", "outbox", "messages", "x"),
    ("inbox", "messages", "x"),
]


@pytest.mark.parametrize("path", INVALID)
def test_classify_rejects_paths_ditto_has_no_route_for(path: Pointer) -> None:
    with pytest.raises(ResourceNotFound) as caught:
        classify(path)
    assert caught.value.status == 404
    assert caught.value.code == "gateway:resource.notfound"
    assert "/" + "/".join(path) in caught.value.message


NOT_FOUND_CODES: list[tuple[Pointer, str]] = [
    (("policyId",), "things:policyId.notfound"),
    (("definition",), "things:definition.notfound"),
    (("attributes",), "things:attributes.notfound"),
    (("attributes", "a", "b"), "things:attribute.notfound"),
    (("features",), "things:features.notfound"),
    (("features", "lamp"), "things:feature.notfound"),
    (("features", "lamp", "definition"), "things:feature.definition.notfound"),
    (("features", "lamp", "properties"), "things:feature.properties.notfound"),
    (("features", "lamp", "properties", "on"), "things:feature.property.notfound"),
    (("features", "lamp", "desiredProperties"), "things:feature.desiredProperties.notfound"),
    (("features", "lamp", "desiredProperties", "on"), "things:feature.desiredProperty.notfound"),
]


@pytest.mark.parametrize(("path", "code"), NOT_FOUND_CODES)
def test_not_found_gives_dittos_code_per_resource(path: Pointer, code: str) -> None:
    error = not_found(THING_ID, path)
    assert isinstance(error, ThingResourceNotFound)
    assert error.code == code
    assert error.status == 404
    assert f"'{THING_ID}'" in error.message
    assert error.to_json()["error"] == code


def test_not_found_for_the_thing_itself_is_thing_notfound() -> None:
    error = not_found(THING_ID, ())
    assert isinstance(error, ThingNotAccessible)
    assert error.code == "things:thing.notfound"
    assert error.status == 404
    assert error.message == (
        f"The Thing with ID '{THING_ID}' could not be found or requester had insufficient permissions to access it."
    )


def test_not_found_messages_name_the_feature_and_the_pointer() -> None:
    assert "'lamp'" in not_found(THING_ID, ("features", "lamp")).message
    assert "'lamp'" in not_found(THING_ID, ("features", "lamp", "properties")).message
    message = not_found(THING_ID, ("features", "lamp", "desiredProperties", "a", "b")).message
    assert "'lamp'" in message
    assert "'/a/b'" in message
    assert "'/x/y'" in not_found(THING_ID, ("attributes", "x", "y")).message


def test_not_found_messages_keep_dittos_wording() -> None:
    message = not_found(THING_ID, ("attributes", "x")).message
    assert message.endswith("could not be found or requester had insufficient permissions to access it.")


@pytest.mark.parametrize("path", INVALID)
def test_not_found_for_an_unroutable_path_is_resource_notfound(path: Pointer) -> None:
    with pytest.raises(ResourceNotFound):
        not_found(THING_ID, path)
