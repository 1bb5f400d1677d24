"""Render a case note's Markdown body to safe HTML: markdown-it-py, then an nh3 allow-list."""

from __future__ import annotations

from functools import cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

ALLOWED_TAGS = {
    "a", "abbr", "blockquote", "br", "code", "del", "em", "h2", "h3", "h4", "h5", "h6", "hr",
    "li", "ol", "p", "pre", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "abbr": {"title"}}
URL_SCHEMES = {"http", "https", "mailto"}


@cache
def _parser() -> MarkdownIt:
    # Images are left as plain links: remote images would track readers and break a strict CSP.
    return MarkdownIt("commonmark", {"html": False}).enable("table").disable("image")


def render_markdown(text: str, top_level: int = 2) -> Markup:
    """Sanitised HTML for ``text``, headings renumbered from ``<h{top_level}>`` without gaps.

    Raw HTML is escaped by the parser and the result is cleaned again: no scripts, no event
    handlers, no ``javascript:`` links; links get ``rel="noopener nofollow"``.
    """
    md = _parser()
    tokens = md.parse(text or "")
    headings = [t for t in tokens if t.type in ("heading_open", "heading_close")]
    levels = sorted({t.tag for t in headings})
    for token in headings:
        token.tag = f"h{min(6, top_level + levels.index(token.tag))}"
    html = md.renderer.render(tokens, md.options, {})
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener nofollow",
    )
    return Markup(clean)
