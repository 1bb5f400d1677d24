"""The home page and the search results page."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from ..search.results import SearchResults
from .auth import current_viewer
from .context import current_library
from .lookups import good_practices, link_counts, proven
from .params import SearchRequest, parse_search_request

blueprint = Blueprint("search", __name__)


@blueprint.get("/")
def home():
    library = current_library()
    cases = library.cases(current_viewer())
    evaluation = library.default_evaluation()
    return render_template(
        "home.html",
        counts=link_counts(cases),
        case_total=len(cases),
        evaluation=evaluation,
        followup=library.monitoring.rows([evaluation] if evaluation else []),
        featured=[stored for stored in proven(cases) if stored.note.good_practice][:3],
        latest=good_practices(cases)[:4],
    )


@blueprint.get("/search")
def results():
    search_request = read_search_request()
    return render_template(
        "results.html", search=search_request, results=run_search(search_request)
    )


def read_search_request(params=None) -> SearchRequest:
    """The request's search parameters (the URL's unless ``params`` are given), validated."""
    library = current_library()
    return parse_search_request(request.args if params is None else params, library.taxonomy,
                                library.search.limits)


def run_search(search_request: SearchRequest) -> SearchResults:
    """The one call every results list makes: pages, browse pages and the JSON API."""
    return current_library().search.search(search_request, current_viewer())
