"""Every route × every role, generated from the app's route table.

The guard a route needs is read from its dependency tree (require_user, require_certified,
require_certified_reporter, require_expert, require_admin, require_company), so a new route
is covered the moment it is added, and a route that forgets its guard shows up as "public" in the printed table.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient

from app import deps
from app.models import Company, Role
from app.security import hash_api_key
from tests.conftest import CSRF_RE
from tests.factories import auth_headers, make_user, web_login

ROLES = ["anonymous", "volunteer", "certified", "expert", "admin", "company"]
LEVELS = {
    deps.require_admin: "admin",
    deps.require_expert: "expert",
    deps.require_certified: "certified",
    deps.require_certified_reporter: "certified",
    deps.require_user: "user",
    deps.require_company: "company",
}
RANK = ["public", "user", "certified", "expert", "admin"]
COMPANY_KEY = "csk_role-matrix-company-key-0000000000000000"
# Routes whose own rule is stricter than their router's guard; checked in their feature tests.
PUBLIC_BY_DESIGN = {"/healthz", "/readyz", "/openapi.json", "/docs", "/manifest.webmanifest"}


def required_level(route) -> str:  # type: ignore[no-untyped-def]
    found: set[str] = set()

    def walk(dependant) -> None:  # type: ignore[no-untyped-def]
        level = LEVELS.get(dependant.call)
        if level:
            found.add(level)
        for sub in dependant.dependencies:
            walk(sub)

    walk(route.dependant)
    if "company" in found:
        return "company"
    return max(found, key=RANK.index) if found else "public"


def allowed(level: str, role: str) -> bool:
    if level == "public":
        return True
    if level == "company":
        return role == "company"
    if role in ("anonymous", "company"):
        return False
    held = {"volunteer": "user", "certified": "certified", "expert": "admin", "admin": "admin"}[role]
    if role == "expert":
        return level != "admin"
    return RANK.index(held) >= RANK.index(level)


def concrete_path(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


@dataclass(frozen=True)
class Case:
    method: str
    path: str
    level: str
    api: bool


def route_cases(app) -> Iterator[Case]:  # type: ignore[no-untyped-def]
    # Included routers are resolved lazily; their effective routes carry the routers' guards.
    for route in iter_route_contexts(app.routes):
        if not isinstance(route.original_route, APIRoute) or route.path in PUBLIC_BY_DESIGN:
            continue
        for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
            yield Case(method, route.path, required_level(route), route.path.startswith("/api/"))


@pytest.fixture
def actors(client, db, app):  # type: ignore[no-untyped-def]
    people = {
        "volunteer": make_user(db),
        "certified": make_user(db, certified=True),
        "expert": make_user(db, role=Role.expert),
        "admin": make_user(db, role=Role.admin),
    }
    with db.transaction() as session:
        session.add(Company(name="Matrix Market", api_key_hash=hash_api_key(COMPANY_KEY), api_key_prefix="csk_role"))
    headers = {role: auth_headers(client, user) for role, user in people.items()}
    headers["anonymous"] = {}
    headers["company"] = {"Authorization": f"Bearer {COMPANY_KEY}"}
    browsers: dict[str, TestClient] = {}
    for role in ROLES:
        browser = TestClient(app, base_url="http://testserver")
        if role in people:
            web_login(browser, people[role])
        browsers[role] = browser
    yield headers, browsers
    for browser in browsers.values():
        browser.close()


def test_every_route_answers_each_role_as_its_guard_says(app, actors) -> None:  # type: ignore[no-untyped-def]
    headers, browsers = actors
    failures: list[str] = []
    # Routes that end the caller's session go last, or every later request would be anonymous.
    cases = sorted(route_cases(app), key=lambda case: "logout" in case.path)
    assert len(cases) > 20
    tokens = {role: CSRF_RE.search(browsers[role].get("/").text).group(1) for role in ROLES}  # type: ignore[union-attr]
    for case in cases:
        for role in ROLES:
            if case.api:
                response = browsers["anonymous"].request(case.method, concrete_path(case.path),
                                                         headers=headers[role], follow_redirects=False)
            else:
                extra = {} if case.method == "GET" else {"X-CSRF-Token": tokens[role]}
                response = browsers[role].request(case.method, concrete_path(case.path), headers=extra,
                                                  follow_redirects=False)
            status = response.status_code
            expected_ok = allowed(case.level, role)
            if status >= 500:
                failures.append(f"{case.method} {case.path} as {role}: {status}")
            elif case.level == "public":
                continue  # open to all: a 401 there is an answer (e.g. a wrong password), not a guard
            elif expected_ok and status in (401, 403):
                failures.append(f"{case.method} {case.path} ({case.level}) as {role}: {status}, expected access")
            elif not expected_ok:
                anonymous_page_get = role in ("anonymous", "company") and not case.api and case.method == "GET"
                # A person's token is no company key, and a company key is no person's token: 401 both ways.
                unauthenticated = role in ("anonymous", "company") or case.level == "company"
                want = {303} if anonymous_page_get else ({401} if unauthenticated else {403})
                if status not in want:
                    failures.append(f"{case.method} {case.path} ({case.level}) as {role}: {status}, expected {want}")
    assert not failures, "\n".join(failures)


def test_admin_and_expert_areas_are_guarded(app) -> None:  # type: ignore[no-untyped-def]
    """A route under /admin or /review that reads as public is a forgotten guard."""
    for case in route_cases(app):
        if case.path.startswith(("/admin", "/api/v1/admin")):
            assert case.level == "admin", case
        if case.path.startswith(("/review", "/api/v1/review")):
            assert case.level in ("expert", "admin"), case
        if case.path.startswith("/api/v1/company/"):
            assert case.level == "company", case
