"""Sign-in, sessions and the security layer: CSRF, headers, cookies, secret key, limits."""

import os
import re

import pytest
from accounts_app import (
    accounts_of,
    csrf_token,
    make_app,
    sign_in,
    whoami,
)
from flask import Flask

from kmsearch.config import PROJECT_ROOT
from kmsearch.web import create_app
from kmsearch.web.auth import current_viewer
from kmsearch.web.security import CONTENT_SECURITY_POLICY
from kmsearch.web.signin import safe_next

CSRF_EXEMPT = {"api.suggest_links", "api.search_text"}  # read-only POST routes


# Sign-in and sign-out


def test_the_sign_in_form_has_labelled_fields_and_a_csrf_token(client):
    html = client.get("/login").get_data(as_text=True)
    assert '<label for="signin-username">Username</label>' in html
    assert '<label for="signin-password">Password</label>' in html
    assert 'id="signin-password" type="password"' in html
    assert re.search(r'<input type="hidden" name="csrf_token" value="[^"]+">', html)


def test_signing_in_redirects_to_next_and_shows_the_account(app, client):
    response = sign_in(client, next_url="/cases/cefact-garment-traceability?tab=lessons")
    assert response.status_code == 303
    assert response.location == "/cases/cefact-garment-traceability?tab=lessons"
    html = client.get("/login").get_data(as_text=True)
    assert "alice (contributor)" in html and ">Sign out</button>" in html
    assert whoami(client) == {"username": "alice", "roles": ["contributor"],
                              "divisions": ["trade"]}


def test_a_failed_sign_in_does_not_say_whether_the_user_exists(client):
    wrong_password = sign_in(client, password="not the password")
    unknown_user = sign_in(client, username="nobody")
    disabled_user = sign_in(client, username="dora")
    for response in (wrong_password, unknown_user, disabled_user):
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert "do not match an active account" in html and 'role="alert"' in html
    with client.session_transaction() as session:
        assert "_user_id" not in session


def test_signing_in_starts_a_new_session(client):
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    sign_in(client)
    with client.session_transaction() as session:
        assert "planted" not in session and session["_user_id"]


@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example/path", "/\\evil.example", "http:/evil.example",
    "javascript:alert(1)", "evil.example", "/cases\r\nSet-Cookie: x=1", "\x00/cases", "",
])
def test_next_never_leads_off_the_site(app, target):
    with app.test_request_context("/login"):
        assert safe_next(target) == "/"


def test_next_keeps_same_site_paths_and_absolute_urls_of_this_host(app):
    with app.test_request_context("/login", base_url="http://library.example"):
        assert safe_next("/search?q=data") == "/search?q=data"
        assert safe_next("http://library.example/recommendations") == "/recommendations"
        assert safe_next("http://other.example/recommendations") == "/"


def test_an_open_redirect_through_sign_in_is_refused(client):
    response = sign_in(client, next_url="https://evil.example/phish")
    assert response.status_code == 303 and response.location == "/"


def test_signing_out_is_a_post_with_a_token(client):
    sign_in(client)
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    response = client.post("/logout", headers={"X-CSRFToken": csrf_token(client)})
    assert response.status_code == 303
    with client.session_transaction() as session:
        assert "_user_id" not in session
    assert "Sign in</a>" in client.get("/login").get_data(as_text=True)


def test_disabling_or_changing_a_signed_in_user_takes_effect_on_the_next_request(app, client):
    sign_in(client)
    accounts_of(app).set_divisions("alice", ["transport"])
    assert whoami(client)["divisions"] == ["transport"]
    accounts_of(app).disable("alice")
    assert whoami(client)["username"] is None


def test_a_new_password_ends_existing_sessions(app, client):
    sign_in(client)
    accounts_of(app).set_password("alice", "a brand new passphrase")
    assert whoami(client)["username"] is None


def test_anonymous_pages_offer_sign_in_back_to_the_same_page(client):
    html = client.get("/no-such-page?x=1").get_data(as_text=True)
    assert 'href="/login?next=/no-such-page?x%3D1"' in html


# Trusted proxy headers


def test_a_trusted_user_header_gets_the_local_accounts_roles_not_the_headers(settings, tmp_path):
    app = make_app(settings, tmp_path, TRUST_USER_HEADER=True)
    with app.test_request_context(headers={"X-Remote-User": "Alice", "X-Remote-Roles": "admin",
                                           "X-Remote-Divisions": "statistics"}):
        viewer = current_viewer()
    assert viewer.username == "alice"
    assert viewer.roles == {"contributor"} and viewer.divisions == {"trade"}
    with app.test_request_context(headers={"X-Remote-User": "stranger",
                                           "X-Remote-Roles": "admin"}):
        assert current_viewer().roles == {"viewer"}
    with app.test_request_context(headers={"X-Remote-User": "dora"}):
        assert not current_viewer().signed_in


def test_role_headers_count_only_when_trusted_too(settings, tmp_path):
    app = make_app(settings, tmp_path, TRUST_USER_HEADER=True, TRUST_ROLE_HEADERS=True)
    with app.test_request_context(headers={"X-Remote-User": "zed", "X-Remote-Roles": "admin"}):
        assert current_viewer().roles == {"admin"}


# Rate limiting


def test_failed_sign_ins_across_names_are_capped_per_address(settings, tmp_path):
    client = make_app(settings, tmp_path, LOGIN_RATE_LIMIT="3 per minute").test_client()
    for name in ("alice", "rita", "nobody"):
        assert sign_in(client, username=name, password="wrong password").status_code == 200
    response = sign_in(client, username="rita")
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.get_data(as_text=True)
    assert "Retry-After" in response.headers
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


def test_successful_sign_ins_do_not_use_up_the_limit(settings, tmp_path):
    client = make_app(settings, tmp_path, LOGIN_RATE_LIMIT="2 per minute").test_client()
    for _ in range(4):
        assert sign_in(client).status_code == 303


# CSRF


def post_routes(app: Flask) -> list[str]:
    """The address of every route that accepts POST, with placeholder path arguments."""
    adapter = app.url_map.bind("localhost")
    return [
        adapter.build(rule.endpoint, dict.fromkeys(rule.arguments, "1"), method="POST")
        for rule in app.url_map.iter_rules()
        if "POST" in (rule.methods or ()) and rule.endpoint not in CSRF_EXEMPT
    ]


def test_every_post_route_refuses_a_request_without_a_csrf_token(app, client):
    routes = post_routes(app)
    assert {"/login", "/logout"} <= set(routes)
    for route in routes:
        response = client.post(route, data={"text": "anything"})
        assert response.status_code == 400, route
        assert "security token" in response.get_data(as_text=True), route


def test_a_signed_in_user_still_needs_the_token(app, client):
    sign_in(client)
    for route in post_routes(app):
        assert client.post(route, data={"csrf_token": "forged"}).status_code == 400, route


def test_a_csrf_failure_on_the_api_is_a_json_error_and_the_header_token_passes(client):
    response = client.post("/api/v1/test-write", json={})
    assert response.status_code == 400
    assert "X-CSRFToken" in response.get_json()["error"]["message"]
    response = client.post("/api/v1/test-write", json={},
                           headers={"X-CSRFToken": csrf_token(client)})
    assert response.status_code == 200 and response.get_json() == {"written": True}


@pytest.mark.parametrize("endpoint", sorted(CSRF_EXEMPT))
def test_read_only_posts_are_exempt_because_they_change_nothing(app, client, endpoint):
    rule = next(r for r in app.url_map.iter_rules()
                if r.endpoint == endpoint and "POST" in (r.methods or ()))
    response = client.post(rule.rule, json={"bogus": 1})
    assert response.status_code == 400  # a bad body, not a missing token
    assert "security token" not in response.get_data(as_text=True)


# Headers, cookies, secret key, size limit


@pytest.mark.parametrize("path", ["/login", "/api/v1/taxonomy", "/no-such-page",
                                  "/api/v1/no-such", "/static/kmsearch.css"])
def test_security_headers_are_on_pages_api_answers_errors_and_files(client, path):
    headers = client.get(path).headers
    assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"


def test_the_csp_forbids_inline_script_and_framing():
    directives = dict(d.strip().split(" ", 1) for d in CONTENT_SECURITY_POLICY.split(";"))
    assert directives["script-src"] == "'self'" and directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'" and directives["form-action"] == "'self'"


def session_cookie(response) -> str:
    return next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))


def test_the_session_cookie_is_httponly_lax_and_secure_by_default(client):
    cookie = session_cookie(sign_in(client))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie


def test_a_plain_http_demo_can_turn_secure_cookies_off(settings, tmp_path, monkeypatch):
    monkeypatch.setenv("KMSEARCH_SESSION_COOKIE_SECURE", "0")
    client = make_app(settings, tmp_path).test_client()
    cookie = session_cookie(sign_in(client))
    assert "Secure" not in cookie and "HttpOnly" in cookie


def test_testing_apps_default_to_cookies_without_secure(settings, tmp_path):
    assert make_app(settings, tmp_path, TESTING=True).config["SESSION_COOKIE_SECURE"] is False
    app = make_app(settings, tmp_path, TESTING=True, SESSION_COOKIE_SECURE=True)
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_the_secret_key_is_generated_once_private_and_kept(settings, tmp_path):
    first = make_app(settings, tmp_path).secret_key
    path = tmp_path / "secret_key"
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert len(first) >= 32 and path.read_text().strip() == first
    assert make_app(settings, tmp_path).secret_key == first
    other = create_app({"SETTINGS": settings, "SECRET_KEY_FILE": str(tmp_path / "other")})
    assert other.secret_key != first


def test_a_session_survives_a_restart(settings, tmp_path):
    client = make_app(settings, tmp_path).test_client()
    sign_in(client)
    client.application = make_app(settings, tmp_path)
    assert whoami(client)["username"] == "alice"


def test_the_secret_key_comes_from_the_environment_when_set(settings, tmp_path, monkeypatch):
    monkeypatch.setenv("KMSEARCH_SECRET_KEY", "an-operator-chosen-key-0123456789")
    assert make_app(settings, tmp_path).secret_key == "an-operator-chosen-key-0123456789"
    assert not (tmp_path / "secret_key").exists()
    monkeypatch.setenv("KMSEARCH_SECRET_KEY", "short")
    with pytest.raises(ValueError, match="at least 16 characters"):
        make_app(settings, tmp_path)


def test_no_secret_key_is_written_in_the_source():
    sources = [*(PROJECT_ROOT / "kmsearch").rglob("*.py"), *(PROJECT_ROOT / "templates").glob("*")]
    for path in sources:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"""SECRET_KEY["']?\s*[:=]\s*["'][^"']+["']""", text), path
        assert not re.search(r"secret_key\s*=\s*[\"']", text), path


def test_a_request_over_the_size_limit_is_a_413_with_a_message(settings, tmp_path):
    client = make_app(settings, tmp_path, MAX_CONTENT_LENGTH=1024).test_client()
    response = client.post("/login", data={"username": "x" * 4096})
    assert response.status_code == 413
    assert "larger than the 1 KB this site accepts" in response.get_data(as_text=True)
    response = client.post("/api/v1/suggest-links", json={"text": "x" * 4096})
    assert response.status_code == 413
    assert "1 KB" in response.get_json()["error"]["message"]
