"""Channelling a proposal (recommendation 7): the lead division and nexus areas it most likely
belongs to, each with its reasons, from the similar past case notes (hybrid search: keyword and
embeddings) and the link-suggestion machinery; plus those notes' lessons, pitfalls first."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..access import Viewer
from ..errors import NotFound
from ..filters import Filters
from ..records import Lesson
from ..store.cases import StoredCase
from ..taxonomy import Taxonomy
from .request import SearchRequest
from .results import Hit

if TYPE_CHECKING:
    from .service import SearchService

GetCase = Callable[[str, Viewer], StoredCase]

SIMILAR = 8  # past case notes that vote
LESSON_ORDER = {"pitfall": 0, "lesson": 1, "good-practice": 2}


@dataclass
class Suggestion:
    """A division or nexus area, its score (0-1, the suggestions of a kind sum to about 1) and
    why it was suggested."""

    code: str
    label: str
    score: float
    reasons: list[str] = field(default_factory=list)


@dataclass
class Channelling:
    divisions: list[Suggestion]
    nexus_areas: list[Suggestion]
    similar: list[Hit]
    lessons: list[tuple[Lesson, StoredCase]]


def channel(search: SearchService, taxonomy: Taxonomy, get_case: GetCase, text: str,
            viewer: Viewer, k: int = SIMILAR) -> Channelling:
    """Suggest where a text (a proposal) belongs, from the case notes the viewer may see."""
    request = SearchRequest(text[: search.settings.max_query_length], "hybrid",
                            Filters(type=("case",)), per_page=k, like=True, group=False)
    hits = search.search(request, viewer).hits
    votes: dict[str, float] = defaultdict(float)
    voters: dict[str, list[str]] = defaultdict(list)
    nexus_votes: dict[str, float] = defaultdict(float)
    nexus_voters: dict[str, list[str]] = defaultdict(list)
    for rank, hit in enumerate(hits):
        weight = 1.0 / (rank + 1)
        votes[hit.doc.division] += weight
        voters[hit.doc.division].append(hit.doc.title)
        for code in hit.doc.nexus_areas:
            nexus_votes[code] += weight / len(hit.doc.nexus_areas)
            nexus_voters[code].append(hit.doc.title)
    total = sum(votes.values()) or 1.0
    divisions = [
        Suggestion(code, taxonomy.divisions.name_of(code), round(score / total, 3),
                   [f"{len(voters[code])} of the {len(hits)} most similar case notes: "
                    + "; ".join(voters[code][:3])])
        for code, score in sorted(votes.items(), key=lambda item: -item[1])
    ]
    links = search.suggest_links(text, viewer, k=len(taxonomy.nexus_areas))
    described = {s.code: max(s.score, 0.0) for s in links.nexus_areas}
    top = max(described.values(), default=0.0) or 1.0
    nexus_total = sum(nexus_votes.values()) or 1.0
    nexus = []
    for term in taxonomy.nexus_areas:
        by_text = described.get(term.code, 0.0) / top
        by_cases = nexus_votes.get(term.code, 0.0) / nexus_total
        reasons = [f"the text is close to the area's description (similarity "
                   f"{described.get(term.code, 0.0):.2f})"]
        if nexus_voters.get(term.code):
            reasons.append("similar case notes in this area: "
                           + "; ".join(nexus_voters[term.code][:3]))
        nexus.append(Suggestion(term.code, term.name, round((by_text + by_cases) / 2, 3),
                                reasons))
    nexus.sort(key=lambda s: -s.score)
    return Channelling(divisions, nexus, hits, _lessons(get_case, hits, viewer))


def _lessons(get_case: GetCase, hits: list[Hit], viewer: Viewer
             ) -> list[tuple[Lesson, StoredCase]]:
    found = []
    for hit in hits[:5]:
        try:
            stored = get_case(hit.doc.case_id, viewer)
        except NotFound:
            continue
        found.extend((lesson, stored) for lesson in stored.note.lessons)
    return sorted(found, key=lambda item: LESSON_ORDER.get(item[0].kind, 3))[:8]
