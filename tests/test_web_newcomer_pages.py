"""What a newcomer walking through the pages meets: texts cut where a reader expects, good
practices only from partnerships that ran, the good-practice library's filters, the contribute
form's order, the case page's contact and date, and signing in offered where it helps."""

from pathlib import Path

import pytest
from test_web_contribute import post
from test_web_pages import INTERNAL, PUBLIC, RESTRICTED, text_of
from web_library import make_app, signed_in
from werkzeug.datastructures import MultiDict

from kmsearch.errors import ValidationError
from kmsearch.library import StoredCase
from kmsearch.records import CaseNote, Lesson
from kmsearch.taxonomy import load_taxonomy
from kmsearch.web.practices import practice_cards, read_filters
from kmsearch.web.templating import long_date, short

TAXONOMY = load_taxonomy(Path(__file__).resolve().parent.parent / "corpus" / "taxonomy.yaml")
REC_1 = ("Strengthen buy-in from membership, senior management and other relevant stakeholders "
         "within the Organization through better sharing the benefits of engaging with the "
         "private sector. UNECE should do more.")


def test_short_keeps_a_whole_first_sentence_that_fits():
    assert short(REC_1, 200) == REC_1.split(" UNECE")[0]


def test_short_cuts_a_long_first_sentence_at_a_word_with_an_ellipsis():
    cut = short(REC_1, 95)
    assert cut.endswith("\u2026") and len(cut) <= 96
    assert REC_1.startswith(cut[:-1]) and REC_1[len(cut) - 1] == " "  # a whole word before it
    assert short("Word " * 10 + "antidisestablishmentarianism", 60).endswith("Word\u2026")


def test_long_date_reads_timestamps_and_dates_as_people_write_them():
    assert long_date("2026-11-03T09:15:00+00:00") == "3 November 2026"
    assert long_date("not a date") == "not a date" and long_date(None) == ""


def stored(note_id: str, status: str, kinds: tuple[str, ...], flagged: bool = False,
           division: str = "trade") -> StoredCase:
    lessons = [Lesson(case_id=note_id, position=n, kind=kind, text=f"{kind} {n}")
               for n, kind in enumerate(kinds, 1)]
    note = CaseNote(id=note_id, title=note_id, division=division, status=status,
                    good_practice=flagged, lessons=lessons, nexus_areas=["smart-cities"])
    return StoredCase(note, "published", 1, "loader", "2026-01-01T00:00:00+00:00",
                      "2026-01-02T00:00:00+00:00", "corpus")


CASES = [stored("proposed", "proposed", ("good-practice",)),
         stored("completed", "completed", ("good-practice", "pitfall")),
         stored("stopped", "discontinued", ("pitfall",)),
         stored("flagged", "active", (), flagged=True, division="transport")]


def test_good_practices_come_only_from_active_and_completed_partnerships():
    cards = practice_cards(CASES, read_filters(MultiDict(), TAXONOMY))
    assert [card.stored.id for card in cards] == ["flagged", "completed"]
    assert [lesson.kind for lesson in cards[1].lessons] == ["good-practice"]


def test_pitfalls_come_from_every_partnership_and_filters_narrow_them():
    pitfalls = practice_cards(CASES, read_filters(MultiDict({"kind": "pitfall"}), TAXONOMY))
    assert {card.stored.id for card in pitfalls} == {"completed", "stopped"}
    transport = read_filters(MultiDict({"division": "Transport", "nexus": ""}), TAXONOMY)
    assert [card.stored.id for card in practice_cards(CASES, transport)] == ["flagged"]


def test_unknown_filter_values_are_named_with_what_is_accepted():
    with pytest.raises(ValidationError) as raised:
        read_filters(MultiDict({"division": "moon", "kind": "rumour", "sdg": "18"}), TAXONOMY)
    fields = {problem.field for problem in raised.value.problems}
    assert fields == {"division", "kind", "sdg"}
    assert "good-practice" in str(raised.value.problems)


# Pages over the shared web library (indexed with the embedding model)

@pytest.fixture(scope="module")
def client(web_settings):
    return make_app(web_settings).test_client()


@pytest.fixture(scope="module")
def demo(web_settings):
    """The demo's app: nobody signed in is shown the library as staff."""
    return make_app(web_settings, DEFAULT_VIEWER="staff").test_client()


@pytest.mark.model
def test_home_latest_good_practices_leave_out_proposed_partnerships(client):
    html = client.get("/", headers=signed_in()).get_data(as_text=True)
    latest = html[html.index('id="latest-heading"'):html.index('id="featured-heading"')]
    assert "From <a" in latest
    assert "micromobility-data-proposal" not in latest  # proposed: hopes, not results
    assert "knowledge-database-foundation-proposal" not in latest


@pytest.mark.model
def test_a_missing_and_a_restricted_note_answer_the_same_page_with_a_sign_in_hint(client):
    missing = client.get("/cases/no-such-note-here")
    restricted = client.get(f"/cases/{RESTRICTED}")
    internal = client.get(f"/cases/{INTERNAL}")
    assert missing.status_code == restricted.status_code == internal.status_code == 404
    pages = [response.get_data(as_text=True).replace(name, "ID") for response, name in
             ((missing, "no-such-note-here"), (restricted, RESTRICTED), (internal, INTERNAL))]
    assert pages[0] == pages[1] == pages[2]
    assert "If this note is internal" in pages[0]
    assert 'href="/login?next=/cases/ID"' in pages[0]


@pytest.mark.model
def test_the_sign_in_hint_is_not_offered_to_the_signed_in_nor_on_other_pages(client):
    assert "If this note is internal" not in text_of(
        client.get("/cases/no-such-note-here", headers=signed_in()))
    assert "If this note is internal" not in text_of(client.get("/no-such-page"))


@pytest.mark.model
def test_my_notes_sends_a_viewer_without_an_account_to_sign_in(client, demo):
    for app_client in (client, demo):
        answer = app_client.get("/my-notes")
        assert answer.status_code == 303
        assert answer.headers["Location"] == "/login?next=/my-notes"


@pytest.mark.model
def test_header_and_footer_agree_on_who_is_looking(client, demo):
    shown = text_of(demo.get("/"))
    assert "Viewing as staff" in shown and "Sign in" in shown
    assert "Signed in as" not in shown and "without an account" in shown
    visitor = text_of(client.get("/"))
    assert "Sign in" in visitor and "You see public case notes only" in visitor
    proxied = text_of(client.get("/", headers=signed_in("sam")))
    assert "Signed in as sam" in proxied and "Sign in" not in proxied


@pytest.mark.model
def test_case_page_shows_a_contact_and_when_it_was_last_updated(client):
    visitor = text_of(client.get(f"/cases/{PUBLIC}"))
    assert "Contact The Trade division: sign in to see its focal points" in visitor
    assert "Last updated" in visitor
    html = client.get(f"/cases/{PUBLIC}").get_data(as_text=True)
    assert '<time datetime="' in html


@pytest.mark.model
def test_good_practice_filters_answer_a_bad_value_with_400_naming_it(client):
    answer = client.get("/good-practices?division=the-moon")
    assert answer.status_code == 400
    assert "division" in text_of(answer)
    narrowed = text_of(client.get("/good-practices?division=trade&kind=pitfall",
                                  headers=signed_in()))
    assert "pitfall" in narrowed and "Clear the filters" in narrowed


@pytest.mark.model
def test_contribute_form_puts_the_text_first_and_accept_returns_to_the_suggestions(client):
    contributor = signed_in("cora", "contributor", "trade")
    html = client.get("/contribute/new", headers=contributor).get_data(as_text=True)
    assert html.index('id="title"') < html.index('id="body"') < html.index('id="division"')
    assert html.index('id="suggestions"') < html.index('id="partnership_types"')
    form = {"title": "Vehicle makers share crash data for road safety",
            "body": "Road safety authorities and vehicle manufacturers shared crash data.",
            "division": "trade", "action": "suggest"}
    answer = post(client, "/contribute/new", form, contributor)
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200 and 'name="accept_nexus"' in page
    assert 'formaction="/contribute/new#suggestions"' in page
    assert 'value="Vehicle makers share crash data for road safety"' in page  # nothing lost
