"""Lessons over the API: list with progress, one lesson as sanitised HTML, mark as read."""

from __future__ import annotations

from sqlalchemy import func, select

from app.content import TrainingContent
from app.models import LessonProgress
from tests.factories import auth_headers, make_user


def test_modules_in_course_order_with_progress(client, db, app) -> None:  # type: ignore[no-untyped-def]
    content = app.state.content
    headers = auth_headers(client, make_user(db))
    modules = client.get("/api/v1/training/modules", headers=headers).json()
    assert [m["slug"] for m in modules] == list(content.lesson_slugs)
    assert [m["order"] for m in modules] == sorted(m["order"] for m in modules)
    assert all(m["read"] is False and m["title"] and m["summary"] for m in modules)
    assert modules[0]["language"] == "en" and modules[0]["translated"] is True

    slug = modules[1]["slug"]
    first = client.post(f"/api/v1/training/modules/{slug}/read", headers=headers)
    assert first.status_code == 200
    assert first.json()["all_read"] is False and first.json()["next_slug"] == modules[2]["slug"]
    again = client.post(f"/api/v1/training/modules/{slug}/read", headers=headers)
    assert again.json()["read_at"] == first.json()["read_at"]  # reading twice keeps the first date
    with db.transaction() as session:
        assert session.execute(select(func.count()).select_from(LessonProgress)).scalar_one() == 1
    modules = client.get("/api/v1/training/modules", headers=headers).json()
    assert [m["read"] for m in modules].count(True) == 1 and modules[1]["read"] is True


def test_one_module_as_sanitised_html(client, db, app) -> None:  # type: ignore[no-untyped-def]
    content = app.state.content
    headers = auth_headers(client, make_user(db))
    slug = content.lesson_slugs[-1]
    body = client.get(f"/api/v1/training/modules/{slug}", headers=headers).json()
    assert body["slug"] == slug and body["next_slug"] is None
    assert body["html"].lstrip().startswith("<") and "<script" not in body["html"]
    assert body["sources"] and all(url.startswith("http") for url in body["sources"])
    first = client.get(f"/api/v1/training/modules/{content.lesson_slugs[0]}", headers=headers).json()
    assert first["next_slug"] == content.lesson_slugs[1]


def test_unknown_module_is_404(client, db) -> None:  # type: ignore[no-untyped-def]
    headers = auth_headers(client, make_user(db))
    response = client.get("/api/v1/training/modules/no-such-lesson", headers=headers)
    assert response.status_code == 404 and "no-such-lesson" in response.json()["detail"]
    assert client.post("/api/v1/training/modules/no-such-lesson/read", headers=headers).status_code == 404


def test_modules_need_a_login(client) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/api/v1/training/modules").status_code == 401
    assert client.post("/api/v1/training/attempts").status_code == 401


def test_status_tells_what_comes_next(client, db, app) -> None:  # type: ignore[no-untyped-def]
    content = app.state.content
    headers = auth_headers(client, make_user(db))
    status = client.get("/api/v1/training/status", headers=headers).json()
    assert status["lessons_read"] == 0 and status["lessons_total"] == len(content.lesson_slugs)
    assert status["can_start_attempt"] is False and status["blocked_by"] == "lessons_unread"
    assert status["questions_per_attempt"] == content.quiz.questions_per_attempt
    assert status["pass_mark"] == content.quiz.pass_mark and status["certified"] is False


def test_modules_in_the_readers_language_or_english(client, db, app) -> None:  # type: ignore[no-untyped-def]
    content = app.state.content
    slugs = content.lesson_slugs
    french = dict(content.lessons_by_lang.get("fr", {}))
    french[slugs[0]] = content.lesson(slugs[0]).item.model_copy(update={"lang": "fr", "title": "Leçon traduite"})
    french.pop(slugs[1], None)
    app.state.content = TrainingContent(
        lessons_by_lang={**content.lessons_by_lang, "fr": french}, quiz=content.quiz,
        question_translations=content.question_translations, species=content.species,
        code_words=content.code_words, platforms=content.platforms,
    )
    headers = {**auth_headers(client, make_user(db)), "Accept-Language": "fr-CH, fr;q=0.9, en;q=0.5"}
    modules = client.get("/api/v1/training/modules", headers=headers).json()
    assert modules[0]["title"] == "Leçon traduite" and modules[0]["language"] == "fr" and modules[0]["translated"]
    assert modules[1]["language"] == "en" and modules[1]["translated"] is False
    detail = client.get(f"/api/v1/training/modules/{slugs[1]}", headers=headers).json()
    assert detail["translated"] is False and detail["language"] == "en"
