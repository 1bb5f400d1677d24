"""Hostile requests: the two inputs that answered 500 (issue 16), and generated requests
(Hypothesis) to every route of the application, with every query parameter, form field and
JSON field the code and openapi.json name, as every kind of viewer: no answer may be a 5xx."""

import inspect
import json
import re
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from click.testing import CliRunner
from contribution_library import TRANSPORT_PUBLIC, contribution_app
from hostile_inputs import Cost, fuzz, report_line
from hypothesis import given
from hypothesis import strategies as st
from web_library import signed_in

from kmsearch.cli import cli
from kmsearch.search.request import PARAMETERS
from kmsearch.web import create_app
from kmsearch.web.api import OPENAPI
from kmsearch.web.noteform import ACCEPT, LIST_FIELDS, TEXT_FIELDS

WEB = Path(inspect.getfile(create_app)).parent
EXAMPLES = 10_000  # generated requests per run; every one must answer below 500
VIEWERS = [{}, signed_in("vic", "viewer"), signed_in("tina", "contributor", "trade"),
           signed_in("rita", "reviewer"), signed_in("ada", "admin")]


pytestmark = pytest.mark.model  # searches embed queries with the model


@pytest.fixture(scope="module")
def app(library_copy):
    app = contribution_app(library_copy("hostile-web"), TESTING=False,
                           WTF_CSRF_ENABLED=False, LOGIN_RATE_LIMIT="100000 per minute")
    app.extensions["kmsearch"].search.open()
    yield app
    app.extensions["kmsearch"].store.close()


@pytest.fixture(scope="module")
def client(app):
    return app.test_client()


@pytest.mark.parametrize("url", [
    "/api/v1/search?q=road&year_from=%C2%B2",
    "/search?q=road&year_to=%C2%B9%C2%B2",
    "/divisions/transport?year_from=%C2%B2",
    "/api/v1/search?q=road&year_from=" + "9" * 5000,
    "/cases/x/diff?from=" + "1" * 5000,
    "/search?q=road&page=" + "9" * 5000,
    "/api/v1/cases?per_page=" + "9" * 5000,
    "/contribute/drafts/" + "9" * 40,
    f"/contribute/{TRANSPORT_PUBLIC}/edit?draft=" + "9" * 4000,
])
def test_non_ascii_and_outsize_digits_answer_400_with_a_message(client, url):
    response = client.get(url, headers=signed_in("rita", "reviewer"))
    assert response.status_code in (400, 404), response.get_data(as_text=True)[:500]
    if url.startswith(("/api", "/search", "/divisions")):
        assert response.status_code == 400
        assert re.search("expected a (year 1990-2100|whole number from 1 to)",
                         response.get_data(as_text=True))


@pytest.mark.parametrize("path", [
    "/partners/changes/9223372036854775808/undo",
    "/contribute/drafts/9223372036854775808/discard",
    "/recommendations/private-sector-2021/5/actions/9223372036854775808",
])
def test_an_id_past_sqlite_s_integers_is_not_found_not_a_server_error(client, path):
    response = client.post(path, data={"comment": "x"}, headers=signed_in("rita", "reviewer"))
    assert response.status_code == 404, response.get_data(as_text=True)[:500]


def test_a_lone_surrogate_in_suggest_links_answers_400(client):
    response = client.post("/api/v1/suggest-links", data='{"text": "road safety data \\ud800 '
                           'sharing"}', content_type="application/json")
    assert response.status_code == 400
    assert "unpaired surrogate U+D800" in response.get_data(as_text=True)


@pytest.mark.parametrize("body", ["[" * 100_000 + "]" * 100_000,
                                  '{"text": ' + "[" * 100_000 + "]" * 100_000 + "}"])
def test_json_nested_past_the_decoder_limit_answers_400(client, body):
    response = client.post("/api/v1/suggest-links", data=body, content_type="application/json")
    assert response.status_code == 400
    (problem,) = response.get_json()["error"]["problems"]
    assert problem["message"].startswith('expected a JSON object {"text": "..."}')


@pytest.mark.parametrize("body", ["[" * 100_000 + "]" * 100_000,
                                  '{"q": "water", "filters": ' + '{"a": ' * 5000 + "1"
                                  + "}" * 5001])
def test_a_search_body_nested_past_the_decoder_limit_answers_400(client, body):
    response = client.post("/api/v1/search", data=body, content_type="application/json")
    assert response.status_code == 400
    (problem,) = response.get_json()["error"]["problems"]
    assert problem["message"].startswith("expected a JSON object or a form")


def test_follow_up_with_a_non_ascii_number_says_not_found(tmp_path):
    env = {"KMSEARCH_DB": str(tmp_path / "kmsearch.db"),
           "KMSEARCH_INDEX_DIR": str(tmp_path / "indexes")}
    result = CliRunner().invoke(cli, ["follow-up", "²"], env=env)
    assert result.exit_code == 1
    assert "No recommendation with id '²'" in result.output
    assert "Traceback" not in result.output


# Parameter and field names: those the views read, those openapi.json documents, and the
# search parameters, so that every name any route reads is tried.
def _names_read_by_views() -> set[str]:
    found = set(TEXT_FIELDS) | set(LIST_FIELDS) | set(ACCEPT)
    for path in WEB.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        found |= set(re.findall(r"\.(?:get|getlist)\(\s*[\"']([\w-]+)[\"']", source))
    return found


def _openapi() -> tuple[set[str], set[str]]:
    spec = json.loads(OPENAPI.read_text(encoding="utf-8"))
    params, fields = set(), set()
    shared = spec.get("components", {}).get("parameters", {})
    for item in spec["paths"].values():
        for operation in item.values():
            for parameter in operation.get("parameters", []):
                if "$ref" in parameter:
                    parameter = shared[parameter["$ref"].rsplit("/", 1)[-1]]
                if parameter["in"] == "query":
                    params.add(parameter["name"])
            for content in operation.get("requestBody", {}).get("content", {}).values():
                fields |= set(content.get("schema", {}).get("properties", {}))
    return params, fields


API_PARAMS, JSON_FIELDS = _openapi()
NAMES = sorted(_names_read_by_views() | API_PARAMS | set(PARAMETERS) | JSON_FIELDS |
               {"partners-1-name", "partners-1-type", "lessons-1-kind", "lessons-1-text",
                "action", "comment", "case_id", "draft_id", "expected_revision", "format"})

SAFE_TEXT = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=30)
VALUES = st.one_of(
    SAFE_TEXT,
    st.sampled_from(["", "1", "0", "-1", "2020", "1989", "²", "٣", "¹²", "9" * 5000, "1e9",
                     "trade", "Transport", "sdg 5", "hybrid", "keyword", "semantic", "newest",
                     "json", "csv", "case", "lesson", "published", "save", "submit", "preview",
                     "edit", "true", "on", "x" * 2000, "road safety", "\x00", "<script>",
                     "year:[2000 TO 3000]", "division:", TRANSPORT_PUBLIC,
                     "private-sector-2021/1"]),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
)
JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
              st.text(max_size=40), st.sampled_from(["\ud800", "road \udfff data", "x" * 30_000])),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=8,
)
PATH_VALUES = st.one_of(SAFE_TEXT.filter(lambda t: t not in ("", ".", "..")),
                        st.sampled_from([TRANSPORT_PUBLIC, "trade", "transport", "9", "1", "0",
                                         "private-sector-2021/1", "x" * 500, "²", "%00"]))


def _routes(app) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """Every (method, rule, [(argument, converter)]) of the application but static files."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        arguments = [(name, type(rule._converters[name]).__name__)
                     for name in rule.arguments]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((method, rule.rule, arguments))
    return found


@st.composite
def requests(draw, routes):
    method, rule, arguments = draw(st.sampled_from(routes))
    path = rule
    for name, converter in arguments:
        value = (str(draw(st.one_of(st.integers(min_value=-5, max_value=10**12),
                                    st.integers(min_value=2**63 - 2, max_value=10**40))))
                 if converter == "IntegerConverter" else draw(PATH_VALUES))
        safe = "/" if converter == "PathConverter" else ""
        path = re.sub(rf"<(?:\w+:)?{name}>", quote(value, safe=safe), path)
    names = draw(st.lists(st.sampled_from(NAMES), max_size=5))
    fields = [(name, draw(VALUES)) for name in names]
    body: dict = {}
    if method == "POST":
        kind = draw(st.sampled_from(["form", "json", "raw"]))
        if kind == "json":
            document = draw(st.one_of(
                st.fixed_dictionaries({}, optional={name: JSON_VALUES for name in JSON_FIELDS}),
                JSON_VALUES))
            body = {"data": json.dumps(document), "content_type": "application/json"}
        elif kind == "raw":
            body = {"data": draw(st.one_of(st.binary(max_size=200), st.sampled_from(
                        [b"[" * 50_000, b'{"text": ' + b"[" * 50_000, b"\xed\xa0\x80"]))),
                    "content_type": draw(st.sampled_from(["application/json", "text/plain",
                                                          "application/x-www-form-urlencoded"]))}
        else:
            body = {"data": dict(fields)}
            fields = draw(st.lists(st.tuples(st.sampled_from(NAMES), VALUES), max_size=2))
    return method, path, fields, body, draw(st.sampled_from(VIEWERS))


def test_every_route_and_field_exercised_and_no_answer_is_a_5xx(app, client, request):
    routes = _routes(app)
    assert any(rule == "/api/v1/suggest-links" for _, rule, _ in routes)
    assert {"q", "year_from", "year_to", "text", "format"} <= set(NAMES)
    cost, statuses, by_route = Cost(), {}, {}

    @fuzz(EXAMPLES)
    @given(requests(routes))
    def one_request(case):
        method, path, query, body, headers = case
        start = time.perf_counter()
        response = client.open(path, method=method, query_string=query, headers=headers,
                               **body)
        elapsed = time.perf_counter() - start
        by_route[path.split("?")[0][:30]] = by_route.get(path.split("?")[0][:30], 0) + elapsed
        cost.runs += 1
        if elapsed > cost.slowest:
            cost.slowest, cost.slowest_case = elapsed, f"{method} {path} {query}"[:160]
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        assert response.status_code < 500, (case, response.get_data(as_text=True)[:1000])

    one_request()
    report_line(request.config, f"fuzz web: {cost.runs:,} requests to {len(routes)} routes "
                f"in {sum(by_route.values()):.1f} s of requests, statuses "
                f"{dict(sorted(statuses.items()))}, slowest {cost.slowest * 1000:.0f} ms "
                f"({cost.slowest_case})")
    assert cost.runs >= EXAMPLES
    assert len(statuses) > 3  # answers of many kinds: the generator reaches past validation
