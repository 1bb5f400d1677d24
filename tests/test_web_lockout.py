"""Sign-in back-off per username and address together, lifting a lock, the trusted proxy count,
and cache headers on what a signed-in viewer sees."""

import re

import pytest
from accounts_app import (
    make_app,
    sign_in,
    store_of,
)
from click.testing import CliRunner

from kmsearch.cli import cli
from kmsearch.store.lockout import FREE_ATTEMPTS, Lockout, backoff

ATTACKER = {"REMOTE_ADDR": "203.0.113.66"}
OWNER = {"REMOTE_ADDR": "198.51.100.7"}


def hammer(client, username: str, times: int, environ=ATTACKER) -> list[int]:
    return [sign_in(client, username=username, password="wrong guess!",
                    environ_base=environ).status_code for _ in range(times)]


def test_a_reviewer_still_signs_in_from_their_address_while_their_name_is_hammered(client):
    statuses = hammer(client, "rita", 12)
    assert statuses[:FREE_ATTEMPTS] == [200] * FREE_ATTEMPTS and 429 in statuses
    assert sign_in(client, username="rita", environ_base=OWNER).status_code == 303
    refused = sign_in(client, username="rita", environ_base=ATTACKER)
    assert refused.status_code == 429  # the right password from the hammering address waits too


def test_one_address_hammering_one_name_does_not_lock_other_accounts_there(client):
    hammer(client, "rita", FREE_ATTEMPTS + 2)
    assert sign_in(client, username="alice", environ_base=ATTACKER).status_code == 303


def test_a_locked_out_answer_says_how_long_to_wait_and_checks_no_password(client):
    hammer(client, "rita", FREE_ATTEMPTS + 4)
    response = sign_in(client, username="rita", environ_base=ATTACKER)
    html = response.get_data(as_text=True)
    assert response.status_code == 429 and int(response.headers["Retry-After"]) >= 1
    assert re.search(r"Wait \d+ seconds", html)
    assert "ask an administrator" in html


def test_the_back_off_doubles_with_each_failure_up_to_a_ceiling(app):
    lockout = Lockout(store_of(app))
    waits = [lockout.failed("rita", "203.0.113.66") for _ in range(FREE_ATTEMPTS + 3)]
    assert waits[:FREE_ATTEMPTS - 1] == [0.0] * (FREE_ATTEMPTS - 1)
    assert waits[FREE_ATTEMPTS - 1:] == [1.0, 2.0, 4.0, 8.0]
    assert lockout.wait("rita", "203.0.113.66") > 7
    assert lockout.wait("rita", "198.51.100.7") == 0
    assert backoff(200).total_seconds() == 15 * 60


def test_an_administrator_lifts_a_lock_from_the_command_line(app, client, settings):
    hammer(client, "rita", FREE_ATTEMPTS + 4)
    assert sign_in(client, username="rita", environ_base=ATTACKER).status_code == 429
    env = {"KMSEARCH_DB": str(settings.db_path), "KMSEARCH_INDEX_DIR": str(settings.index_dir)}
    result = CliRunner().invoke(cli, ["users", "unlock", "Rita"], env=env)
    assert result.exit_code == 0 and "unlocked rita" in result.output
    assert "from 1 address" in result.output
    assert sign_in(client, username="rita", environ_base=ATTACKER).status_code == 303


def test_a_right_password_clears_the_count_for_that_address(app, client):
    hammer(client, "rita", FREE_ATTEMPTS - 1)
    assert sign_in(client, username="rita", environ_base=ATTACKER).status_code == 303
    assert Lockout(store_of(app)).locks("rita") == []


def test_behind_a_trusted_proxy_the_forwarded_address_counts(settings, tmp_path):
    client = make_app(settings, tmp_path, PROXY_COUNT=1).test_client()
    forwarded = {"X-Forwarded-For": "203.0.113.66"}
    for _ in range(FREE_ATTEMPTS + 4):
        sign_in(client, username="rita", password="wrong guess!", headers=forwarded)
    assert sign_in(client, username="rita", headers=forwarded).status_code == 429
    colleague = {"X-Forwarded-For": "198.51.100.7"}  # same proxy, another client
    assert sign_in(client, username="rita", headers=colleague).status_code == 303


def test_without_a_proxy_count_forwarded_headers_are_ignored(settings, tmp_path):
    client = make_app(settings, tmp_path).test_client()
    for n in range(FREE_ATTEMPTS + 4):
        sign_in(client, username="rita", password="wrong guess!",
                headers={"X-Forwarded-For": f"10.9.9.{n}"})
    assert sign_in(client, username="rita").status_code == 429


def test_a_negative_proxy_count_is_refused(settings, tmp_path):
    with pytest.raises(ValueError, match="KMSEARCH_PROXY_COUNT"):
        make_app(settings, tmp_path, PROXY_COUNT=-1)


# Caching


@pytest.mark.model
@pytest.mark.parametrize("path", ["/", "/search?q=data", "/my-notes", "/account", "/login",
                                  "/no-such-page", "/api/v1/search?q=data", "/api/v1/taxonomy"])
def test_what_a_signed_in_viewer_sees_is_never_stored(client, path):
    sign_in(client)
    response = client.get(path)
    assert response.headers["Cache-Control"] == "no-store", path
    assert "Cookie" in response.headers.get("Vary", ""), path


def test_api_answers_are_never_stored_even_for_visitors(client):
    response = client.get("/api/v1/taxonomy")
    assert response.headers["Cache-Control"] == "no-store"


def test_pages_vary_by_viewer_and_static_files_stay_cacheable(client):
    assert "Cookie" in client.get("/").headers["Vary"]
    static = client.get("/static/kmsearch.css")
    assert "no-store" not in static.headers.get("Cache-Control", "")


def test_under_single_sign_on_pages_vary_by_the_identity_header(settings, tmp_path):
    client = make_app(settings, tmp_path, TRUST_USER_HEADER=True).test_client()
    response = client.get("/", headers={"X-Remote-User": "rita"})
    assert response.headers["Cache-Control"] == "no-store"
    assert "X-Remote-User" in response.headers["Vary"]
