"""What a search returns, shared by the web pages, the JSON API and the CLI."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..documents import IndexDoc, PageRef
from ..filters import Filters

MODES = ("hybrid", "keyword", "semantic")
SORTS = ("relevance", "date")


@dataclass
class Hit:
    """One ranked case note or lesson; ``snippet`` is HTML-safe, matches wrapped in <mark>."""

    doc: IndexDoc
    score: float
    snippet: str = ""
    page: PageRef | None = None  # set when the snippet is from an attached file's page

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

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))
