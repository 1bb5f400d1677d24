"""Browse pages: nexus areas, SDGs, divisions, and the newcomers' good-practice guide."""

from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, render_template, request, url_for

from ..errors import NotFound
from ..taxonomy import Term
from .auth import current_viewer
from .context import current_library
from .lookups import link_counts
from .practices import (
    COUNTED,
    GROUPINGS,
    KINDS,
    OPEN_UP_TO,
    count_line,
    grouped,
    practice_cards,
    read_filters,
)
from .search import read_search_request, run_search

blueprint = Blueprint("browse", __name__)

# area (URL, filter and link name) -> (vocabulary, index page title, what a term is called, intro)
AREAS = {
    "nexus": ("nexus_areas", "Nexus areas", "nexus area",
              "UNECE's work is organised around four nexus areas that cut across divisions."),
    "sdg": ("sdgs", "Sustainable Development Goals", "SDG",
            "The goals UNECE's partnerships contribute to. SDG 5 and SDG 17 underpin all work."),
    "division": ("divisions", "Divisions", "division",
                 "The divisions and subprogrammes that run partnerships with the private sector."),
}


@blueprint.get("/nexus")
def nexus_index():
    return _index("nexus")


@blueprint.get("/nexus/<code>")
def nexus(code: str):
    return _term_page("nexus", code)


@blueprint.get("/sdgs")
def sdg_index():
    return _index("sdg")


@blueprint.get("/sdgs/<code>")
def sdg(code: str):
    return _term_page("sdg", code)


@blueprint.get("/divisions")
def division_index():
    return _index("division")


@blueprint.get("/divisions/<code>")
def division(code: str):
    return _term_page("division", code)


def _index(area: str):
    vocabulary, title, _, intro = AREAS[area]
    library = current_library()
    counts = link_counts(library.cases(current_viewer()))[area]
    terms = list(library.taxonomy.vocabulary(vocabulary))
    return render_template(
        "browse_index.html", area=area, title=title, intro=intro, terms=terms,
        counts={term.code: counts[int(term.code) if area == "sdg" else term.code]
                for term in terms},
    )


def _term_page(area: str, code: str):
    vocabulary, index_title, kind, _ = AREAS[area]
    library = current_library()
    term: Term | None = library.taxonomy.vocabulary(vocabulary).resolve(code)
    if term is None:
        raise NotFound(f"There is no {kind} {code!r}; see {url_for(f'browse.{area}_index')} "
                       f"for the list.")
    value = int(term.code) if area == "sdg" else term.code
    search_request = read_search_request()
    search_request = replace(
        search_request, filters=replace(search_request.filters, **{area: (value,)}), fixed=area
    )
    title = library.taxonomy.sdg_label(value) if area == "sdg" else term.name
    return render_template(
        "browse_term.html", area=area, index_title=index_title, term=term, title=title,
        search=search_request, results=run_search(search_request),
    )


@blueprint.get("/good-practices", endpoint="good_practices")
def good_practices_page():
    """A case library for newcomers: cards of notes and their lessons, filtered by the URL,
    folded into groups."""
    library = current_library()
    chosen = read_filters(request.args, library.taxonomy)
    cards = practice_cards(library.cases(current_viewer()), chosen)
    recommendations = {rec.id: rec for rec in library.recommendations()}
    order = {"nexus": [t.code for t in library.taxonomy.nexus_areas],
             "recommendation": list(recommendations),
             "partnership_type": [t.code for t in library.taxonomy.partnership_types],
             "division": [t.code for t in library.taxonomy.divisions]}[chosen.group]
    chosen_codes = {"nexus": chosen.filters.nexus, "division": chosen.filters.division}
    if chosen_codes.get(chosen.group):  # grouped by what was filtered: only the chosen groups
        order = [code for code in order if code in chosen_codes[chosen.group]]
    groups = grouped(cards, chosen.group, order)
    return render_template(
        "good_practices.html", chosen=chosen, groups=groups, recommendations=recommendations,
        count=count_line(cards, groups, chosen), counted=COUNTED[chosen.kind], kinds=KINDS,
        groupings=GROUPINGS, open_all=len(cards) <= OPEN_UP_TO,
    )
