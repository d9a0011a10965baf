"""Conditional headers on policy resources (issue 15, part E item 1).

Ditto validates `If-Match` / `If-None-Match` as lists of entity-tag matchers before anything else
(base/model/.../headers/EntityTagMatchersValueValidator.java, EntityTagMatcher.isValid, EntityTag.Regex:
`*` or `(W/)?"[^"*]*"`, split at commas) and answers a bad one 400 `header.invalid`
(DittoHeaderInvalidException.newInvalidTypeBuilder(..., "entity-tag")).
"""

from __future__ import annotations

import httpx
import pytest

from tests.api.helpers import assert_error


@pytest.fixture
def policy(client: httpx.Client, thing_id: str) -> str:
    assert client.put(f"/things/{thing_id}", json={}).status_code == 201
    return f"/policies/{thing_id}"


@pytest.mark.parametrize("value", ['rev:1', '"rev:1', 'W/rev', '"a*b"', '"rev:1",, x', 'W/ "x"'])
@pytest.mark.parametrize("header", ["if-match", "if-none-match"])
def test_invalid_entity_tag_is_400_on_read_and_write(client: httpx.Client, policy: str, header: str,
                                                     value: str) -> None:
    """EntityTagMatcherValueValidator: every comma-separated part must be `*` or a (weak) quoted entity-tag."""
    body = assert_error(client.get(policy, headers={header: value}), 400, "header.invalid")
    assert header in str(body["message"])
    before = client.get(policy).json()
    assert_error(client.put(f"{policy}/entries/more", headers={header: value},
                            json={"subjects": {"nginx:x": {"type": "t"}}, "resources": {}}), 400, "header.invalid")
    assert_error(client.delete(f"{policy}/entries/DEFAULT", headers={header: value}), 400, "header.invalid")
    assert client.get(policy).json() == before


@pytest.mark.parametrize("value", ['*', '"x"', 'W/"x"', '"a", W/"b" ,"c"', '""'])
def test_valid_entity_tags_are_compared(client: httpx.Client, policy: str, value: str) -> None:
    """EntityTagMatchers: valid lists are evaluated (a mismatch is 412, `*` matches an existing policy)."""
    status = client.get(policy, headers={"if-match": value}).status_code
    assert status == (200 if value == "*" else 412)


def test_delete_answers_carry_no_etag(client: httpx.Client, policy: str) -> None:
    """Ditto's DeletePolicy/DeletePolicyEntry... responses have no entity to tag (ETagEntityProvider of the
    policy delete strategies answers empty): 204 without ETag, also when the delete was conditional."""
    extra = {"subjects": {"nginx:x": {"type": "t"}}, "resources": {"thing:/": {"grant": ["READ"]}}}
    assert client.put(f"{policy}/entries/extra", json=extra).status_code == 201
    for part in ("entries/extra/subjects/nginx:x", "entries/extra"):
        response = client.delete(f"{policy}/{part}", headers={"if-match": "*"})
        assert response.status_code == 204 and "etag" not in response.headers, part
    assert client.get(f"{policy}/entries/extra").status_code == 404
    response = client.delete(policy, headers={"if-match": client.get(policy).headers["ETag"]})
    assert response.status_code == 204 and "etag" not in response.headers
