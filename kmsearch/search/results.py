"""What a search returns, shared by the web pages, the JSON API and the CLI."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..documents import IndexDoc
from ..filters import Filters
from .request import MODES, SORTS

__all__ = ["MODES", "SORTS", "FacetValue", "Hit", "SearchResults"]


@dataclass
class Hit:
    """One ranked case note or lesson; ``snippet`` is HTML-safe, matches wrapped in <mark>."""

    doc: IndexDoc
    score: float
    snippet: str = ""
    lessons: list[Hit] = field(default_factory=list)  # a case's matching lessons, when grouped
    lesson_count: int = 0  # how many of its lessons matched (``lessons`` may list fewer)

    @property
    def key(self) -> str:
        return self.doc.key

    @property
    def type(self) -> str:
        return self.doc.type

    @property
    def id(self) -> str:
        return self.doc.id


@dataclass
class FacetValue:
    value: str | int
    label: str
    count: int
    selected: bool = False


@dataclass
class SearchResults:
    query: str
    mode: str
    filters: Filters
    total: int
    page: int
    per_page: int
    hits: list[Hit] = field(default_factory=list)
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)
    suggestion: str | None = None
    sort: str = "relevance"
    notes: list[str] = field(default_factory=list)  # why parts of the query were not searched
    grouped: bool = True  # lessons collapsed under their case (``total`` counts entries)
    shortened: bool = False  # a long text was cut to what the arms can use

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))
