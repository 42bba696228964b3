"""Standard Webhooks v1 signatures (https://www.standardwebhooks.com/).

A receiver verifies our requests with any Standard Webhooks library and the secret
the admin was shown once. The signed content is ``"{webhook-id}.{webhook-timestamp}.{body}"``
and the key is the base64-decoded part of the secret after ``whsec_``.

During a secret rotation both the new and the old secret sign, newest first, so a
receiver that still holds the old secret keeps verifying until it switches.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets as _random
from collections.abc import Sequence

from ulid import ULID

SECRET_PREFIX = "whsec_"  # noqa: S105 (a format prefix, not a secret)
SECRET_BYTES = 32
# Receivers reject timestamps further than this from their clock (the spec's default).
TIMESTAMP_TOLERANCE_SECONDS = 5 * 60


class InvalidSecretError(ValueError):
    """A webhook secret that is not ``whsec_`` + base64 of at least one byte."""


def generate_secret() -> str:
    """A new secret: ``whsec_`` + base64 of 32 random bytes. Show it to the admin once."""
    return SECRET_PREFIX + base64.b64encode(_random.token_bytes(SECRET_BYTES)).decode("ascii")


def new_message_id() -> str:
    """A message id (``msg_`` + ULID). It stays the same across every retry of a message."""
    return f"msg_{ULID()}"


def secret_key(secret: str) -> bytes:
    """The HMAC key of a secret: the base64-decoded part after ``whsec_``."""
    if not secret.startswith(SECRET_PREFIX):
        raise InvalidSecretError("a webhook secret starts with 'whsec_'")
    encoded = secret[len(SECRET_PREFIX) :]
    try:
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidSecretError("a webhook secret is base64 after 'whsec_'") from exc
    if not key:
        raise InvalidSecretError("a webhook secret may not be empty")
    return key


def _signature(key: bytes, msg_id: str, timestamp: int, body: bytes) -> bytes:
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return hmac.new(key, signed, hashlib.sha256).digest()


def sign(*, secrets: Sequence[str], msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header: ``v1,<base64>`` per secret, newest secret first."""
    if isinstance(secrets, str):
        # A lone string is a sequence of characters: refuse it rather than sign with "w".
        raise TypeError("secrets is a sequence of secrets, newest first")
    if not secrets:
        raise InvalidSecretError("at least one secret is needed to sign")
    if isinstance(timestamp, bool) or not isinstance(timestamp, int):
        raise TypeError("timestamp is whole seconds since the epoch")
    return " ".join(
        "v1," + base64.b64encode(_signature(secret_key(secret), msg_id, timestamp, body)).decode("ascii")
        for secret in secrets
    )


def build_headers(
    *, secrets: Sequence[str], msg_id: str, timestamp: int, body: bytes, user_agent: str
) -> dict[str, str]:
    """All the headers of one delivery attempt (the timestamp is new on every attempt)."""
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secrets=secrets, msg_id=msg_id, timestamp=timestamp, body=body),
        "content-type": "application/json",
        "user-agent": user_agent,
    }


def verify(
    *,
    secret: str,
    headers: dict[str, str],
    body: bytes,
    now: int,
    tolerance: int = TIMESTAMP_TOLERANCE_SECONDS,
) -> bool:
    """Check a request the way a receiver does (for our docs and tests; receivers use a library).

    True when the timestamp is within ``tolerance`` of ``now`` and one ``v1`` signature
    matches the secret.
    """
    lowered = {name.lower(): value for name, value in headers.items()}
    msg_id = lowered.get("webhook-id")
    raw_timestamp = lowered.get("webhook-timestamp", "")
    signatures = lowered.get("webhook-signature")
    if not msg_id or not signatures or not raw_timestamp.isascii() or not raw_timestamp.isdigit():
        return False
    timestamp = int(raw_timestamp)
    if abs(now - timestamp) > tolerance:
        return False
    expected = _signature(secret_key(secret), msg_id, timestamp, body)
    for candidate in signatures.split(" "):
        version, _, encoded = candidate.partition(",")
        if version != "v1":
            continue
        try:
            given = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            continue
        if hmac.compare_digest(expected, given):
            return True
    return False
