from __future__ import annotations

import httpx

MERGE = {"Content-Type": "application/merge-patch+json"}


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    """The response is Ditto's error body with this status and error code."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status"] == status
    assert body["error"] == code, body
    assert isinstance(body["message"], str) and body["message"]
    return body  # type: ignore[no-any-return]


def writer_policy(owner: str, writer: str, revoked: dict[str, list[str]]) -> dict[str, object]:
    """A policy by which `owner` (a dev user) may do all, `writer` read and write the thing but the permissions
    `revoked` maps its paths to (e.g. `{"thing:/attributes/secret": ["WRITE"]}`)."""
    grant = {"grant": ["READ", "WRITE"], "revoke": []}
    revokes = {path: {"grant": [], "revoke": permissions} for path, permissions in revoked.items()}
    return {"entries": {
        "owner": {"subjects": {f"nginx:{owner}": {"type": "test"}}, "resources": {"thing:/": grant, "policy:/": grant}},
        "writer": {"subjects": {f"nginx:{writer}": {"type": "test"}}, "resources": {"thing:/": grant, **revokes}}}}


def owner_and(subject: str, resources: dict[str, object], owner: str = "ditto") -> dict[str, object]:
    """A policy by which `owner` (a dev user) may do all (thing, policy, messages) and `subject` (a dev user)
    what `resources` grant."""
    grant = {"grant": ["READ", "WRITE"], "revoke": []}
    return {"entries": {
        "owner": {"subjects": {f"nginx:{owner}": {"type": "test"}},
                  "resources": {"thing:/": grant, "policy:/": grant, "message:/": grant}},
        "other": {"subjects": {f"nginx:{subject}": {"type": "test"}}, "resources": resources}}}
