"""Web pages over the shipped corpus: what each shows, to whom, and what it never lets through."""

import re
from html import unescape
from html.parser import HTMLParser

import pytest
from web_library import make_app, signed_in

from kmsearch.config import Settings
from kmsearch.records import CaseNote

pytestmark = pytest.mark.model  # the web tests' library is indexed with the embedding model

PUBLIC = "cefact-garment-traceability"
INTERNAL = "micromobility-data-proposal"
RESTRICTED = "mobile-phone-data-tourism"  # Statistics
HOSTILE = "hostile-markdown-test"
STATISTICS_CONTRIBUTOR = signed_in("cora", "contributor", "statistics")
REVIEWER = signed_in("rita", "reviewer")


@pytest.fixture(scope="module")
def client(web_settings):
    return make_app(web_settings).test_client()


def text_of(response) -> str:
    """The page's visible text, tags removed and whitespace collapsed."""
    html = response.get_data(as_text=True)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_home_page_has_search_nexus_areas_recommendations_and_newcomer_entry(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'name="q"' in html and 'name="mode"' in html
    assert '<option value="hybrid" selected>' not in html  # no search yet: the first option leads
    assert html.index('value="hybrid"') < html.index('value="keyword"')
    for code in ("natural-resources", "smart-cities", "mobility-connectivity", "measuring-sdgs"):
        assert f'href="/nexus/{code}"' in html
    for number in range(1, 9):
        assert f'href="/recommendations/private-sector-2021/{number}"' in html
    assert "New here?" in html and 'href="/good-practices"' in html
    assert "Latest good practices" in html and "Featured good-practice cases" in html


def test_home_page_counts_only_the_notes_the_viewer_may_see(client):
    anonymous = text_of(client.get("/"))
    staff = text_of(client.get("/", headers=signed_in()))
    assert "Search 9 case notes" in anonymous  # 8 public corpus notes and the hostile test note
    assert "Search 44 case notes" in staff  # public and internal, no restricted


def test_case_page_shows_body_panel_lessons_and_links(client):
    response = client.get(f"/cases/{PUBLIC}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    page = text_of(response)
    assert "<h1>Traceability for sustainable garment and footwear value chains</h1>" in html
    assert "<h2>Context</h2>" in html  # the Markdown body, rendered
    assert "Aurelia Apparel Group (Business)" in page
    assert "Textile Transparency Coalition (Non-governmental organization)" in page
    assert "Language English" in page  # detected from the text and stored
    assert "Joint project" in page and "Standards development" in page
    assert "2019–2022" in page and "Completed" in page and "Low" in page
    assert 'href="/recommendations/private-sector-2021/6"' in html
    assert 'href="/recommendations/private-sector-2021/8"' in html
    assert 'href="/nexus/natural-resources"' in html
    assert 'href="/sdgs/12"' in html and 'href="/sdgs/5"' in html
    assert 'href="/divisions/trade"' in html
    assert f'href="/lessons/{PUBLIC}--1"' in html and f'href="/lessons/{PUBLIC}--4"' in html
    assert "Related cases" in page


def test_related_cases_never_include_notes_the_viewer_may_not_see(client):
    html = client.get(f"/cases/{PUBLIC}").get_data(as_text=True)
    linked = set(re.findall(r'href="/cases/([^"#?]+)"', html)) - {PUBLIC}
    assert linked, "the related list should not be empty"
    for case_id in linked:
        assert client.get(f"/cases/{case_id}").status_code == 200


class Tags(HTMLParser):
    """Every start tag of a fragment with its attributes, as a browser would parse them."""

    def __init__(self, html: str):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def test_case_body_is_sanitised(client):
    html = client.get(f"/cases/{HOSTILE}").get_data(as_text=True)
    body = html[html.index('<article class="prose">'):html.index("</article>")]
    tags = Tags(body).tags
    assert {tag for tag, _ in tags} <= {"article", "h2", "h3", "p", "a", "table", "thead",
                                         "tbody", "tr", "th", "td"}
    assert not [name for _, attrs in tags for name in attrs if name.startswith("on")]
    links = [attrs for tag, attrs in tags if tag == "a"]
    assert links == [{"href": "https://unece.org/trade", "rel": "noopener nofollow"}]
    assert "&lt;script&gt;" in body  # shown as text, never run
    assert not [tag for tag, _ in tags if tag == "h1"]  # below the page's own title


def test_internal_note_needs_a_signed_in_viewer(client):
    assert client.get(f"/cases/{INTERNAL}").status_code == 404
    assert client.get(f"/cases/{INTERNAL}", headers=signed_in()).status_code == 200


def test_restricted_note_is_for_its_division_and_reviewers_only(client):
    assert client.get(f"/cases/{RESTRICTED}", headers=signed_in()).status_code == 404
    assert client.get(f"/cases/{RESTRICTED}--1".replace("cases", "lessons"),
                      headers=signed_in()).status_code == 404
    assert client.get(f"/cases/{RESTRICTED}", headers=STATISTICS_CONTRIBUTOR).status_code == 200
    assert client.get(f"/cases/{RESTRICTED}", headers=REVIEWER).status_code == 200


def test_not_found_page_says_what_happened_without_revealing_more(client):
    hidden = client.get(f"/cases/{RESTRICTED}")
    missing = client.get("/cases/no-such-note")
    assert hidden.status_code == missing.status_code == 404
    assert "No case note with id 'mobile-phone-data-tourism'" in text_of(hidden)
    assert "Traceback" not in hidden.get_data(as_text=True)


def test_revision_history_is_shown_to_reviewers_and_the_divisions_contributors_only(client):
    assert "Revision history" not in text_of(client.get(f"/cases/{HOSTILE}"))
    assert "Revision history" not in text_of(client.get(f"/cases/{HOSTILE}", headers=signed_in()))
    page = text_of(client.get(f"/cases/{HOSTILE}", headers=REVIEWER))
    assert "Revision history" in page
    assert "alice" in page and "bob" in page and "corrected the end year" in page
    trade = signed_in("tom", "contributor", "trade")
    assert "Revision history" in text_of(client.get(f"/cases/{HOSTILE}", headers=trade))


def test_the_edit_link_shows_for_those_who_may_edit_the_note_only(client):
    edit = f"/contribute/{HOSTILE}/edit"
    assert edit not in client.get(f"/cases/{HOSTILE}").get_data(as_text=True)
    transport = signed_in("tina", "contributor", "transport")
    assert edit not in client.get(f"/cases/{HOSTILE}", headers=transport).get_data(as_text=True)
    trade = signed_in("tom", "contributor", "trade")
    assert edit in client.get(f"/cases/{HOSTILE}", headers=trade).get_data(as_text=True)


def test_lesson_page_shows_text_kind_source_case_and_related_lessons(client):
    response = client.get(f"/lessons/{PUBLIC}--3")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    page = text_of(response)
    assert "Small spinning mills and workshops could not afford the software" in page
    assert "Pitfall" in page
    assert f'href="/cases/{PUBLIC}"' in html
    assert "Related lessons" in page
    related = set(re.findall(r'href="/lessons/([^"]+)"', html))
    assert related and all(not r.startswith(PUBLIC + "--") for r in related)


def test_recommendation_page_shows_follow_up_and_linked_cases_and_lessons(client):
    response = client.get("/recommendations/private-sector-2021/6")
    assert response.status_code == 200
    page = text_of(response)
    html = response.get_data(as_text=True)
    assert "Implement a monitoring system of the engagement with the private sector" in page
    assert "Management response" in page and "Accepted" in page
    assert "Follow-up actions" in page
    assert "Deputy-Executive Secretary" in page
    assert "31 December 2022" in page
    assert "Not started" in page
    assert f'href="/cases/{PUBLIC}"' in html
    assert f'href="/lessons/{PUBLIC}--1"' in html
    assert f'href="/cases/{INTERNAL}"' not in html  # anonymous visitors see public notes only


def test_recommendations_list_groups_by_evaluation_with_case_counts(client):
    page = text_of(client.get("/recommendations", headers=signed_in()))
    assert "Programme-level evaluation of UNECE engagement with the private sector" in page
    assert all(f"Recommendation {n}" in page for n in range(1, 9))
    assert re.search(r"\d+ linked case notes", page)


def test_unknown_recommendation_is_a_404(client):
    response = client.get("/recommendations/private-sector-2021/99")
    assert response.status_code == 404
    assert "No recommendation with id 'private-sector-2021/99'" in text_of(response)


@pytest.mark.parametrize("path", ["/nexus", "/sdgs", "/divisions"])
def test_index_pages_list_every_term_with_counts(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert re.search(r"\d+ case notes?", text_of(response))


@pytest.mark.parametrize(
    ("path", "title"),
    [
        ("/nexus/smart-cities", "Sustainable and smart cities for all ages"),
        ("/sdgs/5", "SDG 5: Gender equality"),
        ("/divisions/transport", "Transport"),
    ],
)
def test_term_pages_list_linked_cases_and_lessons_with_facets(client, path, title):
    response = client.get(path, headers=signed_in())
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f"<h1>{title}</h1>" in html
    assert "Refine results" in html
    assert re.search(r'href="/cases/[^"]+"', html) and re.search(r'href="/lessons/[^"]+"', html)


def test_term_page_facets_keep_the_page_and_drop_its_own_filter(client):
    html = client.get("/nexus/smart-cities", headers=signed_in()).get_data(as_text=True)
    facet_links = re.findall(r'href="(/nexus/smart-cities\?[^"]*)"', html)
    assert facet_links
    assert not any("nexus=" in link for link in facet_links)
    assert "<summary>Nexus area</summary>" not in html


def test_term_page_for_an_unknown_term_is_a_404(client):
    assert client.get("/nexus/the-moon").status_code == 404
    assert client.get("/sdgs/18").status_code == 404
    assert client.get("/divisions/nowhere").status_code == 404


def test_good_practice_library_groups_cards_by_nexus_area_type_or_recommendation(client):
    response = client.get("/good-practices", headers=signed_in())
    assert response.status_code == 200
    page = text_of(response)
    assert re.search(r"\d+ good practices in \d+ case notes, under 4 nexus areas", page)
    assert "Sustainable use of natural resources" in page
    html = response.get_data(as_text=True)
    assert html.count('<details class="practice-group"') == 4 and " open>" not in html
    by_type = text_of(client.get("/good-practices?group=partnership_type", headers=signed_in()))
    assert "Data sharing" in by_type
    by_rec = text_of(client.get("/good-practices?group=recommendation", headers=signed_in()))
    assert "Recommendation 6: Implement a monitoring system" in by_rec


def test_no_page_has_inline_script_or_style(client):
    for path in ("/", f"/cases/{PUBLIC}", "/recommendations/private-sector-2021/6",
                 "/good-practices", "/search?q=traceability", "/nexus/smart-cities"):
        html = client.get(path).get_data(as_text=True)
        assert "<script" not in html and " style=" not in html and "<style" not in html, path
        assert re.search(r"\son[a-z]+=", html) is None, path


def test_a_note_saved_after_the_indexes_opened_still_has_its_page(tmp_path):
    settings = Settings.from_env(environ={}, db_path=tmp_path / "k.db",
                                 index_dir=tmp_path / "indexes")
    app = make_app(settings)
    client = app.test_client()
    store = app.extensions["kmsearch"].store
    store.save_case(CaseNote(id="first", title="Indexed at start", division="trade",
                             visibility="public"), author="alice")
    assert client.get("/search").status_code == 200  # opens the indexes
    late = CaseNote(id="saved-late", title="Saved after the indexes opened", division="trade",
                    visibility="public", body="## Context\n\nNot indexed yet.")
    store.save_case(late, author="alice")
    response = client.get("/cases/saved-late")
    assert response.status_code == 200
    assert "No related case notes found." in text_of(response)


@pytest.mark.parametrize("query", ["page=-1", "per_page=100000", "sdg=99", "q=%01", "x=1"])
def test_term_pages_reject_bad_parameters_with_a_400(client, query):
    response = client.get(f"/divisions/transport?{query}")
    assert response.status_code == 400
    assert "Bad request" in text_of(response)


@pytest.mark.parametrize(
    "path",
    ["/cases/☕", "/cases/%00", "/lessons/%F0%9F%9A%97--1", "/recommendations/ü/1",
     "/nexus/%E2%80%AE", "/sdgs/%D9%A3", "/divisions/" + "x" * 5000],
)
def test_odd_unicode_in_addresses_is_a_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "Traceback" not in response.get_data(as_text=True)
