from __future__ import annotations

import twinhub.auth


def test_public_surface() -> None:
    assert twinhub.auth.__all__ == [
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
    for name in twinhub.auth.__all__:
        assert hasattr(twinhub.auth, name)


def test_auth_imports_no_web_framework() -> None:
    import sys

    assert not any(name.startswith("twinhub.api") for name in sys.modules if name.startswith("twinhub.auth"))
    for module in list(sys.modules):
        if module.startswith("twinhub.auth"):
            source = sys.modules[module].__file__ or ""
            if source.endswith(".py"):
                with open(source, encoding="utf-8") as file:
                    text = file.read()
                assert "starlette" not in text, module
