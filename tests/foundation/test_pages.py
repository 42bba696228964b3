"""The HTML side: pages, forms without JavaScript, CSRF, security headers, errors."""

from __future__ import annotations

from app.models import Role
from tests.conftest import csrf_token, post_form
from tests.factories import PASSWORD, make_user, web_login


def test_home_and_public_pages(client) -> None:  # type: ignore[no-untyped-def]
    for path in ("/", "/login", "/register"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert '<html lang="en">' in response.text
        assert 'src="/static/vendor/htmx-2.0.11.min.js"' in response.text
        assert "<script>" not in response.text  # no inline script: the CSP forbids it


def test_security_headers(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"]


def test_health_and_docs(client) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").status_code == 200
    docs = client.get("/docs")
    assert docs.status_code == 200 and "/static/vendor/swagger-ui/swagger-ui-bundle.js" in docs.text
    assert client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js").status_code == 200
    assert "/api/v1/auth/token" in client.get("/openapi.json").json()["paths"]


def test_register_without_javascript(client) -> None:  # type: ignore[no-untyped-def]
    response = post_form(client, "/register", {"display_name": "Maya", "email": "maya@example.org",
                                               "password": PASSWORD}, from_path="/register")
    assert response.status_code == 303
    assert response.headers["location"] == "/training"
    cookie = response.headers["set-cookie"]
    assert "cs_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    assert client.get("/account").status_code == 200


def test_register_form_keeps_input_on_error(client) -> None:  # type: ignore[no-untyped-def]
    response = post_form(client, "/register", {"display_name": "Maya <b>", "email": "maya@example.org",
                                               "password": "short"}, from_path="/register")
    assert response.status_code == 422
    assert 'value="maya@example.org"' in response.text
    assert "Maya &lt;b&gt;" in response.text
    assert "at least 12 characters" in response.text


def test_login_logout_cycle(client, db) -> None:  # type: ignore[no-untyped-def]
    user = make_user(db)
    web_login(client, user)
    page = client.get("/account")
    assert user.email in page.text
    response = post_form(client, "/logout", {}, from_path="/account")
    assert response.status_code == 303
    assert client.get("/account", follow_redirects=False).status_code == 303


def test_logout_really_ends_the_session(client, db) -> None:  # type: ignore[no-untyped-def]
    user = make_user(db)
    web_login(client, user)
    stolen_cookie = client.cookies.get("cs_session")
    post_form(client, "/logout", {}, from_path="/account")
    client.cookies.set("cs_session", stolen_cookie)
    assert client.get("/account", follow_redirects=False).status_code == 303


def test_wrong_login_shows_form_again(client, db) -> None:  # type: ignore[no-untyped-def]
    user = make_user(db)
    response = post_form(client, "/login", {"email": user.email, "password": "wrong password here"},
                         from_path="/login")
    assert response.status_code == 401
    assert "Wrong e-mail address or password." in response.text
    assert f'value="{user.email}"' in response.text


def test_login_next_never_leaves_the_site(client, db) -> None:  # type: ignore[no-untyped-def]
    user = make_user(db)
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        response = post_form(client, "/login", {"email": user.email, "password": PASSWORD, "next": target},
                             from_path="/login")
        assert response.headers["location"] == "/", target
        post_form(client, "/logout", {}, from_path="/account")


def test_csrf_foreign_origin_is_refused(client, db) -> None:  # type: ignore[no-untyped-def]
    user = make_user(db)
    web_login(client, user)
    token = csrf_token(client, "/account")
    response = client.post("/logout", data={"csrf_token": token}, headers={"Origin": "https://evil.example"},
                           follow_redirects=False)
    assert response.status_code == 403
    response = client.post("/logout", data={"csrf_token": token}, headers={"Sec-Fetch-Site": "cross-site"},
                           follow_redirects=False)
    assert response.status_code == 403
    assert client.get("/account").status_code == 200  # still logged in


def test_csrf_token_is_required_and_bound(client, db) -> None:  # type: ignore[no-untyped-def]
    user = make_user(db)
    web_login(client, user)
    assert client.post("/logout", data={}, follow_redirects=False).status_code == 403
    assert client.post("/logout", data={"csrf_token": "0" * 64}, follow_redirects=False).status_code == 403
    # a token from before login (bound to the visitor cookie) is no good for the session
    assert client.post("/logout", headers={"X-CSRF-Token": "f" * 64}, follow_redirects=False).status_code == 403
    token = csrf_token(client, "/account")
    assert client.post("/logout", headers={"X-CSRF-Token": token}, follow_redirects=False).status_code == 303


def test_volunteer_on_admin_pages_gets_403(client, db) -> None:  # type: ignore[no-untyped-def]
    volunteer = make_user(db)
    web_login(client, volunteer)
    response = client.get("/admin/users")
    assert response.status_code == 403
    assert "This page is for admins." in response.text
    assert '<html lang="en">' in response.text  # the app's own error page


def test_admin_changes_a_role_on_the_page(client, db) -> None:  # type: ignore[no-untyped-def]
    admin = make_user(db, role=Role.admin)
    volunteer = make_user(db, display_name="Lina <script>")
    web_login(client, admin)
    page = client.get("/admin/users")
    assert "Lina &lt;script&gt;" in page.text and "Lina <script>" not in page.text
    response = post_form(client, f"/admin/users/{volunteer.id}/role", {"role": "expert"}, from_path="/admin/users")
    assert response.status_code == 303
    assert "Expert" in client.get("/admin/users?role=expert").text


def test_error_pages(client) -> None:  # type: ignore[no-untyped-def]
    missing = client.get("/no-such-page")
    assert missing.status_code == 404 and "Not found" in missing.text
    api_missing = client.get("/api/v1/no-such-thing")
    assert api_missing.status_code == 404 and "detail" in api_missing.json()
    assert client.get("/account", follow_redirects=False).headers["location"] == "/login?next=/account"


def test_password_change_on_the_page(client, db) -> None:  # type: ignore[no-untyped-def]
    user = make_user(db)
    web_login(client, user)
    response = post_form(client, "/account/password", {"current_password": PASSWORD, "new_password": "short"},
                         from_path="/account")
    assert response.status_code == 422 and "at least 12 characters" in response.text
    response = post_form(client, "/account/password",
                         {"current_password": PASSWORD, "new_password": "a brand new pass phrase"},
                         from_path="/account")
    assert response.status_code == 303
