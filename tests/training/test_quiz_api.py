"""The quiz over the API: drawing, grading once, ownership, expiry, and nothing leaked before grading."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from app.models import AuditEntry, QuizAttempt, User
from app.services.quiz import required_correct
from tests.factories import auth_headers, make_user
from tests.training.factories import (
    answers_with,
    read_all_lessons,
    right_answers,
    shift_attempts,
    start,
    submit,
    with_bank,
    wrong_choice,
)


def _keys(value: object) -> set[str]:
    """Every key anywhere in a JSON document."""
    if isinstance(value, dict):
        return set(value) | {key for item in value.values() for key in _keys(item)}
    if isinstance(value, list):
        return {key for item in value for key in _keys(item)}
    return set()


def _volunteer(client, db, app):  # type: ignore[no-untyped-def]
    user = make_user(db)
    read_all_lessons(db, user, app.state.content)
    return user, auth_headers(client, user)


def test_attempt_draws_a_spread_of_questions_with_shuffled_choices(client, db, app) -> None:  # type: ignore[no-untyped-def]
    content = app.state.content
    _user, headers = _volunteer(client, db, app)
    attempt = start(client, headers)
    questions = attempt["questions"]
    assert len(questions) == content.quiz.questions_per_attempt
    assert len({q["id"] for q in questions}) == len(questions)
    modules = {q["module"] for q in questions}
    # Every lesson is tested before any is tested twice.
    assert len(modules) == min(len(content.lesson_slugs), len(questions))
    for question in questions:
        bank_question = content.quiz.by_id[question["id"]]
        assert sorted(c["id"] for c in question["choices"]) == sorted(bank_question.choice_ids)
        assert question["multiple"] is bank_question.multiple
    with db.transaction() as session:
        stored = session.execute(select(QuizAttempt)).scalars().one()
    assert stored.question_ids == [q["id"] for q in questions]
    assert stored.choice_order == {q["id"]: [c["id"] for c in q["choices"]] for q in questions}
    assert stored.content_version == content.quiz.version == attempt["content_version"]
    assert stored.language == "en"
    assert stored.expires_at - stored.started_at == timedelta(minutes=60)


def test_language_of_the_attempt_is_recorded(client, db, app) -> None:  # type: ignore[no-untyped-def]
    _user, headers = _volunteer(client, db, app)
    attempt = start(client, {**headers, "Accept-Language": "de-DE,de;q=0.9"})
    assert attempt["language"] == "de"


def test_answers_never_leave_the_server_before_grading(client, db, app) -> None:  # type: ignore[no-untyped-def]
    content = app.state.content
    _user, headers = _volunteer(client, db, app)
    created = client.post("/api/v1/training/attempts", headers=headers)
    again = client.get(f"/api/v1/training/attempts/{created.json()['id']}", headers=headers)
    listed = client.get("/api/v1/training/attempts", headers=headers)
    for response in (created, again, listed):
        body = response.text
        assert not _keys(response.json()) & {"correct", "correct_choice_ids", "correct_ids", "explanation"}
        for question_id in (q["id"] for q in created.json()["questions"]):
            assert content.quiz.by_id[question_id].explanation not in body
    assert again.json()["result"] is None


def test_grading_single_and_multiple_answers_from_the_bank(client, db, app) -> None:  # type: ignore[no-untyped-def]
    content = app.state.content
    user, headers = _volunteer(client, db, app)
    attempt = start(client, headers)
    answers = right_answers(content, attempt)
    multiple = [q["id"] for q in attempt["questions"] if q["multiple"]]
    single = [q["id"] for q in attempt["questions"] if not q["multiple"]]
    assert single, "the bank should have single-answer questions"
    # A single-answer question answered with a wrong choice is wrong.
    answers[single[0]] = [wrong_choice(content, single[0])]
    expected_wrong = {single[0]}
    if multiple:
        # Ticking only some of the right choices of a multiple-answer question is wrong too.
        bank_question = content.quiz.by_id[multiple[0]]
        partial = sorted(bank_question.correct_ids)[:-1] or [wrong_choice(content, multiple[0])]
        answers[multiple[0]] = partial
        expected_wrong.add(multiple[0])
    response = submit(client, headers, attempt["id"], answers)
    assert response.status_code == 200, response.text
    result = response.json()
    total = len(attempt["questions"])
    assert result["total"] == total
    assert result["correct_count"] == total - len(expected_wrong)
    assert abs(result["score"] - (total - len(expected_wrong)) / total) < 1e-9
    assert result["pass_mark"] == content.quiz.pass_mark
    by_id = {r["question_id"]: r for r in result["results"]}
    assert [r["question_id"] for r in result["results"]] == [q["id"] for q in attempt["questions"]]
    for question_id, row in by_id.items():
        assert row["correct"] is (question_id not in expected_wrong)
        assert sorted(row["correct_choice_ids"]) == sorted(content.quiz.by_id[question_id].correct_ids)
        assert row["explanation"] == content.quiz.by_id[question_id].explanation
    assert by_id[single[0]]["chosen_choice_ids"] == answers[single[0]]
    with db.transaction() as session:
        entry = session.execute(select(AuditEntry).where(AuditEntry.action == "quiz.graded")).scalars().one()
    assert entry.actor_id == user.id and entry.after["correct_count"] == result["correct_count"]


def test_all_multiple_answer_choices_must_be_ticked(client, db, app) -> None:  # type: ignore[no-untyped-def]
    """A multiple-answer question is right only with exactly its correct choices: not fewer, not more."""
    content = app.state.content
    multiple = [q for q in content.quiz.questions if q.multiple and len(q.correct_ids) < len(q.choices)]
    assert multiple, "the bank should have multiple-answer questions"
    question = multiple[0]
    assert question.is_correct(question.correct_ids)
    assert not question.is_correct(list(question.correct_ids)[:-1])
    assert not question.is_correct([*question.correct_ids, wrong_choice(content, question.id)])
    # The same through the API, with a bank of just this question.
    app.state.content = with_bank(content, questions=[question], per_attempt=1)
    _user, headers = _volunteer(client, db, app)
    attempt = start(client, headers)
    too_many = sorted([*question.correct_ids, wrong_choice(content, question.id)])
    result = submit(client, headers, attempt["id"], {question.id: too_many}).json()
    assert result["correct_count"] == 0 and result["passed"] is False


def test_passing_certifies_for_twelve_months(client, db, app) -> None:  # type: ignore[no-untyped-def]
    content = app.state.content
    _user, headers = _volunteer(client, db, app)
    assert client.get("/api/v1/me", headers=headers).json()["certified"] is False
    attempt = start(client, headers)
    spare = len(attempt["questions"]) - required_correct(content.quiz.pass_mark, len(attempt["questions"]))
    result = submit(client, headers, attempt["id"], answers_with(content, attempt, wrong=spare)).json()
    assert result["passed"] is True  # exactly the pass mark (8 of 10)
    me = client.get("/api/v1/me", headers=headers).json()
    assert me["certified"] is True
    assert me["certified_until"] == result["certified_until"]
    graded_at = result["graded_at"][:10]
    until = result["certified_until"][:10]
    assert int(until[:4]) == int(graded_at[:4]) + 1 and until[5:7] == graded_at[5:7]


def test_failing_does_not_certify(client, db, app) -> None:  # type: ignore[no-untyped-def]
    content = app.state.content
    _user, headers = _volunteer(client, db, app)
    attempt = start(client, headers)
    spare = len(attempt["questions"]) - required_correct(content.quiz.pass_mark, len(attempt["questions"]))
    result = submit(client, headers, attempt["id"], answers_with(content, attempt, wrong=spare + 1)).json()
    assert result["passed"] is False and result["certified_until"] is None
    assert client.get("/api/v1/me", headers=headers).json()["certified"] is False


def test_unanswered_questions_count_as_wrong(client, db, app) -> None:  # type: ignore[no-untyped-def]
    content = app.state.content
    _user, headers = _volunteer(client, db, app)
    attempt = start(client, headers)
    answers = right_answers(content, attempt)
    del answers[attempt["questions"][0]["id"]]
    result = submit(client, headers, attempt["id"], answers).json()
    assert result["correct_count"] == len(attempt["questions"]) - 1
    assert result["results"][0]["chosen_choice_ids"] == [] and result["results"][0]["correct"] is False


def test_unknown_questions_and_choices_are_named_in_a_422(client, db, app) -> None:  # type: ignore[no-untyped-def]
    content = app.state.content
    _user, headers = _volunteer(client, db, app)
    attempt = start(client, headers)
    first = attempt["questions"][0]["id"]
    answers = right_answers(content, attempt)
    answers["no-such-question"] = ["a"]
    answers[first] = ["zz-not-a-choice"]
    response = submit(client, headers, attempt["id"], answers)
    assert response.status_code == 422
    body = response.json()
    assert "no-such-question" in body["detail"] and "zz-not-a-choice" in body["detail"]
    assert body["unknown_questions"] == ["no-such-question"]
    assert body["unknown_choices"] == {first: ["zz-not-a-choice"]}
    # Nothing was graded: the right answers still go through.
    assert submit(client, headers, attempt["id"], right_answers(content, attempt)).status_code == 200


def test_two_choices_for_a_single_answer_question_is_422(client, db, app) -> None:  # type: ignore[no-untyped-def]
    content = app.state.content
    _user, headers = _volunteer(client, db, app)
    attempt = start(client, headers)
    single = next(q for q in attempt["questions"] if not q["multiple"])
    answers = right_answers(content, attempt)
    answers[single["id"]] = [c["id"] for c in single["choices"][:2]]
    response = submit(client, headers, attempt["id"], answers)
    assert response.status_code == 422
    assert single["id"] in response.json()["detail"]


def test_malformed_answers_are_422(client, db, app) -> None:  # type: ignore[no-untyped-def]
    _user, headers = _volunteer(client, db, app)
    attempt = start(client, headers)
    url = f"/api/v1/training/attempts/{attempt['id']}/answers"
    assert client.post(url, headers=headers, json={"answers": {"q": "a"}}).status_code == 422
    assert client.post(url, headers=headers, json={"answers": {}, "score": 1}).status_code == 422
    not_json = client.post(url, headers={**headers, "Content-Type": "application/json"}, content=b"not json")
    assert not_json.status_code == 422


def test_an_attempt_is_graded_once(client, db, app) -> None:  # type: ignore[no-untyped-def]
    content = app.state.content
    user, headers = _volunteer(client, db, app)
    attempt = start(client, headers)
    assert submit(client, headers, attempt["id"], answers_with(content, attempt, wrong=5)).status_code == 200
    again = submit(client, headers, attempt["id"], right_answers(content, attempt))
    assert again.status_code == 409
    assert again.json()["code"] == "attempt_graded"
    assert "already been graded" in again.json()["detail"]
    with db.transaction() as session:
        assert session.get(User, user.id).certified_until is None
    shown = client.get(f"/api/v1/training/attempts/{attempt['id']}", headers=headers).json()
    assert shown["state"] == "graded" and shown["result"]["passed"] is False
    assert shown["result"]["results"][0]["explanation"]


def test_someone_elses_attempt_is_404(client, db, app) -> None:  # type: ignore[no-untyped-def]
    content = app.state.content
    _owner, owner_headers = _volunteer(client, db, app)
    attempt = start(client, owner_headers)
    _other, other_headers = _volunteer(client, db, app)
    assert client.get(f"/api/v1/training/attempts/{attempt['id']}", headers=other_headers).status_code == 404
    response = submit(client, other_headers, attempt["id"], right_answers(content, attempt))
    assert response.status_code == 404
    assert response.json()["detail"] == "There is no such quiz attempt."
    assert client.get("/api/v1/training/attempts/999999", headers=other_headers).status_code == 404
    # The owner can still answer it.
    assert submit(client, owner_headers, attempt["id"], right_answers(content, attempt)).status_code == 200


def test_an_attempt_expires_after_an_hour(client, db, app) -> None:  # type: ignore[no-untyped-def]
    content = app.state.content
    user, headers = _volunteer(client, db, app)
    attempt = start(client, headers)
    shift_attempts(db, user, by=timedelta(minutes=62))
    response = submit(client, headers, attempt["id"], right_answers(content, attempt))
    assert response.status_code == 409
    assert response.json()["code"] == "attempt_expired"
    assert "60 minutes" in response.json()["detail"]
    assert client.get(f"/api/v1/training/attempts/{attempt['id']}", headers=headers).json()["state"] == "expired"
    # An expired attempt is not a failure: a new one may start at once.
    assert start(client, headers)["id"] != attempt["id"]


def test_answers_in_the_last_seconds_still_count(client, db, app) -> None:  # type: ignore[no-untyped-def]
    content = app.state.content
    user, headers = _volunteer(client, db, app)
    attempt = start(client, headers)
    shift_attempts(db, user, by=timedelta(minutes=60, seconds=30))
    assert submit(client, headers, attempt["id"], right_answers(content, attempt)).status_code == 200


def test_an_open_attempt_is_resumed_not_redrawn(client, db, app) -> None:  # type: ignore[no-untyped-def]
    _user, headers = _volunteer(client, db, app)
    first = start(client, headers)
    again = start(client, headers, expected=200)
    assert again["id"] == first["id"] and again["questions"] == first["questions"]
    status = client.get("/api/v1/training/status", headers=headers).json()
    assert status["open_attempt_id"] == first["id"] and status["attempts_in_last_day"] == 1


def test_certified_volunteers_stay_certified_when_the_quiz_changes(client, db, app) -> None:  # type: ignore[no-untyped-def]
    content = app.state.content
    _user, headers = _volunteer(client, db, app)
    attempt = start(client, headers)
    submit(client, headers, attempt["id"], right_answers(content, attempt))
    before = client.get("/api/v1/me", headers=headers).json()
    app.state.content = with_bank(content, pass_mark=0.9)
    assert app.state.content.quiz.version != content.quiz.version
    after = client.get("/api/v1/me", headers=headers).json()
    assert after["certified"] is True and after["certified_until"] == before["certified_until"]
    # The old attempt's result still shows.
    shown = client.get(f"/api/v1/training/attempts/{attempt['id']}", headers=headers).json()
    assert shown["result"]["passed"] is True


def test_an_open_attempt_survives_an_edit_that_keeps_its_questions(client, db, app) -> None:  # type: ignore[no-untyped-def]
    content = app.state.content
    _user, headers = _volunteer(client, db, app)
    attempt = start(client, headers)
    # A typo fixed in a question's prompt: same ids, same choices; grading goes on.
    edited = [q.model_copy(update={"prompt": q.prompt + " "}) if q.id == attempt["questions"][0]["id"] else q
              for q in content.quiz.questions]
    app.state.content = with_bank(content, questions=edited)
    assert submit(client, headers, attempt["id"], right_answers(content, attempt)).status_code == 200


def test_an_attempt_whose_questions_left_the_bank_cannot_be_graded(client, db, app) -> None:  # type: ignore[no-untyped-def]
    content = app.state.content
    _user, headers = _volunteer(client, db, app)
    attempt = start(client, headers)
    gone = attempt["questions"][0]["id"]
    app.state.content = with_bank(content, questions=[q for q in content.quiz.questions if q.id != gone])
    response = submit(client, headers, attempt["id"], right_answers(content, attempt))
    assert response.status_code == 409 and response.json()["code"] == "quiz_changed"
    # A new attempt is drawn from the new bank instead of resuming the stale one.
    fresh = start(client, headers)
    assert fresh["id"] != attempt["id"] and fresh["content_version"] == app.state.content.quiz.version


def test_attempts_list_pages_with_a_cursor(client, db, app) -> None:  # type: ignore[no-untyped-def]
    user, headers = _volunteer(client, db, app)
    ids = []
    for _ in range(3):
        ids.append(start(client, headers)["id"])
        shift_attempts(db, user, by=timedelta(minutes=65))  # expire it, so the next start draws a new one
    first = client.get("/api/v1/training/attempts?limit=2", headers=headers).json()
    assert [a["id"] for a in first["items"]] == ids[::-1][:2] and first["next_cursor"]
    second = client.get(f"/api/v1/training/attempts?limit=2&cursor={first['next_cursor']}", headers=headers).json()
    assert [a["id"] for a in second["items"]] == [ids[0]] and second["next_cursor"] is None
    assert client.get("/api/v1/training/attempts?cursor=bogus", headers=headers).status_code == 422
    assert json.dumps(first).count('"state": "expired"') == 2
