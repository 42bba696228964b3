"""Fuzz the JSON API from its own /openapi.json, as every role.

Schemathesis turns each operation of the OpenAPI document into a test and draws valid and
invalid requests for it; each request is sent once per role (anonymous, uncertified
volunteer, certified volunteer, expert, admin, company key) and every answer must be no
5xx, a status code the operation declares, and a body that matches its declared schema.

Bounded on purpose: a handful of examples per operation, so that the whole run takes a
couple of minutes on two cores. The roles' tokens are issued afresh for every example
(an example may log its caller out), and their roles and certifications are put back
(an admin example may demote the expert).

Run alone: `CYBERSPOTTER_ENV=test .venv/bin/pytest tests/proof/test_api_fuzz.py -m fuzz`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
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
from app.main import create_app
from app.models import Company, Role, User, utcnow
from app.security import hash_api_key
from app.services import accounts
from tests.conftest import TEST_SECRET
from tests.factories import make_user

pytestmark = pytest.mark.fuzz

MAX_EXAMPLES = 6
COMPANY_KEY = "csk_fuzz-company-key-00000000000000000000000"
ROLES = ("anonymous", "volunteer", "certified", "expert", "admin", "company")
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
# Operations that cannot be fuzzed as the shared roles, with the reason.
EXCLUDED: dict[tuple[str, str], str] = {}


@dataclass(frozen=True)
class Person:
    user_id: int
    role: Role
    certified: bool


@pytest.fixture
def people(db) -> dict[str, Person]:  # type: ignore[no-untyped-def]
    made = {
        "volunteer": make_user(db),
        "certified": make_user(db, certified=True),
        "expert": make_user(db, role=Role.expert),
        "admin": make_user(db, role=Role.admin),
    }
    with db.transaction() as session:
        session.add(Company(name="Fuzz Market", api_key_hash=hash_api_key(COMPANY_KEY), api_key_prefix="csk_fuzz"))
    return {role: Person(user.id, user.role, role == "certified") for role, user in made.items()}  # type: ignore[misc]


@pytest.fixture
def role_headers(db, settings, people):  # type: ignore[no-untyped-def]
    """A function giving each role's Authorization header, with roles restored and fresh tokens."""

    def issue() -> Iterator[tuple[str, dict[str, str]]]:
        tokens: dict[str, str] = {}
        with db.transaction() as session:
            for role, person in people.items():
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


def _operations() -> list:  # type: ignore[type-arg]
    # The document only: this app never serves a request, so it needs no database or content.
    document_app = create_app(
        Settings(env="test", database_url="sqlite://", secret_key=TEST_SECRET, run_dispatcher=False), content=object()
    )
    schema = schemathesis.openapi.from_dict(document_app.openapi())
    return [result.ok() for result in schema.get_all_operations()]


OPERATIONS = _operations()


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda operation: operation.label)
def test_api_answers_every_role_within_its_schema(operation, app, client, role_headers) -> None:  # type: ignore[no-untyped-def]
    reason = EXCLUDED.get((operation.method.upper(), operation.path))
    if reason:
        pytest.skip(reason)
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
                error.add_note(f"as {role}")
                raise

    each_role()
