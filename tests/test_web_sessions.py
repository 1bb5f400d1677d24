"""Server-side sessions: signing out, disabling and role changes end a session at once, a copied
cookie opens nothing afterwards, idle and absolute timeouts, the account page and the CLI."""

import re

from accounts_app import (
    accounts_of,
    csrf_token,
    make_app,
    sign_in,
    store_of,
    whoami,
)
from click.testing import CliRunner

from kmsearch.cli import cli


def session_cookie(client) -> str:
    return client.get_cookie("session").value


def replay(app, cookie: str):
    """A second browser holding a copy of someone's session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    return thief


def age_sessions(app, **columns: str) -> None:
    with store_of(app).write() as db:
        for column, stamp in columns.items():
            db.execute(f"UPDATE sessions SET {column} = ?", [stamp])


def test_a_copied_cookie_replayed_after_sign_out_opens_nothing(app, client):
    sign_in(client, username="rita")
    cookie = session_cookie(client)
    assert whoami(replay(app, cookie))["username"] == "rita"  # the copy works while signed in
    client.post("/logout", headers={"X-CSRFToken": csrf_token(client)})
    thief = replay(app, cookie)
    assert whoami(thief)["username"] is None
    response = thief.get("/my-notes")
    assert response.status_code == 303 and response.location.startswith("/login")


def test_the_cookie_holds_a_random_token_and_the_database_only_its_hash(app, client):
    sign_in(client)
    with client.session_transaction() as session:
        token = session["_user_id"]
    assert "alice" not in token and len(token) >= 40
    rows = list(store_of(app).db["sessions"].rows)
    assert len(rows) == 1 and rows[0]["id"] != token and rows[0]["username"] == "alice"


def test_disabling_a_user_ends_their_sessions_at_once(app, client):
    sign_in(client)
    cookie = session_cookie(client)
    accounts_of(app).disable("alice")
    accounts_of(app).enable("alice")
    assert whoami(replay(app, cookie))["username"] is None


def test_changing_roles_ends_the_users_sessions(app, client):
    sign_in(client)
    accounts_of(app).set_roles("alice", ["viewer"])
    assert whoami(client)["username"] is None
    assert sign_in(client).status_code == 303
    assert whoami(client)["roles"] == ["viewer"]


def test_a_session_idle_too_long_ends(settings, tmp_path):
    app = make_app(settings, tmp_path, SESSION_IDLE_MINUTES=30)
    client = app.test_client()
    sign_in(client)
    age_sessions(app, last_seen="2000-01-01T00:00:00+00:00")
    assert whoami(client)["username"] is None
    ended = next(iter(store_of(app).db["sessions"].rows))
    assert ended["ended_reason"] == "idle timeout"


def test_a_session_ends_at_its_absolute_lifetime_even_when_busy(settings, tmp_path):
    app = make_app(settings, tmp_path, SESSION_MAX_HOURS=8)
    client = app.test_client()
    sign_in(client)
    assert whoami(client)["username"] == "alice"
    age_sessions(app, created_at="2000-01-01T00:00:00+00:00")
    assert whoami(client)["username"] is None


def test_the_account_page_lists_sessions_and_signs_out_everywhere(app, client):
    sign_in(client, username="rita")
    laptop = app.test_client()
    sign_in(laptop, username="rita", headers={"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) "
                                             "Chrome/120.0 Safari/537.36"})
    html = client.get("/account").get_data(as_text=True)
    assert "Chrome on Linux" in html and "this browser" in html
    assert html.count('class="session-row') == 2
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    response = client.post("/account/sign-out-everywhere", data={"csrf_token": token})
    assert response.status_code == 303 and response.location.startswith("/login")
    assert whoami(client)["username"] is None and whoami(laptop)["username"] is None


def test_one_other_session_can_be_ended_from_the_account_page(app, client):
    sign_in(client, username="rita")
    laptop = app.test_client()
    sign_in(laptop, username="rita")
    html = client.get("/account").get_data(as_text=True)
    other = re.search(r'action="/account/sessions/([0-9a-f]{64})/end"', html).group(1)
    client.post(f"/account/sessions/{other}/end", data={"csrf_token": csrf_token(client)})
    assert whoami(client)["username"] == "rita" and whoami(laptop)["username"] is None
    refused = client.post(f"/account/sessions/{'0' * 64}/end",
                          data={"csrf_token": csrf_token(client)})
    assert refused.status_code == 404


def test_the_account_page_asks_a_visitor_to_sign_in(client):
    response = client.get("/account")
    assert response.status_code == 303 and response.location == "/login?next=/account"


def test_the_account_page_works_under_proxy_single_sign_on(settings, tmp_path):
    app = make_app(settings, tmp_path, TRUST_USER_HEADER=True)
    client = app.test_client()
    response = client.get("/account", headers={"X-Remote-User": "rita"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "rita" in html
    assert "signed in through the organisation's single sign-on" in html
    assert whoami(client)["username"] is None  # the header, not a cookie, carries the identity


def test_the_cli_lists_sessions_and_signs_a_user_out_everywhere(app, client, settings):
    sign_in(client, username="rita")
    env = {"KMSEARCH_DB": str(settings.db_path), "KMSEARCH_INDEX_DIR": str(settings.index_dir)}
    listed = CliRunner().invoke(cli, ["users", "sessions", "rita"], env=env)
    assert listed.exit_code == 0 and "test client" in listed.output, listed.output
    ended = CliRunner().invoke(cli, ["users", "sign-out-everywhere", "rita"], env=env)
    assert ended.exit_code == 0 and "ended 1 session of rita" in ended.output
    assert whoami(client)["username"] is None
    assert "no open sessions" in CliRunner().invoke(cli, ["users", "sessions", "rita"],
                                                    env=env).output
    unknown = CliRunner().invoke(cli, ["users", "sessions", "ghost"], env=env)
    assert unknown.exit_code == 1 and "kmsearch users list" in unknown.output
