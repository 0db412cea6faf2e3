"""Password hashing (Argon2id), CSRF tokens, and the hashes of tokens kept in the database."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
MIN_PASSWORD = 10


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"a password of at least {MIN_PASSWORD} characters")
    return _hasher.hash(password)


def verify_password(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


# made once: checking a password against it for an unknown user name takes as long as for a
# real account, so the answer's timing does not tell which names exist
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def spend_a_verification(password: str) -> None:
    verify_password(_DUMMY_HASH, password)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What the database keeps of a secret token (a self-report link, a login session)."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def new_csrf_token() -> str:
    return new_token()


def same_token(expected: object, given: object) -> bool:
    # compare bytes: compare_digest refuses non-ASCII str, and a forged token may hold any text
    if not (isinstance(expected, str) and isinstance(given, str) and expected and given):
        return False
    return hmac.compare_digest(expected.encode("utf-8", "surrogatepass"), given.encode("utf-8", "surrogatepass"))
