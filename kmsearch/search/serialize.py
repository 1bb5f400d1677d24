"""Search results as JSON-ready dictionaries: one shape for the JSON API and ``kmsearch search``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from .results import Hit, SearchResults

UrlFor = Callable[[str, str], str]  # (document type, id) -> URL


def plain_url(kind: str, item_id: str) -> str:
    """The site-relative URL of a case note or lesson page."""
    return f"/lessons/{item_id}" if kind == "lesson" else f"/cases/{item_id}"


def search_json(results: SearchResults, url: UrlFor = plain_url) -> dict[str, Any]:
    """The whole answer: counts, hits (grouped unless asked not to), facets, notes."""
    return {
        "query": results.query, "mode": results.mode, "sort": results.sort,
        "total": results.total, "page": results.page, "per_page": results.per_page,
        "pages": results.pages,
        "grouped": results.grouped,
        "hits": [hit_json(hit, url) for hit in results.hits],
        "facets": {name: [asdict(v) for v in values] for name, values in results.facets.items()},
        "suggestion": results.suggestion,
        "notes": results.notes,
        "shortened": results.shortened,
    }


def hit_json(hit: Hit, url: UrlFor = plain_url) -> dict[str, Any]:
    """One hit; a case's matching lessons (when grouped) under ``lessons``."""
    found = _doc_json(hit, url)
    if hit.lessons or hit.lesson_count:
        found["lessons"] = [_doc_json(lesson, url) for lesson in hit.lessons]
        found["lesson_count"] = hit.lesson_count
    return found


def _doc_json(hit: Hit, url: UrlFor) -> dict[str, Any]:
    doc = hit.doc
    return {
        "id": doc.id, "type": doc.type, "title": doc.title, "score": round(hit.score, 6),
        "snippet": hit.snippet, "url": url(doc.type, doc.id), "case_id": doc.case_id,
        "kind": doc.kind or None, "division": doc.division, "status": doc.status,
        "years": doc.years, "nexus_areas": doc.nexus_areas, "sdgs": doc.sdgs,
        "good_practice": doc.good_practice,
    }
