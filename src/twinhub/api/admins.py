"""Who may manage the platform itself (connections, devices, Thing Models kept in twinhub): its admins, the
subjects in `admin_subjects`, as only Ditto's devops subjects may manage connections; in development mode any
authenticated subject. Anyone else gets Ditto's answer to a subject that is not a devops subject, 401
`gateway:authentication.failed`."""

from __future__ import annotations

from typing import Final

from starlette.requests import Request

from twinhub.auth import AuthContext, Authenticator
from twinhub.config import Settings
from twinhub.model.errors import AuthenticationFailed

__all__ = ["authorize_admin", "is_admin"]

_SHOWN_SUBJECTS: Final = 10  # of a refused caller's subjects, echoed in the error, each cut at _SHOWN_LENGTH
_SHOWN_LENGTH: Final = 100


def is_admin(settings: Settings, auth: AuthContext) -> bool:
    return settings.dev_auth or any(subject in settings.admin_subjects for subject in auth.subjects)


async def authorize_admin(authenticator: Authenticator, settings: Settings, request: Request) -> AuthContext:
    """The request's subjects if one of them is an admin; raises 401 `gateway:authentication.failed`
    otherwise (and whatever authenticating raises)."""
    auth = await authenticator.authenticate(request.headers, request.query_params)
    if is_admin(settings, auth):
        return auth
    # The caller's own subjects, not the expected ones: who the admins are is not for others to learn.
    shown = ", ".join(subject[:_SHOWN_LENGTH] for subject in auth.subjects[:_SHOWN_SUBJECTS])
    raise AuthenticationFailed(f"Unauthorized subject(s): <[{shown}]>.")
