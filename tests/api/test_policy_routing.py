"""Which paths below /api/2/policies/ Ditto's routes take: an empty segment where a route expects one is 404, one
trailing slash is the route without it, and a subject id or resource key after `subjects/` or `resources/` is one
key whatever slashes it holds."""

from __future__ import annotations

import httpx

from tests.api.helpers import assert_error, owner_and


def test_empty_segments_where_ditto_routes_expect_one_are_404(client: httpx.Client, thing_id: str) -> None:
    """PoliciesRoute.buildPoliciesRoute takes the policy id with `slash().concat(segment())` and every route below
    it (PolicyEntriesRoute, PolicyImportsRoute) a label, imported policy id or route key the same way, ending in
    `pathEndOrSingleSlash`; Pekko's `segment()` needs a character, so `/policies//x`, `{policyId}//entries` or
    `entries//subjects` match no route: 404 `gateway:resource.notfound`, never a write of another resource."""
    policy = owner_and("someone", {"thing:/": {"grant": ["READ"], "revoke": []}})
    assert client.put(f"/policies/{thing_id}", json=policy).status_code == 201
    before = client.get(f"/policies/{thing_id}").json()
    for path in ("/policies//x", "/policies//", f"/policies/{thing_id}//", f"/policies/{thing_id}//entries",
                 f"/policies/{thing_id}//imports", f"/policies/{thing_id}/entries//",
                 f"/policies/{thing_id}/entries//subjects", f"/policies/{thing_id}/entries/owner//",
                 f"/policies/{thing_id}/entries/owner//resources", f"/policies/{thing_id}/entries/owner/namespaces//",
                 f"/policies/{thing_id}/imports//", f"/policies/{thing_id}/imports/ns:imported//",
                 f"/policies/{thing_id}/imports/ns:imported//entries"):
        assert_error(client.get(path), 404, "gateway:resource.notfound")
        assert_error(client.put(path, json={}), 404, "gateway:resource.notfound")
        assert_error(client.delete(path), 404, "gateway:resource.notfound")
    assert client.get(f"/policies/{thing_id}").json() == before  # no write went through


def test_a_single_trailing_slash_is_the_route_without_it(client: httpx.Client, thing_id: str) -> None:
    """PolicyEntriesRouteTest.getPolicyEntryWithTrailingSlash, getSubjectsWithTrailingSlash,
    getResourcesWithTrailingSlash; PolicyImportsRouteTest.getPolicyImportWithTrailingSlash: one trailing slash is
    the same resource (`pathEndOrSingleSlash`)."""
    policy = owner_and("someone", {"thing:/": {"grant": ["READ"], "revoke": []}})
    assert client.put(f"/policies/{thing_id}", json=policy).status_code == 201
    assert client.get(f"/policies/{thing_id}/").json()["policyId"] == thing_id
    assert client.get(f"/policies/{thing_id}/entries/").json().keys() == {"owner", "other"}
    assert client.get(f"/policies/{thing_id}/entries/other/").json()["subjects"] == {"nginx:someone": {"type": "test"}}
    assert client.get(f"/policies/{thing_id}/entries/other/subjects/").json() == {"nginx:someone": {"type": "test"}}
    assert client.get(f"/policies/{thing_id}/entries/other/resources/").json() == {
        "thing:/": {"grant": ["READ"], "revoke": []}}


def test_the_rest_after_subjects_or_resources_is_one_key(client: httpx.Client, thing_id: str) -> None:
    """PolicyEntriesRoute takes a subject id with `slash().concat(remaining())` and a resource key with
    `extractUnmatchedPath` (one leading slash cut off), so their empty or slashed rest is a key that its own
    validation refuses: `SubjectId.newInstance("/")` has no issuer (400 `policies:subjectid.invalid`),
    `PoliciesModelFactory.newResourceKey("/")` has no type (400 `json.invalid`, a JsonParseException), and
    `thing://x` has consecutive slashes in its pointer (400 `json.pointer.invalid`)."""
    policy = owner_and("someone", {"thing:/": {"grant": ["READ"], "revoke": []}})
    assert client.put(f"/policies/{thing_id}", json=policy).status_code == 201
    assert_error(client.get(f"/policies/{thing_id}/entries/other/subjects//"), 400, "policies:subjectid.invalid")
    assert_error(client.get(f"/policies/{thing_id}/entries/other/resources//"), 400, "json.invalid")
    assert_error(client.get(f"/policies/{thing_id}/entries/other/resources/thing://x"), 400, "json.pointer.invalid")
    put = client.put(f"/policies/{thing_id}/entries/other/resources/thing:/a/b", json={"grant": ["READ"], "revoke": []})
    assert put.status_code == 201
    assert client.get(f"/policies/{thing_id}/entries/other/resources/thing:/a/b").json() == {
        "grant": ["READ"], "revoke": []}


def test_post_to_policies_creates_a_policy_under_a_generated_id(server_url: str, client: httpx.Client) -> None:
    """PoliciesRoute.policies: `/policies` and `/policies/` (pathEndOrSingleSlash) take POST, a CreatePolicy of the
    body under PolicyId.generateRandom() (the empty namespace and a UUID): 201 with the policy and its Location."""
    policy = owner_and("someone", {"thing:/": {"grant": ["READ"], "revoke": []}})
    for path in ("/policies", "/policies/"):
        created = client.post(path, json=policy)
        assert created.status_code == 201, created.text
        policy_id = created.json()["policyId"]
        namespace, _, name = policy_id.partition(":")
        assert namespace == "" and len(name) == 36
        assert created.headers["location"] == f"{server_url}/api/2/policies/{policy_id}"
        assert client.get(f"/policies/{policy_id}").json()["entries"] == created.json()["entries"]


def test_post_to_policies_refuses_as_ditto(client: httpx.Client) -> None:
    """PoliciesRoute.createPolicyForPost: a `policyId` in the body is 400 `policies:id.notsettable`
    (PolicyIdNotExplicitlySettableException.forPostMethod); the new policy is enforced as any CreatePolicy (403
    `policies:policy.notcreatable` when its creator could not write it); other methods are 405 with `Allow: POST`
    (the route has `post` only). A body that is not a JSON object is 400 `json.invalid`, as a PUT's."""
    policy = owner_and("someone", {})
    body = assert_error(client.post("/policies", json={**policy, "policyId": "ns:mine"}), 400,
                        "policies:id.notsettable")
    assert body["description"] == "To provide your own Policy ID use a PUT request instead."
    assert_error(client.post("/policies", json={"entries": {}}), 403, "policies:policy.notcreatable")
    assert_error(client.post("/policies", content=b"{", headers={"content-type": "application/json"}), 400,
                 "json.format.invalid")
    for value in ([], "x", 5):  # a body that is not an object: as a PUT of the policy answers it
        assert_error(client.post("/policies", json=value), 400, "json.invalid")
    for method in ("GET", "PUT", "DELETE"):
        refused = client.request(method, "/policies", json={})
        assert_error(refused, 405, "gateway:method.notallowed")
        assert refused.headers["allow"] == "POST"


def test_post_to_policies_is_authenticated_and_bounded(server_url: str, client: httpx.Client) -> None:
    """The POST route authenticates first, as every route of Ditto's gateway (401 `gateway:authentication.failed`
    without credentials), and reads no body past the request limit (413 `request.toolarge`)."""
    policy = owner_and("someone", {})
    assert_error(httpx.post(f"{server_url}/api/2/policies", json=policy), 401, "gateway:authentication.failed")
    response = client.post("/policies", content=b"{" + b" " * (1024 * 1024 + 1) + b"}",
                           headers={"content-type": "application/json"})
    assert_error(response, 413, "request.toolarge")
