"""Thing Model validation, pure: Ditto's rules and words (doc `basic-wot-integration.md`, "Thing Model based
validation error"; `wot/validation/.../InternalValidation.java`, `InternalThingValidation.java`,
`InternalFeatureValidation.java`, `wot/api/.../DefaultWotThingModelValidator.java`)."""

from __future__ import annotations

import pytest

from twinhub.model.errors import WotPayloadInvalid
from twinhub.wot.validation import Models, ValidationConfig, check_message, check_thing_write
from twinhub.wot.validation.schema_check import schema_failures

THING_TM = {
    "properties": {"serial": {"type": "string"}, "rating": {"type": "integer", "minimum": 1}},
    "tm:optional": ["/properties/rating"],
    "actions": {"reset": {"input": {"type": "object", "properties": {"hard": {"type": "boolean"}},
                                    "required": ["hard"]}, "output": {"type": "string"}}},
    "events": {"overheated": {"data": {"type": "number"}}},
    "links": [{"rel": "tm:submodel", "href": "http://models/sensor.tm.jsonld", "instanceName": "sensor"}],
}
SENSOR_TM = {
    "properties": {"value": {"type": "number"}, "status": {"type": "object", "required": ["updatedAt", "message"],
                                                           "properties": {"message": {"type": "string"}}}},
    "tm:optional": ["/properties/status"],
}
MODELS = Models(THING_TM, {"sensor": SENSOR_TM})
ON = ValidationConfig()
THING = {"thingId": "ns:t", "definition": "http://models/thing.tm.jsonld", "attributes": {"serial": "s-1"},
         "features": {"sensor": {"properties": {"value": 1.5}}}}


def _refusal(**kwargs: object) -> WotPayloadInvalid:
    kwargs.setdefault("before", THING)
    with pytest.raises(WotPayloadInvalid) as caught:
        check_thing_write(MODELS, kwargs.pop("config", ON), **kwargs)  # type: ignore[arg-type]
    return caught.value


def test_schema_failures_are_worded_as_ditto_documents_them() -> None:
    assert schema_failures({"type": "string"}, True) == [": {type=boolean found, string expected}"]
    assert schema_failures(SENSOR_TM["properties"]["status"], {}) == [
        ": {required=[required property 'updatedAt' not found, required property 'message' not found]}"]
    assert schema_failures(SENSOR_TM["properties"]["status"], {}, required_fields=False) == []


def test_a_wrongly_typed_attribute_is_refused_with_its_pointer() -> None:
    error = _refusal(action="modify", path=("attributes", "serial"),
                     after={**THING, "attributes": {"serial": True}})
    assert error.to_json() == {
        "status": 400, "error": "wot:payload.validation.error",
        "message": "The provided payload did not conform to the specified WoT (Web of Things) model.",
        "description": "The Thing's attribute </serial> contained validation errors, check the validation details.",
        "validationDetails": {"/attributes/serial": [": {type=boolean found, string expected}"]}}


def test_a_conforming_thing_passes() -> None:
    check_thing_write(MODELS, ON, action="modify", path=(), before=None, after=THING)


def test_non_modeled_attributes_are_refused_unless_switched_off() -> None:
    after = {**THING, "attributes": {"serial": "s", "color": "red"}}
    error = _refusal(action="modify", path=("attributes",), after=after)
    assert error.description == "The Thing's attributes contained JSON fields which were not defined in the model: " \
                                "[color]"
    off = ValidationConfig.of(off=["thing.forbid.non-modeled-attributes"])
    check_thing_write(MODELS, off, action="modify", path=("attributes",), before=THING, after=after)


def test_missing_required_attributes_are_listed() -> None:
    error = _refusal(action="modify", path=("attributes",), after={**THING, "attributes": {}})
    assert error.description == "Required JSON fields were missing from the Thing's attributes"
    assert error.details == {"/attributes/serial": ["Thing's attribute <serial> is non optional and must be provided"]}


def test_a_non_optional_attribute_cannot_be_deleted_but_an_optional_one_can() -> None:
    error = _refusal(action="delete", path=("attributes", "serial"), after=None)
    assert error.description == "Could not delete Thing attribute </serial> as it is defined as non-optional in " \
                                "the model"
    check_thing_write(MODELS, ON, action="delete", path=("attributes", "rating"), before=THING, after=None)
    assert _refusal(action="delete", path=("attributes",), after=None).description == \
        "Could not delete all Thing attributes, as there are some defined as non-optional in the model"


def test_deleting_a_model_definition_is_forbidden_unless_switched_off() -> None:
    assert _refusal(action="delete", path=("definition",), after=None).description == \
        "Deleting the Thing's <definition> is not allowed"
    off = ValidationConfig.of(off=["thing.forbid.thing-description-deletion"])
    check_thing_write(MODELS, off, action="delete", path=("definition",), before=THING, after=None)


def test_missing_and_non_modeled_features_are_refused_on_whole_thing_writes() -> None:
    assert _refusal(action="modify", path=(), after={**THING, "features": {}}).description == \
        "Attempting to update the Thing with missing in the model defined features: [sensor]"
    extra = {**THING, "features": {**THING["features"], "other": {}}}  # type: ignore[dict-item]
    assert _refusal(action="modify", path=(), after=extra).description == \
        "Attempting to update the Thing with feature(s) which were not defined in the model: [other]"


def test_feature_properties_follow_the_feature_model() -> None:
    after = {**THING, "features": {"sensor": {"properties": {"value": 1, "status": {}}}}}
    error = _refusal(action="modify", path=("features", "sensor", "properties"), after=after)
    assert error.description == "The Feature <sensor>'s properties contained validation errors, check the " \
                                "validation details."
    assert error.details == {"/features/sensor/properties/status": [
        ": {required=[required property 'updatedAt' not found, required property 'message' not found]}"]}
    missing = _refusal(action="modify", path=("features", "sensor", "properties"),
                       after={**THING, "features": {"sensor": {"properties": {}}}})
    assert missing.details == {"/features/sensor/properties/value": [
        "Feature <sensor>'s property <value> is non optional and must be provided"]}


def test_desired_properties_skip_required_fields() -> None:
    after = {**THING, "features": {"sensor": {"properties": {"value": 1}, "desiredProperties": {"status": {}}}}}
    check_thing_write(MODELS, ON, action="modify", path=("features", "sensor", "desiredProperties"),
                      before=THING, after=after)


def test_a_merge_checks_only_what_it_touches() -> None:
    after = {**THING, "features": {}, "attributes": {"serial": "x"}}  # features not touched by the patch
    check_thing_write(MODELS, ON, action="merge", path=(), before=THING, after=after, patch={"attributes": {}})


def test_messages_follow_actions_and_events() -> None:
    check_message(THING_TM, ON, feature_id=None, inbox=True, subject="reset", payload={"hard": True})
    with pytest.raises(WotPayloadInvalid) as caught:
        check_message(THING_TM, ON, feature_id=None, inbox=True, subject="reset", payload={})
    assert caught.value.description == "The Thing's action <reset> input contained validation errors, check the " \
                                       "validation details."
    assert caught.value.details == {"/inbox/messages/reset": [": {required=required property 'hard' not found}"]}
    with pytest.raises(WotPayloadInvalid) as caught:
        check_message(THING_TM, ON, feature_id=None, inbox=True, subject="explode", payload=None)
    assert caught.value.description == "The Thing's message subject <explode> is not defined as known action in " \
                                       "the model: [reset]"
    with pytest.raises(WotPayloadInvalid):
        check_message(THING_TM, ON, feature_id=None, inbox=False, subject="overheated", payload="hot")


def test_unknown_aspects_are_refused() -> None:
    with pytest.raises(ValueError, match=r"thing\.forbid\.nothing"):
        ValidationConfig.of(off=["thing.forbid.nothing"])


DYNAMIC = [
    {"validation-context": {"ditto-headers-patterns": [{"ditto-originator": "^nginx:admin$"}]},
     "config-overrides": {"log-warning-instead-of-failing-api-calls": True,
                          "thing": {"forbid": {"non-modeled-attributes": False}}}},
    {"validation-context": {"thing-definition-patterns": ["^https://models\\.example/legacy-.*$"],
                            "feature-definition-patterns": ["^https://models\\.example/sensor.*$"]},
     "config-overrides": {"enabled": False}},
]


def test_dynamic_sections_override_the_calls_they_match() -> None:
    """Ditto `InternalDynamicTmValidationConfiguration`: header blocks OR, headers in a block AND, definition
    patterns OR, the three lists AND; a section without a list of a kind matches any call for it."""
    config = ValidationConfig.of(dynamic=DYNAMIC)
    admin = config.for_call({"ditto-originator": "nginx:admin"}, "https://models.example/lamp.tm.jsonld")
    assert admin.log_only and not admin.on("thing.forbid.non-modeled-attributes") and admin.enabled
    other = config.for_call({"ditto-originator": "nginx:ditto"}, "https://models.example/lamp.tm.jsonld")
    assert other == ValidationConfig()
    legacy = "https://models.example/legacy-lamp.tm.jsonld"
    assert config.for_call({}, legacy, "https://models.example/sensor-1.tm.jsonld").enabled is False
    assert config.for_call({}, legacy, None).enabled  # its feature pattern needs a feature definition
    assert config.for_call({}, legacy, "https://models.example/other.tm.jsonld").enabled


@pytest.mark.parametrize("dynamic", [
    {}, [1], [{"validation-context": {"thing-definition-patterns": ["("]}}],
    [{"config-overrides": {"thing": {"enforce": {"everything": False}}}}],
    [{"config-overrides": {"enabled": "no"}}]])
def test_bad_dynamic_sections_are_refused(dynamic: object) -> None:
    with pytest.raises(ValueError):
        ValidationConfig.of(dynamic=dynamic)  # type: ignore[arg-type]


CATEGORIZED = {
    "@context": ["https://www.w3.org/2022/wot/td/v1.1", {"ditto": "https://ditto.eclipseprojects.io/wot/ditto-extension#"}],
    "properties": {"on": {"type": "boolean", "ditto:category": "status"},
                   "level": {"type": "integer", "ditto:category": "configuration"},
                   "name": {"type": "string"}},
    "tm:optional": ["/properties/level"],
}


def _feature_write(path: tuple[str, ...], properties: object, action: str = "modify") -> None:
    thing = {"features": {"lamp": {"properties": properties}}}
    check_thing_write(Models(None, {"lamp": CATEGORIZED}), ON, action=action, path=("features", "lamp", *path),
                      before=thing, after=thing)  # type: ignore[arg-type]


def test_feature_properties_live_under_their_ditto_category() -> None:
    """Ditto's `ditto:category` (`handleDittoCategory` for features): a property of category `status` is
    `properties/status/on`; the category object itself is no non-modelled property."""
    _feature_write(("properties",), {"status": {"on": True}, "configuration": {"level": 3}, "name": "x"})
    with pytest.raises(WotPayloadInvalid) as caught:
        _feature_write(("properties",), {"status": {"on": 1}, "name": "x"})
    assert caught.value.details == {"/features/lamp/properties/status/on": [": {type=integer found, boolean expected}"]}
    with pytest.raises(WotPayloadInvalid) as caught:
        _feature_write(("properties",), {"name": "x"})
    assert caught.value.details == {"/features/lamp/properties/status/on": [
        "Feature <lamp>'s property <on> is non optional and must be provided"]}
    with pytest.raises(WotPayloadInvalid) as caught:
        _feature_write(("properties",), {"status": {"on": True, "blink": 1}, "name": "x"})
    assert caught.value.description.endswith("not defined in the model: [status/blink]")


def test_a_category_or_a_member_of_it_is_written_and_deleted_as_ditto_does() -> None:
    _feature_write(("properties", "status"), {"status": {"on": False}, "name": "x"})
    _feature_write(("properties", "status", "on"), {"status": {"on": False}, "name": "x"})
    with pytest.raises(WotPayloadInvalid) as caught:
        _feature_write(("properties", "status", "on"), {"status": {"on": "yes"}, "name": "x"})
    assert caught.value.description == "The Feature <lamp>'s property </status/on> contained validation errors, " \
                                       "check the validation details."
    with pytest.raises(WotPayloadInvalid) as caught:
        _feature_write(("properties", "status"), {"name": "x"}, action="delete")
    assert caught.value.description == "Could not delete Feature <lamp> properties category <status> as it " \
                                       "contains non-optional properties"
    with pytest.raises(WotPayloadInvalid):
        _feature_write(("properties", "status", "on"), {"name": "x"}, action="delete")
    _feature_write(("properties", "configuration", "level"), {"status": {"on": True}, "name": "x"}, action="delete")
    _feature_write(("properties", "configuration"), {"status": {"on": True}, "name": "x"}, action="delete")


def test_a_merge_checks_the_parts_it_touches_as_merged() -> None:
    """Ditto `doValidateMergeThing`: attributes as a whole when touched, each touched feature, the whole thing
    when the definition changes; a merge removing a modelled feature or a required attribute is refused."""
    without_serial = {**THING, "attributes": {}}
    with pytest.raises(WotPayloadInvalid) as caught:
        check_thing_write(MODELS, ON, action="merge", path=("attributes", "serial"), before=THING,
                          after=without_serial, patch=None)
    assert caught.value.description == "Required JSON fields were missing from the Thing's attributes"
    without_sensor = {**THING, "features": {}}
    with pytest.raises(WotPayloadInvalid) as caught:
        check_thing_write(MODELS, ON, action="merge", path=(), before=THING, after=without_sensor,
                          patch={"features": {"sensor": None}})
    assert caught.value.description.endswith("missing in the model defined features: [sensor]")
    wrong = {**THING, "features": {"sensor": {"properties": {"value": "x"}}}}
    with pytest.raises(WotPayloadInvalid):
        check_thing_write(MODELS, ON, action="merge", path=("features", "sensor", "properties", "value"),
                          before=THING, after=wrong, patch="x")
    same_definition = {**THING, "features": {}}  # untouched features are not checked when the definition stays
    check_thing_write(MODELS, ON, action="merge", path=(), before=THING, after=same_definition,
                      patch={"definition": THING["definition"], "attributes": {"serial": "s-2"}})
