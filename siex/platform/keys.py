"""API key format, hashing and verification.

A key reads ``sk_live_<key_id>_<secret>``: ``key_id`` is stored in clear and indexed
(lookup in O(1)), the secret only as an HMAC-SHA256 under the server's pepper, and
compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

SCOPES = ("read", "write", "extract", "pipelines", "billing", "admin")
KEY_ID_BYTES = 8
SECRET_BYTES = 32


@dataclass(frozen=True)
class NewKey:
    plaintext: str  # shown once, never stored
    key_id: str
    secret_hash: str
    prefix: str


def hash_secret(secret: str, pepper: str) -> str:
    return hmac.new(pepper.encode(), secret.encode(), hashlib.sha256).hexdigest()


def generate_key(pepper: str, environment: str = "live") -> NewKey:
    key_id = secrets.token_hex(KEY_ID_BYTES)
    secret = secrets.token_urlsafe(SECRET_BYTES)
    return NewKey(
        plaintext=f"sk_{environment}_{key_id}_{secret}",
        key_id=key_id,
        secret_hash=hash_secret(secret, pepper),
        prefix=f"sk_{environment}_{key_id[:8]}",
    )


def split_key(plaintext: str) -> tuple[str, str] | None:
    """``(key_id, secret)`` of a well-formed key, else None."""
    parts = plaintext.split("_", 3)
    if len(parts) != 4 or parts[0] != "sk" or parts[1] not in ("live", "test"):
        return None
    key_id, secret = parts[2], parts[3]
    if len(key_id) != 2 * KEY_ID_BYTES or not secret:
        return None
    return key_id, secret


def verify_secret(secret: str, secret_hash: str, pepper: str) -> bool:
    return hmac.compare_digest(hash_secret(secret, pepper), secret_hash)
