"""Password policy and Argon2id hashes (argon2-cffi, its RFC 9106 low-memory profile)."""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH, MAX_LENGTH = 10, 256
# The most used passwords of public breach lists that pass the length rule.
COMMON = frozenset(
    [
        "1234567890",
        "12345678910",
        "123456789a",
        "qwertyuiop",
        "1q2w3e4r5t",
        "1qaz2wsx3edc",
        "password12",
        "password123",
        "password1234",
        "qwerty1234",
        "qwerty12345",
        "iloveyou12",
        "abcdefghij",
        "0987654321",
        "1111111111",
        "0000000000",
        "passw0rd12",
        "letmein123",
        "welcome123",
        "administrator",
        "changeme123",
        "superman123",
        "football123",
        "baseball123",
        "dragon1234",
        "monkey1234",
        "sunshine12",
    ]
)


class WeakPassword(ValueError):
    pass


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    return PasswordHasher()  # Argon2id, t=3, m=64 MiB, p=4


def check_policy(password: str, email: str = "") -> None:
    """Raise WeakPassword with a reason a person can act on."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"use at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"use at most {MAX_LENGTH} characters")
    if password.lower() in COMMON or len(set(password)) < 4:
        raise WeakPassword("this password is too common or too repetitive")
    local = email.split("@")[0].lower()
    if len(local) >= 4 and local in password.lower():
        raise WeakPassword("the password must not contain the email address")


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def dummy_verify() -> None:
    """Spend the time of a real check, so unknown emails answer as slowly as known ones."""
    verify_password("not the password", _dummy_hash())


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password("a dummy password nobody uses")
