"""Notifications without a mail server: who is told about a submission and a return, follows and
their validation, digests that respect visibility, the outbox's back-off, the e-mail address of
accounts, the settings, the migration, and the pages (the list, Follow buttons, the account's
address). The e-mails themselves are received by a real SMTP server in
test_notifications_smtp.py."""

import logging
import sqlite3
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from accounts_app import csrf_token, sign_in
from click.testing import CliRunner
from monitoring_library import RESTRICTED, build_monitoring_library
from notify_people import BASE_URL, PASSWORD, add_people, draft_and_submit
from sqlite_utils import Database

from kmsearch.access import staff
from kmsearch.cli import cli
from kmsearch.config import Settings
from kmsearch.errors import ValidationError
from kmsearch.library import Library
from kmsearch.library.notifications import Courier
from kmsearch.store import accounts
from kmsearch.store.cases import Store
from kmsearch.store.migrations import MIGRATIONS, migrate
from kmsearch.store.notices import MAX_ATTEMPTS, Notices
from kmsearch.web import create_app
from kmsearch.workflow.contributions import note_fields

REC6 = "private-sector-2021/6"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The shipped corpus (no search index), the restricted note and five accounts, once."""
    settings = build_monitoring_library(tmp_path_factory.mktemp("notify-library"))
    library = Library(settings)
    add_people(library)
    library.close()
    return settings


@pytest.fixture
def library(built, tmp_path):
    """A private copy of that library, e-mail on (to a server nobody listens on)."""
    with sqlite3.connect(built.db_path) as source, sqlite3.connect(tmp_path / "k.db") as copy:
        source.backup(copy)
    library = Library(replace(built, db_path=tmp_path / "k.db", index_dir=tmp_path / "idx",
                              smtp_host="127.0.0.1", smtp_port=9, smtp_tls="none",
                              base_url=BASE_URL))
    yield library
    library.close()


def people(library, username):
    return library.accounts.get(username).viewer


def test_a_submission_tells_the_divisions_reviewers_in_app_and_by_e_mail(library):
    case_id = draft_and_submit(library, people(library, "tina"))
    notifications = library.notifications
    (told,) = notifications.of(people(library, "rita"))
    assert told.kind == "submitted" and told.link == f"/contribute/{case_id}"
    assert "tina submitted" in told.title and "Trade" in told.title
    assert notifications.of(people(library, "tom")) == []  # a reviewer of transport only
    assert notifications.of(people(library, "tina")) == []  # not the one who moved it
    (mail,) = notifications.outbox()
    assert mail.recipient == "rita@example.org" and mail.status == "pending"
    assert f"{BASE_URL}/contribute/{case_id}" in mail.body


def test_a_return_tells_the_author_with_the_reviewers_comment(library):
    case_id = draft_and_submit(library, people(library, "tina"))
    library.contributions.return_to_author(people(library, "rita"), case_id,
                                           "Name the customs office involved.")
    (returned,) = library.notifications.of(people(library, "tina"))
    assert returned.kind == "returned" and "rita returned" in returned.title
    assert returned.body == "Comment from rita: Name the customs office involved."
    mail = library.notifications.outbox()[0]
    assert mail.recipient == "tina@example.org"
    assert "Name the customs office involved." in mail.body
    assert library.notifications.unread(people(library, "tina")) == 1
    assert library.notifications.mark_read(people(library, "tina")) == 1
    assert library.notifications.unread(people(library, "tina")) == 0


def test_a_reviewer_releasing_an_import_tells_no_reviewer_of_its_submission(library):
    stored = library.store.get_case(RESTRICTED.id)
    imported = replace(stored, state="draft", origin="import", author="import")
    library.contributions.notifying.moved(people(library, "tom"), imported, "submitted")
    assert library.notifications.of(people(library, "rita")) == []
    library.contributions.notifying.moved(people(library, "tina"), imported, "submitted")
    assert len(library.notifications.of(people(library, "rita"))) == 1


def test_with_e_mail_off_notifications_stay_in_app(library):
    library.settings = replace(library.settings, smtp_host="")
    library.contributions.notifying.settings = library.settings
    draft_and_submit(library, people(library, "tina"))
    assert len(library.notifications.of(people(library, "rita"))) == 1
    assert library.notifications.outbox() == []


def test_a_failed_send_is_recorded_and_retried_with_growing_waits(library):
    draft_and_submit(library, people(library, "tina"))
    notices, start = Notices(library.store), datetime.now(UTC).replace(microsecond=0)
    report = library.notifications.send_outbox(start)  # port 9: nobody listens
    assert (report.sent, report.failed) == (0, 1) and "refused" in report.last_error.lower()
    (mail,) = notices.mails()
    assert (mail.status, mail.attempts) == ("pending", 1) and "Connection" in mail.last_error
    assert mail.next_attempt_at == (start + timedelta(minutes=1)).isoformat()
    assert library.notifications.send_outbox(start).failed == 0  # not due yet
    waits = []
    at = start
    for _ in range(MAX_ATTEMPTS - 1):
        at = datetime.fromisoformat(notices.mails()[0].next_attempt_at)
        library.notifications.send_outbox(at)
        waits.append(datetime.fromisoformat(notices.mails()[0].next_attempt_at) - at)
    assert waits[:3] == [timedelta(minutes=2), timedelta(minutes=4), timedelta(minutes=8)]
    assert notices.mails()[0].status == "failed"
    assert notices.mails()[0].attempts == MAX_ATTEMPTS


def test_the_serve_thread_sends_in_the_background_and_stops_cleanly(library, caplog):
    draft_and_submit(library, people(library, "tina"))
    courier = Courier(library.notifications, interval=0.05).start()
    try:
        deadline = time.monotonic() + 10
        while library.notifications.outbox()[0].attempts == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        courier.stop()
    assert not courier._thread.is_alive()
    assert library.notifications.outbox()[0].last_error  # tried, failed, kept for later
    library.settings = replace(library.settings, smtp_host="")
    with caplog.at_level(logging.WARNING):
        Courier(library.notifications, interval=60).start().stop()
    assert [r.getMessage() for r in caplog.records if "E-mail is off" in r.getMessage()] == [
        "E-mail is off (KMSEARCH_SMTP_HOST is not set): notifications stay in-app only."]


def test_follows_are_checked_and_kept_once_per_target(library):
    viewer = people(library, "vic")
    notifications = library.notifications
    with pytest.raises(ValidationError) as refused:
        notifications.follow(viewer, "recipe", "x", "hourly")
    assert [p.field for p in refused.value.problems] == ["frequency", "kind"]
    with pytest.raises(ValidationError, match="no recommendation 'private-sector-2021/99'"):
        notifications.follow(viewer, "recommendation", "private-sector-2021/99")
    with pytest.raises(ValidationError, match=r"words to look for \(q=\.\.\.\)"):
        notifications.follow(viewer, "search", "division=trade")
    assert notifications.follow(viewer, "division", "Trade", "daily").target == "trade"
    notifications.follow(viewer, "division", "trade", "weekly")
    search = notifications.follow(viewer, "search", "q=data&page=3&division=trade")
    assert search.target == "division=trade&q=data"
    follows = notifications.follows(viewer)
    assert [(f.follow.kind, f.follow.frequency, f.label) for f in follows] == [
        ("division", "weekly", "division Trade"), ("search", "weekly", "the search “data”")]
    notifications.unfollow(viewer, follows[0].follow.id)
    assert [f.follow.kind for f in notifications.follows(viewer)] == ["search"]


def back_dated(library, days: int) -> None:
    """Every follow as if made ``days`` ago."""
    when = (datetime.now(UTC) - timedelta(days=days)).replace(microsecond=0).isoformat()
    with library.store.write() as db:
        db.execute("UPDATE follows SET last_digest_at = ?", [when])


def test_a_digest_lists_only_the_notes_its_reader_may_see(library):
    notifications = library.notifications
    for name in ("vic", "rita"):
        notifications.follow(people(library, name), "recommendation", REC6, "weekly")
    assert notifications.send_digests() == 0  # nothing is due yet
    back_dated(library, 8)
    assert notifications.send_digests("daily") == 0  # not that frequency
    assert notifications.send_digests() == 2
    (for_vic,) = notifications.of(people(library, "vic"))
    (for_rita,) = notifications.of(people(library, "rita"))
    assert for_vic.kind == "digest" and for_vic.link == f"/recommendations/{REC6}"
    assert f"/cases/{RESTRICTED.id}\t{RESTRICTED.title}" in for_rita.body.splitlines()
    assert RESTRICTED.title not in for_vic.body and for_vic.body.startswith("/cases/")
    vic_mail = next(m for m in notifications.outbox() if m.recipient == "vic@example.org")
    assert RESTRICTED.title not in vic_mail.body and RESTRICTED.id not in vic_mail.body
    assert notifications.send_digests() == 0  # the next one is due in a week


def test_a_digest_reaches_a_proxy_user_without_an_account_as_a_viewer(library):
    proxy_user = staff("sso.user", "reviewer")  # roles from headers are not kept: a viewer
    library.notifications.follow(proxy_user, "recommendation", REC6, "weekly")
    library.accounts.disable("vic")
    library.notifications.follow(people(library, "vic"), "recommendation", REC6, "weekly")
    back_dated(library, 8)
    assert library.notifications.send_digests() == 1  # not to the disabled account
    (digest,) = library.notifications.of(proxy_user)
    assert digest.body and RESTRICTED.title not in digest.body
    assert library.notifications.outbox() == []  # no address is known for them


def test_a_digest_of_a_division_lists_its_changed_notes_only(library):
    notifications = library.notifications
    notifications.follow(people(library, "rita"), "nexus", "natural-resources", "daily")
    back_dated(library, 2)
    assert notifications.send_digests() == 1
    (digest,) = notifications.of(people(library, "rita"))
    ids = library.store.case_ids_for("nexus", "natural-resources")
    assert digest.title.startswith(f"{len(ids)} new or changed note")


def test_an_e_mail_address_is_checked_and_kept(library):
    with pytest.raises(ValidationError, match="is not an e-mail address"):
        library.accounts.set_email("vic", "vic at example.org")
    with pytest.raises(ValidationError, match="not an e-mail address"):
        library.accounts.set_email("vic", "vic@example.org\nBcc: all@example.org")
    assert library.accounts.set_email("vic", "  v@example.org ").email == "v@example.org"
    assert library.accounts.set_email("vic", "").email == ""


def test_the_cli_sets_an_address_and_lists_the_outbox(library):
    runner = CliRunner()
    base = ["--db", str(library.settings.db_path), "--index-dir",
            str(library.settings.index_dir)]
    result = runner.invoke(cli, [*base, "users", "set-email", "vic", "vic@unece.example"])
    assert result.exit_code == 0 and "vic: vic@unece.example" in result.output
    result = runner.invoke(cli, [*base, "users", "set-email", "vic", "nonsense"])
    assert result.exit_code == 1 and "is not an e-mail address" in result.output
    assert runner.invoke(cli, [*base, "outbox", "list"]).output.strip() == "The outbox is empty."
    result = runner.invoke(cli, [*base, "outbox", "send"])
    assert result.exit_code == 1 and "e-mail is off" in result.output  # no KMSEARCH_SMTP_HOST
    assert "0 digests sent" in runner.invoke(cli, [*base, "digest", "send"]).output


def test_the_smtp_settings_are_read_and_checked():
    settings = Settings.from_env(environ={})
    assert not settings.email_on and settings.smtp_port_number == 587
    settings = Settings.from_env(environ={"KMSEARCH_SMTP_HOST": "mail.example.org",
                                          "KMSEARCH_SMTP_TLS": "ssl",
                                          "KMSEARCH_SMTP_PASSWORD": "secret"})
    assert settings.email_on and settings.smtp_port_number == 465
    assert "secret" not in repr(settings)
    with pytest.raises(ValueError, match="KMSEARCH_SMTP_TLS must be one of none, starttls, ssl"):
        Settings.from_env(environ={"KMSEARCH_SMTP_TLS": "tls"})
    with pytest.raises(ValueError, match="KMSEARCH_SMTP_PORT must be from 0"):
        Settings.from_env(environ={"KMSEARCH_SMTP_PORT": "70000"})


def test_the_notifications_migration_keeps_the_accounts(tmp_path):
    path = tmp_path / "old.db"
    db = Database(sqlite3.connect(path))
    migrate(db, path, [m for m in MIGRATIONS if m[0] != "1000_notifications"])
    db["users"].insert({"username": "tina", "password_hash": accounts.HASHER.hash(PASSWORD),
                        "roles": '["contributor"]', "divisions": '["trade"]', "disabled": 0,
                        "created_at": "2026-01-01T00:00:00+00:00"})
    db.conn.commit()
    db.close()
    store = Store(path)  # opening it applies 1000_notifications
    try:
        assert accounts.authenticate(store, "tina", PASSWORD).divisions == {"trade"}
        assert accounts.get_user(store, "tina").email == ""
        assert {"notifications", "outbox", "follows"} <= set(store.db.table_names())
        assert accounts.set_email(store, "tina", "tina@example.org").email == "tina@example.org"
    finally:
        store.close()


# The pages


@pytest.fixture
def client(library, tmp_path):
    app = create_app({"SETTINGS": library.settings, "SECRET_KEY": "notification-tests-secret-key",
                      "SESSION_COOKIE_SECURE": False}, library=library)
    return app.test_client()


def test_the_header_counts_unread_and_the_list_marks_them_read(library, client):
    draft_and_submit(library, people(library, "tina"))
    sign_in(client, "rita", PASSWORD)
    home = client.get("/").get_data(as_text=True)
    assert 'Notifications <span class="badge">1<span class="visually-hidden"> unread' in home
    page = client.get("/notifications").get_data(as_text=True)
    assert "tina submitted" in page and "(1 unread)" in page
    response = client.post("/notifications/read", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 303
    assert "(1 unread)" not in client.get("/notifications").get_data(as_text=True)
    bad = client.post("/notifications/read", data={"id": "x"})
    assert bad.status_code == 400  # no CSRF token: refused, nothing changed


def test_a_follow_button_follows_and_unfollows_without_script(library, client):
    sign_in(client, "vic", PASSWORD)
    page = client.get(f"/recommendations/{REC6}").get_data(as_text=True)
    assert 'name="kind" value="recommendation"' in page
    form = {"csrf_token": csrf_token(client), "kind": "recommendation", "target": REC6,
            "frequency": "daily", "next": f"/recommendations/{REC6}"}
    response = client.post("/follows", data=form)
    assert response.status_code == 303 and response.location.endswith(f"/recommendations/{REC6}")
    page = client.get(f"/recommendations/{REC6}").get_data(as_text=True)
    assert "You follow Recommendation 6" in page and "a daily digest" in page
    listed = client.get("/notifications").get_data(as_text=True)
    assert "recommendation 6 (private-sector-2021)" in listed
    refused = client.post("/follows", data=form | {"frequency": "hourly",
                                                   "csrf_token": csrf_token(client)})
    assert refused.status_code == 400 and "expected daily or weekly" in refused.get_data(True)
    follow_id = library.notifications.follows(people(library, "vic"))[0].follow.id
    client.post(f"/follows/{follow_id}/delete", data={"csrf_token": csrf_token(client)})
    assert library.notifications.follows(people(library, "vic")) == []
    assert client.post("/follows/99/delete", data={"csrf_token": csrf_token(client)}
                       ).status_code == 404


def test_the_account_page_sets_the_e_mail_address(library, client):
    sign_in(client, "vic", PASSWORD)
    bad = client.post("/account/email", data={"csrf_token": csrf_token(client),
                                              "email": "not-an-address"})
    assert bad.status_code == 400
    html = bad.get_data(as_text=True)
    assert "is not an e-mail address" in html and 'value="not-an-address"' in html
    ok = client.post("/account/email", data={"csrf_token": csrf_token(client),
                                             "email": "vic@unece.example"})
    assert ok.status_code == 303 and library.accounts.get("vic").email == "vic@unece.example"


@pytest.mark.model  # publishing brings the search indexes up to date
def test_a_change_to_a_published_note_tells_reviewers_then_its_own_author(library):
    """An edit of a live note waits beside it: its submission and publication are told too."""
    tina, rita = people(library, "tina"), people(library, "rita")
    case_id = draft_and_submit(library, tina)
    library.contributions.publish(rita, case_id)
    live = library.store.get_case(case_id)
    fields = note_fields(live.note) | {"summary": "Clearance took a day with e-certificates."}
    edited = library.contributions.save_draft(tina, fields, live.note.body, case_id=case_id,
                                              expected_revision=live.latest_revision)
    assert edited.saved, edited.problems
    before = len(library.notifications.of(rita))
    library.contributions.submit(tina, case_id)
    told = library.notifications.of(rita)
    assert len(told) == before + 1 and told[0].kind == "submitted"
    library.contributions.publish(rita, case_id)
    published = [n for n in library.notifications.of(tina) if n.kind == "published"]
    assert len(published) == 2  # the note, then its change
