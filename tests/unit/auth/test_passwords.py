from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST

from twinhub.auth.passwords import MAX_PASSWORD_LENGTH, dummy_hash, hash_password, needs_rehash, verify_password


def test_hash_is_argon2id_with_a_random_salt() -> None:
    first, second = hash_password("correct horse"), hash_password("correct horse")
    assert first.startswith("$argon2id$")
    assert first != second


def test_verify_accepts_the_right_password_only() -> None:
    password_hash = hash_password("correct horse")
    assert verify_password(password_hash, "correct horse") is True
    assert verify_password(password_hash, "correct hors") is False
    assert verify_password(password_hash, "") is False


def test_verify_returns_false_for_a_malformed_hash() -> None:
    assert verify_password("not a hash", "secret") is False
    assert verify_password("$argon2id$v=19$m=65536,t=3,p=4$broken", "secret") is False
    assert verify_password("", "secret") is False


def test_hash_refuses_empty_and_overlong_passwords() -> None:
    with pytest.raises(ValueError, match="empty"):
        hash_password("")
    with pytest.raises(ValueError, match="longer"):
        hash_password("x" * (MAX_PASSWORD_LENGTH + 1))


def test_non_ascii_passwords_round_trip() -> None:
    password_hash = hash_password("pässwörd-✓")
    assert verify_password(password_hash, "pässwörd-✓")
    assert not verify_password(password_hash, "passwort-✓")


def test_needs_rehash_when_the_parameters_changed() -> None:
    cheap = PasswordHasher.from_parameters(CHEAPEST)
    old = hash_password("secret", hasher=cheap)
    assert needs_rehash(old) is True
    assert needs_rehash(old, hasher=cheap) is False
    assert needs_rehash(hash_password("secret")) is False
    # The old hash still verifies under the current parameters: the hash says how it was made.
    assert verify_password(old, "secret")


def test_needs_rehash_for_something_that_is_no_argon2_hash() -> None:
    assert needs_rehash("$2b$12$bcrypt-style") is True


def test_dummy_hash_verifies_no_guessable_password() -> None:
    assert dummy_hash().startswith("$argon2id$")
    assert not verify_password(dummy_hash(), "")
    assert not verify_password(dummy_hash(), "password")
