"""Password hashing with argon2id, and the rules a new password must meet."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()  # RFC 9106's second recommended parameters: 64 MiB, 3 passes, about 0.1 s a hash


def use_test_parameters(cheap: bool) -> None:
    """argon2's cheapest parameters under APP_ENV=test: a test suite signs in hundreds of times, each 0.1 s of CPU
    otherwise. A hash carries its parameters, so hashes made under either setting verify under the other."""
    global _hasher
    wanted = profiles.CHEAPEST if cheap else profiles.RFC_9106_LOW_MEMORY
    if _hasher.memory_cost != wanted.memory_cost:
        _hasher = PasswordHasher.from_parameters(wanted)
        _dummy_hash.cache_clear()


@cache
def _dummy_hash() -> str:
    """Verified against when the username is unknown, so timing does not reveal which usernames exist."""
    return _hasher.hash("not-a-real-password")


MIN_LENGTH = 10
COMMON_PASSWORDS = Path(__file__).resolve().parent.parent / "data" / "common_passwords.txt"
# Why a password is refused: the API's message (English, as all its errors), and the reason code a client or the
# console turns into its own words.
RULES = {
    "short": f"At least {MIN_LENGTH} characters.",
    "username": "Must not contain the username.",
    "common": "Too common: it is on a list of passwords tried first by attackers.",
}


@cache
def _common() -> frozenset[str]:
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def weakness(password: str, username: str) -> str | None:
    """Which rule a new password breaks (a key of RULES), or None when it may be used."""
    if len(password) < MIN_LENGTH:
        return "short"
    if username and username.lower() in password.lower():
        return "username"
    if password.strip().lower() in _common():
        return "common"
    return None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False
