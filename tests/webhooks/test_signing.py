"""Our signatures must verify with the independent Standard Webhooks library."""

from __future__ import annotations

import base64
import json
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from app.webhooks import signing

BODY = json.dumps(
    {"type": "referral.created", "timestamp": "2026-11-24T10:00:00Z", "data": {"referral_id": "r1"}}
).encode()


def _headers(secrets: list[str], *, body: bytes = BODY, timestamp: int | None = None) -> dict[str, str]:
    return signing.build_headers(
        secrets=secrets,
        msg_id="msg_01JD2Z3Y4X5W6V7T8S9R0Q1P2N",
        timestamp=int(time.time()) if timestamp is None else timestamp,
        body=body,
        user_agent="CyberSpotter-Webhooks/0.1.0",
    )


def test_secret_format() -> None:
    secret = signing.generate_secret()
    assert secret.startswith("whsec_")
    key = base64.b64decode(secret.removeprefix("whsec_"), validate=True)
    assert len(key) == 32
    assert signing.secret_key(secret) == key
    assert signing.generate_secret() != secret


def test_message_id_format() -> None:
    msg_id = signing.new_message_id()
    assert msg_id.startswith("msg_")
    assert len(msg_id) == 4 + 26
    assert msg_id != signing.new_message_id()


def test_headers_carry_everything_a_receiver_needs() -> None:
    headers = _headers([signing.generate_secret()], timestamp=1_790_000_000)
    assert headers["webhook-id"] == "msg_01JD2Z3Y4X5W6V7T8S9R0Q1P2N"
    assert headers["webhook-timestamp"] == "1790000000"
    assert headers["webhook-signature"].startswith("v1,")
    assert headers["content-type"] == "application/json"
    assert headers["user-agent"] == "CyberSpotter-Webhooks/0.1.0"


def test_signature_verifies_with_standardwebhooks() -> None:
    secret = signing.generate_secret()
    payload = Webhook(secret).verify(BODY, _headers([secret]))
    assert payload["data"]["referral_id"] == "r1"


def test_known_vector() -> None:
    # The worked example of the Standard Webhooks specification and its reference libraries.
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    signature = signing.sign(
        secrets=[secret], msg_id="msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp=1614265330, body=body
    )
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_both_rotation_signatures_verify_alone() -> None:
    old, new = signing.generate_secret(), signing.generate_secret()
    headers = _headers([new, old])
    parts = headers["webhook-signature"].split(" ")
    assert len(parts) == 2
    assert parts[0] == signing.sign(
        secrets=[new], msg_id=headers["webhook-id"], timestamp=int(headers["webhook-timestamp"]), body=BODY
    )
    # A receiver holding either secret verifies the full header...
    Webhook(new).verify(BODY, headers)
    Webhook(old).verify(BODY, headers)
    # ...and each signature alone matches its own secret, not the other one.
    for secret, own, other in ((new, parts[0], parts[1]), (old, parts[1], parts[0])):
        Webhook(secret).verify(BODY, {**headers, "webhook-signature": own})
        with pytest.raises(WebhookVerificationError):
            Webhook(secret).verify(BODY, {**headers, "webhook-signature": other})


def test_a_stranger_secret_does_not_verify() -> None:
    headers = _headers([signing.generate_secret(), signing.generate_secret()])
    with pytest.raises(WebhookVerificationError):
        Webhook(signing.generate_secret()).verify(BODY, headers)


def test_tampered_body_fails() -> None:
    secret = signing.generate_secret()
    headers = _headers([secret])
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY.replace(b"r1", b"r2"), headers)
    assert not signing.verify(secret=secret, headers=headers, body=BODY + b" ", now=int(time.time()))


def test_tampered_timestamp_fails() -> None:
    secret = signing.generate_secret()
    headers = _headers([secret])
    tampered = {**headers, "webhook-timestamp": str(int(headers["webhook-timestamp"]) + 1)}
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY, tampered)
    assert not signing.verify(secret=secret, headers=tampered, body=BODY, now=int(time.time()))


def test_tampered_id_fails() -> None:
    secret = signing.generate_secret()
    headers = {**_headers([secret]), "webhook-id": "msg_other"}
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY, headers)


def test_stale_timestamp_is_refused_by_receivers() -> None:
    secret = signing.generate_secret()
    headers = _headers([secret], timestamp=int(time.time()) - 3600)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY, headers)
    assert not signing.verify(secret=secret, headers=headers, body=BODY, now=int(time.time()))


def test_own_verify_agrees() -> None:
    old, new = signing.generate_secret(), signing.generate_secret()
    headers = _headers([new, old])
    now = int(headers["webhook-timestamp"])
    assert signing.verify(secret=new, headers=headers, body=BODY, now=now)
    assert signing.verify(secret=old, headers=headers, body=BODY, now=now)
    assert not signing.verify(secret=signing.generate_secret(), headers=headers, body=BODY, now=now)


@pytest.mark.parametrize("bad", ["", "whsec_", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_not base64!"])
def test_bad_secrets_are_refused(bad: str) -> None:
    with pytest.raises(signing.InvalidSecretError):
        signing.sign(secrets=[bad], msg_id="msg_x", timestamp=1, body=b"{}")


def test_secrets_must_be_a_sequence_of_secrets() -> None:
    with pytest.raises(TypeError):
        signing.sign(secrets=signing.generate_secret(), msg_id="msg_x", timestamp=1, body=b"{}")  # type: ignore[arg-type]
    with pytest.raises(signing.InvalidSecretError):
        signing.sign(secrets=[], msg_id="msg_x", timestamp=1, body=b"{}")


@given(body=st.text(max_size=300), msg_id=st.from_regex(r"msg_[0-9A-Za-z]{1,30}", fullmatch=True))
def test_any_utf8_body_verifies(body: str, msg_id: str) -> None:
    secret = "whsec_" + base64.b64encode(b"k" * 32).decode()
    data = body.encode()
    headers = signing.build_headers(
        secrets=[secret], msg_id=msg_id, timestamp=int(time.time()), body=data, user_agent="test"
    )
    Webhook(secret).verify(data, headers, json_parse=False)
