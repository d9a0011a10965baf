"""Policy entry `references` (Ditto 3.9, issue 15): an entry inherits the subjects, resources and namespaces of the
local or imported entries it references, for every check the policy makes (reads, writes, search, events).

Ditto: `documentation/src/main/resources/pages/ditto/basic-policy.md` ("Entry references", "Transitive import
resolution"), `policies/model/.../PolicyImporter.java` (resolution), `policies/enforcement/.../pre/
PolicyImportsPreEnforcer.java` (references to other policies), `policies/service/.../strategies/commands/
AbstractPolicyCommandStrategy.java` `validateReferencesIntegrity` and the Delete/ModifyPolicyEntry*, *Import*
strategies (400 / 409), `gateway/service/.../routes/policies/PolicyEntriesRoute.java` (the routes).
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from tests.api.helpers import assert_error
from tests.api.websocket import open_socket, topic
from twinhub.testing import Server

Users = Callable[[str], httpx.Client]
GRANT_ALL = {"grant": ["READ", "WRITE"], "revoke": []}
OWNER = {"subjects": {"nginx:ditto": {"type": "test"}},
         "resources": {"thing:/": GRANT_ALL, "policy:/": GRANT_ALL, "message:/": GRANT_ALL}}


def role(resources: dict[str, list[str]], **extra: object) -> dict[str, object]:
    """An entry without subjects granting `resources`: what a referencing entry inherits."""
    return {"subjects": {}, "resources": {key: {"grant": grant, "revoke": []} for key, grant in resources.items()},
            **extra}


def member(*users: str, references: list[dict[str, str]], **extra: object) -> dict[str, object]:
    return {"subjects": {f"nginx:{user}": {"type": "test"} for user in users}, "resources": {},
            "references": references, **extra}


@pytest.fixture
def bob(as_user: Users) -> httpx.Client:
    return as_user("bob")


@pytest.fixture
def template(client: httpx.Client, thing_id: str) -> str:
    """A template policy of `ditto`: role `operator` (READ/WRITE on features), `reader` (READ on attributes, only
    `subjects` may be added), `secret` (never importable)."""
    template_id = thing_id + "-template"
    response = client.put(f"/policies/{template_id}", json={"entries": {
        "owner": OWNER,
        "operator": role({"thing:/features": ["READ", "WRITE"]}),
        "reader": role({"thing:/attributes": ["READ"]}, allowedAdditions=["subjects"]),
        "secret": role({"thing:/": ["READ"]}, importable="never"),
    }})
    assert response.status_code == 201, response.text
    return template_id


def create_thing(client: httpx.Client, thing_id: str, entries: dict[str, object],
                 imports: dict[str, object] | None = None) -> None:
    policy = {"entries": {"owner": OWNER, **entries}, "imports": imports or {}}
    response = client.put(f"/policies/{thing_id}", json=policy)
    assert response.status_code == 201, response.text
    response = client.put(f"/things/{thing_id}", json={"policyId": thing_id, "attributes": {"a": 1},
                                                        "features": {"lamp": {"properties": {"on": False}}}})
    assert response.status_code == 201, response.text


def search_ids(user: httpx.Client, thing_id: str) -> list[str]:
    response = user.get("/search/things", params={"filter": f'eq(thingId,"{thing_id}")'})
    assert response.status_code == 200, response.text
    return [item["thingId"] for item in response.json()["items"]]


# -- what references grant ---------------------------------------------------------------------------------------


def test_a_local_reference_grants_its_subjects_the_referenced_entrys_resources(
        client: httpx.Client, bob: httpx.Client, thing_id: str) -> None:
    """basic-policy.md "Entry references": a local reference `{"entry": label}` merges the referenced entry's
    resources into the referencing entry, whose own subjects hold them; reads, writes and search all see it."""
    create_thing(client, thing_id, {"role": role({"thing:/attributes": ["READ", "WRITE"]}),
                                    "bob": member("bob", references=[{"entry": "role"}])})
    assert bob.get(f"/things/{thing_id}").json() == {"thingId": thing_id, "attributes": {"a": 1}}
    assert bob.put(f"/things/{thing_id}/attributes/a", json=2).status_code == 204
    assert bob.put(f"/things/{thing_id}/features/lamp/properties/on", json=True).status_code == 403
    assert search_ids(bob, thing_id) == [thing_id]

    assert client.delete(f"/policies/{thing_id}/entries/bob/references").status_code == 204
    assert bob.get(f"/things/{thing_id}").status_code == 404
    assert search_ids(bob, thing_id) == []


def test_an_import_reference_grants_the_template_entry_and_follows_its_changes(
        client: httpx.Client, bob: httpx.Client, thing_id: str, template: str) -> None:
    """basic-policy.md, the power plant example: the template defines the resources, the importing policy its own
    subjects; "changes to an imported policy are reflected in all policies that import it", at once for direct
    access (the cached enforcer is dropped when the template changes), and in search."""
    create_thing(client, thing_id, {"ops": member("bob", references=[{"import": template, "entry": "operator"}])},
                 {template: {}})
    assert bob.put(f"/things/{thing_id}/features/lamp/properties/on", json=True).status_code == 204
    assert bob.get(f"/things/{thing_id}/attributes").status_code == 404
    assert search_ids(bob, thing_id) == [thing_id]

    response = client.put(f"/policies/{template}/entries/operator/resources/thing:%2Ffeatures",
                          json={"grant": ["WRITE"], "revoke": []})
    assert response.status_code == 204, response.text
    assert bob.put(f"/things/{thing_id}/features/lamp/properties/on", json=False).status_code == 204
    assert bob.get(f"/things/{thing_id}").status_code == 404  # READ is gone with the template's change
    assert search_ids(bob, thing_id) == []


def test_allowed_additions_strip_the_referencing_entrys_own_resources(
        client: httpx.Client, bob: httpx.Client, thing_id: str, template: str) -> None:
    """basic-policy.md: `allowedAdditions` of the referenced entry filters the referencing entry's own additions at
    enforcement time (the write is accepted); DELETE `.../allowedAdditions` (Ditto 3.9) lifts the restriction and
    is idempotent: deleting an absent field answers 204 without a new revision
    (DeletePolicyEntryAllowedAdditionsStrategy)."""
    own_write = {"thing:/attributes/a": {"grant": ["WRITE"], "revoke": []}}
    create_thing(client, thing_id, {"readers": {**member("bob", references=[{"import": template, "entry": "reader"}]),
                                                "resources": own_write}}, {template: {}})
    assert bob.get(f"/things/{thing_id}/attributes/a").json() == 1
    assert bob.put(f"/things/{thing_id}/attributes/a", json=2).status_code == 403  # the own resource is stripped

    assert client.get(f"/policies/{template}/entries/reader/allowedAdditions").json() == ["subjects"]
    assert client.delete(f"/policies/{template}/entries/reader/allowedAdditions").status_code == 204
    assert client.get(f"/policies/{template}/entries/reader/allowedAdditions").json() == []
    assert bob.put(f"/things/{thing_id}/attributes/a", json=2).status_code == 204

    tag = client.get(f"/policies/{template}").headers["ETag"]
    assert client.delete(f"/policies/{template}/entries/reader/allowedAdditions").status_code == 204
    assert client.get(f"/policies/{template}").headers["ETag"] == tag
    response = client.delete(f"/policies/{template}/entries/nope/allowedAdditions")
    assert_error(response, 404, "policies:entry.notfound")


def test_absent_and_empty_allowed_additions_read_alike_but_are_tagged_apart(client: httpx.Client,
                                                                            thing_id: str) -> None:
    """RetrievePolicyEntryAllowedAdditionsStrategy answers `[]` for both, but absent means no restriction and `[]`
    none allowed: AbstractPolicyCommandStrategy.allowedAdditionsEntityTag gives each state its own ETag, so a
    conditional GET sees the change."""
    create_thing(client, thing_id, {"role": role({"thing:/": ["READ"]})})
    path = f"/policies/{thing_id}/entries/role/allowedAdditions"
    absent = client.get(path)
    assert absent.json() == []
    assert client.put(path, json=[]).status_code == 204
    empty = client.get(path, headers={"If-None-Match": absent.headers["ETag"]})
    assert empty.status_code == 200 and empty.json() == []
    assert empty.headers["ETag"] != absent.headers["ETag"]
    assert client.get(path, headers={"If-None-Match": empty.headers["ETag"]}).status_code == 304
    assert client.delete(path).status_code == 204
    assert client.get(path).headers["ETag"] == absent.headers["ETag"]


def test_references_resolve_through_transitive_imports(client: httpx.Client, as_user: Users, thing_id: str) -> None:
    """basic-policy.md "Why transitiveImports works with references": the vehicle imports fleet-west with
    `transitiveImports: [fleet-roles]`, so fleet-west's driver (which references fleet-roles' driver) brings the
    template's resources with fleet-west's subjects; without it, the deeper reference resolves to nothing."""
    roles, west = thing_id + "-roles", thing_id + "-west"
    for policy_id, body in (
        (roles, {"entries": {"owner": OWNER, "driver": role({"thing:/features": ["READ"]},
                                                             allowedAdditions=["subjects"])}}),
        (west, {"imports": {roles: {}}, "entries": {
            "owner": OWNER, "driver": member("alice", references=[{"import": roles, "entry": "driver"}])}}),
    ):
        assert client.put(f"/policies/{policy_id}", json=body).status_code == 201
    create_thing(client, thing_id, {"driver": member("charlie", references=[{"import": west, "entry": "driver"}])},
                 {west: {"entries": [], "transitiveImports": [roles]}})
    for user in ("alice", "charlie"):
        assert as_user(user).get(f"/things/{thing_id}/features/lamp").status_code == 200, user
        assert search_ids(as_user(user), thing_id) == [thing_id], user

    response = client.put(f"/policies/{thing_id}/imports/{west}/transitiveImports", json=[])
    assert response.status_code == 204, response.text
    for user in ("alice", "charlie"):
        assert as_user(user).get(f"/things/{thing_id}").status_code == 404, user
        assert search_ids(as_user(user), thing_id) == [], user


def test_events_reach_subjects_granted_by_a_reference(
        server: Server, client: httpx.Client, thing_id: str, template: str) -> None:
    """Events are filtered by the same enforcer (Ditto's event read-filtering on the resolved policy): bob, granted
    the features by a reference, gets the change of a feature but nothing of the attributes."""
    create_thing(client, thing_id, {"ops": member("bob", references=[{"import": template, "entry": "operator"}])},
                 {template: {}})
    with open_socket(server.base_url, "bob") as socket:
        socket.control("START-SEND-EVENTS")
        assert client.put(f"/things/{thing_id}/attributes/a", json=5).status_code == 204
        assert client.put(f"/things/{thing_id}/features/lamp/properties/on", json=True).status_code == 204
        event = socket.receive_until(lambda frame: isinstance(frame, dict) and frame.get("topic", "").startswith(
            topic(thing_id, "things/twin/events/")))
    assert isinstance(event, dict)
    assert event["path"] == "/features/lamp/properties/on" and event["value"] is True


def test_the_lockout_check_counts_subjects_granted_by_local_references(client: httpx.Client, thing_id: str) -> None:
    """PoliciesValidator.newInstance validates the entries with their local references resolved: WRITE on
    `policy:/` from a referenced role is enough, without it the policy is refused (403)."""
    admin_role = role({"policy:/": ["READ", "WRITE"], "thing:/": ["READ", "WRITE"]})
    body = {"entries": {"role": admin_role, "admins": member("ditto", references=[{"entry": "role"}])}}
    assert client.put(f"/policies/{thing_id}", json=body).status_code == 201
    response = client.delete(f"/policies/{thing_id}/entries/admins")
    assert_error(response, 403, "policies:entry.modificationinvalid")


# -- the routes --------------------------------------------------------------------------------------------------


def test_references_are_created_modified_read_and_deleted(client: httpx.Client, thing_id: str) -> None:
    """ModifyPolicyEntryReferencesStrategy: 201 when the entry had none, else 204; RetrievePolicyEntryReferences:
    `[]` when none; DeletePolicyEntryReferencesStrategy: 204 whenever the entry exists, 404 when it does not."""
    create_thing(client, thing_id, {"role": role({"thing:/": ["READ"]}), "x": member("bob", references=[])})
    path = f"/policies/{thing_id}/entries/x/references"
    assert client.get(path).json() == []
    response = client.put(path, json=[{"entry": "role"}])
    assert response.status_code == 201 and response.json() == [{"entry": "role"}]
    assert client.put(path, json=[{"entry": "role"}]).status_code == 204
    assert client.get(path).json() == [{"entry": "role"}]
    assert client.delete(path).status_code == 204
    assert client.delete(path).status_code == 204
    assert client.get(path).json() == []
    assert_error(client.delete(f"/policies/{thing_id}/entries/nope/references"), 404, "policies:entry.notfound")


def test_references_and_allowed_additions_over_the_ditto_protocol(server: Server, client: httpx.Client,
                                                                  thing_id: str) -> None:
    """Ditto Protocol `policies/commands/{modify,retrieve,delete}` on `/entries/{label}/references` (protocol
    examples modifyreferences, retrievereferences, deletereferences) and `/entries/{label}/allowedAdditions`
    answer as the HTTP routes do, with the same refusals (409 `policies:entry.referenceconflict`)."""
    create_thing(client, thing_id, {"role": role({"thing:/": ["READ"]}, allowedAdditions=["subjects"]),
                                    "x": member("bob", references=[])})
    namespace, name = thing_id.split(":")
    base = f"{namespace}/{name}/policies/commands/"
    with open_socket(server.base_url) as socket:
        def request(verb: str, path: str, value: object = None) -> dict[str, object]:
            message: dict[str, object] = {"topic": base + verb, "path": path, "headers": {}}
            if verb == "modify":
                message["value"] = value
            return socket.request(message)  # type: ignore[arg-type]

        assert request("modify", "/entries/x/references", [{"entry": "role"}])["status"] == 201
        assert request("retrieve", "/entries/x/references")["value"] == [{"entry": "role"}]
        refused = request("delete", "/entries/role")
        assert refused["status"] == 409
        assert refused["value"]["error"] == "policies:entry.referenceconflict"  # type: ignore[index]
        assert request("delete", "/entries/role/allowedAdditions")["status"] == 204
        assert request("delete", "/entries/role/allowedAdditions")["status"] == 204
        assert request("delete", "/entries/x/references")["status"] == 204
    assert client.get(f"/policies/{thing_id}/entries/role").json().get("allowedAdditions") is None


# -- refusals ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("references", "description"), [
    ([{"entry": "missing"}], "does not exist in the policy"),
    ([{"entry": "x"}], "must not reference itself"),
    ([{"entry": "role"}, {"entry": "role"}], "Duplicate reference"),
    ([{"entry": "hidden"}], "importable=never"),
    ([{"import": "org.twinhub.test:not-imported", "entry": "e"}], "not declared in imports"),
], ids=["missing", "self", "duplicate", "never", "not-imported"])
def test_invalid_references_are_400_entry_invalid(client: httpx.Client, thing_id: str,
                                                  references: list[dict[str, str]], description: str) -> None:
    """AbstractPolicyCommandStrategy.validateReferencesIntegrity: `policies:entry.invalid` (400) for a duplicate or
    self reference, a local one to a missing or `importable: never` entry, an import one to a policy not imported.
    (A reference to a policy that does not exist is checked first, below.)"""
    create_thing(client, thing_id, {"role": role({"thing:/": ["READ"]}),
                                    "hidden": role({"thing:/": ["READ"]}, importable="never"),
                                    "x": member("bob", references=[])})
    if references[0].get("import"):  # an existing policy, so that the pre-enforcer passes it
        assert client.put(f"/policies/{references[0]['import']}", json={"entries": {
            "owner": OWNER, "e": role({"thing:/": ["READ"]})}}).status_code in (201, 204)
    response = client.put(f"/policies/{thing_id}/entries/x/references", json=references)
    body = assert_error(response, 400, "policies:entry.invalid")
    assert description in str(body["description"])
    assert client.get(f"/policies/{thing_id}/entries/x/references").json() == []


def test_local_references_that_would_copy_too_much_are_refused(client: httpx.Client, thing_id: str) -> None:
    """Each local reference copies the referenced entry's subjects and resources (PolicyImporter.resolveReferences):
    a policy within its 100 kB could resolve to hundreds of thousands of rules and search index rows (a template of
    a thousand resources referenced by hundreds of entries). twinhub bounds the copies at 10 000 subjects and
    resources (400 `policies:entry.invalid`, as Ditto's other reference checks), also when a referenced entry grows
    afterwards; nothing is written then."""
    template = role({f"thing:/attributes/a{index}": ["READ"] for index in range(200)})
    members = {f"m{index}": member(f"u{index}", references=[{"entry": "template"}]) for index in range(50)}
    create_thing(client, thing_id, {"template": template, **members})  # 50 x 200 copied: the bound
    response = client.put(f"/policies/{thing_id}/entries/template/resources/thing:~1features",
                          json={"grant": ["READ"], "revoke": []})
    assert "10000" in str(assert_error(response, 400, "policies:entry.invalid")["description"])
    response = client.put(f"/policies/{thing_id}/entries/m50", json=member("u50", references=[{"entry": "template"}]))
    assert_error(response, 400, "policies:entry.invalid")
    assert len(client.get(f"/policies/{thing_id}/entries/template/resources").json()) == 200
    assert_error(client.get(f"/policies/{thing_id}/entries/m50"), 404, "policies:entry.notfound")


def test_references_to_other_policies_are_checked_against_them(
        client: httpx.Client, as_user: Users, thing_id: str, template: str) -> None:
    """PolicyImportsPreEnforcer.validateSingleImportReference: the referenced policy must exist (404
    `policies:policy.notfound`), the entry exist and not be `importable: never` (400 `policies:import.invalid`),
    and the writer READ it (404); for a whole policy, the referenced policy must be among its imports (400
    `policies:import.invalid`)."""
    create_thing(client, thing_id, {"x": member("bob", references=[])}, {template: {}})
    path = f"/policies/{thing_id}/entries/x/references"
    assert_error(client.put(path, json=[{"import": thing_id + "-nope", "entry": "e"}]), 404,
                 "policies:policy.notfound")
    assert_error(client.put(path, json=[{"import": template, "entry": "nope"}]), 400, "policies:import.invalid")
    assert_error(client.put(path, json=[{"import": template, "entry": "secret"}]), 400, "policies:import.invalid")
    whole = {"entries": {"owner": OWNER, "x": member("bob", references=[{"import": template, "entry": "operator"}])}}
    assert_error(client.put(f"/policies/{thing_id}", json=whole), 400, "policies:import.invalid")

    # carol may write her own policy but not read the template's entries
    carol = as_user("carol")
    carol_owner = {"subjects": {"nginx:carol": {"type": "test"}}, "resources": {"policy:/": GRANT_ALL}}
    own = {"entries": {"owner": carol_owner, "x": member("bob", references=[])}}
    assert carol.put(f"/policies/{thing_id}-carol", json=own).status_code == 201
    response = carol.put(f"/policies/{thing_id}-carol/entries/x/references",
                         json=[{"import": template, "entry": "operator"}])
    assert_error(response, 404, "policies:policy.notfound")


def test_a_thing_created_with_an_inline_policy_gets_the_same_reference_checks_and_grants(
        client: httpx.Client, bob: httpx.Client, thing_id: str, template: str) -> None:
    """A thing created with `_policy` creates that policy (Ditto's CreateThing with an inline policy): its import
    references are checked like a policy's (PolicyImportsPreEnforcer, in the policies service: 400
    `policies:import.invalid` for a missing entry, which refuses the thing with its status, 400
    `things:thing.notcreatable`, ThingEnforcerActor.reportInitialPolicyCreationFailure; nothing created) and grant
    what they reference."""
    def inline(label: str) -> dict[str, object]:
        return {"_policy": {"imports": {template: {}}, "entries": {
            "owner": OWNER, "ops": member("bob", references=[{"import": template, "entry": label}])}},
            "features": {"lamp": {}}}

    body = assert_error(client.put(f"/things/{thing_id}", json=inline("nope")), 400, "things:thing.notcreatable")
    assert "A reference targets entry 'nope'" in str(body["message"])
    assert client.get(f"/things/{thing_id}").status_code == 404
    assert client.put(f"/things/{thing_id}", json=inline("operator")).status_code == 201
    assert bob.put(f"/things/{thing_id}/features/lamp/properties", json={"on": True}).status_code == 201


def test_a_referenced_entry_cannot_be_deleted_or_made_never_importable(client: httpx.Client, thing_id: str) -> None:
    """DeletePolicyEntryStrategy and ModifyPolicyEntryImportableStrategy: 409 `policies:entry.referenceconflict`
    while a local reference of another entry points to it; once the reference is gone, both work."""
    create_thing(client, thing_id, {"role": role({"thing:/": ["READ"]}),
                                    "x": member("bob", references=[{"entry": "role"}])})
    assert_error(client.delete(f"/policies/{thing_id}/entries/role"), 409, "policies:entry.referenceconflict")
    response = client.put(f"/policies/{thing_id}/entries/role/importable", json="never")
    assert_error(response, 409, "policies:entry.referenceconflict")
    assert client.put(f"/policies/{thing_id}/entries/role/importable", json="explicit").status_code == 204
    assert client.delete(f"/policies/{thing_id}/entries/x/references").status_code == 204
    assert client.delete(f"/policies/{thing_id}/entries/role").status_code == 204


def test_an_import_a_reference_goes_through_cannot_be_removed_or_narrowed(
        client: httpx.Client, thing_id: str, template: str) -> None:
    """DeletePolicyImport(s)Strategy, ModifyPolicyImport(s)Strategy, ModifyPolicyImportEntriesStrategy: 409
    `policies:import.referenceconflict` when the import an entry reference goes through would go, or its `entries`
    would drop a referenced label."""
    create_thing(client, thing_id, {"x": member("bob", references=[{"import": template, "entry": "operator"}])},
                 {template: {"entries": ["operator"]}})
    policy = f"/policies/{thing_id}"
    assert_error(client.delete(f"{policy}/imports/{template}"), 409, "policies:import.referenceconflict")
    assert_error(client.delete(f"{policy}/imports"), 409, "policies:import.referenceconflict")
    assert_error(client.put(f"{policy}/imports", json={}), 409, "policies:import.referenceconflict")
    assert_error(client.put(f"{policy}/imports/{template}", json={"entries": []}), 409,
                 "policies:import.referenceconflict")
    assert_error(client.put(f"{policy}/imports/{template}/entries", json=[]), 409,
                 "policies:import.referenceconflict")
    assert client.get(f"{policy}/imports/{template}/entries").json() == ["operator"]
    assert client.delete(f"{policy}/entries/x/references").status_code == 204
    assert client.delete(f"{policy}/imports/{template}").status_code == 204


def test_cyclic_imports_are_refused_or_broken(client: httpx.Client, bob: httpx.Client, thing_id: str) -> None:
    """basic-policy.md "Key rules": a policy's own id in `transitiveImports` is refused (400 `policies:import.invalid`);
    a cycle across policies (A imports B imports C imports A, each transitively) is broken at resolution by the
    visited set, and the reference through it still resolves: no hang, no 5xx."""
    b, c = thing_id + "-b", thing_id + "-c"
    assert client.put(f"/policies/{b}", json={"entries": {
        "owner": OWNER, "role": role({"thing:/attributes": ["READ"]})}}).status_code == 201
    create_thing(client, thing_id, {"x": member("bob", references=[{"import": b, "entry": "role"}])}, {b: {}})
    response = client.put(f"/policies/{thing_id}/imports/{b}/transitiveImports", json=[thing_id])
    assert_error(response, 400, "policies:import.invalid")

    assert client.put(f"/policies/{c}", json={"entries": {"owner": OWNER},
                                               "imports": {thing_id: {"transitiveImports": [b]}}}).status_code == 201
    assert client.put(f"/policies/{b}/imports/{c}", json={"transitiveImports": [thing_id]}).status_code == 201
    assert client.put(f"/policies/{thing_id}/imports/{b}/transitiveImports", json=[c]).status_code == 204
    assert bob.get(f"/things/{thing_id}/attributes/a").json() == 1
    assert search_ids(bob, thing_id) == [thing_id]
    assert client.get(f"/policies/{c}").status_code == 200
