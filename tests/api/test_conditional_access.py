"""ETags and conditional requests depend only on what the caller may READ (issue 10, item 1).

A part of a thing or policy is tagged by a hash of the caller's READ view of it, so a revoked value can be
neither guessed offline from the tag nor confirmed by a precondition (304, 412) or an `if-equal` skip.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from tests.api.helpers import MERGE, assert_error
from tests.api.websocket import open_socket, topic
from twinhub.model.etag import hash_tag
from twinhub.testing import Server

Users = Callable[[str], httpx.Client]
ALL = ["READ", "WRITE"]
ATTRIBUTES = {"model": "T1", "secret": "s3cr3t"}
OWNER = {"subjects": {"nginx:alice": {"type": "test"}},
         "resources": {"thing:/": {"grant": ALL, "revoke": []}, "policy:/": {"grant": ALL, "revoke": []}}}
# bob reads the thing but the secret, and may write the attributes; he reads one entry of the policy only.
EDITOR = {"subjects": {"nginx:bob": {"type": "test"}},
          "resources": {"thing:/": {"grant": ["READ"], "revoke": []},
                        "thing:/attributes": {"grant": ["WRITE"], "revoke": []},
                        "thing:/attributes/secret": {"grant": [], "revoke": ["READ"]},
                        "policy:/entries/editor": {"grant": ["READ"], "revoke": []}}}


@pytest.fixture
def shared(as_user: Users, thing_id: str) -> str:
    alice = as_user("alice")
    assert alice.put(f"/things/{thing_id}", json={"attributes": ATTRIBUTES}).status_code == 201
    assert alice.put(f"/policies/{thing_id}", json={"entries": {"owner": OWNER, "editor": EDITOR}}).status_code == 204
    return thing_id


def test_a_restricted_reader_gets_the_tag_of_what_it_sees(as_user: Users, shared: str) -> None:
    response = as_user("bob").get(f"/things/{shared}/attributes")
    assert response.json() == {"model": "T1"}
    assert response.headers["ETag"] == hash_tag({"model": "T1"})
    assert as_user("alice").get(f"/things/{shared}/attributes").headers["ETag"] == hash_tag(ATTRIBUTES)


def test_a_guessed_full_value_tag_is_no_304_for_a_restricted_reader(as_user: Users, shared: str) -> None:
    bob = as_user("bob")
    guessed = hash_tag(ATTRIBUTES)
    response = bob.get(f"/things/{shared}/attributes", headers={"If-None-Match": guessed})
    assert response.status_code == 200
    assert response.headers["ETag"] != guessed
    # a right and a wrong guess are answered alike
    wrong = hash_tag({**ATTRIBUTES, "secret": "wrong"})
    for tag in (guessed, wrong):
        assert_error(bob.get(f"/things/{shared}/attributes", headers={"If-Match": tag}), 412,
                     "things:precondition.failed")


def test_conditional_reads_still_answer_304_on_the_own_tag(as_user: Users, shared: str) -> None:
    for name in ("alice", "bob"):
        user = as_user(name)
        tag = user.get(f"/things/{shared}/attributes").headers["ETag"]
        response = user.get(f"/things/{shared}/attributes", headers={"If-None-Match": tag})
        assert response.status_code == 304
        assert response.headers["ETag"] == tag
        assert user.get(f"/things/{shared}/attributes", headers={"If-Match": tag}).status_code == 200


def test_websocket_retrieve_tags_what_the_caller_sees(server: Server, shared: str) -> None:
    retrieve = {"topic": topic(shared, "things/twin/commands/retrieve"), "path": "/attributes"}
    with open_socket(server.base_url, "bob") as socket:
        guessed = socket.request({**retrieve, "headers": {"if-none-match": hash_tag(ATTRIBUTES)}})
        assert guessed["status"] == 200
        assert guessed["value"] == {"model": "T1"}
        assert guessed["headers"]["etag"] == hash_tag({"model": "T1"})
        own = socket.request({**retrieve, "headers": {"if-none-match": hash_tag({"model": "T1"})}})
        assert own["status"] == 304


def test_write_preconditions_compare_with_the_tag_the_writer_sees(as_user: Users, shared: str) -> None:
    bob = as_user("bob")
    path = f"/things/{shared}/attributes"
    guessed = hash_tag(ATTRIBUTES)
    assert_error(bob.patch(path, json={"model": "T2"}, headers={**MERGE, "If-Match": guessed}), 412,
                 "things:precondition.failed")
    # If-None-Match with the full value's tag does not match what bob sees, so the write goes through
    response = bob.patch(path, json={"model": "T2"}, headers={**MERGE, "If-None-Match": guessed})
    assert response.status_code == 204
    # the tag of the written part is again what bob sees, and it works as If-Match
    assert response.headers["ETag"] == hash_tag({"model": "T2"})
    response = bob.patch(path, json={"model": "T3"}, headers={**MERGE, "If-Match": hash_tag({"model": "T2"})})
    assert response.status_code == 204
    assert as_user("alice").get(path).json() == {**ATTRIBUTES, "model": "T3"}


def test_if_equal_skip_does_not_confirm_an_unreadable_value(as_user: Users, shared: str) -> None:
    bob = as_user("bob")
    path = f"/things/{shared}/attributes"
    # the right guess is applied (a change of nothing), as a wrong one would be: never refused
    assert bob.put(path, json=ATTRIBUTES, headers={"if-equal": "skip"}).status_code == 204
    response = bob.patch(path, json={"secret": "s3cr3t"}, headers={**MERGE, "if-equal": "skip-minimizing-merge"})
    assert response.status_code == 204
    assert as_user("alice").get(path).json() == ATTRIBUTES
    # what bob can read is still skipped when it would not change
    assert_error(bob.put(f"{path}/model", json="T1", headers={"if-equal": "skip"}), 412,
                 "things:precondition.failed")
    assert_error(bob.patch(path, json={"model": "T1"}, headers={**MERGE, "if-equal": "skip-minimizing-merge"}),
                 412, "things:precondition.failed")
    assert bob.put(path, json={"model": "T1", "secret": "wrong"}, headers={"if-equal": "skip"}).status_code == 204


def test_if_equal_skip_still_skips_for_a_full_reader(as_user: Users, shared: str) -> None:
    alice = as_user("alice")
    path = f"/things/{shared}/attributes"
    assert_error(alice.put(path, json=ATTRIBUTES, headers={"if-equal": "skip"}), 412, "things:precondition.failed")
    assert_error(alice.patch(path, json={"secret": "s3cr3t"}, headers={**MERGE, "if-equal": "skip-minimizing-merge"}),
                 412, "things:precondition.failed")


def test_policy_entries_are_tagged_by_what_the_caller_sees(as_user: Users, shared: str) -> None:
    bob, alice = as_user("bob"), as_user("alice")
    path = f"/policies/{shared}/entries"
    full = alice.get(path)
    response = bob.get(path)
    assert response.json() == {"editor": full.json()["editor"]}
    assert response.headers["ETag"] == hash_tag(response.json())
    assert full.headers["ETag"] == hash_tag(full.json())
    assert bob.get(path, headers={"If-None-Match": full.headers["ETag"]}).status_code == 200
    assert bob.get(path, headers={"If-None-Match": response.headers["ETag"]}).status_code == 304
    assert alice.get(path, headers={"If-None-Match": full.headers["ETag"]}).status_code == 304


def test_policy_write_preconditions_are_no_oracle(as_user: Users, shared: str) -> None:
    full = as_user("alice").get(f"/policies/{shared}/entries")
    wrong = hash_tag({**full.json(), "other": {}})
    for name in ("bob", "mallory"):  # may read a part, may read nothing: the answer does not depend on the tag
        user = as_user(name)
        answers = {(response.status_code, response.json()["error"])
                   for tag in (full.headers["ETag"], wrong)
                   for response in [user.put(f"/policies/{shared}/entries", json=full.json(),
                                             headers={"If-Match": tag})]}
        assert len(answers) == 1, answers
        assert answers.pop()[0] in (403, 404)
    # the owner's precondition still works as before
    response = as_user("alice").put(f"/policies/{shared}/entries", json=full.json(), headers={"If-Match": wrong})
    assert_error(response, 412, "policies:precondition.failed")
    response = as_user("alice").put(f"/policies/{shared}/entries", json=full.json(),
                                    headers={"If-Match": full.headers["ETag"]})
    assert response.status_code == 204
    assert response.headers["ETag"] == as_user("alice").get(f"/policies/{shared}/entries").headers["ETag"]
    # a part shown with its default is tagged as a GET shows it, also right after writing it
    path = f"/policies/{shared}/entries/editor/references"  # an empty list is not stored
    response = as_user("alice").put(path, json=[])
    assert response.headers["ETag"] == as_user("alice").get(path).headers["ETag"] == hash_tag([])


# -- conditions name only what the caller may read (issue 15) ---------------------------------------------------

UNREADABLE = "The specified resource in the condition could not be found or the requester had insufficient " \
             "permissions to access it."


@pytest.mark.parametrize("condition", ["not(exists(attributes/secret))", "exists(attributes/secret)",
                                       'ne(attributes/secret,"x")', 'and(eq(attributes/model,"T1"),'
                                       'not(exists(attributes/secret)))', "exists(attributes/)"])
def test_a_condition_naming_an_unreadable_field_fails_whatever_it_says(as_user: Users, shared: str,
                                                                        condition: str) -> None:
    """Ditto's `ThingCommandEnforcement.enforceReadPermissionOnCondition` needs unrestricted READ on every field
    of the condition (`attributes/` holds the revoked secret) and fails the request with
    `ThingConditionFailedException.newBuilderForInsufficientPermission` (412) before evaluating it: a negated
    `exists` cannot confirm that a revoked field is there."""
    bob = as_user("bob")
    path = f"/things/{shared}/attributes/model"
    body = assert_error(bob.put(path, json="T2", params={"condition": condition}), 412, "things:condition.failed")
    assert body["message"] == UNREADABLE
    assert_error(bob.get(path, headers={"condition": condition}), 412, "things:condition.failed")
    assert_error(bob.patch(f"/things/{shared}/attributes", json={"model": "T2"}, headers={**MERGE,
                 "condition": condition}), 412, "things:condition.failed")
    assert as_user("alice").get(path).json() == "T1"
    # the owner, who may read the secret, gets the condition evaluated
    assert as_user("alice").get(path, params={"condition": "exists(attributes/secret)"}).status_code == 200


def test_a_condition_on_readable_fields_is_evaluated(as_user: Users, shared: str) -> None:
    """Fields the caller may read, present or not, are evaluated as before (Ditto `ThingConditionValidator`)."""
    bob = as_user("bob")
    path = f"/things/{shared}/attributes/model"
    assert bob.put(path, json="T2", params={"condition": "not(exists(attributes/missing))"}).status_code == 204
    assert bob.put(path, json="T3", params={"condition": 'and(eq(attributes/model,"T2"),gt(_revision,1))'}
                   ).status_code == 204
    body = assert_error(bob.put(path, json="T4", params={"condition": 'eq(attributes/model,"T2")'}), 412,
                        "things:condition.failed")
    assert body["message"] != UNREADABLE


def test_the_condition_is_checked_before_the_write_permission(as_user: Users, shared: str) -> None:
    """Ditto checks the condition's fields before the command's permission (412 before 403), for a caller who may
    read nothing of the thing as well (ThingCommandEnforcement.authorizeByPolicyOrThrow:
    enforceReadPermissionOnCondition comes first, whatever the caller may read); without a condition that caller's
    write is 403, as any unauthorized write."""
    condition = {"condition": "exists(attributes/secret)"}
    assert_error(as_user("bob").put(f"/things/{shared}/policyId", json="x:y", params=condition), 412,
                 "things:condition.failed")
    assert_error(as_user("mallory").put(f"/things/{shared}/attributes/model", json="T2", params=condition), 412,
                 "things:condition.failed")
    assert_error(as_user("mallory").put(f"/things/{shared}/attributes/model", json="T2"), 403,
                 "things:attribute.notmodifiable")


def test_websocket_conditions_name_only_readable_fields(server: Server, shared: str) -> None:
    """The Ditto Protocol `condition` header meets the same enforcement (Ditto `ThingCommandEnforcement`)."""
    modify = {"topic": topic(shared, "things/twin/commands/modify"), "path": "/attributes/model", "value": "T2",
              "headers": {"condition": "not(exists(attributes/secret))"}}
    with open_socket(server.base_url, "bob") as socket:
        refused = socket.request(modify)
        assert (refused["status"], refused["value"]["error"]) == (412, "things:condition.failed")
        modify["headers"] = {"condition": "not(exists(attributes/missing))"}
        assert socket.request(modify)["status"] == 204
