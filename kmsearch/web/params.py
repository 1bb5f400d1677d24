"""Request parameters of list pages; search parameters are read by ``search.request``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import Problem, ValidationError
from ..search.request import (
    DEFAULT_PER_PAGE,
    Limits,
    SearchRequest,
    parse_search_request,
    whole_number,
)

__all__ = ["SearchRequest", "parse_page", "parse_search_request"]


def parse_page(args: Mapping[str, Any], limits: Limits) -> tuple[int, int]:
    """``page`` and ``per_page`` of a plain list; any other parameter is a mistake."""
    problems = [Problem("query", name[:40], "unknown parameter; expected one of page, per_page")
                for name in args if name not in ("page", "per_page")]
    page = whole_number(args, "page", 1, limits.max_page, 1, problems)
    per_page = whole_number(args, "per_page", DEFAULT_PER_PAGE, limits.max_per_page, 1, problems)
    if problems:
        raise ValidationError(problems)
    return page, per_page
