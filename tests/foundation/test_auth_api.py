"""Accounts through the JSON API: register, tokens, /me, logout, roles, throttling."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

from jose import jwt

from app.models import Role
from tests.conftest import TEST_SECRET
from tests.factories import PASSWORD, api_token, auth_headers, make_user


def register(client, **overrides):  # type: ignore[no-untyped-def]
    body = {"email": "New.Person@Example.ORG", "password": PASSWORD, "display_name": "New Person", **overrides}
    return client.post("/api/v1/auth/register", json=body)


def test_register_token_and_me(client) -> None:  # type: ignore[no-untyped-def]
    response = register(client)
    assert response.status_code == 201, response.text
    user = response.json()
    assert user["email"] == "new.person@example.org"
    assert user["role"] == "volunteer"
    assert user["certified"] is False and user["certified_until"] is None

    token = client.post("/api/v1/auth/token", data={"username": "NEW.person@example.org", "password": PASSWORD})
    assert token.status_code == 200
    assert token.json()["token_type"] == "bearer"
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token.json()['access_token']}"})
    assert me.status_code == 200
    assert {"id", "email", "display_name", "role", "certified", "certified_until"} <= me.json().keys()


def test_register_refuses_bad_input_with_clear_messages(client) -> None:  # type: ignore[no-untyped-def]
    bad_email = register(client, email="not-an-email")
    assert bad_email.status_code == 422
    assert "e-mail" in bad_email.json()["detail"].lower()

    short = register(client, password="short")
    assert short.status_code == 422
    assert "at least 12 characters" in short.json()["detail"]

    common = register(client, password="123qweasdzxc")
    assert common.status_code == 422
    assert "common" in common.json()["detail"]

    assert register(client).status_code == 201
    again = register(client)
    assert again.status_code == 409
    assert "already exists" in again.json()["detail"]


def test_missing_field_keeps_list_form(client) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/auth/register", json={"email": "a@example.org"})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert isinstance(detail, list)
    assert {tuple(item["loc"]) for item in detail} >= {("body", "password"), ("body", "display_name")}
    assert all(item["msg"] == "This field is required." for item in detail)


def test_wrong_password_and_unknown_email_answer_alike(client, db) -> None:  # type: ignore[no-untyped-def]
    user = make_user(db)
    wrong = client.post("/api/v1/auth/token", data={"username": user.email, "password": "not the password!"})
    unknown = client.post("/api/v1/auth/token", data={"username": "nobody@example.org", "password": "whatever12345"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _forge(claims: dict, key: str = TEST_SECRET, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, key, algorithm=algorithm)


def test_bad_tokens_are_refused(client, db) -> None:  # type: ignore[no-untyped-def]
    user = make_user(db)
    good = api_token(client, user)
    claims = jwt.get_unverified_claims(good)
    header, payload, signature = good.split(".")
    tampered_payload = payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB")
    cases = {
        "tampered": f"{header}.{tampered_payload}.{signature}",
        "wrong key": _forge(claims, key="another-secret-key-of-sufficient-length-000"),
        "expired": _forge({**claims, "exp": claims["iat"] - 10}),
        "wrong audience": _forge({**claims, "aud": "cyberspotter:web"}),
        "no session id": _forge({k: v for k, v in claims.items() if k != "sid"}),
        "unknown session": _forge({**claims, "sid": "does-not-exist"}),
        "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{payload}.",
        "garbage": "not-a-token",
    }
    for name, token in cases.items():
        response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, name
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {good}"}).status_code == 200


def test_logout_ends_the_session(client, db) -> None:  # type: ignore[no-untyped-def]
    user = make_user(db)
    headers = auth_headers(client, user)
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_password_change_ends_other_sessions(client, db) -> None:  # type: ignore[no-untyped-def]
    user = make_user(db)
    phone, laptop = auth_headers(client, user), auth_headers(client, user)
    new_password = "another long and unusual phrase"
    response = client.put("/api/v1/me/password", headers=phone,
                          json={"current_password": PASSWORD, "new_password": new_password})
    assert response.status_code == 204
    assert client.get("/api/v1/me", headers=laptop).status_code == 401
    assert client.get("/api/v1/me", headers=phone).status_code == 200
    assert client.post("/api/v1/auth/token", data={"username": user.email, "password": PASSWORD}).status_code == 401
    assert client.post("/api/v1/auth/token", data={"username": user.email, "password": new_password}).status_code == 200


def test_api_never_reads_the_cookie(client, db) -> None:  # type: ignore[no-untyped-def]
    from tests.factories import web_login

    user = make_user(db)
    web_login(client, user)
    assert client.get("/account").status_code == 200
    assert client.get("/api/v1/me").status_code == 401


def test_roles_only_admins_change_them(client, db) -> None:  # type: ignore[no-untyped-def]
    admin = make_user(db, role=Role.admin)
    volunteer = make_user(db)
    volunteer_headers = auth_headers(client, volunteer)
    forbidden = client.patch(f"/api/v1/admin/users/{volunteer.id}/role", headers=volunteer_headers,
                             json={"role": "expert"})
    assert forbidden.status_code == 403
    assert client.get("/api/v1/admin/users", headers=volunteer_headers).status_code == 403

    admin_headers = auth_headers(client, admin)
    changed = client.patch(f"/api/v1/admin/users/{volunteer.id}/role", headers=admin_headers,
                           json={"role": "expert", "reason": "joined the Coalition team"})
    assert changed.status_code == 200
    assert changed.json()["role"] == "expert"
    assert client.get("/api/v1/me", headers=volunteer_headers).json()["role"] == "expert"
    assert client.patch("/api/v1/admin/users/99999/role", headers=admin_headers, json={"role": "expert"}).status_code == 404


def test_role_change_is_audited(client, db) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from app.models import AuditEntry

    admin = make_user(db, role=Role.admin)
    volunteer = make_user(db)
    client.patch(f"/api/v1/admin/users/{volunteer.id}/role", headers=auth_headers(client, admin),
                 json={"role": "expert", "reason": "staff"})
    with db.session() as session:
        entry = session.execute(
            select(AuditEntry).where(AuditEntry.action == "user.role_changed", AuditEntry.entity_id == str(volunteer.id))
        ).scalars().one()
    assert entry.actor_id == admin.id
    assert entry.before == {"role": "volunteer"} and entry.after == {"role": "expert"}
    assert entry.reason == "staff"


def test_failed_logins_are_throttled(client, db) -> None:  # type: ignore[no-untyped-def]
    user = make_user(db)
    for _ in range(5):
        response = client.post("/api/v1/auth/token", data={"username": user.email, "password": "wrong password!!"})
        assert response.status_code == 401
    blocked = client.post("/api/v1/auth/token", data={"username": user.email, "password": PASSWORD})
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    assert "Too many failed logins" in blocked.json()["detail"]


def test_throttling_per_address(client, db, settings) -> None:  # type: ignore[no-untyped-def]
    for number in range(settings.login_failures_per_address):
        client.post("/api/v1/auth/token", data={"username": f"guess{number}@example.org", "password": "x" * 12})
    user = make_user(db)
    assert client.post("/api/v1/auth/token", data={"username": user.email, "password": PASSWORD}).status_code == 429


def test_session_expiry(client, db) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import update

    from app.models import UserSession, utcnow

    user = make_user(db)
    headers = auth_headers(client, user)
    with db.transaction() as session:
        session.execute(update(UserSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert client.get("/api/v1/me", headers=headers).status_code == 401
