"""One search request, validated once with one set of limits, whoever builds it.

The web pages, the JSON API and ``kmsearch search`` all read their parameters through
``parse_search_request``; ``SearchService.search(request, viewer)`` takes the result.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ..errors import Problem, ValidationError
from ..filters import FACETS, Filters, parse_filters
from ..taxonomy import Taxonomy

MODES = ("hybrid", "keyword", "semantic")
SORTS = ("relevance", "date")
DEFAULT_PER_PAGE = 10
FILTER_PARAMETERS = (*FACETS, "year_from", "year_to", "good_practice")
PARAMETERS = ("q", "like", "mode", "sort", "page", "per_page", "group", "expand",
              *FILTER_PARAMETERS)
_FLAGS = {"1": True, "true": True, "yes": True, "on": True,
          "0": False, "false": False, "no": False, "off": False}


@dataclass(frozen=True)
class Limits:
    """The bounds every request is held to; the defaults are the documented ones."""

    max_query_length: int = 20_000  # longer text is cut here (with a note), never refused
    max_page: int = 1000
    max_per_page: int = 100


@dataclass(frozen=True)
class SearchRequest:
    """What a results page, a browse page, ``/api/v1/search`` or the CLI was asked for.

    ``like`` marks ``q`` as a text to find similar notes for ("more like this"): its syntax is
    ignored. ``group`` collapses lessons under their case note; ``expand`` names the note whose
    matching lessons are all listed. ``fixed`` is a filter a browse page's address sets.
    """

    q: str = ""
    mode: str = "hybrid"
    filters: Filters = field(default_factory=Filters)
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE
    sort: str = "relevance"
    like: bool = False
    group: bool = True
    expand: str | None = None
    fixed: str | None = None

    def to_params(self, **changes: Any) -> dict[str, list[str]]:
        """URL parameters for this request with ``changes`` applied; defaults are left out."""
        changed = replace(self, **changes)
        params: dict[str, list[str]] = {}
        if changed.q:
            params["like" if changed.like else "q"] = [changed.q]
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
        if not changed.group:
            params["group"] = ["0"]
        if changed.expand:
            params["expand"] = [changed.expand]
        return params


def parse_search_request(
    params: Mapping[str, Any], taxonomy: Taxonomy, limits: Limits = Limits(),
    source: str = "query", known: tuple[str, ...] = PARAMETERS,
) -> SearchRequest:
    """Every parameter checked at once; ``ValidationError`` lists each bad one and what to send.

    ``params`` is request-like (``getlist`` or plain values); ``known`` is what the caller
    accepts (anything else is a mistake).
    """
    problems = [Problem(source, name[:40], f"unknown parameter; expected one of "
                        f"{', '.join(known)}") for name in params if name not in known]
    like = _single(params, "like")
    q = " ".join((like if like else _single(params, "q")).split())
    if like and _single(params, "q"):
        problems.append(Problem(source, "like", "expected either q (a query) or like (a text to "
                                "find similar notes for), not both"))
    if bad := _unprintable(q):
        problems.append(Problem(source, "like" if like else "q",
                                f"the text contains a character that cannot be searched "
                                f"(U+{ord(bad):04X}); remove it"))
    mode = _choice(params, "mode", MODES, problems, source)
    sort = _choice(params, "sort", SORTS, problems, source)
    page = whole_number(params, "page", 1, limits.max_page, 1, problems, source)
    per_page = whole_number(params, "per_page", DEFAULT_PER_PAGE, limits.max_per_page, 1,
                             problems, source)
    group = _flag(params, "group", True, problems, source)
    expand = _single(params, "expand").strip()[:200] or None
    try:
        filters = parse_filters(params, taxonomy, source)
    except ValidationError as error:
        problems.extend(error.problems)
        filters = Filters()
    if problems:
        raise ValidationError(problems)
    return SearchRequest(q, mode, filters, page, per_page, sort, like=bool(like), group=group,
                         expand=expand)


def check_request(request: SearchRequest, limits: Limits = Limits()) -> SearchRequest:
    """A request built in code (not parsed) held to the same limits."""
    problems = []
    if request.mode not in MODES:
        problems.append(Problem("request", "mode", f"expected one of {', '.join(MODES)}, "
                                f"found {request.mode!r}"))
    if request.sort not in SORTS:
        problems.append(Problem("request", "sort", f"expected one of {', '.join(SORTS)}, "
                                f"found {request.sort!r}"))
    if not 1 <= request.page <= limits.max_page:
        problems.append(Problem("request", "page", f"expected a whole number from 1 to "
                                f"{limits.max_page}, found {request.page}"))
    if not 1 <= request.per_page <= limits.max_per_page:
        problems.append(Problem("request", "per_page", f"expected a whole number from 1 to "
                                f"{limits.max_per_page}, found {request.per_page}"))
    if problems:
        raise ValidationError(problems)
    return request


def _single(params: Mapping[str, Any], name: str) -> str:
    value = params.get(name)
    if isinstance(value, list | tuple):
        value = value[-1] if value else None
    return "" if value is None else str(value)


def _choice(params: Mapping[str, Any], name: str, choices: tuple[str, ...],
            problems: list[Problem], source: str) -> str:
    value = (_single(params, name) or choices[0]).strip().lower()
    if value not in choices:
        problems.append(Problem(source, name, f"unknown value {value[:40]!r}; "
                                f"expected one of {', '.join(choices)}"))
        return choices[0]
    return value


def whole_number(params: Mapping[str, Any], name: str, default: int, high: int, low: int,
                 problems: list[Problem], source: str = "query") -> int:
    """A whole-number parameter in [low, high], or ``default`` with a problem appended."""
    raw = (_single(params, name) or str(default)).strip()
    if not raw.isascii() or not raw.isdigit() or not low <= int(raw) <= high:
        problems.append(Problem(source, name, f"expected a whole number from {low} to {high}, "
                                f"found {raw[:40]!r}"))
        return default
    return int(raw)


def _flag(params: Mapping[str, Any], name: str, default: bool, problems: list[Problem],
          source: str) -> bool:
    raw = _single(params, name).strip().lower()
    if not raw:
        return default
    if raw not in _FLAGS:
        problems.append(Problem(source, name, f"expected 1 or 0, found {raw[:40]!r}"))
        return default
    return _FLAGS[raw]


def _unprintable(text: str) -> str | None:
    """The first control, surrogate, private-use or unassigned character in ``text``, if any."""
    for char in text:
        if unicodedata.category(char) in {"Cc", "Cs", "Co", "Cn"}:
            return char
    return None
