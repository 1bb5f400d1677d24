"""Search parameters read from a URL, validated once, and written back into links."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ..config import Settings
from ..errors import Problem, ValidationError
from ..filters import FACETS, Filters, parse_filters
from ..limits import whole_number
from ..search.results import MODES, SORTS
from ..taxonomy import Taxonomy

DEFAULT_PER_PAGE = 10
MAX_PAGE = 1000
PARAMETERS = ("q", "mode", "sort", "page", "per_page", *FACETS, "year_from", "year_to",
              "good_practice")


@dataclass(frozen=True)
class SearchRequest:
    """What a results page, a browse page or ``/api/v1/search`` was asked for."""

    q: str = ""
    mode: str = "hybrid"
    filters: Filters = field(default_factory=Filters)
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE
    sort: str = "relevance"
    fixed: str | None = None  # a filter the page's address sets, left out of its links

    def to_params(self, **changes: Any) -> dict[str, list[str]]:
        """URL parameters for this request with ``changes`` applied; defaults are left out."""
        changed = replace(self, **changes)
        params: dict[str, list[str]] = {}
        if changed.q:
            params["q"] = [changed.q]
        if changed.mode != "hybrid":
            params["mode"] = [changed.mode]
        params.update(changed.filters.to_params())
        params.pop(changed.fixed or "", None)
        if changed.sort != "relevance":
            params["sort"] = [changed.sort]
        if changed.per_page != DEFAULT_PER_PAGE:
            params["per_page"] = [str(changed.per_page)]
        if changed.page != 1:
            params["page"] = [str(changed.page)]
        return params


def parse_page(args: Mapping[str, Any], settings: Settings) -> tuple[int, int]:
    """``page`` and ``per_page`` of a plain list; any other parameter is a mistake."""
    problems = _unknown(args, ("page", "per_page"))
    page = _whole_number(args, "page", 1, 1, MAX_PAGE, problems)
    per_page = _whole_number(args, "per_page", DEFAULT_PER_PAGE, 1, settings.max_per_page, problems)
    if problems:
        raise ValidationError(problems)
    return page, per_page


def parse_search_request(
    args: Mapping[str, Any], taxonomy: Taxonomy, settings: Settings
) -> SearchRequest:
    """Every parameter checked at once; ``ValidationError`` lists each bad one and what to send."""
    problems = _unknown(args, PARAMETERS)
    q = " ".join(str(args.get("q", "")).split())
    if len(q) > settings.max_query_length:
        problems.append(_problem("q", f"the query is {len(q)} characters long; "
                                      f"shorten it to at most {settings.max_query_length}"))
    elif bad := _unprintable(q):
        problems.append(_problem("q", f"the query contains a character that cannot be searched "
                                      f"(U+{ord(bad):04X}); remove it"))
    mode = _choice(args, "mode", MODES, problems)
    sort = _choice(args, "sort", SORTS, problems)
    page = _whole_number(args, "page", 1, 1, MAX_PAGE, problems)
    per_page = _whole_number(args, "per_page", DEFAULT_PER_PAGE, 1, settings.max_per_page, problems)
    try:
        filters = parse_filters(args, taxonomy)
    except ValidationError as error:
        problems.extend(error.problems)
        filters = Filters()
    if problems:
        raise ValidationError(problems)
    return SearchRequest(q, mode, filters, page, per_page, sort)


def _unknown(args: Mapping[str, Any], known: tuple[str, ...]) -> list[Problem]:
    return [
        _problem(name[:40], f"unknown parameter; expected one of {', '.join(known)}")
        for name in args
        if name not in known
    ]


def _problem(name: str, message: str) -> Problem:
    return Problem("query", name, message)


def _choice(args: Mapping[str, Any], name: str, choices: tuple[str, ...],
            problems: list[Problem]) -> str:
    value = str(args.get(name) or choices[0]).strip().lower()
    if value not in choices:
        problems.append(_problem(name, f"unknown value {value[:40]!r}; "
                                       f"expected one of {', '.join(choices)}"))
        return choices[0]
    return value


def _whole_number(args: Mapping[str, Any], name: str, default: int, low: int, high: int,
                  problems: list[Problem]) -> int:
    raw = str(args.get(name) or default).strip()
    number = whole_number(raw)
    if number is None or not low <= number <= high:
        problems.append(_problem(name, f"expected a whole number from {low} to {high}, "
                                       f"found {raw[:40]!r}"))
        return default
    return number


def _unprintable(text: str) -> str | None:
    """The first control, surrogate, private-use or unassigned character in ``text``, if any."""
    for char in text:
        if unicodedata.category(char) in {"Cc", "Cs", "Co", "Cn"}:
            return char
    return None
