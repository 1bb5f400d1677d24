"""The home page and the search results page."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from ..search.results import SearchResults
from .auth import current_viewer
from .context import current_library
from .lookups import good_practices, link_counts
from .params import SearchRequest, parse_search_request

blueprint = Blueprint("search", __name__)


@blueprint.get("/")
def home():
    library = current_library()
    cases = library.cases(current_viewer())
    return render_template(
        "home.html",
        counts=link_counts(cases),
        case_total=len(cases),
        evaluation=library.default_evaluation(),
        featured=[stored for stored in cases if stored.note.good_practice][:3],
        latest=good_practices(cases)[:4],
    )


@blueprint.get("/search")
def results():
    search_request = read_search_request()
    return render_template(
        "results.html", search=search_request, results=run_search(search_request)
    )


def read_search_request() -> SearchRequest:
    library = current_library()
    return parse_search_request(request.args, library.taxonomy, library.settings)


def run_search(search_request: SearchRequest) -> SearchResults:
    """The one call every results list makes: pages, browse pages and the JSON API."""
    return current_library().search.search(
        search_request.q,
        mode=search_request.mode,
        filters=search_request.filters,
        viewer=current_viewer(),
        page=search_request.page,
        per_page=search_request.per_page,
        sort=search_request.sort,
    )
