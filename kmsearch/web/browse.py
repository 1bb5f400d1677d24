"""Browse pages: nexus areas, SDGs, divisions, and the newcomers' good-practice guide."""

from __future__ import annotations

from dataclasses import dataclass, replace

from flask import Blueprint, render_template, url_for

from ..errors import NotFound
from ..library import StoredCase
from ..records import Lesson
from ..taxonomy import Term
from .auth import current_viewer
from .context import current_library
from .lookups import good_practices, link_counts
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
    library = current_library()
    cases = library.cases(current_viewer())
    practices = good_practices(cases)
    flagged = [stored for stored in cases if stored.note.good_practice]
    shown: set[str] = set()
    return render_template(
        "good_practices.html",
        by_nexus=_grouped(library.taxonomy.nexus_areas, "nexus_areas", flagged, practices, shown),
        by_type=_grouped(library.taxonomy.partnership_types, "partnership_types", flagged,
                         practices, shown),
        recommendations=_illustrated(library, flagged, practices),
    )


@dataclass
class PracticeGroup:
    """The good practices of one nexus area or partnership type, and the few shown first."""

    term: Term
    notes: list[StoredCase]
    lessons: list[tuple[Lesson, StoredCase]]
    preview: list[tuple[Lesson, StoredCase]]


def _grouped(terms, attribute: str, flagged, practices, shown: set[str],
             size: int = 3) -> list[PracticeGroup]:
    """For each term: flagged notes and good-practice lessons whose note carries it, previewed by
    lessons from different notes, preferring lessons no earlier group has shown."""
    groups = []
    for term in terms:
        notes = [s for s in flagged if term.code in getattr(s.note, attribute)]
        lessons = [(item, s) for item, s in practices if term.code in getattr(s.note, attribute)]
        if not (notes or lessons):
            continue
        preview, sources = [], set()
        for item, stored in sorted(lessons, key=lambda pair: pair[0].id in shown):
            if stored.id not in sources and len(preview) < size:
                sources.add(stored.id)
                preview.append((item, stored))
        shown.update(item.id for item, _ in preview)
        groups.append(PracticeGroup(term, notes, lessons, preview))
    return groups


def _illustrated(library, flagged, practices) -> list[tuple]:
    """Each recommendation with how many good practices illustrate it."""
    counts = link_counts(flagged)["recommendation"]
    lesson_counts = link_counts(s for _, s in practices)["recommendation"]
    return [
        (rec, counts[rec.id], lesson_counts[rec.id])
        for rec in library.recommendations()
        if counts[rec.id] or lesson_counts[rec.id]
    ]
