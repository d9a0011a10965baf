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
