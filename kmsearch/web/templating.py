"""Template globals and filters: labels for codes, links that keep the search, Markdown."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from flask import Flask, request, url_for
from markupsafe import Markup

from ..documents import IndexDoc
from ..filters import Filters
from ..languages import name as language_name
from ..records import CaseNote, Recommendation
from .auth import current_viewer
from .context import current_library
from .facets import active_filters, facet_groups, label
from .markdown import render_markdown

# (endpoint, label, prefix of the endpoints that belong to the entry)
NAVIGATION = (
    ("search.results", "Search", "search.results"),
    ("browse.good_practices", "Good practices", "browse.good_practices"),
    ("recommendations.index", "Recommendations", "recommendations."),
    ("browse.nexus_index", "Nexus areas", "browse.nexus"),
    ("browse.sdg_index", "SDGs", "browse.sdg"),
    ("browse.division_index", "Divisions", "browse.division"),
    ("partners.index", "Partners", "partners."),
    ("proposals.propose", "Propose a partnership", "proposals.propose"),
)


def register_template_helpers(app: Flask) -> None:
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.globals.update(
        NAVIGATION=NAVIGATION,
        page_url=page_url,
        current_viewer=current_viewer,
        section=section,
        facet_groups=facet_groups,
        filter_chips=filter_chips,
    )
    app.jinja_env.filters.update(
        markdown=render_markdown,
        paragraphs=paragraphs,
        label=label,
        years=years,
        short=short,
        long_date=long_date,
        rec_title=rec_title,
        language_name=language_name,
    )

    @app.context_processor
    def taxonomy() -> dict[str, Any]:
        return {"taxonomy": current_library().taxonomy}


def page_url(**params: Any) -> str:
    """This page's address with ``params`` as its query string (path arguments kept)."""
    return url_for(request.endpoint or "search.home", **(request.view_args or {}), **params)


def filter_chips(filters: Filters, fixed: str | None = None) -> list[tuple[str, Filters]]:
    return active_filters(filters, current_library().taxonomy, fixed)


def section() -> str:
    """The navigation entry the current page belongs to, for ``aria-current``."""
    endpoint = request.endpoint or ""
    return next((entry for entry, _, prefix in NAVIGATION if endpoint.startswith(prefix)), "")


def years(item: CaseNote | IndexDoc) -> str:
    """The years a note or a search document covers: "2019–2022", "2021" or "Since 2023"."""
    span = item.years
    if not span:
        return ""
    if span[0] == span[-1]:
        ongoing = item.status == "active" and getattr(item, "end_year", None) is None
        return f"Since {span[0]}" if ongoing else str(span[0])
    return f"{span[0]}\u2013{span[-1]}"


def paragraphs(text: str) -> Markup:
    """Plain text with blank-line breaks as escaped ``<p>`` paragraphs."""
    parts = [" ".join(part.split()) for part in re.split(r"\n\s*\n", text or "")]
    return Markup("\n").join(Markup("<p>{}</p>").format(part) for part in parts if part)


def short(text: str, limit: int = 160) -> str:
    """The first sentence of ``text`` whole when it fits in ``limit`` characters, else cut at the
    last word boundary before it with an ellipsis; never mid-word."""
    first = re.split(r"(?<=[.!?])\s", " ".join((text or "").split()), maxsplit=1)[0]
    if len(first) <= limit:
        return first
    head = first[:limit + 1].rsplit(" ", 1)[0] if " " in first[:limit + 1] else first[:limit]
    return head.rstrip(" ,;:(\u2013\u2014-") + "\u2026"


def long_date(value: str | date | None) -> str:
    """A date or ISO-8601 timestamp as people read it, "30 November 2026" (as the follow-up and
    report pages write dates); an unreadable value is shown as it is."""
    if not value:
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    return value.strftime("%-d %B %Y")


def rec_title(rec: Recommendation) -> str:
    return f"Recommendation {rec.number}"

