"""Access tokens (JWT, HS256, short-lived) and opaque random tokens stored hashed
(refresh, email verification, password reset, invitation)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt

from siex.platform.models import utcnow

ALGORITHM = "HS256"
ISSUER = "siex"
AUDIENCE = "siex-api"


class InvalidToken(Exception):
    pass


@dataclass(frozen=True)
class AccessClaims:
    user_id: str
    session_id: str
    expires_at: datetime


def issue_access_token(
    user_id: str, session_id: str, secret: str, ttl: timedelta, now: datetime | None = None
) -> tuple[str, datetime]:
    now = now or utcnow()
    expires = now + ttl
    claims = {
        "sub": user_id,
        "sid": session_id,
        "typ": "access",
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": int(now.timestamp()),
        "exp": int(expires.timestamp()),
        "jti": secrets.token_hex(8),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM), expires


def decode_access_token(token: str, secret: str) -> AccessClaims:
    """Claims of a valid access token; InvalidToken for anything else, ``alg: none``
    and other algorithms included (only HS256 is accepted)."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "sid", "typ"]},
        )
    except jwt.PyJWTError as exc:
        raise InvalidToken(str(exc)) from exc
    if claims.get("typ") != "access":
        raise InvalidToken("not an access token")
    return AccessClaims(
        claims["sub"], claims["sid"], datetime.fromtimestamp(claims["exp"], utcnow().tzinfo)
    )


def looks_like_jwt(token: str) -> bool:
    return token.count(".") == 2 and not token.startswith("sk_")


def new_opaque_token() -> tuple[str, str]:
    """A random token (given to the user once) and its SHA-256 (stored)."""
    token = secrets.token_urlsafe(32)
    return token, digest(token)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
