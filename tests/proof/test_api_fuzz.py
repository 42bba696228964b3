"""Fuzz the JSON API from its own /openapi.json, as every role.

Schemathesis turns each operation of the OpenAPI document into a test and draws valid and
invalid requests for it; each request is sent once per role (anonymous, uncertified
volunteer, certified volunteer, expert, admin, company key) and every answer must be no
5xx, a status code the operation declares, and a body that matches its declared schema.

Bounded on purpose: a handful of examples per operation, so that the whole run takes a
couple of minutes on two cores. The roles' tokens are issued afresh for every example
(an example may log its caller out), and their roles and certifications are put back
(an admin example may demote the expert). The database holds a small world for the ids
the fuzzer tries first: two listings with reports and a picture, a confirmed one referred
to the company, a question waiting for its answer.

Run alone: `CYBERSPOTTER_ENV=test .venv/bin/pytest tests/proof/test_api_fuzz.py -m fuzz`.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import BaseSchema, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import update

from app.config import Settings
from app.db import Database
from app.main import create_app
from app.models import Company, Role, User, utcnow
from app.security import hash_api_key
from app.services import accounts
from tests.conftest import TEST_SECRET
from tests.factories import auth_headers, make_user
from tests.reporting.factories import ELEPHANT, GREY_PARROT, create_report, plain_jpeg, upload

pytestmark = pytest.mark.fuzz

MAX_EXAMPLES = 6
COMPANY_KEY = "csk_fuzz-company-key-00000000000000000000000"
DEAD_RECEIVER = "http://127.0.0.1:9/hook"  # the discard port: nothing listens, a send fails at once
ROLES = ("anonymous", "volunteer", "certified", "expert", "admin", "company")
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
# Nothing is excluded. DELETE /api/v1/me and PUT /api/v1/me/password need the caller's
# password, which the fuzzer cannot know; a logout, a demotion, a revoked certification or
# a rotated company key is undone before the next example (see `role_headers`).


@dataclass(frozen=True)
class Person:
    user_id: int
    role: Role
    certified: bool


@dataclass(frozen=True)
class World:
    people: dict[str, Person]
    company_id: int


def _ok(response, status: int = 200) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, f"{response.request.method} {response.request.url}: {response.text}"
    return response.json() if response.content else {}


def build_world(client: TestClient, db: Database) -> World:
    """Something for the fuzzer to find at small ids: listings 1-2 with reports 1-2 and evidence,
    a company with a referral (listing 1 confirmed), and a question to answer (listing 2)."""
    made = {
        "volunteer": make_user(db),
        "certified": make_user(db, certified=True),
        "expert": make_user(db, role=Role.expert),
        "admin": make_user(db, role=Role.admin),
    }
    headers = {role: auth_headers(client, user) for role, user in made.items()}
    company = _ok(client.post("/api/v1/admin/companies", headers=headers["admin"], json={
        "name": "Fuzz Market", "platforms": ["ebay"], "webhook_url": DEAD_RECEIVER,
        "contact_email": "takedowns@example.org"}), 201)
    first = create_report(client, headers["certified"])
    second = create_report(client, headers["certified"], listing_url="https://www.ebay.co.uk/itm/2567890999",
                           species_id=GREY_PARROT, live_animal=True)
    _ok(upload(client, headers["certified"], first["id"], plain_jpeg()), 201)
    choices = _ok(client.get("/api/v1/review/choices", headers=headers["expert"]))
    for listing_id in (first["listing_id"], second["listing_id"]):
        _ok(client.post(f"/api/v1/review/listings/{listing_id}/claim", headers=headers["expert"]))
    _ok(client.post(f"/api/v1/review/listings/{first['listing_id']}/decision", headers=headers["expert"], json={
        "decision": "confirm", "species_id": ELEPHANT, "finding_template": choices["finding_templates"][0]["value"]}))
    _ok(client.post(f"/api/v1/review/listings/{second['listing_id']}/decision", headers=headers["expert"], json={
        "decision": "needs_info", "question": "Is the bird in the photos ringed?"}))
    people = {role: Person(user.id, user.role, role == "certified") for role, user in made.items()}  # type: ignore[misc]
    return World(people=people, company_id=company["id"])


@dataclass(frozen=True)
class Snapshot:
    database: Path
    data_dir: Path
    world: World


@pytest.fixture(scope="module")
def world_snapshot(template_database, tmp_path_factory, training_content) -> Snapshot | None:  # type: ignore[no-untyped-def]
    """On SQLite the world is built once and each operation gets a copy of it (a millisecond);
    on PostgreSQL each operation builds it again in its emptied database."""
    if template_database.engine != "sqlite":
        return None
    workdir = tmp_path_factory.mktemp("fuzz-world")
    url = template_database.fresh(workdir)
    world_settings = Settings(env="test", database_url=url, secret_key=TEST_SECRET, data_dir=workdir / "data",
                              base_url="http://testserver", run_dispatcher=False, webhook_allow_private_targets=True)
    app = create_app(world_settings, content=training_content)
    with TestClient(app, base_url="http://testserver") as client:
        world = build_world(client, app.state.db)
    with app.state.db.engine.connect() as connection:  # fold the WAL into the file before copying it
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    app.state.db.dispose()
    return Snapshot(database=workdir / "test.db", data_dir=workdir / "data", world=world)


@pytest.fixture
def database_url(template_database, tmp_path, world_snapshot) -> str:  # type: ignore[no-untyped-def]
    if world_snapshot is None:
        return template_database.fresh(tmp_path)
    shutil.copyfile(world_snapshot.database, tmp_path / "test.db")
    shutil.copytree(world_snapshot.data_dir, tmp_path / "data")
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def world(world_snapshot, client, db) -> World:  # type: ignore[no-untyped-def]
    if world_snapshot is not None:
        return world_snapshot.world
    return build_world(client, db)


@pytest.fixture
def role_headers(db, settings, world):  # type: ignore[no-untyped-def]
    """Each role's Authorization header, with fresh tokens and the roles, certifications and
    company key put back (the previous example may have logged out, demoted or rotated them)."""

    def issue() -> Iterator[tuple[str, dict[str, str]]]:
        tokens: dict[str, str] = {}
        with db.transaction() as session:
            session.execute(update(Company).where(Company.id == world.company_id).values(
                api_key_hash=hash_api_key(COMPANY_KEY), active=True))
            for role, person in world.people.items():
                session.execute(
                    update(User).where(User.id == person.user_id).values(
                        role=person.role,
                        deleted_at=None,
                        certified_until=utcnow() + timedelta(days=365) if person.certified else None,
                    )
                )
                user = session.get(User, person.user_id)
                tokens[role] = accounts.start_session(session, user=user, kind="api", settings=settings).token
        for role in ROLES:
            if role == "anonymous":
                yield role, {}
            elif role == "company":
                yield role, {"Authorization": f"Bearer {COMPANY_KEY}"}
            else:
                yield role, {"Authorization": f"Bearer {tokens[role]}"}

    return issue


def _document_app() -> FastAPI:
    # Only read, never served: it needs no database or training content.
    settings = Settings(env="test", database_url="sqlite://", secret_key=TEST_SECRET, run_dispatcher=False)
    return create_app(settings, content=object())


def documented_operations(app: FastAPI) -> list[str]:
    """"METHOD /path" of every documented route, read from the route table (cheap at collection time)."""
    labels = []
    for route in iter_route_contexts(app.routes):
        if isinstance(route.original_route, APIRoute) and route.include_in_schema:
            labels += [f"{method} {route.path}" for method in sorted(route.methods - {"HEAD", "OPTIONS"})]
    return labels


DOCUMENT_APP = _document_app()
OPERATIONS = documented_operations(DOCUMENT_APP)


@pytest.fixture(scope="module")
def api_schema() -> BaseSchema:
    return schemathesis.openapi.from_dict(DOCUMENT_APP.openapi())


def test_every_operation_of_the_document_is_fuzzed(api_schema) -> None:  # type: ignore[no-untyped-def]
    documented = {result.ok().label for result in api_schema.get_all_operations()}
    assert documented == set(OPERATIONS)


@pytest.mark.parametrize("label", OPERATIONS)
def test_api_answers_every_role_within_its_schema(label, api_schema, app, client, role_headers) -> None:  # type: ignore[no-untyped-def]
    method, path = label.split(" ", 1)
    operation = api_schema[path][method]
    cases = st.one_of(operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE))

    @given(case=cases)
    @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def each_role(case) -> None:  # type: ignore[no-untyped-def]
        for role, headers in role_headers():
            case.headers = {key: value for key, value in (case.headers or {}).items()
                            if key.lower() != "authorization"}
            response = case.call(app=app, headers=headers)
            try:
                case.validate_response(response, checks=CHECKS, headers=headers)
            except Exception as error:
                error.add_note(f"(sent as {role})")
                raise

    each_role()
