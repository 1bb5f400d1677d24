"""The one-stop shop through the Flask test client: intake and its defences, the proposer's
status page, channelling, screening, assignment, acceptance into a draft case note, statistics."""

import re

import pytest
from web_library import signed_in

from kmsearch.web import create_app

TRADE = signed_in("tina", "contributor", "trade")
TRANSPORT = signed_in("tom", "contributor", "transport")
REVIEWER = signed_in("rita", "reviewer")
READER = signed_in("vic", "viewer")
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
SECRET_COMMENT = "Internal: their lawyer was rude on the phone"


def proposal_form(**changes) -> dict:
    return {
        "organisation": "Safe Streets Alliance", "partner_type": "ngo", "country": "Austria",
        "sector": "road safety advocacy", "contact_name": "Ana Roth",
        "contact_email": "ana@example.org",
        "title": "Helmet campaign for young motorcyclists",
        "description": "A road safety awareness campaign on helmet use for young motorcyclists, "
                       "with national road safety authorities and vehicle makers.",
        "outcomes": "Fewer head injuries among young riders.", "duration": "18 months",
        "contribution_kind": "in-kind", "amount": "5000", "currency": "EUR",
    } | changes


def make(settings, **config):
    return create_app({"SETTINGS": settings, "TRUST_USER_HEADER": True,
                       "TRUST_ROLE_HEADERS": True, "SECRET_KEY": "proposal-tests-secret",
                       "TESTING": True} | config)


pytestmark = pytest.mark.model  # channelling searches a copy of the web tests' library


@pytest.fixture(scope="module")
def settings(library_copy):
    return library_copy("proposals")


@pytest.fixture(scope="module")
def app(settings):
    app = make(settings)
    yield app
    app.extensions["kmsearch"].store.close()


@pytest.fixture
def client(app):
    return app.test_client()


def token(client, headers=None, path="/propose") -> str:
    return TOKEN.search(client.get(path, headers=headers or {}).get_data(as_text=True)).group(1)


def post(client, path, data, headers=None, token_path="/propose"):
    return client.post(path, data={"csrf_token": token(client, headers, token_path)} | data,
                       headers=headers or {})


def submit(client, **changes) -> tuple[str, str]:
    answer = post(client, "/propose", proposal_form(**changes))
    assert answer.status_code == 201, answer.get_data(as_text=True)[-1500:]
    html = answer.get_data(as_text=True)
    reference = re.search(r'id="reference">([^<]+)<', html).group(1)
    secret = re.search(r'id="token">([^<]+)<', html).group(1)
    return reference, secret


def count(app) -> int:
    return app.extensions["kmsearch"].store.db["proposals"].count


def status_page(client, reference, secret):
    return post(client, "/propose/status", {"reference": reference, "token": secret},
                token_path="/propose/status")


def test_an_anonymous_visitor_gets_a_reference_and_a_token_kept_only_as_a_hash(app, client):
    reference, secret = submit(client, title="Quokka helmets <b>UNIQUE-TITLE</b>")
    assert re.fullmatch(r"P-\d{4}-[A-Z2-9]{6}", reference)
    row = app.extensions["kmsearch"].store.db.execute(
        "SELECT token_hash, data FROM proposals WHERE reference = ?", [reference]).fetchone()
    assert secret not in row[0] and secret not in row[1] and len(row[0]) == 64
    done = post(client, "/propose", proposal_form(title="Another UNIQUE-TITLE-2"))
    assert "UNIQUE-TITLE-2" not in done.get_data(as_text=True)  # no reflection on the receipt
    assert done.headers["Cache-Control"] == "no-store"


def test_the_status_page_shows_the_state_and_never_the_internal_discussion(app, client):
    reference, secret = submit(client, description="A road safety campaign SECRET-DESCRIPTION "
                                                   "for motorcyclists and helmets.")
    answer = post(client, f"/proposals/{reference}/decline", {"comment": SECRET_COMMENT},
                  REVIEWER)
    assert answer.status_code == 303
    page = status_page(client, reference, secret).get_data(as_text=True)
    assert ">declined<" in page
    for internal in (SECRET_COMMENT, "rita", "SECRET-DESCRIPTION", "Safe Streets"):
        assert internal not in page
    wrong = status_page(client, reference, secret[:-2] + "xx")
    unknown = status_page(client, "P-2000-AAAAAA", secret)
    assert wrong.status_code == unknown.status_code == 404
    assert "No proposal with this reference and token" in wrong.get_data(as_text=True)


def test_the_proposer_can_withdraw_with_the_token(client):
    reference, secret = submit(client)
    answer = post(client, "/propose/status/withdraw", {"reference": reference, "token": secret},
                  token_path="/propose/status")
    assert ">withdrawn<" in answer.get_data(as_text=True)


def test_a_post_without_the_csrf_token_is_refused_and_stores_nothing(app, client):
    before = count(app)
    answer = client.post("/propose", data=proposal_form())
    assert answer.status_code == 400 and "security token" in answer.get_data(as_text=True)
    assert count(app) == before


def test_a_filled_honeypot_is_refused_and_stores_nothing(app, client):
    before = count(app)
    answer = post(client, "/propose", proposal_form(website="http://spam.example"))
    assert answer.status_code == 400
    assert "spam.example" not in answer.get_data(as_text=True)
    assert count(app) == before


def test_a_one_megabyte_field_is_refused_and_stores_nothing(app, client):
    before = count(app)
    answer = post(client, "/propose", proposal_form(description="x" * (1024 * 1024)))
    assert answer.status_code == 413
    too_long = post(client, "/propose", proposal_form(description="y" * 5001,
                                                      organisation="z" * 201))
    assert too_long.status_code == 400
    html = too_long.get_data(as_text=True)
    assert "at most 5000 characters, found 5001" in html and "at most 200 characters" in html
    assert "y" * 100 not in html and "z" * 100 not in html  # not echoed back
    assert count(app) == before


def test_missing_and_malformed_fields_are_explained(client):
    answer = post(client, "/propose", proposal_form(organisation="", contact_email="nope",
                                                    amount="12abc", currency="XYZ"))
    assert answer.status_code == 400
    html = answer.get_data(as_text=True)
    for message in ("required: organisation", "expected an e-mail address",
                    "expected an amount", "expected one of USD"):
        assert message in html


def test_posts_beyond_the_rate_limit_are_refused_per_address(settings):
    client = make(settings, PROPOSAL_RATE_LIMIT="2 per hour").test_client()
    codes = [post(client, "/propose", proposal_form()).status_code for _ in range(3)]
    assert codes == [201, 201, 429]
    other = client.post("/propose", data=proposal_form(),
                        environ_overrides={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 400  # another address is not limited (fails on its token)


def test_proposals_are_for_reviewers_and_the_assigned_divisions_focal_points(client):
    reference, _ = submit(client)
    assert client.get(f"/proposals/{reference}", headers=READER).status_code == 404
    assert client.get(f"/proposals/{reference}", headers=TRANSPORT).status_code == 404
    assert client.get("/proposals", headers=READER).status_code == 403
    anonymous = client.get(f"/proposals/{reference}")
    assert anonymous.status_code == 303 and "/login" in anonymous.headers["Location"]
    page = client.get(f"/proposals/{reference}", headers=REVIEWER)
    assert page.status_code == 200
    assert reference in client.get("/proposals", headers=REVIEWER).get_data(as_text=True)
    assert reference not in client.get("/proposals", headers=TRANSPORT).get_data(as_text=True)


def test_a_proposal_is_channelled_screened_assigned_and_accepted_into_a_draft(app, client):
    reference, secret = submit(client)
    page = client.get(f"/proposals/{reference}", headers=REVIEWER).get_data(as_text=True)
    suggested = re.search(r'id="suggested-divisions">\s*<li><strong>([^<]+)<', page).group(1)
    assert suggested == "Transport"
    assert 'id="similar-cases"' in page and "road-safety-campaign-sponsorship" in page
    assert 'id="earlier-engagement"' in page and 'href="/partners/safe-streets-alliance"' in page
    short = {"sector-confirmed": "yes", "controversies": "no", "commercial-advantage": "no"}
    answer = post(client, f"/proposals/{reference}/screen", {"path": "simplified"} | short,
                  REVIEWER)
    assert answer.status_code == 303
    page = client.get(f"/proposals/{reference}", headers=REVIEWER).get_data(as_text=True)
    assert "Low risk" in page and "simplified:no-flags" in page
    answer = post(client, f"/proposals/{reference}/assign",
                  {"division": "transport", "comment": "road safety"}, REVIEWER)
    assert answer.status_code == 303
    assert reference in client.get("/proposals", headers=TRANSPORT).get_data(as_text=True)
    assert client.get(f"/proposals/{reference}", headers=TRADE).status_code == 404
    refused = post(client, f"/proposals/{reference}/accept", {}, TRADE)
    assert refused.status_code == 404
    answer = post(client, f"/proposals/{reference}/accept", {"comment": "we take it"},
                  TRANSPORT)
    assert answer.status_code == 303
    library = app.extensions["kmsearch"]
    proposal = library.store.db.execute("SELECT state, case_id FROM proposals WHERE "
                                        "reference = ?", [reference]).fetchone()
    assert proposal[0] == "accepted" and proposal[1]
    draft = library.store.get_case(proposal[1])
    assert draft.state == "draft" and draft.author == "tom"
    note = draft.note
    assert note.division == "transport" and note.partners[0].name == "Safe Streets Alliance"
    assert note.extra["proposal"] == reference and note.status == "proposed"
    assert note.nexus_areas and note.summary.startswith("A road safety awareness campaign")
    assert note.partnership_types == ["in-kind-contribution"] and note.risk_level == "low"
    page = client.get(f"/proposals/{reference}", headers=TRANSPORT).get_data(as_text=True)
    assert f"/contribute/{note.id}/edit" in page
    events = library.proposals.get(_viewer("rita", "reviewer"), reference).events
    steps = [e.to_state for e in events]
    assert steps == ["received", "screening", "assigned", "accepted"]
    assert [e.author for e in events] == ["proposer", "rita", "rita", "tom"]
    assert events[-1].comment == "we take it" and events[2].division == "transport"
    status = status_page(client, reference, secret).get_data(as_text=True)
    assert ">accepted<" in status and "we take it" not in status and "tom" not in status


def _viewer(name, role, *divisions):
    from kmsearch.access import Viewer

    return Viewer(name, frozenset({role}), frozenset(divisions))


def test_assignment_needs_a_screening_and_an_excluded_partner_is_not_assigned(client):
    reference, _ = submit(client, organisation="Grimwald Arms Trading GmbH")
    early = post(client, f"/proposals/{reference}/assign", {"division": "trade"}, REVIEWER)
    assert early.status_code == 400 and "screen the proposal" in early.get_data(as_text=True)
    page = post(client, f"/proposals/{reference}/screen", {"path": "simplified"}, REVIEWER,
                )
    assert page.status_code == 400 and "simplified checklist is for low-risk" in \
        page.get_data(as_text=True)
    full = {"sector-confirmed": "yes", "controversies": "no", "commercial-advantage": "no",
            "litigation": "no", "global-compact": "yes", "governance": "yes"}
    post(client, f"/proposals/{reference}/screen", {"path": "full"} | full, REVIEWER,
         )
    page = client.get(f"/proposals/{reference}", headers=REVIEWER).get_data(as_text=True)
    assert "Excluded" in page and "exclusion:sanctions" in page
    refused = post(client, f"/proposals/{reference}/assign", {"division": "trade"}, REVIEWER)
    assert refused.status_code == 400 and "decline" in refused.get_data(as_text=True)


def test_stats_give_the_median_days_to_decision_per_division(client):
    stats = client.get("/api/v1/proposals/stats", headers=REVIEWER).get_json()
    assert stats["total"] >= 3 and stats["states"]["accepted"] >= 1
    transport = next(d for d in stats["divisions"] if d["division"] == "transport")
    assert transport["decided"] >= 1 and transport["median_days_to_decision"] >= 0
    assert "received" in stats["median_days_in_state"]
    anonymous = client.get("/api/v1/proposals/stats").get_json()
    assert anonymous["total"] == 0 and anonymous["divisions"] == []


def test_an_expired_screening_is_flagged_on_the_partner_page(app, client):
    from datetime import UTC, datetime

    from kmsearch.store.screenings import save_screening
    from kmsearch.workflow.screening import Facts, screening_row

    library = app.extensions["kmsearch"]
    answers = {"sector-confirmed": "yes", "controversies": "no", "commercial-advantage": "no",
               "litigation": "no", "global-compact": "yes", "governance": "yes"}
    save_screening(library.store, screening_row(
        library.due_diligence, subject_type="case", subject_id="road-safety-campaign-sponsorship",
        division="transport", facts=Facts("Veltra Tyres", "business"), path="full",
        answers=answers, author="rita", when=datetime(2022, 5, 2, tzinfo=UTC)))
    page = client.get("/partners/veltra-tyres", headers=REVIEWER).get_data(as_text=True)
    assert 'id="expired-screenings"' in page and "expired on 2024-05-02" in page
    public = client.get("/partners/veltra-tyres").get_data(as_text=True)
    assert "expired" not in public and "rita" not in public  # screenings are not public
