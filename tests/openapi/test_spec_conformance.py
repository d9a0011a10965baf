"""twinhub's Things API against Ditto's own OpenAPI document (`shared/conformance/ditto-api-2.yml`).

Two tests:

* a scripted scenario (httpx) walks every Things operation the document lists through creation, reads,
  modification, merge patches, deletion and the documented error cases, and checks every response: its
  status is documented for the operation, its body matches the documented schema, its content type and
  documented headers (ETag, Location) are there and conform;
* a schemathesis run generates requests for the same operations from the document (valid and invalid
  data) and checks that the server never answers 5xx and that responses with a documented status match
  the document.

Deviations from the document are bugs unless listed, with a reason, in `spec.ACCEPTED_DEVIATIONS`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
)

from tests.openapi.spec import (
    AUTH,
    IN_SCOPE_PATHS,
    NOT_BUILT_PATHS,
    SpecClient,
    SpecNotFound,
    in_scope_operations,
    is_accepted,
    load_spec,
    locate_spec,
)
from tests.serving import Server, running_server

WHOAMI = "/api/2/whoami"
THINGS = "/api/2/things"
THING = THINGS + "/{thingId}"
POLICY_ID = THING + "/policyId"
DEFINITION = THING + "/definition"
ATTRIBUTES = THING + "/attributes"
ATTRIBUTE = ATTRIBUTES + "/{attributePath}"
FEATURES = THING + "/features"
FEATURE = FEATURES + "/{featureId}"
FEATURE_DEFINITION = FEATURE + "/definition"

STALE = '"rev:999999"'
STALE_HASH = '"hash:00000000"'

COFFEE_BREWER: dict[str, Any] = {
    "definition": "com.acme:coffeebrewer:0.1.0",
    "attributes": {
        "manufacturer": "ACME demo corp.",
        "location": "Berlin, main floor",
        "model": {"name": "Speaking coffee machine", "year": 2019},
    },
    "features": {
        "water-tank": {
            "definition": ["com.acme:watertank:1.0.0"],
            "properties": {"configuration": {"smartMode": True, "tempToHold": 44}, "status": {"waterAmount": 731}},
            "desiredProperties": {"configuration": {"smartMode": False, "tempToHold": 50}},
        },
    },
}


# -- 1. a scripted scenario, every response checked --------------------------------------------------------


def test_things_responses_conform_to_ditto_spec(ditto_spec: Any, http: httpx.Client) -> None:
    api = SpecClient(ditto_spec, http)
    thing = {"thingId": f"org.twinhub.openapi:{uuid.uuid4().hex[:12]}"}

    _whoami(api)
    _thing_lifecycle(api, thing)
    _things_collection(api, thing)
    _policy_id(api, thing)
    _definition(api, thing)
    _attributes(api, thing)
    _features(api, thing)
    for kind in ("properties", "desiredProperties"):
        _feature_properties(api, thing, kind)
    _features_removal(api, thing)
    _thing_deletion(api, thing)

    unexercised = sorted(in_scope_operations(ditto_spec) - api.exercised)
    if unexercised:
        api.problems.append(f"Operations the document lists that the scenario never called: {unexercised}")
    if api.problems:
        pytest.fail(api.report(), pytrace=False)


def _whoami(api: SpecClient) -> None:
    api.call("GET", WHOAMI, expect=200)
    api.call("GET", WHOAMI, expect=401, anonymous=True)


def _thing_lifecycle(api: SpecClient, thing: dict[str, str]) -> None:
    api.call("PUT", THING, thing, body=COFFEE_BREWER, expect=401, anonymous=True)
    api.call("PUT", THING, {"thingId": "not-a-thing-id"}, body=COFFEE_BREWER, expect=400)
    api.call("PUT", THING, thing, raw=b'{"attributes": ', expect=400)
    api.call("PUT", THING, thing, body=["not", "an", "object"], expect=400)
    api.call("PUT", THING, thing, body=COFFEE_BREWER, headers={"If-Match": "*"}, expect=412, target_missing=True)
    api.call("PUT", THING, thing, body=COFFEE_BREWER, expect=201)
    api.call("PUT", THING, thing, body=COFFEE_BREWER, headers={"If-None-Match": "*"}, expect=412)
    api.call("PUT", THING, thing, body=COFFEE_BREWER, expect=204)

    tag = api.call("GET", THING, thing, expect=200).headers.get("ETag", "")
    api.call("GET", THING, thing, headers={"If-None-Match": tag}, expect=304)
    api.call("GET", THING, thing, headers={"If-Match": STALE}, expect=412)
    api.call("GET", THING, thing, headers={"If-Match": tag}, expect=200)
    api.call("GET", THING, thing, query={"fields": "thingId,policyId,attributes(model),features/water-tank"},
             expect=200)
    api.call("GET", THING, thing, query={"fields": "thingId,policyId,_revision,_created,_modified"}, expect=200)
    api.call("GET", THING, {"thingId": "org.twinhub.openapi:never-created"}, expect=404)
    api.call("GET", THING, {"thingId": "not-a-thing-id"}, expect=400)
    api.call("GET", THING, thing, expect=401, anonymous=True)

    patch = {"attributes": {"serialno": "42", "location": None},
             "features": {"water-tank": {"properties": {"configuration": {"tempToHold": 46}}}}}
    api.call("PATCH", THING, thing, body=patch, merge=True, expect=204)
    api.call("PATCH", THING, thing, body=patch, merge=True, headers={"If-Match": STALE}, expect=412)
    api.call("PATCH", THING, thing, body={"thingId": "org.twinhub.openapi:someone-else"}, merge=True, expect=400)
    api.call("PATCH", THING, {"thingId": "not-a-thing-id"}, body=patch, merge=True, expect=400)


def _things_collection(api: SpecClient, thing: dict[str, str]) -> None:
    created = api.call("POST", THINGS, body={"attributes": {"manufacturer": "ACME"}}, expect=201)
    api.call("POST", THINGS, body={"thingId": "org.twinhub.openapi:chosen"}, expect=400)
    api.call("POST", THINGS, raw=b"[1, 2", expect=400)
    api.call("POST", THINGS, body={}, expect=401, anonymous=True)
    created_id = created.json().get("thingId") if created.status_code == 201 else None

    ids = ",".join([thing["thingId"], created_id or thing["thingId"]])
    api.call("GET", THINGS, query={"ids": ids}, expect=200)
    api.call("GET", THINGS, query={"ids": "org.twinhub.openapi:never-created"}, expect=200)
    api.call("GET", THINGS, query={"ids": "not-a-thing-id"}, expect=400)
    api.call("GET", THINGS, query={"ids": thing["thingId"]}, expect=401, anonymous=True)
    if created_id:
        api.call("DELETE", THING, {"thingId": created_id}, expect=204)


def _policy_id(api: SpecClient, thing: dict[str, str]) -> None:
    tag = api.call("GET", POLICY_ID, thing, expect=200).headers.get("ETag", "")
    api.call("GET", POLICY_ID, thing, headers={"If-None-Match": tag}, expect=304)
    api.call("GET", POLICY_ID, {"thingId": "org.twinhub.openapi:never-created"}, expect=404)
    api.call("PUT", POLICY_ID, thing, body="org.twinhub.openapi:policy-2", expect=204)
    api.call("PUT", POLICY_ID, thing, body="not a policy id", expect=400)
    api.call("PUT", POLICY_ID, thing, body="org.twinhub.openapi:policy-3", headers={"If-Match": STALE_HASH},
             expect=412)
    api.call("PATCH", POLICY_ID, thing, body="org.twinhub.openapi:policy-3", merge=True, expect=204)


def _definition(api: SpecClient, thing: dict[str, str]) -> None:
    api.call("GET", DEFINITION, thing, expect=200)
    api.call("PUT", DEFINITION, thing, body="com.acme:coffeebrewer:0.2.0", expect=204)
    api.call("PATCH", DEFINITION, thing, body="com.acme:coffeebrewer:0.3.0", merge=True, expect=204)
    api.call("PUT", DEFINITION, thing, body="no definition", expect=400)
    api.call("DELETE", DEFINITION, thing, expect=204)
    api.call("GET", DEFINITION, thing, expect=404)
    api.call("DELETE", DEFINITION, thing, expect=404)
    api.call("PUT", DEFINITION, thing, body="com.acme:coffeebrewer:1.0.0", expect=201)
    tag = api.call("GET", DEFINITION, thing, expect=200).headers.get("ETag", "")
    api.call("GET", DEFINITION, thing, headers={"If-None-Match": tag}, expect=304)
    api.call("DELETE", DEFINITION, thing, headers={"If-Match": STALE_HASH}, expect=412)


def _attributes(api: SpecClient, thing: dict[str, str]) -> None:
    api.call("GET", ATTRIBUTES, thing, expect=200)
    api.call("GET", ATTRIBUTE, {**thing, "attributePath": "model/name"}, expect=200)
    api.call("GET", ATTRIBUTE, {**thing, "attributePath": "no/such/attribute"}, expect=404)

    serial = {**thing, "attributePath": "serial/number"}
    api.call("PUT", ATTRIBUTE, serial, body="SN-0001", expect=201)
    api.call("PUT", ATTRIBUTE, serial, body="SN-0002", expect=204)
    api.call("PUT", ATTRIBUTE, serial, body="SN-0003", headers={"If-None-Match": "*"}, expect=412)
    model = {**thing, "attributePath": "model"}
    api.call("PATCH", ATTRIBUTE, model, body={"year": 2020, "name": None}, merge=True, expect=204)
    tag = api.call("GET", ATTRIBUTE, model, expect=200).headers.get("ETag", "")
    api.call("GET", ATTRIBUTE, model, headers={"If-None-Match": tag}, expect=304)
    api.call("GET", ATTRIBUTE, model, headers={"If-Match": STALE_HASH}, expect=412)
    api.call("DELETE", ATTRIBUTE, {**thing, "attributePath": "model/year"}, expect=204)
    api.call("DELETE", ATTRIBUTE, {**thing, "attributePath": "model/year"}, expect=404)
    api.call("PUT", ATTRIBUTE, {**thing, "attributePath": "blob"}, body="x" * 110_000, expect=413)

    api.call("PATCH", ATTRIBUTES, thing, body={"floor": 3, "serial": None}, merge=True, expect=204)
    api.call("PUT", ATTRIBUTES, thing, body=[1, 2, 3], expect=400)
    api.call("DELETE", ATTRIBUTES, thing, expect=204)
    api.call("GET", ATTRIBUTES, thing, expect=404)
    api.call("PUT", ATTRIBUTES, thing, body={"manufacturer": "ACME demo corp."}, expect=201)
    api.call("PUT", ATTRIBUTES, thing, body={"manufacturer": "ACME", "location": "Hamburg"}, expect=204)


def _features(api: SpecClient, thing: dict[str, str]) -> None:
    tank = {**thing, "featureId": "water-tank"}
    lamp = {**thing, "featureId": "lamp"}
    api.call("GET", FEATURES, thing, expect=200)
    api.call("GET", FEATURE, tank, expect=200)
    api.call("GET", FEATURE, {**thing, "featureId": "no-such-feature"}, expect=404)
    api.call("PUT", FEATURE, lamp, body={"properties": {"on": False}}, expect=201)
    api.call("PUT", FEATURE, lamp, body={"properties": {"on": False, "brightness": 10}}, expect=204)
    api.call("PATCH", FEATURE, lamp, body={"properties": {"on": True}}, merge=True, expect=204)
    api.call("PATCH", FEATURES, thing, body={"lamp": {"desiredProperties": {"brightness": 80}}}, merge=True,
             expect=204)
    api.call("PUT", FEATURES, thing, body="not features", expect=400)

    api.call("GET", FEATURE_DEFINITION, tank, expect=200)
    api.call("PUT", FEATURE_DEFINITION, tank, body=["com.acme:watertank:1.1.0"], expect=204)
    api.call("PATCH", FEATURE_DEFINITION, tank, body=["com.acme:watertank:1.2.0", "org.eclipse:tank:1.0.0"],
             merge=True, expect=204)
    api.call("PUT", FEATURE_DEFINITION, tank, body=["no definition"], expect=400)
    api.call("DELETE", FEATURE_DEFINITION, tank, expect=204)
    api.call("GET", FEATURE_DEFINITION, tank, expect=404)
    api.call("PUT", FEATURE_DEFINITION, tank, body=["com.acme:watertank:2.0.0"], expect=201)
    tag = api.call("GET", FEATURE_DEFINITION, tank, expect=200).headers.get("ETag", "")
    api.call("GET", FEATURE_DEFINITION, tank, headers={"If-None-Match": tag}, expect=304)


def _feature_properties(api: SpecClient, thing: dict[str, str], kind: str) -> None:
    """`properties` or `desiredProperties` of a feature: the same operations, documented separately."""
    all_of_them = FEATURE + "/" + kind
    one = all_of_them + "/{propertyPath}"
    tank = {**thing, "featureId": "water-tank"}
    api.call("GET", all_of_them, tank, expect=200)
    api.call("GET", one, {**tank, "propertyPath": "configuration/tempToHold"}, expect=200)
    api.call("GET", one, {**tank, "propertyPath": "no/such/property"}, expect=404)
    api.call("GET", one, {**thing, "featureId": "no-such-feature", "propertyPath": "x"}, expect=404)

    mode = {**tank, "propertyPath": "configuration/mode"}
    api.call("PUT", one, mode, body="eco", expect=201)
    api.call("PUT", one, mode, body="boost", expect=204)
    api.call("PUT", one, mode, body="eco", headers={"If-Match": STALE_HASH}, expect=412)
    tag = api.call("GET", one, mode, expect=200).headers.get("ETag", "")
    api.call("GET", one, mode, headers={"If-None-Match": tag}, expect=304)
    api.call("PATCH", one, {**tank, "propertyPath": "configuration"}, body={"smartMode": None, "level": 3},
             merge=True, expect=204)
    api.call("DELETE", one, mode, expect=204)
    api.call("DELETE", one, mode, expect=404)
    api.call("PUT", one, {**thing, "featureId": "no-such-feature", "propertyPath": "x"}, body=1, expect=404)

    api.call("PATCH", all_of_them, tank, body={"status": {"waterAmount": 500}}, merge=True, expect=204)
    api.call("PUT", all_of_them, tank, body={"configuration": {"tempToHold": 40}}, expect=204)
    api.call("PUT", all_of_them, tank, body=[40], expect=400)
    api.call("DELETE", all_of_them, tank, expect=204)
    api.call("GET", all_of_them, tank, expect=404)
    api.call("PUT", all_of_them, tank, body={"configuration": {"tempToHold": 42}}, expect=201)


def _features_removal(api: SpecClient, thing: dict[str, str]) -> None:
    lamp = {**thing, "featureId": "lamp"}
    api.call("DELETE", FEATURE, lamp, expect=204)
    api.call("DELETE", FEATURE, lamp, expect=404)
    api.call("DELETE", FEATURES, thing, headers={"If-Match": STALE_HASH}, expect=412)
    api.call("DELETE", FEATURES, thing, expect=204)
    api.call("GET", FEATURES, thing, expect=404)
    api.call("PUT", FEATURES, thing, body={"lamp": {"properties": {"on": True}}}, expect=201)
    api.call("PUT", FEATURES, thing, body={"lamp": {"properties": {"on": False}}}, expect=204)


def _thing_deletion(api: SpecClient, thing: dict[str, str]) -> None:
    api.call("DELETE", THING, thing, headers={"If-Match": STALE}, expect=412)
    api.call("DELETE", THING, {"thingId": "not-a-thing-id"}, expect=400)
    api.call("DELETE", THING, thing, expect=401, anonymous=True)
    api.call("DELETE", THING, thing, expect=204)
    api.call("GET", THING, thing, expect=404)
    api.call("DELETE", THING, thing, expect=404)


# -- 2. a property-based run: generated requests, no 5xx, documented statuses as documented -----------------
#
# schemathesis' pytest integration needs the schema when the module is collected (its fixture-based
# `from_fixture` breaks on pytest 9.2), so the document is loaded here; the server comes from fixtures and
# is passed at call time.

MAX_EXAMPLES = 30
FUZZ_CHECKS = [not_a_server_error, content_type_conformance, response_headers_conformance,
               response_schema_conformance]
# Never reached: a case called without the fuzz server's URL must not go to the document's first server,
# Ditto's public sandbox.
UNREACHABLE = "http://127.0.0.1:9"

# Things that exist while the fuzzer runs, so that generated requests also reach twinhub's 2xx paths;
# each is put back after every request that may have changed it.
SEED_THINGS: dict[str, dict[str, Any]] = {
    "org.twinhub.fuzz:coffee-brewer": {
        **COFFEE_BREWER,
        "features": {
            **COFFEE_BREWER["features"],
            "lamp": {"properties": {"on": True, "configuration": {"tempToHold": 1}},
                     "desiredProperties": {"status": {"waterAmount": 0}}},
        },
    },
    "org.twinhub.fuzz:bare": {},
}
KNOWN_VALUES: dict[str, tuple[str, ...]] = {
    "thingId": tuple(SEED_THINGS),
    "featureId": ("water-tank", "lamp"),
    "attributePath": ("manufacturer", "model", "model/name"),
    "propertyPath": ("configuration", "configuration/tempToHold", "status/waterAmount"),
}
VALID_TIMEOUTS = ("10", "10s", "500ms", "1m")
COVERAGE_PATH_PLACEHOLDER = "0"


def _known_path_parameters(context: Any, generated: Any) -> st.SearchStrategy[Any]:
    """`flatmap_path_parameters` hook: the generated path parameters, or ones naming seeded things and their
    parts, or generated ones on a seeded thing."""
    names = [parameter.name for parameter in context.operation.path_parameters if parameter.name in KNOWN_VALUES]
    if not names or not isinstance(generated, dict):
        return st.just(generated)
    known = st.fixed_dictionaries({name: st.sampled_from(KNOWN_VALUES[name]) for name in names})
    on_known_thing = st.sampled_from(KNOWN_VALUES["thingId"]).map(lambda thing_id: {**generated, "thingId": thing_id})
    return st.one_of(known.map(lambda values: {**generated, **values}), st.just(generated), on_known_thing)


def _realistic_query(context: Any, generated: Any) -> st.SearchStrategy[Any]:
    """`flatmap_query` hook: the generated query, or the same with a valid `timeout` (a generated one is mostly
    refused with 400 before anything else is looked at); `GET /api/2/things` also gets the ids of seeded
    things."""
    if not isinstance(generated, dict | None):
        return st.just(generated)
    query = generated or {}
    options = [st.just(generated)]
    if "timeout" in query:
        options.append(st.sampled_from(VALID_TIMEOUTS).map(lambda timeout: {**query, "timeout": timeout}))
    if context.operation.label == f"GET {THINGS}":
        ids = st.lists(st.sampled_from(KNOWN_VALUES["thingId"]), min_size=1, max_size=3).map(",".join)
        options.append(ids.map(lambda value: {**query, "ids": value}))
    return st.one_of(*reversed(options))


def _coverage_on_seeded_things(context: Any, case: Any) -> Any:
    """`map_case` hook: the coverage phase varies one part of a request at a time and fills the rest with
    placeholders: "0" for path parameters, "" for other strings. twinhub refuses "0" as a thing id, "" as a
    timeout or policy id and fails "" as an If-(None-)Match precondition before it looks at anything else, so
    those placeholders become a seeded thing and its parts, a valid timeout, valid ids and no precondition."""
    if case.meta is None or case.meta.phase.name != "coverage":
        return case
    for name, value in (case.path_parameters or {}).items():
        if value == COVERAGE_PATH_PLACEHOLDER and name in KNOWN_VALUES:
            case.path_parameters[name] = KNOWN_VALUES[name][0]
    if case.query and case.query.get("timeout") == "":
        case.query["timeout"] = VALID_TIMEOUTS[0]
    if isinstance(case.body, dict):
        thing_id = (case.path_parameters or {}).get("thingId", KNOWN_VALUES["thingId"][0])
        if case.body.get("policyId") == "":
            case.body["policyId"] = thing_id
        if case.body.get("thingId") == "":
            case.body["thingId"] = thing_id
    for name in ("If-Match", "If-None-Match"):
        if case.headers and case.headers.get(name) == "":
            del case.headers[name]
    return case


def _not_accepted(context: Any, failure: Any, case: Any, response: Any) -> bool:
    """`filter_failure` hook: keep every failure that is not an accepted deviation."""
    return not is_accepted(case.operation.label, response.status_code, failure, case.query or {})


def _fuzz_schema() -> Any:
    """The document's Things operations, set up for generation; None when the document is missing."""
    try:
        path = locate_spec()
    except SpecNotFound:
        return None
    schema = load_spec(path).include(path_regex=IN_SCOPE_PATHS).exclude(path_regex=NOT_BUILT_PATHS)
    schema.config.update(base_url=UNREACHABLE, basic_auth=AUTH)
    schema.config.generation.update(modes=list(GenerationMode), max_examples=MAX_EXAMPLES)
    schema.hook("flatmap_path_parameters")(_known_path_parameters)
    schema.hook("flatmap_query")(_realistic_query)
    schema.hook("map_case")(_coverage_on_seeded_things)
    schema.hook("filter_failure")(_not_accepted)
    return schema


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(tmp_path_factory.mktemp("fuzz") / "data") as server:
        with httpx.Client(base_url=server.base_url, auth=AUTH) as http:
            for thing_id, thing in SEED_THINGS.items():
                assert http.put(f"{THINGS}/{thing_id}", json=thing).status_code == 201
        yield server


@pytest.fixture(scope="module")
def fuzz_http(fuzz_server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=fuzz_server.base_url, auth=AUTH, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def fuzz_session() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


FUZZ_SCHEMA = _fuzz_schema()

if FUZZ_SCHEMA is not None:

    @pytest.mark.slow
    @settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
    @FUZZ_SCHEMA.parametrize()
    def test_things_api_withstands_generated_requests(case: Any, fuzz_server: Server, fuzz_http: httpx.Client,
                                                      fuzz_session: requests.Session) -> None:
        try:
            response = case.call(base_url=fuzz_server.base_url, session=fuzz_session)
            case.validate_response(response, checks=FUZZ_CHECKS)
        finally:
            thing_id = (case.path_parameters or {}).get("thingId")
            if case.method.upper() != "GET" and thing_id in SEED_THINGS:
                restored = fuzz_http.put(f"{THINGS}/{thing_id}", json=SEED_THINGS[thing_id])
                assert restored.status_code in (201, 204), f"could not restore {thing_id}: {restored.text}"

else:

    @pytest.mark.slow
    def test_things_api_withstands_generated_requests(ditto_spec_path: Path) -> None:
        raise AssertionError("unreachable: the ditto_spec_path fixture fails when the document is missing")
