"""The verification code in docs/webhooks.md works on what the dispatcher sends."""

from __future__ import annotations

import re
import time
from pathlib import Path

from app.models import utcnow
from app.webhooks.delivery import encode_body, signed_headers
from app.webhooks.signing import generate_secret

DOC = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"


def by_hand_verifier():  # type: ignore[no-untyped-def]
    text = DOC.read_text()
    section = text[text.index("### By hand"):]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)  # type: ignore[union-attr]
    namespace: dict = {}
    exec(compile(code, str(DOC), "exec"), namespace)  # noqa: S102 (our own documentation)
    return namespace["verify"]


def test_the_documented_verifier_accepts_our_requests_and_refuses_others() -> None:
    verify = by_hand_verifier()
    secret, other = generate_secret(), generate_secret()
    body = encode_body({"type": "ping", "timestamp": "2026-11-24T10:00:00Z", "data": {"note": "ünïcode"}})
    headers = signed_headers(secrets=[secret, other], msg_id="msg_01TEST", body=body, now=utcnow())
    assert verify(secret, headers, body)
    assert verify(other, headers, body)  # during a rotation either secret verifies
    assert not verify(generate_secret(), headers, body)
    assert not verify(secret, headers, body + b" ")
    stale = signed_headers(secrets=[secret], msg_id="msg_01TEST", body=body, now=utcnow().fromtimestamp(
        time.time() - 3600, tz=utcnow().tzinfo))
    assert not verify(secret, stale, body)
