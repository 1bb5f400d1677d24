"""Facet lists and filter chips as links: what each choice adds to or removes from a search."""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..filters import FACETS, Filters
from ..search.results import FacetValue, SearchResults
from ..taxonomy import Taxonomy
from .params import SearchRequest

# Facets in the order a page shows them, with their headings.
FACET_TITLES = {
    "type": "Case notes or lessons",
    "good_practice": "Good practice",
    "division": "Division",
    "nexus": "Nexus area",
    "sdg": "SDG",
    "partnership_type": "Partnership type",
    "partner_type": "Partner type",
    "status": "Status",
    "kind": "Lesson kind",
    "year": "Year",
}
TYPE_LABELS = {"case": "Case notes", "lesson": "Lessons"}
OPEN_FACETS = 4  # the first lists start open; the others open when one of their values is chosen


@dataclass
class FacetChoice:
    label: str
    count: int
    selected: bool
    filters: Filters  # the filters once this choice is clicked


@dataclass
class FacetGroup:
    name: str
    title: str
    choices: list[FacetChoice]
    open: bool
    multiple: bool = True  # values are alternatives: several may be ticked


def facet_groups(search: SearchRequest, results: SearchResults) -> list[FacetGroup]:
    """Every facet with values, except the one a browse page sets by its address."""
    groups = []
    for position, (name, title) in enumerate(FACET_TITLES.items()):
        values = results.facets.get(name, [])
        if name == search.fixed or not values:
            continue
        choices = [_choice(search.filters, name, value) for value in values]
        opened = position < OPEN_FACETS or any(choice.selected for choice in choices)
        groups.append(FacetGroup(name, title, choices, opened,
                                 multiple=name not in ("year", "good_practice")))
    return groups


def _choice(filters: Filters, name: str, value: FacetValue) -> FacetChoice:
    if name == "year":
        year = int(value.value)
        selected = filters.year_from == year and filters.year_to == year
        chosen = (replace(filters, year_from=None, year_to=None) if selected
                  else replace(filters, year_from=year, year_to=year))
        return FacetChoice(str(year), value.count, selected, chosen)
    if name == "good_practice":
        selected = filters.good_practice
        return FacetChoice("Good practices only", value.count, selected,
                           replace(filters, good_practice=not selected))
    label = TYPE_LABELS.get(str(value.value), value.label) if name == "type" else value.label
    return FacetChoice(label, value.count, value.selected, filters.toggled(name, value.value))


def label(code: object) -> str:
    """A readable label for a fixed code such as ``in-progress`` or ``good-practice``."""
    text = str(code).replace("-", " ").replace("_", " ")
    return text[:1].upper() + text[1:]


def active_filters(filters: Filters, taxonomy: Taxonomy, fixed: str | None = None
                   ) -> list[tuple[str, Filters]]:
    """Each filter in force except ``fixed``, as a label and the filters left without it."""
    active: list[tuple[str, Filters]] = []
    for name, (_, vocabulary) in FACETS.items():
        if name == fixed:
            continue
        for value in getattr(filters, name):
            if name == "sdg":
                text = taxonomy.sdg_label(value)
            elif name == "type":
                text = TYPE_LABELS[value]
            elif isinstance(vocabulary, str):
                text = taxonomy.vocabulary(vocabulary).name_of(value)
            else:
                text = label(value)
            active.append((f"{FACET_TITLES[name]}: {text}", filters.toggled(name, value)))
    if filters.year_from is not None:
        active.append((f"From {filters.year_from}", replace(filters, year_from=None)))
    if filters.year_to is not None:
        active.append((f"Until {filters.year_to}", replace(filters, year_to=None)))
    if filters.good_practice:
        active.append(("Good practices only", replace(filters, good_practice=False)))
    return active
