"""The training pages without JavaScript: read the lessons, take the quiz by form posts, see the result."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlencode

from markupsafe import escape

from app.content import TrainingContent
from app.models import Role
from tests.conftest import csrf_token, post_form
from tests.factories import make_user, web_login
from tests.training.factories import read_all_lessons, shift_attempts

QUESTION_RE = re.compile(r'name="answer-([^"]+)" value="([^"]+)"')


def _drawn(html: str) -> dict[str, list[str]]:
    """Question id -> choice ids in the order the form shows them."""
    found: dict[str, list[str]] = {}
    for question_id, choice_id in QUESTION_RE.findall(html):
        found.setdefault(question_id, []).append(choice_id)
    return found


def _form_answers(content, drawn: dict[str, list[str]], *, right: bool = True) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    pairs = []
    for question_id in drawn:
        question = content.quiz.by_id[question_id]
        if right:
            picked = sorted(question.correct_ids)
        else:
            picked = [next(cid for cid in question.choice_ids if cid not in question.correct_ids)]
        pairs.extend((f"answer-{question_id}", cid) for cid in picked)
    return pairs


def _post_answers(client, url: str, pairs: list[tuple[str, str]]):  # type: ignore[no-untyped-def]
    """POST the quiz form as a browser does: repeated names for the ticked checkboxes."""
    body = [("csrf_token", csrf_token(client, "/training")), *pairs]
    return client.post(url, content=urlencode(body), follow_redirects=False,
                       headers={"Content-Type": "application/x-www-form-urlencoded"})


def test_pages_need_a_login(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/training", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login?next=")


def test_read_every_lesson_then_take_the_quiz_without_javascript(client, db, app) -> None:  # type: ignore[no-untyped-def]
    content = app.state.content
    slugs = content.lesson_slugs
    user = make_user(db)
    web_login(client, user)

    course = client.get("/training")
    assert course.status_code == 200
    assert f"0 of {len(slugs)} lessons read" in course.text
    assert 'href="/training/quiz"' not in course.text  # the quiz link appears once all are read
    for slug in slugs:
        assert f'href="/training/lessons/{slug}"' in course.text
    assert "<script>" not in course.text and " style=" not in course.text

    first = client.get(f"/training/lessons/{slugs[0]}")
    assert first.status_code == 200
    assert f"<h1>{content.lesson(slugs[0]).item.title}</h1>" in first.text
    assert first.text.count("<h1") == 1
    assert f"Lesson 1 of {len(slugs)}" in first.text
    assert "not been translated" not in first.text

    for number, slug in enumerate(slugs):
        response = post_form(client, f"/training/lessons/{slug}/read", from_path=f"/training/lessons/{slug}")
        assert response.status_code == 303
        expected = f"/training/lessons/{slugs[number + 1]}" if number + 1 < len(slugs) else "/training/quiz"
        assert response.headers["location"] == expected
    course = client.get("/training")
    assert f"{len(slugs)} of {len(slugs)} lessons read" in course.text
    assert 'href="/training/quiz"' in course.text
    assert "You marked this lesson as read" in client.get(f"/training/lessons/{slugs[0]}").text

    start_page = client.get("/training/quiz")
    assert start_page.status_code == 200 and "Start the quiz" in start_page.text
    started = post_form(client, "/training/quiz", from_path="/training/quiz")
    assert started.status_code == 303
    attempt_url = started.headers["location"]
    quiz_page = client.get(attempt_url)
    assert quiz_page.status_code == 200
    drawn = _drawn(quiz_page.text)
    assert len(drawn) == content.quiz.questions_per_attempt
    assert quiz_page.text.count("<fieldset") == len(drawn) and quiz_page.text.count("<legend>") == len(drawn)
    # The quiz page is the attempt: coming back to /training/quiz goes there instead of drawing anew.
    assert client.get("/training/quiz", follow_redirects=False).headers["location"] == attempt_url

    submitted = _post_answers(client, attempt_url, _form_answers(content, drawn))
    assert submitted.status_code == 303 and submitted.headers["location"] == attempt_url
    result = client.get(attempt_url)
    assert result.status_code == 200
    assert "Your quiz result" in result.text and "You passed." in result.text


def test_quiz_form_with_every_choice_ticked_passes_and_shows_explanations(client, db, app) -> None:  # type: ignore[no-untyped-def]
    content = app.state.content
    user = make_user(db)
    read_all_lessons(db, user, content)
    web_login(client, user)
    attempt_url = post_form(client, "/training/quiz", from_path="/training/quiz").headers["location"]
    drawn = _drawn(client.get(attempt_url).text)
    response = _post_answers(client, attempt_url, _form_answers(content, drawn))
    assert response.status_code == 303
    result = client.get(attempt_url)
    total = len(drawn)
    assert f"{total} of {total} right" in result.text and "You passed." in result.text
    assert "You are certified until" in result.text and 'href="/report"' in result.text
    for question_id in drawn:
        assert str(escape(content.quiz.by_id[question_id].explanation)) in result.text
    assert result.text.count("right answer") + result.text.count("your answer, right") >= total
    # A second click on "Send" shows the result again instead of an error.
    again = _post_answers(client, attempt_url, _form_answers(content, drawn, right=False))
    assert again.status_code == 303 and again.headers["location"] == attempt_url
    assert "You are certified until" in client.get("/training").text


def test_quiz_page_does_not_give_the_answers_away(client, db, app) -> None:  # type: ignore[no-untyped-def]
    content = app.state.content
    user = make_user(db)
    read_all_lessons(db, user, content)
    web_login(client, user)
    attempt_url = post_form(client, "/training/quiz", from_path="/training/quiz").headers["location"]
    page = client.get(attempt_url).text
    baseline = client.get("/account").text
    drawn = _drawn(page)
    assert drawn
    # The markers the result page uses for right choices and explanations are absent.
    for marker in ("✓", "✗", "is-answer", "is-wrong-pick", "Why:", 'class="explanation"', "correct=", "data-correct"):
        assert marker not in page, marker
    for question_id in drawn:
        explanation = str(escape(content.quiz.by_id[question_id].explanation))
        if explanation in baseline:
            continue  # the same sentence is part of every page (the footer), so it tells nothing
        assert explanation not in page


def test_unanswered_questions_are_pointed_out_and_the_answers_kept(client, db, app) -> None:  # type: ignore[no-untyped-def]
    content = app.state.content
    user = make_user(db)
    read_all_lessons(db, user, content)
    web_login(client, user)
    attempt_url = post_form(client, "/training/quiz", from_path="/training/quiz").headers["location"]
    drawn = _drawn(client.get(attempt_url).text)
    first_id = next(iter(drawn))
    first_choice = drawn[first_id][0]
    response = post_form(client, attempt_url, {f"answer-{first_id}": first_choice}, from_path=attempt_url)
    assert response.status_code == 422
    missing = len(drawn) - 1
    assert f"{missing} questions have no answer yet" in response.text
    assert re.search(rf'name="answer-{re.escape(first_id)}" value="{re.escape(first_choice)}"[^>]*checked',
                     response.text, re.DOTALL)
    assert 'name="confirm_incomplete"' in response.text
    # Sending anyway grades it: unanswered questions count as wrong.
    sent = post_form(client, attempt_url, {f"answer-{first_id}": first_choice, "confirm_incomplete": "1"},
                     from_path=attempt_url)
    assert sent.status_code == 303
    result = client.get(attempt_url).text
    assert "Not passed this time." in result
    assert "Please wait" in result  # the cooldown is explained on the result


def test_cooldown_and_daily_limit_are_explained(client, db, app, settings) -> None:  # type: ignore[no-untyped-def]
    content = app.state.content
    user = make_user(db)
    read_all_lessons(db, user, content)
    web_login(client, user)
    for number in range(1, settings.quiz_attempts_per_day + 1):
        attempt_url = post_form(client, "/training/quiz", from_path="/training/quiz").headers["location"]
        post_form(client, attempt_url, {"confirm_incomplete": "1"}, from_path=attempt_url)
        blocked = post_form(client, "/training/quiz", from_path="/training")
        assert blocked.status_code == 429
        last = number == settings.quiz_attempts_per_day
        assert ("attempts for today" if last else "Please wait") in blocked.text
        assert int(blocked.headers["Retry-After"]) > 0
        shift_attempts(db, user, by=timedelta(minutes=settings.quiz_cooldown_minutes + 1))
    page = client.get("/training/quiz")
    assert f"You have used your {settings.quiz_attempts_per_day} attempts for today" in page.text
    assert "Next attempt possible from" in page.text and "Start the quiz" not in page.text
    blocked = post_form(client, "/training/quiz", from_path="/training")
    assert blocked.status_code == 429 and "attempts for today" in blocked.text


def test_unread_lessons_block_the_quiz_page(client, db, app) -> None:  # type: ignore[no-untyped-def]
    content = app.state.content
    web_login(client, make_user(db))
    page = client.get("/training/quiz")
    assert "Read every lesson before the quiz" in page.text
    assert f'href="/training/lessons/{content.lesson_slugs[0]}"' in page.text
    response = post_form(client, "/training/quiz", from_path="/training/quiz")
    assert response.status_code == 409 and "Still to read" in response.text


def test_an_expired_attempt_says_so(client, db, app) -> None:  # type: ignore[no-untyped-def]
    content = app.state.content
    user = make_user(db)
    read_all_lessons(db, user, content)
    web_login(client, user)
    attempt_url = post_form(client, "/training/quiz", from_path="/training/quiz").headers["location"]
    drawn = _drawn(client.get(attempt_url).text)
    shift_attempts(db, user, by=timedelta(minutes=70))
    page = client.get(attempt_url)
    assert "This attempt expired" in page.text and "Start a new attempt" in page.text
    assert 'name="answer-' not in page.text
    late = _post_answers(client, attempt_url, _form_answers(content, drawn))
    assert late.status_code == 409 and "expired" in late.text


def test_someone_elses_attempt_page_is_404(client, db, app) -> None:  # type: ignore[no-untyped-def]
    content = app.state.content
    owner = make_user(db)
    read_all_lessons(db, owner, content)
    web_login(client, owner)
    attempt_url = post_form(client, "/training/quiz", from_path="/training/quiz").headers["location"]
    client.cookies.clear()
    web_login(client, make_user(db))
    assert client.get(attempt_url).status_code == 404
    assert post_form(client, attempt_url, {"confirm_incomplete": "1"}, from_path="/training").status_code == 404


def test_untranslated_lessons_say_they_are_in_english(client, db, app) -> None:  # type: ignore[no-untyped-def]
    content = app.state.content
    slugs = content.lesson_slugs
    # French readers: the first lesson has a translation, the second does not.
    french = dict(content.lessons_by_lang.get("fr", {}))
    french[slugs[0]] = content.lesson(slugs[0]).item.model_copy(update={"lang": "fr", "title": "Leçon traduite"})
    french.pop(slugs[1], None)
    app.state.content = TrainingContent(
        lessons_by_lang={**content.lessons_by_lang, "fr": french}, quiz=content.quiz,
        question_translations=content.question_translations, species=content.species,
        code_words=content.code_words, platforms=content.platforms,
    )
    web_login(client, make_user(db))
    client.cookies.set("cs_lang", "fr")
    untranslated = client.get(f"/training/lessons/{slugs[1]}")
    assert untranslated.status_code == 200
    assert '<article class="panel" lang="en">' in untranslated.text and 'role="note"' in untranslated.text
    translated = client.get(f"/training/lessons/{slugs[0]}")
    assert "Leçon traduite" in translated.text
    assert '<article class="panel">' in translated.text and 'role="note"' not in translated.text
    course = client.get("/training")
    assert course.text.count('<a href="/training/lessons/') == len(slugs)
    assert f'<a href="/training/lessons/{slugs[1]}" lang="en">' in course.text
    assert f'<a href="/training/lessons/{slugs[0]}">Leçon traduite</a>' in course.text


def test_unknown_lesson_is_404(client, db) -> None:  # type: ignore[no-untyped-def]
    web_login(client, make_user(db))
    assert client.get("/training/lessons/no-such-lesson").status_code == 404
    assert post_form(client, "/training/lessons/no-such-lesson/read", from_path="/training").status_code == 404


def test_staff_may_read_and_take_the_quiz(client, db, app) -> None:  # type: ignore[no-untyped-def]
    content = app.state.content
    expert = make_user(db, role=Role.expert)
    read_all_lessons(db, expert, content)
    web_login(client, expert)
    assert "Staff are not required to pass it." in client.get("/training").text
    assert post_form(client, "/training/quiz", from_path="/training/quiz").status_code == 303
