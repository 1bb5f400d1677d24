"""The results page: hits, facets that add and remove filters, URLs that keep the search, and
bad parameters answered with a 400 page that says what to fix."""

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from test_search_request import PARAGRAPH
from web_library import make_app, signed_in

pytestmark = pytest.mark.model  # the web tests' library is indexed with the embedding model

STAFF = signed_in()


@pytest.fixture(scope="module")
def client(web_settings):
    return make_app(web_settings).test_client()


def links(html: str) -> list[str]:
    return [unescape(href) for href in re.findall(r'href="([^"]+)"', html)]


def facet_link(html: str, label: str) -> str:
    """The address of the facet choice whose label is ``label``."""
    choice = re.compile(r'<a href="([^"]+)"[^>]*>\s*<span class="facet-check"[^>]*>[^<]*</span>'
                        r'\s*<span class="facet-label">([^<]+)</span>')
    for match in choice.finditer(html):
        if unescape(match.group(2)) == label:
            return unescape(match.group(1))
    raise AssertionError(f"no facet choice labelled {label!r}")


def test_results_show_hits_with_title_division_years_status_and_snippet(client):
    response = client.get("/search?q=traceability+garment&type=case", headers=STAFF)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert re.search(r"\d+ results? for <q>traceability garment</q>", html)
    first = html[html.index('<li class="hit'):]
    first = first[:first.index("</li>")]
    assert "Traceability for sustainable garment and footwear value chains" in first
    assert "Trade" in first and "2019–2022" in first and "Completed" in first
    assert "Partners:" in first and "Aurelia Apparel Group" in first
    assert 'class="badge badge-nexus"' in first and 'class="badge badge-sdg"' in first
    assert 'class="snippet"' in first


def test_a_matching_word_is_highlighted_in_keyword_mode(client):
    html = client.get("/search?q=traceability&mode=keyword", headers=STAFF).get_data(as_text=True)
    assert re.search(r"<mark>traceability</mark>", html, re.I)


def test_every_facet_is_listed_with_counts(client):
    html = client.get("/search", headers=STAFF).get_data(as_text=True)
    for title in ("Case notes or lessons", "Good practice", "Division", "Nexus area", "SDG",
                  "Partnership type", "Partner type", "Status", "Year"):
        assert f"<summary>{title}</summary>" in html, title


def test_a_facet_adds_a_filter_to_the_url_and_the_chip_removes_it(client):
    html = client.get("/search?q=data", headers=STAFF).get_data(as_text=True)
    total = int(re.search(r"([\d,]+) results", html).group(1).replace(",", ""))
    url = facet_link(html, "Transport")
    assert parse_qs(urlsplit(url).query) == {"q": ["data"], "division": ["transport"]}
    filtered = client.get(url, headers=STAFF).get_data(as_text=True)
    narrowed = int(re.search(r"([\d,]+) results?", filtered).group(1).replace(",", ""))
    assert 0 < narrowed < total
    assert "Division: Transport" in filtered
    remove = facet_link(filtered, "Transport")
    assert parse_qs(urlsplit(remove).query) == {"q": ["data"]}
    chip = re.search(r'<a class="chip" href="([^"]+)">Division: Transport', filtered)
    assert unescape(chip.group(1)) == "/search?q=data"


def test_filters_combine_and_survive_pagination_links(client):
    url = "/search?q=data&nexus=smart-cities&type=case&per_page=2&sort=date"
    html = client.get(url, headers=STAFF).get_data(as_text=True)
    next_page = unescape(re.search(r'<a rel="next" href="([^"]+)"', html).group(1))
    params = parse_qs(urlsplit(next_page).query)
    assert params == {"q": ["data"], "nexus": ["smart-cities"], "type": ["case"],
                      "per_page": ["2"], "sort": ["date"], "page": ["2"]}
    assert client.get(next_page, headers=STAFF).status_code == 200


def test_sort_by_date_puts_the_newest_first(client):
    html = client.get("/search?q=data&sort=date&type=case&per_page=20",
                      headers=STAFF).get_data(as_text=True)
    years = [int(y) for y in re.findall(r"<span>(?:Since )?(\d{4})(?:–\d{4})?</span>", html)]
    assert years == sorted(years, reverse=True)


def test_year_facet_and_year_range_filter(client):
    html = client.get("/search?year_from=2023&year_to=2023", headers=STAFF).get_data(as_text=True)
    assert "From 2023" in html and "Until 2023" in html
    assert 'name="year_from"' in html and 'value="2023"' in html


def test_good_practice_only_and_notes_vs_lessons(client):
    html = client.get("/search?good_practice=1&type=lesson", headers=STAFF).get_data(as_text=True)
    assert "Good practices only" in html and "Case notes or lessons: Lessons" in html
    kinds = re.findall(r'class="badge badge-kind badge-([a-z-]+)"', html)
    assert kinds and set(kinds) == {"good-practice"}


def test_misspelt_query_offers_did_you_mean(client):
    html = client.get("/search?q=trasport&mode=keyword", headers=STAFF).get_data(as_text=True)
    assert "Did you mean" in html
    assert re.search(r'href="/search\?q=transport[^"]*"', html)


def test_empty_result_page_helps(client):
    url = "/search?q=traceability&mode=keyword&division=environment&status=proposed"
    response = client.get(url, headers=STAFF)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "No results" in html and "Nothing you can see matches" in html
    assert "drop the filter “Division: Environment”" in html
    assert "try a hybrid search" in html


def test_anonymous_results_and_counts_hold_public_notes_only(client):
    html = client.get("/search?q=mobile+phone+data&type=case&per_page=50").get_data(as_text=True)
    assert "/cases/mobile-phone-data-tourism" not in html
    assert "/cases/micromobility-data-proposal" not in html


def test_page_beyond_the_last_offers_a_way_back(client):
    html = client.get("/search?q=data&page=999", headers=STAFF).get_data(as_text=True)
    assert "Go to the last page" in html


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("page=-1", "page"),
        ("page=abc", "page"),
        ("page=0", "page"),
        ("per_page=100000", "per_page"),
        ("per_page=0", "per_page"),
        ("mode=fuzzy", "mode"),
        ("sort=popularity", "sort"),
        ("division=atlantis", "division"),
        ("sdg=18", "sdg"),
        ("nexus=moon", "nexus"),
        ("year_from=19999", "year_from"),
        ("good_practice=maybe", "good_practice"),
        ("colour=blue", "colour"),
        ("q=data&like=data", "like"),
        ("group=maybe", "group"),
        ("q=%00null", "q"),
        ("q=%EF%BF%BF", "q"),
        ("page=%D9%A3", "page"),  # an Arabic-Indic digit three
    ],
)
def test_bad_parameters_get_a_400_page_that_names_them(client, query, field):
    response = client.get(f"/search?{query}")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert f"<strong>{field}</strong>" in html
    assert "Traceback" not in html


def test_several_bad_parameters_are_reported_together(client):
    html = client.get("/search?page=-1&mode=x&division=y").get_data(as_text=True)
    assert all(f"<strong>{name}</strong>" in html for name in ("page", "mode", "division"))


@pytest.mark.parametrize(
    "query",
    ["café ☕ données", "🚗🚕 road safety", "ﷺ", "Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǫ̗͔̈́", "דאטה", "\u200b\u200dzero width",
     "'; DROP TABLE cases; --", '"unterminated phrase', "division:", "(((", "sdg:99",
     "<script>alert(1)</script>"],
)
def test_odd_queries_never_fail(client, query):
    for mode in ("hybrid", "keyword", "semantic"):
        response = client.get("/search", query_string={"q": query, "mode": mode})
        assert response.status_code in (200, 400), (query, mode)
        assert "<script>alert" not in response.get_data(as_text=True)



def test_a_pasted_paragraph_is_searched_with_a_note_that_it_was_shortened(client):
    response = client.get("/search", query_string={"q": PARAGRAPH}, headers=STAFF)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'class="query-notes"' in html and "most distinctive" in html
    assert "more like this" in html
    assert "/cases/vehicle-event-data-road-safety" in html


def test_lessons_are_grouped_under_their_case_with_a_link_that_lists_them_all(client):
    html = client.get("/search?q=partners+data&mode=keyword&per_page=50",
                      headers=STAFF).get_data(as_text=True)
    assert 'class="grouped-lessons"' in html
    more = re.search(r'<a href="([^"]+)">Show all (\d+) matching lessons', html)
    assert more, "no case with more matching lessons than shown"
    url, count = unescape(more.group(1)), int(more.group(2))
    assert "expand=" in url and "#hit-case-" in url
    expanded = client.get(url.split("#")[0], headers=STAFF).get_data(as_text=True)
    case_id = parse_qs(urlsplit(url).query)["expand"][0]
    block = expanded[expanded.index(f'id="hit-case-{case_id}"'):]
    block = block[:block.index('class="grouped-lessons-more"')]
    assert block.count('class="grouped-lesson"') == count
    assert "Show fewer lessons" in expanded


def test_choosing_a_division_keeps_the_others_on_offer_and_two_are_alternatives(client):
    html = client.get("/search?q=data", headers=STAFF).get_data(as_text=True)
    one = client.get(facet_link(html, "Transport"), headers=STAFF).get_data(as_text=True)
    two_url = facet_link(one, "Trade")
    assert parse_qs(urlsplit(two_url).query)["division"] == ["transport", "trade"]
    two = client.get(two_url, headers=STAFF).get_data(as_text=True)
    count = int(re.search(r"([\d,]+) results?", one).group(1))
    assert int(re.search(r"([\d,]+) results?", two).group(1)) > count
    assert "Division: Transport" in two and "Division: Trade" in two


def test_a_query_of_stop_words_says_it_has_no_searchable_words(client):
    html = client.get("/search?q=the+and+of", headers=STAFF).get_data(as_text=True)
    assert "No results" in html and "no searchable words" in html
