"""twinhub's Things and Policies APIs against Ditto's own OpenAPI document (`shared/conformance/ditto-api-2.yml`).

Three tests:

* two scripted scenarios (httpx), one for the Things API and whoami, one for the Policies API and
  checkPermissions, walk every operation the document lists for them through creation, reads,
  modification, merge patches, deletion and the documented error cases, and check every response: its
  status is documented for the operation, its body matches the documented schema, its content type and
  documented headers (ETag, Location) are there and conform;
* a schemathesis run generates requests for all those operations from the document (valid and invalid
  data) and checks that the server never answers 5xx and that responses with a documented status match
  the document.

Deviations from the document are bugs unless listed, with a reason, in `spec.ACCEPTED_DEVIATIONS`.
"""

from __future__ import annotations

import base64
import contextlib
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
import requests
from hypothesis import HealthCheck, Phase, settings
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
    POLICIES_API_PATHS,
    THINGS_API_PATHS,
    SpecClient,
    SpecNotFound,
    in_scope_operations,
    is_accepted,
    load_spec,
    locate_spec,
)
from twinhub.testing import Server, running_server

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

POLICY = "/api/2/policies/{policyId}"
ENTRIES = POLICY + "/entries"
ENTRY = ENTRIES + "/{label}"
SUBJECTS = ENTRY + "/subjects"
SUBJECT = SUBJECTS + "/{subjectId}"
RESOURCES = ENTRY + "/resources"
RESOURCE = RESOURCES + "/{resourcePath}"
IMPORTABLE = ENTRY + "/importable"
NAMESPACES = ENTRY + "/namespaces"
ALLOWED_ADDITIONS = ENTRY + "/allowedAdditions"
REFERENCES = ENTRY + "/references"
IMPORTS = POLICY + "/imports"
IMPORT = IMPORTS + "/{importedPolicyId}"
IMPORT_ENTRIES = IMPORT + "/entries"
TRANSITIVE_IMPORTS = IMPORT + "/transitiveImports"
CHECK_PERMISSIONS = "/api/2/checkPermissions"

STALE = '"rev:999999"'
STALE_HASH = '"hash:00000000"'

CALLER = f"nginx:{AUTH[0]}"  # the subject the scenario's requests authenticate as (dev mode)
READ = {"grant": ["READ"], "revoke": []}
READ_WRITE = {"grant": ["READ", "WRITE"], "revoke": []}
# An entry granting the caller everything, as Ditto's documentation suggests for a policy's first entry.
OWNER_ENTRY: dict[str, Any] = {
    "subjects": {CALLER: {"type": "the caller"}},
    "resources": {"policy:/": READ_WRITE, "thing:/": READ_WRITE, "message:/": READ_WRITE},
}
# A policy the caller may read and change, and that gives it things: the target of a thing's policyId.
CALLERS_POLICY: dict[str, Any] = {"entries": {"owner": {
    "subjects": {CALLER: {"type": "the caller"}},
    "resources": {"thing:/": READ_WRITE, "policy:/": READ_WRITE},
}}}

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

    _require_every_operation(api, THINGS_API_PATHS)


def _require_every_operation(api: SpecClient, within: str) -> None:
    """Fail with every problem found, and with the operations of the scenario's part of the API (`within`)
    that it never called."""
    unexercised = sorted(in_scope_operations(api.schema, within) - api.exercised)
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
    # A thing's policyId must name an existing policy (else 404 `policies:policy.notfound`, as in Ditto), one
    # that lets the caller go on with the thing.
    api.call("PUT", POLICY_ID, thing, body="org.twinhub.openapi:policy-never-created", expect=404,
             error="policies:policy.notfound")
    for policy_id in ("org.twinhub.openapi:policy-2", "org.twinhub.openapi:policy-3"):
        api.call("PUT", POLICY, {"policyId": policy_id}, body=CALLERS_POLICY, expect=201)
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


# -- 2. the Policies API and checkPermissions, scripted, every response checked ------------------------------


def test_policies_responses_conform_to_ditto_spec(ditto_spec: Any, http: httpx.Client) -> None:
    api = SpecClient(ditto_spec, http)
    suffix = uuid.uuid4().hex[:12]
    policy = {"policyId": f"org.twinhub.openapi:policy-{suffix}"}
    template = {"policyId": f"org.twinhub.openapi:template-{suffix}"}

    _policy_lifecycle(api, policy)
    _policy_without_access(api, suffix)
    _policy_lockout(api, suffix)
    _policy_entries(api, policy)
    _policy_subjects(api, policy)
    _policy_resources(api, policy)
    _policy_entry_parts(api, policy)
    _policy_imports(api, policy, template, suffix)
    _check_permissions(api, policy, suffix)
    _policy_methods_not_allowed(api, policy)
    _policy_deletion(api, policy)

    _require_every_operation(api, POLICIES_API_PATHS)


def _policy_lifecycle(api: SpecClient, policy: dict[str, str]) -> None:
    owned = {"entries": {"owner": OWNER_ENTRY}}
    api.call("PUT", POLICY, policy, body=owned, expect=401, anonymous=True)
    api.call("PUT", POLICY, {"policyId": "not-a-policy-id"}, body=owned, expect=400, error="policies:id.invalid")
    api.call("PUT", POLICY, policy, raw=b'{"entries": ', expect=400)
    api.call("PUT", POLICY, policy, body=["not", "an", "object"], expect=400)
    api.call("PUT", POLICY, policy, body={"entries": {"importedOwner": OWNER_ENTRY}}, expect=400,
             error="policies:label.invalid")
    api.call("PUT", POLICY, policy, body={"entries": {"owner": {**OWNER_ENTRY, "subjects": {CALLER: {}}}}},
             expect=400)
    api.call("PUT", POLICY, policy, body={**owned, "policyId": "org.twinhub.openapi:another"}, expect=400,
             error="policies:id.notsettable")
    too_large = {"entries": {"owner": {**OWNER_ENTRY, "subjects": {CALLER: {"type": "x" * 110_000}}}}}
    api.call("PUT", POLICY, policy, body=too_large, expect=413, error="policies:policy.toolarge")
    api.call("PUT", POLICY, policy, body=owned, headers={"If-Match": "*"}, expect=412, target_missing=True)
    # Creating a policy that does not let its creator write it needs `allow-policy-lockout` (Ditto answers
    # `policies:policy.notcreatable`, PolicyCommandEnforcement.authorizeCreatePolicy).
    others = {"entries": {"admin": {"subjects": {"nginx:someone-else": {"type": "another admin"}},
                                    "resources": {"policy:/": READ_WRITE}}}}
    api.call("PUT", POLICY, policy, body=others, expect=403, error="policies:policy.notcreatable")

    api.call("PUT", POLICY, policy, body=owned, expect=201)
    api.call("PUT", POLICY, policy, body=owned, headers={"If-None-Match": "*"}, expect=412,
             error="policies:precondition.failed")
    api.call("PUT", POLICY, policy, body=owned, expect=204)
    # `{{ request:subjectId }}` stands for the caller in a written policy (Ditto's placeholder substitution).
    by_placeholder = {"entries": {"owner": {**OWNER_ENTRY, "subjects": {"{{ request:subjectId }}": {"type": "me"}}}}}
    api.call("PUT", POLICY, policy, body=by_placeholder, expect=204)
    api.call("GET", SUBJECT, {**policy, "label": "owner", "subjectId": CALLER}, expect=200)
    api.call("PUT", POLICY, policy, body=owned, expect=204)
    # Replacing it with a policy nobody may write any more is refused (Ditto's PoliciesValidator).
    nobody_writes = {"entries": {"owner": {**OWNER_ENTRY, "resources": {"policy:/": READ, "thing:/": READ_WRITE}}}}
    api.call("PUT", POLICY, policy, body=nobody_writes, expect=403, error="policies:policy.modificationinvalid")

    tag = api.call("GET", POLICY, policy, expect=200).headers.get("ETag", "")
    api.call("GET", POLICY, policy, headers={"If-None-Match": tag}, expect=304)
    api.call("GET", POLICY, policy, headers={"If-Match": STALE}, expect=412, error="policies:precondition.failed")
    api.call("GET", POLICY, policy, headers={"If-Match": tag}, expect=200)
    api.call("GET", POLICY, policy, query={"fields": "policyId,entries/owner/resources"}, expect=200)
    api.call("GET", POLICY, policy, query={"fields": "entries(owner)"}, expect=200)
    api.call("GET", POLICY, {"policyId": "org.twinhub.openapi:never-created"}, expect=404,
             error="policies:policy.notfound")
    api.call("GET", POLICY, {"policyId": "not-a-policy-id"}, expect=400, error="policies:id.invalid")
    api.call("GET", POLICY, policy, expect=401, anonymous=True)


def _policy_without_access(api: SpecClient, suffix: str) -> None:
    """Policies the caller created with `allow-policy-lockout`: one it may only read, one it may not even see."""
    lockout = {"allow-policy-lockout": "true"}
    admin = {"subjects": {"nginx:someone-else": {"type": "another admin"}}, "resources": {"policy:/": READ_WRITE}}
    read_only = {"policyId": f"org.twinhub.openapi:read-only-{suffix}"}
    body = {"entries": {"admin": admin, "reader": {"subjects": {CALLER: {"type": "the caller"}},
                                                   "resources": {"policy:/": READ}}}}
    api.call("PUT", POLICY, read_only, body=body, query=lockout, expect=201)
    api.call("GET", POLICY, read_only, expect=200)
    api.call("PUT", POLICY, read_only, body=body, expect=403, error="policies:policy.notmodifiable")
    api.call("PUT", ENTRIES, read_only, body=body["entries"], expect=403, error="policies:policy.notmodifiable")
    api.call("PUT", ENTRY, {**read_only, "label": "reader"}, body=OWNER_ENTRY, expect=403,
             error="policies:entry.notmodifiable")
    api.call("DELETE", POLICY, read_only, expect=403, error="policies:policy.notmodifiable")

    hidden = {"policyId": f"org.twinhub.openapi:hidden-{suffix}"}
    api.call("PUT", POLICY, hidden, body={"entries": {"admin": admin}}, query=lockout, expect=201)
    api.call("GET", POLICY, hidden, expect=404, error="policies:policy.notfound")
    api.call("GET", ENTRIES, hidden, expect=404, error="policies:policy.notfound")
    # Ditto checks WRITE only (PolicyCommandEnforcement), so a write to a policy the caller cannot even read
    # is `notmodifiable` too.
    api.call("PUT", ENTRIES, hidden, body={"admin": admin}, expect=403, error="policies:policy.notmodifiable")


def _policy_lockout(api: SpecClient, suffix: str) -> None:
    """Ditto's rule: a change may take the caller's own WRITE on policy:/ away as long as some permanent
    subject keeps it (`allow-policy-lockout` matters on creation only); the caller then sees no more."""
    shared = {"policyId": f"org.twinhub.openapi:shared-{suffix}"}
    owner = {**shared, "label": "owner"}
    admin = {"subjects": {"nginx:someone-else": {"type": "another admin"}}, "resources": {"policy:/": READ_WRITE}}
    api.call("PUT", POLICY, shared, body={"entries": {"owner": OWNER_ENTRY, "admin": admin}}, expect=201)
    api.call("PUT", RESOURCE, {**owner, "resourcePath": "policy:/"}, body=READ, expect=204)
    api.call("PUT", SUBJECTS, owner, body={"nginx:friend": {"type": "a friend"}}, expect=403,
             error="policies:subjects.notmodifiable")  # the caller no longer holds WRITE on policy:/
    api.call("GET", POLICY, shared, expect=200)


def _policy_entries(api: SpecClient, policy: dict[str, str]) -> None:
    owner = {**policy, "label": "owner"}
    reader = {**policy, "label": "reader"}
    never_created = {"policyId": "org.twinhub.openapi:never-created"}
    reader_entry = {"subjects": {"nginx:reader": {"type": "a reader"}}, "resources": {"thing:/": READ}}

    tag = api.call("GET", ENTRIES, policy, expect=200).headers.get("ETag", "")
    api.call("GET", ENTRIES, policy, headers={"If-None-Match": tag}, expect=304)
    api.call("GET", ENTRIES, policy, headers={"If-Match": STALE_HASH}, expect=412)
    api.call("GET", ENTRIES, never_created, expect=404)
    api.call("PUT", ENTRIES, policy, body={"owner": OWNER_ENTRY, "reader": reader_entry}, expect=204)
    api.call("PUT", ENTRIES, policy, body={"owner": OWNER_ENTRY}, headers={"If-Match": STALE_HASH}, expect=412)
    api.call("PUT", ENTRIES, policy, body=[OWNER_ENTRY], expect=400)
    api.call("PUT", ENTRIES, policy, body={"reader": reader_entry}, expect=403,
             error="policies:policy.modificationinvalid")  # Ditto names the policy for the whole collection
    api.call("PUT", ENTRIES, never_created, body={"owner": OWNER_ENTRY}, expect=404)

    tag = api.call("GET", ENTRY, owner, expect=200).headers.get("ETag", "")
    api.call("GET", ENTRY, owner, headers={"If-None-Match": tag}, expect=304)
    api.call("GET", ENTRY, owner, headers={"If-Match": STALE_HASH}, expect=412, error="policies:precondition.failed")
    api.call("GET", ENTRY, {**policy, "label": "no-such-entry"}, expect=404, error="policies:entry.notfound")
    api.call("GET", ENTRY, {**never_created, "label": "owner"}, expect=404)

    api.call("DELETE", ENTRY, reader, expect=204)
    api.call("DELETE", ENTRY, reader, expect=404, error="policies:entry.notfound")
    api.call("PUT", ENTRY, reader, body=reader_entry, headers={"If-Match": "*"}, expect=412, target_missing=True)
    api.call("PUT", ENTRY, reader, body=reader_entry, expect=201)
    api.call("PUT", ENTRY, reader, body=reader_entry, headers={"If-None-Match": "*"}, expect=412)
    api.call("PUT", ENTRY, reader, body=reader_entry, expect=204)
    api.call("PUT", ENTRY, {**policy, "label": "imported-entry"}, body=reader_entry, expect=400,
             error="policies:label.invalid")
    api.call("PUT", ENTRY, reader, body={"subjects": "nginx:reader"}, expect=400)
    api.call("PUT", ENTRY, reader, body={**reader_entry, "resources": ["thing:/"]}, expect=400)
    api.call("PUT", ENTRY, {**never_created, "label": "owner"}, body=OWNER_ENTRY, expect=404)
    # Taking the caller's (and everybody's) WRITE on policy:/ away: Ditto's PoliciesValidator refuses it for the
    # entry (`policies:entry.modificationinvalid`).
    api.call("PUT", ENTRY, owner, body={**OWNER_ENTRY, "resources": {"policy:/": READ}}, expect=403,
             error="policies:entry.modificationinvalid")
    api.call("DELETE", ENTRY, owner, expect=403, error="policies:entry.modificationinvalid")
    api.call("DELETE", ENTRY, reader, headers={"If-Match": STALE_HASH}, expect=412)


def _policy_subjects(api: SpecClient, policy: dict[str, str]) -> None:
    owner = {**policy, "label": "owner"}
    guest = {**owner, "subjectId": "nginx:guest"}
    expiring = {"type": "a guest", "expiry": "2099-01-01T00:00:00Z"}

    tag = api.call("GET", SUBJECTS, owner, expect=200).headers.get("ETag", "")
    api.call("GET", SUBJECTS, owner, headers={"If-None-Match": tag}, expect=304)
    api.call("GET", SUBJECTS, owner, headers={"If-Match": STALE_HASH}, expect=412)
    api.call("GET", SUBJECTS, {**policy, "label": "no-such-entry"}, expect=404)
    api.call("PUT", SUBJECTS, owner, body={CALLER: {"type": "the caller"}, "nginx:friend": expiring}, expect=204)
    # Only an expiring subject left with WRITE on policy:/ (Ditto's PoliciesValidator wants a permanent one).
    api.call("PUT", SUBJECTS, owner, body={"nginx:friend": expiring}, expect=403,
             error="policies:entry.modificationinvalid")
    api.call("PUT", SUBJECTS, owner, body={CALLER: "the caller"}, expect=400)
    api.call("PUT", SUBJECTS, owner, body={CALLER: {"type": "the caller"}}, headers={"If-Match": STALE_HASH},
             expect=412)
    api.call("PUT", SUBJECTS, {**policy, "label": "no-such-entry"}, body={CALLER: {"type": "the caller"}},
             expect=404)

    tag = api.call("GET", SUBJECT, {**owner, "subjectId": CALLER}, expect=200).headers.get("ETag", "")
    api.call("GET", SUBJECT, {**owner, "subjectId": CALLER}, headers={"If-None-Match": tag}, expect=304)
    api.call("GET", SUBJECT, {**owner, "subjectId": CALLER}, headers={"If-Match": STALE_HASH}, expect=412)
    api.call("GET", SUBJECT, {**owner, "subjectId": "nginx:friend"}, expect=200)
    api.call("GET", SUBJECT, guest, expect=404, error="policies:subject.notfound")
    api.call("PUT", SUBJECT, guest, body=expiring, expect=201)
    api.call("PUT", SUBJECT, guest, body={**expiring, "expiry": "2098-06-30T12:34:56Z"}, expect=204)
    api.call("PUT", SUBJECT, guest, body=expiring, headers={"If-None-Match": "*"}, expect=412)
    api.call("PUT", SUBJECT, guest, body={**expiring, "expiry": "2001-01-01T00:00:00Z"}, expect=400,
             error="policies:subjectexpiry.invalid")
    api.call("PUT", SUBJECT, guest, body={**expiring, "expiry": "next tuesday"}, expect=400,
             error="policies:subjectexpiry.invalid")
    api.call("PUT", SUBJECT, guest, body={"expiry": expiring["expiry"]}, expect=400)
    api.call("PUT", SUBJECT, {**policy, "label": "no-such-entry", "subjectId": "nginx:guest"}, body=expiring,
             expect=404)
    api.call("DELETE", SUBJECT, guest, headers={"If-Match": STALE_HASH}, expect=412)
    api.call("DELETE", SUBJECT, guest, expect=204)
    api.call("DELETE", SUBJECT, guest, expect=404, error="policies:subject.notfound")
    api.call("DELETE", SUBJECT, {**owner, "subjectId": CALLER}, expect=403,
             error="policies:entry.modificationinvalid")


def _policy_resources(api: SpecClient, policy: dict[str, str]) -> None:
    owner = {**policy, "label": "owner"}
    lamp = {**owner, "resourcePath": "thing:/features/lamp"}
    no_lamp_writes = {"grant": [], "revoke": ["WRITE"]}

    tag = api.call("GET", RESOURCES, owner, expect=200).headers.get("ETag", "")
    api.call("GET", RESOURCES, owner, headers={"If-None-Match": tag}, expect=304)
    api.call("GET", RESOURCES, owner, headers={"If-Match": STALE_HASH}, expect=412)
    api.call("GET", RESOURCES, {**policy, "label": "no-such-entry"}, expect=404)

    api.call("GET", RESOURCE, lamp, expect=404, error="policies:resource.notfound")
    api.call("PUT", RESOURCE, lamp, body=no_lamp_writes, expect=201)
    api.call("PUT", RESOURCE, lamp, body={"grant": [], "revoke": ["READ", "WRITE"]}, expect=204)
    api.call("PUT", RESOURCE, lamp, body=no_lamp_writes, encode_slashes=True, expect=204)
    api.call("PUT", RESOURCE, lamp, body=no_lamp_writes, headers={"If-None-Match": "*"}, expect=412)
    tag = api.call("GET", RESOURCE, lamp, expect=200).headers.get("ETag", "")
    api.call("GET", RESOURCE, lamp, encode_slashes=True, expect=200)
    api.call("GET", RESOURCE, lamp, headers={"If-None-Match": tag}, expect=304)
    api.call("GET", RESOURCE, lamp, headers={"If-Match": STALE_HASH}, expect=412)
    api.call("PUT", RESOURCE, lamp, body={"grant": "WRITE"}, expect=400)
    api.call("PUT", RESOURCE, {**owner, "resourcePath": "gadget:/lamp"}, body=no_lamp_writes, expect=400)
    api.call("PUT", RESOURCE, {**owner, "resourcePath": "policy:/"}, body=READ, expect=403,
             error="policies:entry.modificationinvalid")
    api.call("PUT", RESOURCE, {**policy, "label": "no-such-entry", "resourcePath": "thing:/"}, body=READ,
             expect=404)

    api.call("PUT", RESOURCES, owner, body={**OWNER_ENTRY["resources"], "thing:/features/lamp": no_lamp_writes},
             expect=204)
    api.call("PUT", RESOURCES, owner, body={"thing:/": READ_WRITE}, expect=403,
             error="policies:entry.modificationinvalid")
    api.call("PUT", RESOURCES, owner, body=["thing:/"], expect=400)
    api.call("PUT", RESOURCES, owner, body=OWNER_ENTRY["resources"], headers={"If-Match": STALE_HASH}, expect=412)
    api.call("PUT", RESOURCES, {**policy, "label": "no-such-entry"}, body=OWNER_ENTRY["resources"], expect=404)

    api.call("DELETE", RESOURCE, lamp, headers={"If-Match": STALE_HASH}, expect=412)
    api.call("DELETE", RESOURCE, lamp, expect=204)
    api.call("DELETE", RESOURCE, lamp, expect=404, error="policies:resource.notfound")
    api.call("DELETE", RESOURCE, {**owner, "resourcePath": "policy:/"}, expect=403,
             error="policies:entry.modificationinvalid")


def _policy_entry_parts(api: SpecClient, policy: dict[str, str]) -> None:
    """importable, namespaces, allowedAdditions and references of an entry."""
    reader = {**policy, "label": "reader"}
    missing = {**policy, "label": "no-such-entry"}

    tag = api.call("GET", IMPORTABLE, reader, expect=200).headers.get("ETag", "")
    api.call("GET", IMPORTABLE, reader, headers={"If-None-Match": tag}, expect=304)
    api.call("GET", IMPORTABLE, reader, headers={"If-Match": STALE_HASH}, expect=412)
    api.call("GET", IMPORTABLE, missing, expect=404, error="policies:entry.notfound")
    api.call("PUT", IMPORTABLE, reader, body="explicit", expect=204)
    api.call("PUT", IMPORTABLE, reader, body="sometimes", expect=400)
    api.call("PUT", IMPORTABLE, reader, body="never", headers={"If-Match": STALE_HASH}, expect=412)
    api.call("PUT", IMPORTABLE, missing, body="never", expect=404)
    api.call("PUT", IMPORTABLE, reader, body="implicit", expect=204)

    # Ditto answers 404 for the namespaces of an entry that has none (RetrievePolicyEntryNamespacesStrategy).
    api.call("GET", NAMESPACES, reader, expect=404, error="policies:entry.notfound")
    api.call("PUT", NAMESPACES, reader, body=["org.twinhub", "org.twinhub.*"], expect=204)
    tag = api.call("GET", NAMESPACES, reader, expect=200).headers.get("ETag", "")
    api.call("GET", NAMESPACES, reader, headers={"If-None-Match": tag}, expect=304)
    api.call("GET", NAMESPACES, reader, headers={"If-Match": STALE_HASH}, expect=412)
    api.call("PUT", NAMESPACES, reader, body=["not a namespace!"], expect=400)
    api.call("PUT", NAMESPACES, reader, body="org.twinhub", expect=400)
    api.call("PUT", NAMESPACES, reader, body=None, expect=400)
    api.call("PUT", NAMESPACES, reader, body=[], headers={"If-Match": STALE_HASH}, expect=412)
    api.call("PUT", NAMESPACES, missing, body=[], expect=404)

    tag = api.call("GET", ALLOWED_ADDITIONS, reader, expect=200).headers.get("ETag", "")
    api.call("GET", ALLOWED_ADDITIONS, reader, headers={"If-None-Match": tag}, expect=304)
    api.call("GET", ALLOWED_ADDITIONS, reader, headers={"If-Match": STALE_HASH}, expect=412)
    api.call("GET", ALLOWED_ADDITIONS, missing, expect=404)
    api.call("PUT", ALLOWED_ADDITIONS, reader, body=["subjects"], expect=204)
    api.call("PUT", ALLOWED_ADDITIONS, reader, body=["everything"], expect=400)
    api.call("PUT", ALLOWED_ADDITIONS, reader, body=None, expect=400)
    api.call("PUT", ALLOWED_ADDITIONS, reader, body=[], headers={"If-Match": STALE_HASH}, expect=412)
    api.call("PUT", ALLOWED_ADDITIONS, missing, body=[], expect=404)

    # The reader references the owner (not the other way round: the reader's `allowedAdditions: ["subjects"]`
    # would strip the owner's own resources, WRITE on `policy:/` with them; PolicyImporter.resolveAllReferences).
    tag = api.call("GET", REFERENCES, reader, expect=200).headers.get("ETag", "")
    api.call("GET", REFERENCES, reader, headers={"If-None-Match": tag}, expect=304)
    api.call("GET", REFERENCES, reader, headers={"If-Match": STALE_HASH}, expect=412)
    api.call("GET", REFERENCES, missing, expect=404)
    api.call("PUT", REFERENCES, reader, body=[{"entry": "owner"}], expect=201)
    api.call("PUT", REFERENCES, reader, body=[{"entry": "owner"}], expect=204)
    api.call("PUT", REFERENCES, reader, body=[{"import": ""}], expect=400)
    api.call("PUT", REFERENCES, reader, body=None, expect=400)
    # Ditto checks that a local reference names another existing entry (validateReferencesIntegrity).
    api.call("PUT", REFERENCES, reader, body=[{"entry": "no-such-entry"}], expect=400, error="policies:entry.invalid")
    api.call("PUT", REFERENCES, reader, body=[{"entry": "reader"}], expect=400, error="policies:entry.invalid")
    api.call("PUT", REFERENCES, reader, body=[], headers={"If-Match": STALE_HASH}, expect=412)
    api.call("PUT", REFERENCES, missing, body=[], expect=404)
    api.call("DELETE", REFERENCES, reader, headers={"If-Match": STALE_HASH}, expect=412)
    api.call("DELETE", REFERENCES, reader, expect=204)
    api.call("DELETE", REFERENCES, missing, expect=404)


def _policy_imports(api: SpecClient, policy: dict[str, str], template: dict[str, str], suffix: str) -> None:
    imported = {**policy, "importedPolicyId": template["policyId"]}
    not_imported = {**policy, "importedPolicyId": "org.twinhub.openapi:never-created"}
    shared = {"subjects": {"nginx:team": {"type": "the team"}}, "resources": {"thing:/": READ}}
    api.call("PUT", POLICY, template, body={"entries": {"owner": OWNER_ENTRY, "shared": shared}}, expect=201)

    tag = api.call("GET", IMPORTS, policy, expect=200).headers.get("ETag", "")
    api.call("GET", IMPORTS, policy, headers={"If-None-Match": tag}, expect=304)
    api.call("GET", IMPORTS, policy, headers={"If-Match": STALE_HASH}, expect=412)
    api.call("GET", IMPORTS, {"policyId": "org.twinhub.openapi:never-created"}, expect=404)

    api.call("GET", IMPORT, imported, expect=404, error="policies:import.notfound")
    api.call("PUT", IMPORT, imported, body={"entries": ["shared"]}, expect=201)
    api.call("PUT", IMPORT, imported, body={"entries": ["shared", "owner"]}, expect=204)
    api.call("PUT", IMPORT, imported, body={"entries": ["shared"]}, headers={"If-None-Match": "*"}, expect=412)
    api.call("PUT", IMPORT, imported, body={"entries": "shared"}, expect=400)
    api.call("PUT", IMPORT, {**policy, "importedPolicyId": policy["policyId"]}, body={}, expect=400)
    api.call("PUT", IMPORT, {**policy, "importedPolicyId": "not-a-policy-id"}, body={}, expect=400)
    # Importing a policy that does not exist, or whose entries the caller may not read: Ditto's
    # PolicyImportsPreEnforcer answers `policies:policy.notfound`.
    api.call("PUT", IMPORT, not_imported, body={}, expect=404, error="policies:policy.notfound")
    api.call("PUT", IMPORT, {**policy, "importedPolicyId": f"org.twinhub.openapi:hidden-{suffix}"}, body={},
             expect=404, error="policies:policy.notfound")
    tag = api.call("GET", IMPORT, imported, expect=200).headers.get("ETag", "")
    api.call("GET", IMPORT, imported, headers={"If-None-Match": tag}, expect=304)
    api.call("GET", IMPORT, imported, headers={"If-Match": STALE_HASH}, expect=412)

    tag = api.call("GET", IMPORT_ENTRIES, imported, expect=200).headers.get("ETag", "")
    api.call("GET", IMPORT_ENTRIES, imported, headers={"If-None-Match": tag}, expect=304)
    api.call("GET", IMPORT_ENTRIES, imported, headers={"If-Match": STALE_HASH}, expect=412)
    api.call("GET", IMPORT_ENTRIES, not_imported, expect=404, error="policies:import.notfound")
    api.call("PUT", IMPORT_ENTRIES, imported, body=["shared"], expect=204)
    api.call("PUT", IMPORT_ENTRIES, imported, body="shared", expect=400)
    api.call("PUT", IMPORT_ENTRIES, imported, body=["shared"], headers={"If-Match": STALE_HASH}, expect=412)
    api.call("PUT", IMPORT_ENTRIES, not_imported, body=["shared"], expect=404)

    tag = api.call("GET", TRANSITIVE_IMPORTS, imported, expect=200).headers.get("ETag", "")
    api.call("GET", TRANSITIVE_IMPORTS, imported, headers={"If-None-Match": tag}, expect=304)
    api.call("GET", TRANSITIVE_IMPORTS, imported, headers={"If-Match": STALE_HASH}, expect=412)
    api.call("GET", TRANSITIVE_IMPORTS, not_imported, expect=404)
    api.call("PUT", TRANSITIVE_IMPORTS, imported, body=["org.twinhub.openapi:grandparent"], expect=204)
    api.call("PUT", TRANSITIVE_IMPORTS, imported, body=[policy["policyId"]], expect=400)
    api.call("PUT", TRANSITIVE_IMPORTS, imported, body=[42], expect=400)
    api.call("PUT", TRANSITIVE_IMPORTS, imported, body={}, expect=400)
    api.call("PUT", TRANSITIVE_IMPORTS, imported, body=[], headers={"If-Match": STALE_HASH}, expect=412)
    api.call("PUT", TRANSITIVE_IMPORTS, not_imported, body=[], expect=404)
    api.call("PUT", TRANSITIVE_IMPORTS, imported, body=[], expect=204)

    # An entry referencing an import keeps the imports from being deleted (Ditto: 409
    # `policies:import.referenceconflict`).
    owner = {**policy, "label": "owner"}
    api.call("PUT", REFERENCES, owner, body=[{"import": template["policyId"], "entry": "shared"}], expect=201)
    api.call("DELETE", IMPORTS, policy, expect=409, error="policies:import.referenceconflict")
    api.call("DELETE", REFERENCES, owner, expect=204)

    api.call("PUT", IMPORTS, policy, body={template["policyId"]: {"entries": ["shared"]}}, expect=204)
    api.call("PUT", IMPORTS, policy, body=[template["policyId"]], expect=400)
    api.call("PUT", IMPORTS, policy, body={}, headers={"If-Match": STALE_HASH}, expect=412)
    api.call("PUT", IMPORTS, policy, body={"org.twinhub.openapi:never-created": {}}, expect=404)
    api.call("PUT", IMPORTS, {"policyId": "org.twinhub.openapi:never-created"}, body={}, expect=404)

    api.call("DELETE", IMPORT, imported, headers={"If-Match": STALE_HASH}, expect=412)
    api.call("DELETE", IMPORT, imported, expect=204)
    api.call("DELETE", IMPORT, imported, expect=404, error="policies:import.notfound")
    api.call("PUT", IMPORTS, policy, body={template["policyId"]: {}}, expect=204)
    api.call("DELETE", IMPORTS, policy, headers={"If-Match": STALE_HASH}, expect=412)
    api.call("DELETE", IMPORTS, policy, expect=204)
    api.call("DELETE", IMPORTS, {"policyId": "org.twinhub.openapi:never-created"}, expect=404)


def _check_permissions(api: SpecClient, policy: dict[str, str], suffix: str) -> None:
    thing_id = f"org.twinhub.openapi:checked-{suffix}"
    api.call("PUT", THING, {"thingId": thing_id}, body={"policyId": policy["policyId"]}, expect=201)
    checks = {
        "read-thing": {"resource": "thing:/", "entityId": thing_id, "hasPermissions": ["READ"]},
        "write-lamp": {"resource": "thing:/features/lamp", "entityId": thing_id, "hasPermissions": ["WRITE"]},
        "write-policy": {"resource": "policy:/", "entityId": policy["policyId"], "hasPermissions": ["READ", "WRITE"]},
        "hidden-policy": {"resource": "policy:/", "entityId": f"org.twinhub.openapi:hidden-{suffix}",
                          "hasPermissions": ["READ"]},
    }
    answer = api.call("POST", CHECK_PERMISSIONS, body=checks, expect=200)
    if answer.status_code == 200 and answer.json() != {"read-thing": True, "write-lamp": True, "write-policy": True,
                                                       "hidden-policy": False}:
        api.problems.append(f"POST {CHECK_PERMISSIONS}: unexpected answer {answer.json()}")
    api.call("POST", CHECK_PERMISSIONS, body={}, expect=200)
    api.call("POST", CHECK_PERMISSIONS, raw=b'{"read-thing": ', expect=400)
    api.call("POST", CHECK_PERMISSIONS, body=checks, expect=401, anonymous=True)
    api.call("DELETE", THING, {"thingId": thing_id}, expect=204)


def _policy_methods_not_allowed(api: SpecClient, policy: dict[str, str]) -> None:
    """Ditto has no DELETE route for these parts of a policy (PolicyEntriesRoute, PolicyImportsRoute), nor
    does the document: 405, and the policy stays as it is."""
    owner = {**policy, "label": "owner"}
    imported = {**policy, "importedPolicyId": "org.twinhub.openapi:never-created"}
    for template, parameters in ((ENTRIES, policy), (SUBJECTS, owner), (RESOURCES, owner), (IMPORTABLE, owner),
                                 (NAMESPACES, owner), (IMPORT_ENTRIES, imported), (TRANSITIVE_IMPORTS, imported)):
        api.call_undocumented("DELETE", template, parameters, expect=405)
    api.call_undocumented("POST", POLICY, policy, expect=405)
    api.call_undocumented("PATCH", ENTRY, owner, expect=405)


def _policy_deletion(api: SpecClient, policy: dict[str, str]) -> None:
    api.call("DELETE", POLICY, policy, headers={"If-Match": STALE}, expect=412)
    api.call("DELETE", POLICY, {"policyId": "not-a-policy-id"}, expect=400, error="policies:id.invalid")
    api.call("DELETE", POLICY, policy, expect=401, anonymous=True)
    api.call("DELETE", POLICY, policy, expect=204)
    api.call("GET", POLICY, policy, expect=404, error="policies:policy.notfound")
    api.call("DELETE", POLICY, policy, expect=404, error="policies:policy.notfound")


# -- 3. a property-based run: generated requests, no 5xx, documented statuses as documented -----------------
#
# schemathesis' pytest integration needs the schema when the module is collected (its fixture-based
# `from_fixture` breaks on pytest 9.2), so the document is loaded here; the server comes from fixtures and
# is passed at call time.

# Per operation, for the generated (fuzzing) phase. The coverage phase (some 8,000 of the ~10,000 requests, and
# most of the generation time) does not depend on it. The whole run takes about two minutes on two otherwise
# idle cores; lower this first if it must be faster.
MAX_EXAMPLES = 20
# No shrinking: schemathesis reports each failure with a curl command to reproduce it already, and shrinking
# the failures of a dozen operations took longer than the whole run.
FUZZ_PHASES = [phase for phase in Phase if phase is not Phase.shrink]
FUZZ_CHECKS = [not_a_server_error, content_type_conformance, response_headers_conformance,
               response_schema_conformance]
# Never reached: a case called without the fuzz server's URL must not go to the document's first server,
# Ditto's public sandbox.
UNREACHABLE = "http://127.0.0.1:9"

# Things and policies that exist while the fuzzer runs, so that generated requests also reach twinhub's 2xx
# paths; each is put back after every request that may have changed it. Each thing has the policy created
# with it (policyId = thingId), which grants the caller everything.
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
SEED_TEMPLATE = "org.twinhub.fuzz:template"
# A subject of its own entry in every seeded policy, which generated requests never name: whatever one does
# to the caller's entries (e.g. revoke its WRITE on policy:/ where an import still grants it, which the
# lockout check lets pass), the keeper can put the seed back (see `_put_back`).
KEEPER = "nginx:fuzz-keeper"
KEEPER_ENTRY: dict[str, Any] = {"subjects": {KEEPER: {"type": "puts the seeds back"}},
                                "resources": {"policy:/": READ_WRITE}, "importable": "never"}
# The template first: the other one imports it. Every seeded policy lets the caller write all of it, and
# revokes nothing from it on `policy:/...`, so that it can always be put back.
SEED_POLICIES: dict[str, dict[str, Any]] = {
    SEED_TEMPLATE: {"entries": {
        "owner": OWNER_ENTRY,
        "keeper": KEEPER_ENTRY,
        "shared": {"subjects": {"nginx:team": {"type": "the team"}}, "resources": {"thing:/": READ}},
    }},
    "org.twinhub.fuzz:policy": {
        "imports": {SEED_TEMPLATE: {"entries": ["shared"]}},
        "entries": {
            "owner": OWNER_ENTRY,
            "keeper": KEEPER_ENTRY,
            "reader": {
                "subjects": {"nginx:reader": {"type": "a reader", "expiry": "2099-01-01T00:00:00Z"}},
                "resources": {"thing:/": READ, "thing:/features/lamp": {"grant": [], "revoke": ["READ"]}},
                "namespaces": ["org.twinhub.fuzz"],
                "importable": "explicit",
                "allowedAdditions": ["subjects"],
            },
            "lamp-users": {
                "subjects": {"nginx:lamp": {"type": "lamp users"}},
                "resources": {"thing:/features/lamp": READ_WRITE},
                "references": [{"entry": "reader"}, {"import": SEED_TEMPLATE, "entry": "shared"}],
            },
        },
    },
}
KNOWN_VALUES: dict[str, tuple[str, ...]] = {
    "thingId": tuple(SEED_THINGS),
    "featureId": ("water-tank", "lamp"),
    "attributePath": ("manufacturer", "model", "model/name"),
    "propertyPath": ("configuration", "configuration/tempToHold", "status/waterAmount"),
    "policyId": tuple(reversed(SEED_POLICIES)),
    "label": ("owner", "reader", "lamp-users"),
    "subjectId": (CALLER, "nginx:reader", "nginx:lamp"),
    "resourcePath": ("thing:/", "thing:/features/lamp", "policy:/", "message:/"),
    "importedPolicyId": (SEED_TEMPLATE,),
}
# Path parameters naming the entity an operation is on: generated requests on a seeded one are the ones
# worth having besides the generated ones.
ENTITY_PARAMETERS = ("thingId", "policyId")
VALID_TIMEOUTS = ("10", "10s", "500ms", "1m")
COVERAGE_PATH_PLACEHOLDER = "0"


def _known_path_parameters(context: Any, generated: Any) -> st.SearchStrategy[Any]:
    """`flatmap_path_parameters` hook: the generated path parameters, or ones naming seeded things or policies
    and their parts, or generated ones on a seeded thing or policy."""
    names = [parameter.name for parameter in context.operation.path_parameters if parameter.name in KNOWN_VALUES]
    if not names or not isinstance(generated, dict):
        return st.just(generated)
    known = st.fixed_dictionaries({name: st.sampled_from(KNOWN_VALUES[name]) for name in names})
    options = [known.map(lambda values: {**generated, **values}), st.just(generated)]
    for entity in ENTITY_PARAMETERS:
        if entity in names:
            options.append(st.sampled_from(KNOWN_VALUES[entity]).map(
                lambda value, entity=entity: {**generated, entity: value}))
    return st.one_of(*options)


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


def _coverage_on_seeds(context: Any, case: Any) -> Any:
    """`map_case` hook: the coverage phase varies one part of a request at a time and fills the rest with
    placeholders: "0" for path parameters, "" for other strings. twinhub refuses "0" as a thing or policy id,
    "" as a timeout or policy id and fails "" as an If-(None-)Match precondition before it looks at anything
    else, so those placeholders become a seeded thing or policy and its parts, a valid timeout, valid ids and
    no precondition."""
    if case.meta is None or case.meta.phase.name != "coverage":
        return case
    for name, value in (case.path_parameters or {}).items():
        if value == COVERAGE_PATH_PLACEHOLDER and name in KNOWN_VALUES:
            case.path_parameters[name] = KNOWN_VALUES[name][0]
    if case.query and case.query.get("timeout") == "":
        case.query["timeout"] = VALID_TIMEOUTS[0]
    if isinstance(case.body, dict):
        thing_id = (case.path_parameters or {}).get("thingId", KNOWN_VALUES["thingId"][0])
        policy_id = (case.path_parameters or {}).get("policyId", thing_id)  # a seeded thing's policy has its id
        if case.body.get("policyId") == "":
            case.body["policyId"] = policy_id
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
    """The document's operations twinhub serves, set up for generation; None when the document is missing."""
    try:
        path = locate_spec()
    except SpecNotFound:
        return None
    schema = load_spec(path).include(path_regex=IN_SCOPE_PATHS).exclude(path_regex=NOT_BUILT_PATHS)
    schema.config.update(base_url=UNREACHABLE, basic_auth=AUTH)
    schema.config.generation.update(modes=list(GenerationMode), max_examples=MAX_EXAMPLES)
    schema.hook("flatmap_path_parameters")(_known_path_parameters)
    schema.hook("flatmap_query")(_realistic_query)
    schema.hook("map_case")(_coverage_on_seeds)
    schema.hook("filter_failure")(_not_accepted)
    return schema


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(tmp_path_factory.mktemp("fuzz") / "data") as server:
        with httpx.Client(base_url=server.base_url, auth=AUTH) as http:
            for policy_id, policy in SEED_POLICIES.items():
                created = http.put(f"/api/2/policies/{policy_id}", json=policy)
                assert created.status_code == 201, f"could not seed {policy_id}: {created.text}"
            for thing_id, thing in SEED_THINGS.items():
                created = http.put(f"{THINGS}/{thing_id}", json=thing)
                assert created.status_code == 201, f"could not seed {thing_id}: {created.text}"
        yield server


@pytest.fixture(scope="module")
def fuzz_http(fuzz_server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=fuzz_server.base_url, auth=AUTH, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def fuzz_session() -> Iterator[requests.Session]:
    with requests.Session() as session:
        # The server is on loopback: no proxy or .netrc from the environment, which requests would otherwise
        # look up again for every one of the thousands of generated requests.
        session.trust_env = False
        yield session


def _keep_seeds_writable(case: Any) -> None:
    """No `allow-policy-lockout` on a seeded policy, so that some permanent subject always keeps WRITE on it
    and it can always be put back (see `_put_back`; elsewhere the parameter stays as generated). Done on the
    case itself rather than in a `map_case` hook, which the examples phase does not run."""
    if unquote(str((case.path_parameters or {}).get("policyId"))) in SEED_POLICIES and case.query:
        case.query.pop("allow-policy-lockout", None)


def _may_have_written(response: Any) -> bool:
    """Whether a write may have changed what it addressed: not when it was refused (4xx; but a 408 timeout
    leaves the write running), so the seeds need no putting back after most generated requests."""
    status = getattr(response, "status_code", None)
    return status is None or not 400 <= status < 500 or status == 408


def _named_subjects(body: Any, path_parameters: dict[str, Any]) -> list[str]:
    """The subject ids a request named: its `subjectId` and every key of its body that could be one."""
    named = [str(path_parameters["subjectId"])] if "subjectId" in path_parameters else []
    pending = [body]
    while pending:
        value = pending.pop()
        if isinstance(value, dict):
            named.extend(str(key) for key in value)
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return list(dict.fromkeys(name for name in named if ":" in name))


def _put_back(http: httpx.Client, url: str, body: dict[str, Any], named: list[str]) -> None:
    """PUT `body` as the caller; when the request took the caller's WRITE away (Ditto allows that while another
    permanent subject keeps it, see `_policy_lockout`), as the keeper, or as the subjects the request named,
    one of which kept it (the dev-mode server trusts the pre-authenticated header)."""
    restored = http.put(url, json=body)
    for subject in (KEEPER, *named):
        if restored.status_code != 403:
            break
        with contextlib.suppress(UnicodeError, httpx.LocalProtocolError):  # not sendable as a header
            restored = http.put(url, json=body, auth=None, headers={"x-ditto-pre-authenticated": subject})
    assert restored.status_code in (201, 204), f"could not put back {url}: {restored.text}"


def _restore_seeds(path_parameters: dict[str, Any], named: list[str], http: httpx.Client) -> None:
    """Put back the seeded thing or policy a request was on (it may have changed or deleted it)."""
    thing_id, policy_id = path_parameters.get("thingId"), path_parameters.get("policyId")
    if policy_id in SEED_POLICIES:
        _put_back(http, f"/api/2/policies/{policy_id}", SEED_POLICIES[policy_id], named)
    if thing_id in SEED_THINGS:
        _put_back(http, f"{THINGS}/{thing_id}", {**SEED_THINGS[thing_id], "policyId": thing_id}, named)


FUZZ_SCHEMA = _fuzz_schema()

if FUZZ_SCHEMA is not None:

    @pytest.mark.slow
    @settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), phases=FUZZ_PHASES)
    @FUZZ_SCHEMA.parametrize()
    def test_api_withstands_generated_requests(case: Any, fuzz_server: Server, fuzz_http: httpx.Client,
                                               fuzz_session: requests.Session) -> None:
        _keep_seeds_writable(case)
        # Taken before the call, which percent-encodes the case's path parameters in place.
        addressed = {name: unquote(str(value)) for name, value in (case.path_parameters or {}).items()}
        named = _named_subjects(case.body, addressed)
        response = None
        try:
            response = case.call(base_url=fuzz_server.base_url, session=fuzz_session)
            case.validate_response(response, checks=FUZZ_CHECKS)
        finally:
            # The coverage phase also sends methods the operation does not have (`case.method` is the one sent).
            if case.method.upper() not in ("GET", "HEAD") and _may_have_written(response):
                _restore_seeds(addressed, named, fuzz_http)

    def test_any_permission_name_is_answered_back_as_ditto_does(fuzz_server: Server, fuzz_http: httpx.Client,
                                                                 fuzz_session: requests.Session) -> None:
        """The fuzz run found it: a grant of a name that is no Ditto permission is kept and answered back (as
        Ditto's ImmutableEffectedPermissions keeps any string), which the document's READ/WRITE enum calls a
        violation: an accepted deviation, and nothing else about the answer is."""
        operation = FUZZ_SCHEMA["/api/2/policies/{policyId}/entries/{label}/resources/{resourcePath}"]["PUT"]
        policy_id = "org.twinhub.fuzz:policy"
        case = operation.Case(path_parameters={"policyId": policy_id, "label": "owner",
                                               "resourcePath": "thing:/odd"},
                              body={"grant": ["READ", '"\\\u00fc'], "revoke": ["SOMETHING"]},
                              headers={"Authorization": "Basic " + base64.b64encode(":".join(AUTH).encode()).decode()})
        try:
            response = case.call(base_url=fuzz_server.base_url, session=fuzz_session)
            assert response.status_code == 201
            assert response.json()["grant"] == ["READ", '"\\\u00fc']
            case.validate_response(response, checks=FUZZ_CHECKS)
        finally:
            fuzz_http.delete(f"/api/2/policies/{policy_id}/entries/owner/resources/thing:%2Fodd")

else:

    @pytest.mark.slow
    def test_api_withstands_generated_requests(ditto_spec_path: Path) -> None:
        raise AssertionError("unreachable: the ditto_spec_path fixture skips when the document is missing")
