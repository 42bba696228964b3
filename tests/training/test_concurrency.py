"""Two requests at once: an attempt is still graded once, and a double start draws one attempt."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from app.models import AuditEntry, QuizAttempt
from tests.factories import auth_headers, make_user
from tests.training.factories import read_all_lessons, right_answers, start


def test_simultaneous_submissions_grade_once(client, db, app) -> None:  # type: ignore[no-untyped-def]
    content = app.state.content
    user = make_user(db)
    read_all_lessons(db, user, content)
    headers = auth_headers(client, user)
    attempt = start(client, headers)
    url = f"/api/v1/training/attempts/{attempt['id']}/answers"
    body = {"answers": right_answers(content, attempt)}
    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = sorted(pool.map(lambda _: client.post(url, headers=headers, json=body).status_code, range(4)))
    assert statuses == [200, 409, 409, 409]
    with db.transaction() as session:
        graded = session.execute(select(func.count()).select_from(AuditEntry)
                                 .where(AuditEntry.action == "quiz.graded")).scalar_one()
        certified = session.execute(select(func.count()).select_from(AuditEntry)
                                    .where(AuditEntry.action == "user.certified")).scalar_one()
    assert graded == 1 and certified == 1


def test_simultaneous_starts_draw_one_attempt(client, db, app) -> None:  # type: ignore[no-untyped-def]
    user = make_user(db)
    read_all_lessons(db, user, app.state.content)
    headers = auth_headers(client, user)
    with ThreadPoolExecutor(max_workers=4) as pool:
        responses = list(pool.map(lambda _: client.post("/api/v1/training/attempts", headers=headers), range(4)))
    assert sorted(r.status_code for r in responses) == [200, 200, 200, 201]
    assert len({r.json()["id"] for r in responses}) == 1
    with db.transaction() as session:
        assert session.execute(select(func.count()).select_from(QuizAttempt)).scalar_one() == 1
