"""Authentication: requests -> Ditto subjects, by OpenID Connect bearer tokens, HTTP basic users,
a trusted proxy's pre-authenticated header, or (insecure) dev mode.

    authenticator = build_authenticator(user_store=SqliteUserStore(path), oidc_issuers=issuers)
    context = await authenticator.authenticate(headers, query)   # AuthContext or AuthenticationFailed
"""

from twinhub.auth.authenticator import (
    ACCESS_TOKEN_PARAM,
    BASIC_SUBJECT_ISSUER,
    PRE_AUTHENTICATED_HEADER,
    Authenticator,
)
from twinhub.auth.basic import BasicVerifier
from twinhub.auth.context import AuthContext
from twinhub.auth.jwt import JwtAuthenticator, OidcIssuer
from twinhub.auth.passwords import hash_password, needs_rehash, verify_password
from twinhub.auth.settings import build_authenticator, oidc_issuers_to_json, parse_oidc_issuers
from twinhub.model.errors import JwtIssuerNotSupported

__all__ = [
    "ACCESS_TOKEN_PARAM",
    "BASIC_SUBJECT_ISSUER",
    "PRE_AUTHENTICATED_HEADER",
    "AuthContext",
    "Authenticator",
    "BasicVerifier",
    "JwtAuthenticator",
    "JwtIssuerNotSupported",
    "OidcIssuer",
    "build_authenticator",
    "hash_password",
    "needs_rehash",
    "oidc_issuers_to_json",
    "parse_oidc_issuers",
    "verify_password",
]
