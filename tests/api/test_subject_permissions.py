"""`POST /api/2/checkPermissions/subjects/{subjectId}` (a twinhub extension): Ditto's checkPermissions answers for
the caller only; this answers the same checks for another subject, with the same enforcers, to a caller who may
READ the entries of every policy concerned, and 404 (as a read of that thing or policy would) to anyone else."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from tests.api.helpers import assert_error

Users = Callable[[str], httpx.Client]
OWNER = {"subjects": {"nginx:alice": {"type": "t"}},
         "resources": {"thing:/": {"grant": ["READ", "WRITE"]}, "policy:/": {"grant": ["READ", "WRITE"]},
                       "message:/": {"grant": ["READ", "WRITE"]}}}
READER = {"subjects": {"nginx:bob": {"type": "t"}},
          "resources": {"thing:/": {"grant": ["READ"]}, "thing:/attributes/secret": {"revoke": ["READ"]}}}


def checks(thing_id: str) -> dict[str, Any]:
    return {
        "read": {"resource": "thing:/", "entityId": thing_id, "hasPermissions": ["READ"]},
        "features": {"resource": "thing:/features", "entityId": thing_id, "hasPermissions": ["READ"]},
        "write": {"resource": "thing:/attributes", "entityId": thing_id, "hasPermissions": ["WRITE"]},
        "secret": {"resource": "thing:/attributes/secret", "entityId": thing_id, "hasPermissions": ["READ"]},
        "message": {"resource": "message:/", "entityId": thing_id, "hasPermissions": ["WRITE"]},
        "policy": {"resource": "policy:/", "entityId": thing_id, "hasPermissions": ["READ"]},
    }


def shared_thing(alice: httpx.Client, thing_id: str) -> None:
    policy = {"entries": {"owner": OWNER, "reader": READER}}
    assert alice.put(f"/policies/{thing_id}", json=policy).status_code == 201
    assert alice.put(f"/things/{thing_id}", json={"policyId": thing_id, "attributes": {"secret": 1}}).status_code == 201


def test_a_policy_reader_sees_another_subjects_verdicts(as_user: Users, thing_id: str) -> None:
    alice = as_user("alice")
    shared_thing(alice, thing_id)
    response = alice.post("/checkPermissions/subjects/nginx:bob", json=checks(thing_id))
    assert response.status_code == 200, response.text
    assert response.json() == {"read": False, "features": True, "write": False, "secret": False,
                               "message": False, "policy": False}  # `read`: not unrestricted (a revoke below)
    # the same verdicts as bob's own checkPermissions
    assert as_user("bob").post("/checkPermissions", json=checks(thing_id)).json() == response.json()
    own = alice.post("/checkPermissions/subjects/nginx:alice", json=checks(thing_id)).json()
    assert own == dict.fromkeys(checks(thing_id), True)
    nobody = alice.post("/checkPermissions/subjects/nginx:carol", json=checks(thing_id)).json()
    assert set(nobody.values()) == {False}


def test_a_subject_id_with_slashes_is_one_subject(as_user: Users, thing_id: str) -> None:
    alice = as_user("alice")
    shared_thing(alice, thing_id)
    entry = {"subjects": {"google:team/devices/1": {"type": "t"}},
             "resources": {"thing:/": {"grant": ["READ"]}}}
    response = alice.put(f"/policies/{thing_id}/entries/oidc", json=entry)
    assert response.status_code == 201, response.text
    response = alice.post("/checkPermissions/subjects/google:team%2Fdevices%2F1", json=checks(thing_id))
    assert response.status_code == 200, response.text
    assert response.json()["features"] is True


def test_who_may_not_read_the_policy_gets_not_found(as_user: Users, thing_id: str) -> None:
    """bob may read the thing but not its policy: the entries would tell him the same, so he may not ask."""
    alice, bob = as_user("alice"), as_user("bob")
    shared_thing(alice, thing_id)
    response = bob.post("/checkPermissions/subjects/nginx:alice", json=checks(thing_id))
    assert_error(response, 404, "things:thing.notfound")
    policy_only = {"p": {"resource": "policy:/", "entityId": thing_id, "hasPermissions": ["READ"]}}
    response = bob.post("/checkPermissions/subjects/nginx:alice", json=policy_only)
    assert_error(response, 404, "policies:policy.notfound")


def test_a_missing_thing_is_not_found_as_an_unreadable_one(as_user: Users, thing_id: str) -> None:
    response = as_user("alice").post("/checkPermissions/subjects/nginx:bob", json=checks(thing_id + "-none"))
    assert_error(response, 404, "things:thing.notfound")


def test_bad_checks_and_a_missing_subject_are_refused(as_user: Users, thing_id: str) -> None:
    alice = as_user("alice")
    shared_thing(alice, thing_id)
    bad = {"x": {"resource": "nothing", "entityId": thing_id, "hasPermissions": ["READ"]}}
    assert_error(alice.post("/checkPermissions/subjects/nginx:bob", json=bad), 400, "json.format.invalid")
    assert alice.post("/checkPermissions/subjects/nginx:bob", content=b"{", headers={
        "Content-Type": "application/json"}).status_code == 400
    assert alice.post("/checkPermissions/subjects/", json=checks(thing_id)).status_code == 400
    assert alice.get("/checkPermissions/subjects/nginx:bob").status_code == 405


def test_unauthenticated_callers_are_refused(server_url: str, thing_id: str) -> None:
    response = httpx.post(server_url + "/api/2/checkPermissions/subjects/nginx:bob", json=checks(thing_id),
                          timeout=30)
    assert response.status_code == 401


def test_who_may_not_read_an_imported_policy_gets_not_found(as_user: Users, thing_id: str) -> None:
    """An imported policy's entries count as the importer's: bob, who may read only the importer's entries, may not
    learn through another subject's verdicts who the imported policy lets in (here dave, whom bob cannot see)."""
    alice, bob, carol = as_user("alice"), as_user("bob"), as_user("carol")
    imported = thing_id + "-shared"
    shared = {"entries": {
        "owner": {"subjects": {"nginx:carol": {"type": "t"}}, "resources": {"policy:/": {"grant": ["READ", "WRITE"]}},
                  "importable": "never"},
        "operators": {"subjects": {"nginx:dave": {"type": "t"}, "nginx:alice": {"type": "t"}},
                      "resources": {"thing:/": {"grant": ["READ", "WRITE"]}, "policy:/": {"grant": ["READ"]}},
                      "importable": "implicit"}}}
    assert carol.put(f"/policies/{imported}", json=shared).status_code == 201
    importer = {"entries": {"owner": OWNER, "auditor": {"subjects": {"nginx:bob": {"type": "t"}},
                                                        "resources": {"policy:/entries": {"grant": ["READ"]}}}},
                "imports": {imported: {}}}
    assert alice.put(f"/policies/{thing_id}", json=importer).status_code == 201
    assert alice.put(f"/things/{thing_id}", json={"policyId": thing_id}).status_code == 201
    assert "nginx:dave" not in bob.get(f"/policies/{thing_id}/entries").text  # what bob may read
    write = {"w": {"resource": "thing:/", "entityId": thing_id, "hasPermissions": ["WRITE"]}}
    assert_error(bob.post("/checkPermissions/subjects/nginx:dave", json=write), 404, "things:thing.notfound")
    policy_write = {"w": {"resource": "policy:/", "entityId": thing_id, "hasPermissions": ["READ"]}}
    assert_error(bob.post("/checkPermissions/subjects/nginx:dave", json=policy_write), 404, "policies:policy.notfound")
    # alice may read both policies' entries: she is answered, the imported entry counted
    assert alice.post("/checkPermissions/subjects/nginx:dave", json=write).json() == {"w": True}


def test_oversize_deep_and_mistyped_bodies_are_refused(as_user: Users, thing_id: str) -> None:
    alice = as_user("alice")
    url = "/checkPermissions/subjects/nginx:bob"
    many = {f"c{n}": checks(thing_id)["read"] for n in range(20_000)}  # ~2 MB: past max_request_size
    assert_error(alice.post(url, json=many), 413, "request.toolarge")
    deep = b'{"x":' * 100_000 + b"1" + b"}" * 100_000
    assert alice.post(url, content=deep, headers={"Content-Type": "application/json"}).status_code == 400
    assert alice.post(url, content=b"{}", headers={"Content-Type": "text/plain"}).status_code == 415
    assert as_user("alice").get("/whoami").status_code == 200  # and the server still answers
