"""Notification e-mails received by a real SMTP server (aiosmtpd on 127.0.0.1): a submission,
a return, a publication and a digest; then, with the server stopped, saves still succeed and
the outbox keeps the messages with the error, and delivers each exactly once when it is back.
Also the Follow buttons of the pages that search (division, nexus area, results)."""

import email
import socket
from dataclasses import replace
from email import policy

import pytest
from accounts_app import csrf_token, sign_in
from aiosmtpd.controller import Controller
from notify_people import BASE_URL, PASSWORD, add_people, draft_and_submit

from kmsearch.library import Library
from kmsearch.web import create_app
from kmsearch.workflow.contributions import note_fields

pytestmark = pytest.mark.model  # publishing indexes the note: a copy of the web tests' library
REC6 = "private-sector-2021/6"


class Inbox:
    """aiosmtpd's handler: every message received, as (recipients, parsed message)."""

    def __init__(self):
        self.received = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        message = email.message_from_bytes(envelope.original_content, policy=policy.default)
        self.received.append((list(envelope.rcpt_tos), message))
        return "250 OK"

    def by_subject(self, words: str) -> list:
        return [(to, m) for to, m in self.received if words in m["Subject"]]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def port():
    return free_port()


@pytest.fixture
def library(library_copy, port):
    settings = replace(library_copy("notify-smtp"), smtp_host="127.0.0.1", smtp_port=port,
                       smtp_tls="none", smtp_sender="library@example.org", base_url=BASE_URL)
    library = Library(settings)
    add_people(library)
    yield library
    library.close()


def body(message) -> str:
    return message.get_body(("plain",)).get_content()


def viewer(library, name):
    return library.accounts.get(name).viewer


def test_submission_return_publication_and_digest_reach_a_real_smtp_server(library, port):
    inbox = Inbox()
    server = Controller(inbox, hostname="127.0.0.1", port=port)
    server.start()
    try:
        tina, rita, vic = (viewer(library, n) for n in ("tina", "rita", "vic"))
        library.notifications.follow(vic, "recommendation", REC6, "daily")
        case_id = draft_and_submit(library, tina, "Customs data shared with freight forwarders")
        library.contributions.return_to_author(rita, case_id, "Name the customs office.")
        returned_note = library.store.get_case(case_id)  # changed as asked, then resubmitted
        fields = note_fields(returned_note.note) | {
            "summary": "Customs data shared with freight forwarders at the Tema customs office."}
        library.contributions.save_draft(tina, fields, returned_note.note.body, case_id=case_id,
                                         expected_revision=returned_note.latest_revision)
        library.contributions.submit(tina, case_id)
        library.contributions.publish(rita, case_id)
        with library.store.write() as db:  # the follow as if made two days ago
            db.execute("UPDATE follows SET last_digest_at = '2026-01-01T00:00:00+00:00'")
        assert library.notifications.send_digests() == 1
        report = library.notifications.send_outbox()
        assert (report.sent, report.failed) == (5, 0)
    finally:
        server.stop()

    submitted = inbox.by_subject("submitted")
    assert [to for to, _ in submitted] == [["rita@example.org"], ["rita@example.org"]]
    (to, returned), = inbox.by_subject("returned")
    assert to == ["tina@example.org"] and "Name the customs office." in body(returned)
    assert f"{BASE_URL}/contribute/{case_id}" in body(returned)
    (to, published), = inbox.by_subject("was published")
    assert to == ["tina@example.org"] and published["From"] == "library@example.org"
    assert f"{BASE_URL}/cases/{case_id}" in body(published)
    (to, digest), = inbox.by_subject("new or changed")
    assert to == ["vic@example.org"] and "recommendation 6" in digest["Subject"]
    assert f"{BASE_URL}/cases/{case_id}" in body(digest)
    assert "tom@example.org" not in {r for to, _ in inbox.received for r in to}


def test_with_the_server_stopped_saves_succeed_and_the_outbox_delivers_later_once(library, port):
    tina, rita = viewer(library, "tina"), viewer(library, "rita")
    case_id = draft_and_submit(library, tina)  # no server listening
    published = library.contributions.publish(rita, case_id)
    assert published.state == "published"
    assert library.get_case(case_id, rita).note.title == published.note.title
    report = library.notifications.send_outbox()
    assert (report.sent, report.failed) == (0, 2)
    mails = library.notifications.outbox()
    assert {(m.status, m.attempts) for m in mails} == {("pending", 1)}
    assert all("Connection refused" in m.last_error for m in mails)

    inbox = Inbox()
    server = Controller(inbox, hostname="127.0.0.1", port=port)
    server.start()
    try:
        assert library.notifications.send_outbox().sent == 0  # waiting for the next attempt
        assert library.notifications.send_outbox(every=True).sent == 2
        assert library.notifications.send_outbox(every=True).sent == 0
    finally:
        server.stop()
    assert sorted(to[0] for to, _ in inbox.received) == ["rita@example.org", "tina@example.org"]
    assert {m.status for m in library.notifications.outbox()} == {"sent"}


def test_pages_that_search_offer_to_follow_them(library, tmp_path):
    app = create_app({"SETTINGS": library.settings, "SECRET_KEY": "notification-tests-secret",
                      "SESSION_COOKIE_SECURE": False}, library=library)
    client = app.test_client()
    assert 'name="kind"' not in client.get("/divisions/trade").get_data(as_text=True)
    sign_in(client, "vic", PASSWORD)
    division = client.get("/divisions/trade").get_data(as_text=True)
    assert 'name="kind" value="division"' in division and 'value="trade"' in division
    assert 'name="kind" value="nexus"' in client.get("/nexus/natural-resources").get_data(True)
    results = client.get("/search?q=customs+data&mode=keyword&page=2").get_data(as_text=True)
    assert 'name="target" value="mode=keyword&amp;q=customs+data"' in results
    form = {"csrf_token": csrf_token(client), "kind": "search",
            "target": "mode=keyword&q=customs+data", "frequency": "weekly",
            "next": "/search?q=customs+data&mode=keyword"}
    assert client.post("/follows", data=form).status_code == 303
    again = client.get("/search?q=customs+data&mode=keyword").get_data(as_text=True)
    assert "You follow the search “customs data”" in again
