"""Small factories for test data, through the same services the app uses."""

from __future__ import annotations

import itertools
from datetime import timedelta

from fastapi.testclient import TestClient

from app.db import Database
from app.models import Role, User, utcnow
from app.services import accounts

PASSWORD = "a long and unusual pass phrase"
_counter = itertools.count(1)


def make_user(
    db: Database,
    *,
    role: Role | str = Role.volunteer,
    certified: bool = False,
    email: str | None = None,
    display_name: str | None = None,
    password: str = PASSWORD,
) -> User:
    number = next(_counter)
    with db.transaction() as session:
        user = accounts.register(
            session,
            email=email or f"person{number}@example.org",
            password=password,
            display_name=display_name or f"Person {number}",
        )
        user.role = Role(role)
        if certified:
            user.certified_until = utcnow() + timedelta(days=365)
        session.add(user)
        session.flush()
        session.refresh(user)
    return user


def api_token(client: TestClient, user: User, password: str = PASSWORD) -> str:
    response = client.post("/api/v1/auth/token", data={"username": user.email, "password": password})
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def auth_headers(client: TestClient, user: User, password: str = PASSWORD) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_token(client, user, password)}"}


def web_login(client: TestClient, user: User, password: str = PASSWORD) -> None:
    from tests.conftest import post_form

    response = post_form(client, "/login", {"email": user.email, "password": password}, from_path="/login")
    assert response.status_code == 303, response.text
