"""The JSON API: the same answers as the pages, as JSON, with JSON errors and a schema."""

import json
import re

import pytest
from web_library import make_app, signed_in

from kmsearch.web import api

pytestmark = pytest.mark.model  # the web tests' library is indexed with the embedding model

PUBLIC = "cefact-garment-traceability"
INTERNAL = "micromobility-data-proposal"
RESTRICTED = "mobile-phone-data-tourism"
STAFF = signed_in()


@pytest.fixture(scope="module")
def app(web_settings):
    return make_app(web_settings)


@pytest.fixture(scope="module")
def client(app):
    return app.test_client()


def assert_json_error(response, status: int, field: str | None = None) -> dict:
    assert response.status_code == status
    assert response.mimetype == "application/json"
    error = response.json["error"]
    assert error["status"] == status and error["message"]
    if field:
        assert field in [problem["field"] for problem in error["problems"]]
    return error


def test_search_answers_total_hits_facets_and_suggestion(client):
    response = client.get("/api/v1/search?q=traceability&per_page=5", headers=STAFF)
    assert response.status_code == 200
    body = response.json
    assert set(body) >= {"total", "hits", "facets", "suggestion"}
    assert body["total"] >= len(body["hits"]) > 0
    hit = body["hits"][0]
    assert set(hit) >= {"id", "type", "title", "score", "snippet", "url"}
    assert hit["type"] in ("case", "lesson")
    assert hit["url"] in (f"/cases/{hit['id']}", f"/lessons/{hit['id']}")
    assert {"division", "nexus", "sdg", "year", "good_practice"} <= set(body["facets"])
    value = body["facets"]["division"][0]
    assert set(value) == {"value", "label", "count", "selected"}


def test_search_takes_the_same_filters_as_the_page(client):
    body = client.get("/api/v1/search?q=data&division=transport&type=case&per_page=50",
                      headers=STAFF).json
    assert body["hits"] and all(hit["division"] == "transport" for hit in body["hits"])
    assert all(hit["type"] == "case" for hit in body["hits"])
    selected = [v for v in body["facets"]["division"] if v["selected"]]
    assert [v["value"] for v in selected] == ["transport"]


def test_search_applies_the_visibility_rules(client):
    anonymous = client.get("/api/v1/search?per_page=100&type=case").json
    staff = client.get("/api/v1/search?per_page=100&type=case", headers=STAFF).json
    assert anonymous["total"] < staff["total"]
    ids = {hit["id"] for hit in anonymous["hits"]}
    assert INTERNAL not in ids and RESTRICTED not in ids
    assert RESTRICTED not in {hit["id"] for hit in staff["hits"]}


def test_search_suggests_a_spelling(client):
    body = client.get("/api/v1/search?q=trasport&mode=keyword", headers=STAFF).json
    assert body["suggestion"] == "transport"


@pytest.mark.parametrize(
    ("query", "field"),
    [("page=-1", "page"), ("per_page=100000", "per_page"), ("division=atlantis", "division"),
     ("like=a&q=b", "like"), ("mode=psychic", "mode"), ("q=%01", "q"), ("bogus=1", "bogus")],
)
def test_search_errors_are_json_400s_naming_the_parameter(client, query, field):
    assert_json_error(client.get(f"/api/v1/search?{query}"), 400, field)


def test_cases_lists_visible_notes_with_paging(client):
    first = client.get("/api/v1/cases?per_page=3").json
    assert first["total"] == 9 and len(first["cases"]) == 3
    second = client.get("/api/v1/cases?per_page=3&page=2").json
    assert not {c["id"] for c in first["cases"]} & {c["id"] for c in second["cases"]}
    staff = client.get("/api/v1/cases?per_page=100", headers=STAFF).json
    assert staff["total"] == 44 and INTERNAL in {c["id"] for c in staff["cases"]}


@pytest.mark.parametrize("query", ["page=-1", "per_page=100000", "per_page=x", "q=search"])
def test_cases_list_rejects_bad_parameters(client, query):
    assert_json_error(client.get(f"/api/v1/cases?{query}"), 400)


def test_case_has_every_field_and_its_lessons(client):
    body = client.get(f"/api/v1/cases/{PUBLIC}").json
    assert body["id"] == PUBLIC and body["url"] == f"/cases/{PUBLIC}"
    assert body["partners"][0] == {"name": "Aurelia Apparel Group", "type": "business",
                                   "slug": "aurelia-apparel-group",
                                   "url": "/partners/aurelia-apparel-group"}
    assert body["recommendations"] == ["private-sector-2021/6", "private-sector-2021/8"]
    assert body["body"].startswith("## Context")
    assert [lesson["id"] for lesson in body["lessons"]] == [f"{PUBLIC}--{n}" for n in range(1, 5)]


def test_case_the_viewer_may_not_see_is_a_json_404(client):
    assert_json_error(client.get(f"/api/v1/cases/{INTERNAL}"), 404)
    assert_json_error(client.get(f"/api/v1/cases/{RESTRICTED}", headers=STAFF), 404)
    assert client.get(f"/api/v1/cases/{INTERNAL}", headers=STAFF).status_code == 200


def test_lesson_with_its_case(client):
    body = client.get(f"/api/v1/lessons/{PUBLIC}--2").json
    assert body["kind"] == "good-practice" and body["case"]["id"] == PUBLIC
    assert_json_error(client.get(f"/api/v1/lessons/{RESTRICTED}--1"), 404)
    assert_json_error(client.get("/api/v1/lessons/nothing--9"), 404)


def test_recommendations_grouped_by_evaluation_with_case_counts(client):
    body = client.get("/api/v1/recommendations").json
    evaluation = body["evaluations"][0]
    assert evaluation["id"] == "private-sector-2021" and evaluation["default"] is True
    numbers = [rec["number"] for rec in evaluation["recommendations"]]
    assert numbers == list(range(1, 9))
    six = evaluation["recommendations"][5]
    assert six["id"] == "private-sector-2021/6" and six["case_count"] >= 1
    assert six["url"] == "/recommendations/private-sector-2021/6"


def test_recommendation_id_with_a_slash(client):
    body = client.get("/api/v1/recommendations/private-sector-2021/5").json
    assert body["response"] == "partially-accepted"
    assert body["timeline"] == "2023-12-31"
    assert body["evaluation"]["id"] == "private-sector-2021"
    assert all(case["id"] != INTERNAL for case in body["cases"])
    assert {"progress_notes", "cases", "lessons"} <= set(body)
    assert_json_error(client.get("/api/v1/recommendations/private-sector-2021/0"), 404)
    assert_json_error(client.get("/api/v1/recommendations/no/such/thing"), 404)


def test_taxonomy(client):
    body = client.get("/api/v1/taxonomy").json
    assert [t["code"] for t in body["nexus_areas"]] == [
        "natural-resources", "smart-cities", "mobility-connectivity", "measuring-sdgs"]
    assert len(body["sdgs"]) == 17 and body["cross_cutting_sdgs"] == [5, 17]


def test_suggest_links_from_json_or_a_form(client):
    text = ("A vehicle manufacturers' association offers anonymised crash data to improve road "
            "safety statistics and vehicle regulations.")
    body = client.post("/api/v1/suggest-links", json={"text": text}, headers=STAFF).json
    assert body["nexus_areas"][0]["code"] == "mobility-connectivity"
    assert {"code", "label", "score"} == set(body["recommendations"][0])
    assert body["sdgs"] and body["cases"]
    assert all(hit["type"] == "case" for hit in body["cases"])
    form = client.post("/api/v1/suggest-links", data={"text": text}).json
    assert form["nexus_areas"][0]["code"] == "mobility-connectivity"


@pytest.mark.parametrize(
    "kwargs",
    [{"json": {}}, {"json": {"text": "   "}}, {"json": {"text": 42}}, {"json": ["text"]},
     {"data": "not json", "content_type": "application/json"}, {"data": {}},
     {"json": {"text": "x" * 20_001}}],
)
def test_suggest_links_rejects_bad_bodies(client, kwargs):
    assert_json_error(client.post("/api/v1/suggest-links", **kwargs), 400, "text")


def test_unknown_api_route_is_a_json_404(client):
    assert_json_error(client.get("/api/v1/nothing-here"), 404)


def test_openapi_document_describes_every_api_route(app, client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = json.loads(response.get_data(as_text=True))
    assert document["openapi"].startswith("3.")
    documented = set(document["paths"])
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(api.blueprint.url_prefix):
            path = rule.rule.removeprefix(api.blueprint.url_prefix)
            path = path.replace("<path:rec_id>", "{recommendation_id}")
            path = path.replace("<case_id>", "{case_id}").replace("<lesson_id>", "{lesson_id}")
            path = path.replace("<slug>", "{slug}")
            assert path in documented, path
            methods = rule.methods - {"HEAD", "OPTIONS"}
            assert {m.lower() for m in methods} <= set(document["paths"][path]), path


def test_openapi_references_resolve(client):
    document = client.get("/api/v1/openapi.json").json
    text = json.dumps(document)
    for ref in set(re.findall(r'"\$ref": "#/([^"]+)"', text)):
        node = document
        for part in ref.split("/"):
            node = node[part]


@pytest.mark.parametrize("path", ["/api/v1/cases/☕", "/api/v1/lessons/%00",
                                  "/api/v1/recommendations/%F0%9F%9A%97/1"])
def test_odd_unicode_in_api_addresses_is_a_json_404(client, path):
    assert_json_error(client.get(path), 404)


@pytest.mark.parametrize("q", ["café ☕", "Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǫ̗͔̈́", "דאטה", "\u200bzero width", "((("])
def test_odd_unicode_queries_answer_json(client, q):
    response = client.get("/api/v1/search", query_string={"q": q})
    assert response.status_code == 200
    assert set(response.json) >= {"total", "hits", "facets", "suggestion"}


LONG = ("Crash data from vehicle manufacturers for road safety statistics, shared under an "
        "agreement that protects personal data and settles liability. ") * 40


def test_more_like_this_takes_a_long_text_by_get_or_post_and_says_it_was_shortened(client):
    by_get = client.get("/api/v1/search", query_string={"like": LONG, "per_page": 3},
                        headers=STAFF)
    by_post = client.post("/api/v1/search", json={"like": LONG, "per_page": 3,
                                                  "division": ["transport"]}, headers=STAFF)
    for response in (by_get, by_post):
        assert response.status_code == 200, response.json
        body = response.json
        assert body["shortened"] and body["notes"]
        assert body["hits"][0]["case_id"] == "vehicle-event-data-road-safety"
    assert all(hit["division"] == "transport" for hit in by_post.json["hits"])


def test_post_search_with_a_form_body_and_a_bad_body(client):
    form = client.post("/api/v1/search", data={"q": "traceability", "mode": "keyword"},
                       headers=STAFF)
    assert form.status_code == 200 and form.json["total"] > 0
    assert_json_error(client.post("/api/v1/search", json=["not", "an", "object"],
                                  headers=STAFF), 400, "body")


def test_search_groups_lessons_under_their_case_unless_asked_not_to(client):
    grouped = client.get("/api/v1/search?q=partners+data&mode=keyword&per_page=50",
                         headers=STAFF).json
    flat = client.get("/api/v1/search?q=partners+data&mode=keyword&per_page=50&group=0",
                      headers=STAFF).json
    assert grouped["grouped"] and not flat["grouped"]
    with_lessons = [hit for hit in grouped["hits"] if hit.get("lessons")]
    assert with_lessons and all(lesson["case_id"] == hit["case_id"]
                                for hit in with_lessons for lesson in hit["lessons"])
    assert len({hit["case_id"] for hit in grouped["hits"]}) == len(grouped["hits"])
    assert any(hit["type"] == "lesson" for hit in flat["hits"])
