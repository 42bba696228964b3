"""Passwords and tokens. The only module that imports jose or pwdlib."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from jose import JWTError, jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from app.models.types import utcnow

JWT_ALGORITHM = "HS256"
JWT_AUDIENCE = {"web": "cyberspotter:web", "api": "cyberspotter:api"}
JWT_ISSUER = "cyberspotter"
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256

def _hasher() -> PasswordHash:
    # The test suite registers hundreds of accounts: it uses cheap parameters, never production.
    if os.environ.get("CYBERSPOTTER_ENV") == "test":
        return PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),))
    return PasswordHash((Argon2Hasher(),))


_password_hash = _hasher()
# Verifying against this when the account does not exist keeps the answer's timing the same.
_DUMMY_HASH = _password_hash.hash("an account that does not exist")


def hash_password(password: str) -> str:
    return _password_hash.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    if not password_hash:
        _password_hash.verify(password, _DUMMY_HASH)
        return False
    try:
        return _password_hash.verify(password, password_hash)
    except Exception:  # a malformed stored hash is a failed login, not a crash
        return False


def burn_password_check(password: str) -> None:
    """Spend the time of a real check when there is no account to check against."""
    _password_hash.verify(password, _DUMMY_HASH)


@cache
def _common_passwords() -> frozenset[str]:
    return frozenset(FREQUENCY_LISTS["passwords"])


def password_weakness(password: str, *, user_inputs: tuple[str, ...] = ()) -> str | None:
    """A machine code for why a password is refused, or None when it is acceptable."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return "too_short"
    if len(password) > MAX_PASSWORD_LENGTH:
        return "too_long"
    if password.lower() in _common_passwords():
        return "common"
    if zxcvbn(password[:100], user_inputs=list(user_inputs))["score"] < 2:
        return "guessable"
    return None


@dataclass(frozen=True)
class TokenClaims:
    user_id: int
    session_id: str
    kind: str
    expires_at: datetime


def create_token(*, key: str, user_id: int, session_id: str, kind: str, ttl: timedelta) -> str:
    now = utcnow()
    claims = {
        "sub": str(user_id),
        "sid": session_id,
        "aud": JWT_AUDIENCE[kind],
        "iss": JWT_ISSUER,
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
    }
    return jwt.encode(claims, key, algorithm=JWT_ALGORITHM)


def decode_token(token: str, *, key: str, kind: str) -> TokenClaims | None:
    """The claims of a valid token of this kind, or None for anything else (tampered, expired, alg=none...)."""
    try:
        header = jwt.get_unverified_header(token)
        if header.get("alg") != JWT_ALGORITHM:
            return None
        claims = jwt.decode(
            token,
            key,
            algorithms=[JWT_ALGORITHM],
            audience=JWT_AUDIENCE[kind],
            issuer=JWT_ISSUER,
            options={"require_exp": True, "require_iat": True, "require_sub": True, "require_aud": True},
        )
        session_id = claims.get("sid")
        if not isinstance(session_id, str) or not session_id:
            return None
        return TokenClaims(
            user_id=int(claims["sub"]),
            session_id=session_id,
            kind=kind,
            expires_at=datetime.fromtimestamp(claims["exp"]).astimezone(),
        )
    except (JWTError, ValueError, KeyError, TypeError):
        return None


def new_session_id() -> str:
    return secrets.token_urlsafe(32)


def csrf_token(*, key: str, binding: str) -> str:
    """A CSRF token bound to a session (or, before login, to the visitor's anonymous cookie)."""
    return hmac.new(key.encode(), f"csrf:{binding}".encode(), hashlib.sha256).hexdigest()


def csrf_valid(token: str | None, *, key: str, binding: str) -> bool:
    return bool(token) and hmac.compare_digest(token, csrf_token(key=key, binding=binding))


def new_api_key() -> str:
    return "csk_" + secrets.token_urlsafe(32)


def hash_api_key(api_key: str) -> str:
    """API keys are long and random, so a plain SHA-256 is the right (and fast) way to store them."""
    return hashlib.sha256(api_key.encode()).hexdigest()


def sign_value(*, key: str, value: str) -> str:
    """An HMAC for short-lived links (evidence URLs in webhooks)."""
    return hmac.new(key.encode(), value.encode(), hashlib.sha256).hexdigest()
