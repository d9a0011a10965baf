from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST

from tests.unit.auth.conftest import FakeClock
from tests.unit.auth.keys import ISSUER, SigningKey, claims, write_jwks
from twinhub.auth import AuthContext, Authenticator, BasicVerifier, JwtAuthenticator, OidcIssuer
from twinhub.auth.passwords import hash_password, needs_rehash, verify_password
from twinhub.model.errors import AuthenticationFailed, ServiceUnavailable
from twinhub.store.sqlite.users import SqliteUserStore

pytestmark = pytest.mark.anyio

PASSWORD = "s3cret-pässword"
Make = Callable[..., Authenticator]


def basic(username: str, password: str) -> dict[str, str]:
    encoded = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
    return {"authorization": f"Basic {encoded}"}


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


@pytest.fixture(scope="session")
def password_hash() -> str:
    return hash_password(PASSWORD)


@pytest.fixture
async def users(tmp_path: Path, password_hash: str) -> SqliteUserStore:
    store = SqliteUserStore(tmp_path / "things.db")
    await store.set_user("alice", password_hash)
    return store


@pytest.fixture
async def jwt(tmp_path: Path, rsa_key: SigningKey) -> AsyncIterator[JwtAuthenticator]:
    path = write_jwks(tmp_path / "jwks.json", rsa_key)
    async with JwtAuthenticator([OidcIssuer(key="sso", issuer=ISSUER, jwks_file=path)]) as validator:
        yield validator


@pytest.fixture
def verifier(users: SqliteUserStore, clock: FakeClock) -> BasicVerifier:
    return BasicVerifier(users, clock=clock)


@pytest.fixture
def make(verifier: BasicVerifier, jwt: JwtAuthenticator) -> Make:
    def build(**options: bool) -> Authenticator:
        return Authenticator(basic=verifier, jwt=jwt, **options)

    return build


async def rejected(authenticator: Authenticator, headers: dict[str, str], query: dict[str, str] | None = None,
                   match: str | None = None) -> AuthenticationFailed:
    with pytest.raises(AuthenticationFailed, match=match) as caught:
        await authenticator.authenticate(headers, query or {})
    assert caught.value.status == 401
    assert PASSWORD not in caught.value.message
    return caught.value


# --- each method ----------------------------------------------------------------------------------


async def test_bearer_token(make: Make, rsa_key: SigningKey) -> None:
    context = await make().authenticate(bearer(rsa_key.sign(claims())), {})
    assert context == AuthContext(("sso:alice",))
    assert context.default_subject == "sso:alice"
    assert context.expires_at is not None  # a session living on these credentials ends with the token


async def test_authorization_scheme_is_case_insensitive(make: Make, rsa_key: SigningKey) -> None:
    headers = {"authorization": f"bearer {rsa_key.sign(claims())}"}
    assert (await make().authenticate(headers, {})).subjects == ("sso:alice",)


async def test_access_token_query_parameter(make: Make, rsa_key: SigningKey) -> None:
    context = await make().authenticate({}, {"access_token": rsa_key.sign(claims())})
    assert context.subjects == ("sso:alice",)


async def test_basic_user_from_the_store(make: Make) -> None:
    assert (await make().authenticate(basic("alice", PASSWORD), {})).subjects == ("nginx:alice",)


async def test_basic_wrong_password_and_unknown_user(make: Make) -> None:
    authenticator = make()
    wrong = await rejected(authenticator, basic("alice", "guess"), match="username or password is wrong")
    unknown = await rejected(authenticator, basic("mallory", PASSWORD), match="username or password is wrong")
    assert wrong.message == unknown.message  # nothing tells which of the two it was


async def test_unknown_and_invalid_users_cost_a_full_argon2_check(make: Make, verifier: BasicVerifier) -> None:
    # Same work as a wrong password (verified against a dummy hash), so timing does not reveal users.
    authenticator = make()
    await rejected(authenticator, basic("alice", "guess"))
    assert verifier.verifications == 1
    await rejected(authenticator, basic("mallory", "guess"))
    assert verifier.verifications == 2
    await rejected(authenticator, basic("bad\x01name", "guess"))
    assert verifier.verifications == 3


async def test_basic_success_is_remembered_until_the_hash_changes(make: Make, verifier: BasicVerifier,
                                                                   users: SqliteUserStore, clock: FakeClock) -> None:
    authenticator = make()
    for _ in range(3):
        await authenticator.authenticate(basic("alice", PASSWORD), {})
    assert verifier.verifications == 1
    await rejected(authenticator, basic("alice", PASSWORD + "x"))  # a wrong password is no remembered success
    assert verifier.verifications == 2
    clock.advance(301)
    await authenticator.authenticate(basic("alice", PASSWORD), {})
    assert verifier.verifications == 3
    await users.set_user("alice", hash_password("new password"))  # `twinhub user passwd` meanwhile
    await rejected(authenticator, basic("alice", PASSWORD))
    assert (await authenticator.authenticate(basic("alice", "new password"), {})).subjects == ("nginx:alice",)
    await users.remove_user("alice")
    await rejected(authenticator, basic("alice", "new password"))


async def test_outdated_hash_is_replaced_on_login(users: SqliteUserStore) -> None:
    cheap = PasswordHasher.from_parameters(CHEAPEST)
    await users.set_user("bob", hash_password("bobs password", hasher=cheap))
    authenticator = Authenticator(basic=BasicVerifier(users))
    assert (await authenticator.authenticate(basic("bob", "bobs password"), {})).subjects == ("nginx:bob",)
    stored = await users.get_password_hash("bob")
    assert stored is not None and not needs_rehash(stored)
    assert verify_password(stored, "bobs password")


async def test_malformed_basic_credentials(make: Make) -> None:
    authenticator = make()
    await rejected(authenticator, {"authorization": "Basic !!!"}, match="could not be decoded")
    await rejected(authenticator, {"authorization": "Basic " + base64.b64encode(b"\xff\xfe:x").decode()},
                   match="could not be decoded")
    await rejected(authenticator, {"authorization": "Basic " + base64.b64encode(b"alice").decode()},
                   match="<username>:<password>")


async def test_unavailable_user_store_is_503_not_401(tmp_path: Path) -> None:
    broken = SqliteUserStore(tmp_path)  # a directory: sqlite cannot open it
    authenticator = Authenticator(basic=BasicVerifier(broken))
    with pytest.raises(ServiceUnavailable):
        await authenticator.authenticate(basic("alice", PASSWORD), {})


# --- precedence -----------------------------------------------------------------------------------


async def test_failing_bearer_does_not_fall_back_to_other_credentials(make: Make, rsa_key: SigningKey) -> None:
    expired = rsa_key.sign(claims(exp=1))
    await rejected(make(), bearer(expired), {"access_token": rsa_key.sign(claims())}, match="expired")


async def test_authorization_header_wins_over_the_query_token(make: Make, rsa_key: SigningKey) -> None:
    context = await make().authenticate(basic("alice", PASSWORD), {"access_token": rsa_key.sign(claims())})
    assert context.subjects == ("nginx:alice",)


async def test_pre_authenticated_header_is_ignored_by_default(make: Make) -> None:
    authenticator = make()
    context = await authenticator.authenticate({**basic("alice", PASSWORD), "x-ditto-pre-authenticated": "x:root"},
                                               {})
    assert context.subjects == ("nginx:alice",)
    await rejected(authenticator, {"x-ditto-pre-authenticated": "nginx:root"}, match="pre-authentication is disabled")


async def test_pre_authentication_when_enabled_wins_over_authorization(make: Make) -> None:
    authenticator = make(pre_authentication=True)
    assert (await authenticator.authenticate({"x-ditto-pre-authenticated": "nginx:ditto"}, {})).subjects == (
        "nginx:ditto",)
    # Like Ditto behind nginx: the proxy authenticated the user and may pass its Authorization header on.
    headers = {**basic("ditto", "only-nginx-knows"), "x-ditto-pre-authenticated": "nginx:ditto"}
    assert (await authenticator.authenticate(headers, {})).subjects == ("nginx:ditto",)


@pytest.mark.parametrize("value", ["nginx", "nginx:", ":ditto", "", "a:b\nc"])
async def test_malformed_pre_authenticated_header(make: Make, value: str) -> None:
    await rejected(make(pre_authentication=True), {"x-ditto-pre-authenticated": value}, match="<issuer>:<subject>")


async def test_no_credentials(make: Make) -> None:
    error = await rejected(make(), {})
    assert error.code == "gateway:authentication.failed"
    await rejected(make(), {"accept": "application/json"}, {"fields": "thingId"})


@pytest.mark.parametrize("header", ["Digest abc", "Negotiate", "Bearer", "Bearer   ", "Basic"])
async def test_unsupported_or_empty_authorization(make: Make, header: str) -> None:
    await rejected(make(), {"authorization": header})


# --- what is switched on --------------------------------------------------------------------------


async def test_dev_mode_accepts_any_basic_user_and_the_header(jwt: JwtAuthenticator, rsa_key: SigningKey) -> None:
    authenticator = Authenticator(jwt=jwt, dev=True)
    assert (await authenticator.authenticate(basic("anyone", "anything"), {})).subjects == ("nginx:anyone",)
    assert (await authenticator.authenticate(basic("anyone", ""), {})).subjects == ("nginx:anyone",)
    assert (await authenticator.authenticate({"x-ditto-pre-authenticated": "google:me"}, {})).subjects == (
        "google:me",)
    # Tokens are still checked for real.
    assert (await authenticator.authenticate(bearer(rsa_key.sign(claims())), {})).subjects == ("sso:alice",)
    await rejected(authenticator, bearer(rsa_key.sign(claims(exp=1))), match="expired")
    await rejected(authenticator, basic("", "x"), match="username")


async def test_basic_without_a_user_store_is_refused(jwt: JwtAuthenticator) -> None:
    await rejected(Authenticator(jwt=jwt), basic("alice", PASSWORD), match="not enabled")


async def test_bearer_without_issuers_is_refused(verifier: BasicVerifier, rsa_key: SigningKey) -> None:
    await rejected(Authenticator(basic=verifier), bearer(rsa_key.sign(claims())), match="no OpenID Connect issuer")


async def test_warnings_announce_insecure_setups(verifier: BasicVerifier, jwt: JwtAuthenticator) -> None:
    assert Authenticator(basic=verifier, jwt=jwt).warnings() == []
    assert Authenticator(basic=verifier).warnings() == []
    dev = Authenticator(dev=True).warnings()
    assert len(dev) == 1 and "INSECURE" in dev[0] and "x-ditto-pre-authenticated" in dev[0]
    pre = Authenticator(jwt=jwt, pre_authentication=True).warnings()
    assert len(pre) == 1 and "proxy" in pre[0]
    assert "every request will be rejected" in Authenticator().warnings()[0]


async def test_warnings_at_start_say_how_to_add_the_first_user(tmp_path: Path, jwt: JwtAuthenticator,
                                                                 users: SqliteUserStore) -> None:
    nobody = BasicVerifier(SqliteUserStore(tmp_path / "empty.db"))
    [warning] = await Authenticator(basic=nobody).warnings_at_start()
    assert "No user exists yet" in warning and "twinhub user add <name>" in warning
    # Another way in, or a user: nothing to say.
    assert await Authenticator(basic=nobody, jwt=jwt).warnings_at_start() == []
    assert await Authenticator(basic=nobody, pre_authentication=True).warnings_at_start() == [
        *Authenticator(basic=nobody, pre_authentication=True).warnings()]
    assert all("No user" not in text for text in await Authenticator(basic=nobody, dev=True).warnings_at_start())
    assert await Authenticator(basic=BasicVerifier(users)).warnings_at_start() == []


async def test_aclose_closes_the_jwt_validator(jwt: JwtAuthenticator, rsa_key: SigningKey) -> None:
    async with Authenticator(jwt=jwt) as authenticator:
        pass
    with pytest.raises(RuntimeError, match="closed"):
        await authenticator.authenticate(bearer(rsa_key.sign(claims())), {})
