"""Highlighted passages for keyword hits: HTML-escaped text with the matched words in <mark>.

Whoosh's highlighter runs every word of a note through its analyzer chain (about 0.7 ms a
hit). Here one regex finds the words that could stem to a query word (a Porter stem minus its
last letter begins the word), and only those are stemmed: the same marks, many times faster.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from html import escape

from .language import stem

SNIPPET_FIELDS = ("summary", "lessons", "body")
SNIPPET_CHARS = 260
LEAD_CHARS = 50
SCANNED_CHARS = 2**15  # like Whoosh's highlighter, look for matches in the first 32K only
# a token of whoosh.analysis.RegexTokenizer (which the stemming analyzer uses) starting with
# one of the given prefixes, found only where that tokenizer starts a token
_CANDIDATE = r"(?<!\w)(?<!\w\.)(?=(?i:{prefixes}))\w+(?:\.?\w+)*"
_HEADING = re.compile(r"^[ \t]{0,3}#{1,6}[ \t]*([^\n]*)", re.M)
_LIST_ITEM = re.compile(r"^[ \t]*(?:[-*+]|\d{1,3}[.)])[ \t]+(?:\[[ xX]\][ \t]+)?([^\n]*)", re.M)
_QUOTE = re.compile(r"^[ \t]{0,3}>[ \t]?", re.M)
_RULE = re.compile(r"^[ \t]*[-*_|:][-*_|: \t]{2,}$", re.M)  # rules, and a table's header rule
_LINK = re.compile(r"!?\[([^\]\n]*)\]\([^)\n]*\)")
_EMPHASIS = re.compile(r"(\*\*|__|\*|~~)(?=\S)([^\n]+?)(?<=\S)\1")
_UNDERSCORE = re.compile(r"(?<!\w)_(?=\S)([^\n]+?)(?<=\S)_(?!\w)")
_CODE = re.compile(r"`+([^`\n]*)`+")


@lru_cache(maxsize=100_000)
def _stem(word: str) -> str:
    return stem(word.lower())


@lru_cache(maxsize=256)
def _candidates(stems: frozenset[str]) -> re.Pattern:
    prefixes = sorted({re.escape(stem[:-1] or stem) for stem in stems}, key=len, reverse=True)
    return re.compile(_CANDIDATE.format(prefixes="|".join(prefixes)))


@lru_cache(maxsize=2048)
def plain_text(markdown: str) -> str:
    """Markdown as the words a reader sees: no list dashes, heading hashes, emphasis stars,
    link syntax, quote marks or table rules; a list item ends with "; " unless punctuated."""
    text = _RULE.sub("", markdown)
    if "#" in text:
        text = _HEADING.sub(lambda m: m.group(1).rstrip(" \t#"), text)
    text = _LIST_ITEM.sub(_item, text)
    if ">" in text:
        text = _QUOTE.sub("", text)
    if "](" in text:
        text = _LINK.sub(r"\1", text)
    if "`" in text:
        text = _CODE.sub(r"\1", text)
    if "*" in text or "~" in text or "__" in text:
        text = _EMPHASIS.sub(r"\2", text)
    if "_" in text:
        text = _UNDERSCORE.sub(r"\1", text)
    return text.replace("|", " ")


def _item(match: re.Match) -> str:
    item = match.group(1).rstrip()
    return item + ("" if item[-1:] in ".!?:;," else ";")


def shorten(text: str, limit: int = SNIPPET_CHARS) -> str:
    """Plain ``text`` cut at a word near ``limit`` characters, HTML-escaped."""
    text = " ".join(plain_text(text).split())
    if len(text) > limit:
        text = text[:limit].rsplit(" ", 1)[0].rstrip(",.;:") + " …"
    return escape(text, quote=False)


def snippet(stored: dict, terms: dict[str, set[str]]) -> str:
    """The passage with the most distinct query words, from the summary first, marked.

    ``terms`` maps a field to its stemmed query words. Falls back to the start of the summary
    (or of the lesson) when no word matches, so that a hit always shows some text.
    """
    best: tuple[tuple[int, int, int], str, list[re.Match]] | None = None
    for order, fieldname in enumerate(SNIPPET_FIELDS):
        words = terms.get(fieldname)
        text = plain_text(stored.get(fieldname) or "")
        if not words or not text:
            continue
        candidates = _candidates(frozenset(words)).finditer(text, 0, SCANNED_CHARS)
        matches = [m for m in candidates if _stem(m.group()) in words]
        if matches:
            (distinct, count), window = _best_window(matches)
            candidate = ((distinct, -order, count), text, window)
            if best is None or candidate[0] > best[0]:
                best = candidate
    if best is None:
        return opening(stored)
    _, text, window = best
    return _marked(text, window)


def _best_window(matches: list[re.Match]) -> tuple[tuple[int, int], list[re.Match]]:
    """The run of matches that fits in one snippet with the most distinct words, then most words."""
    stems = [_stem(m.group()) for m in matches]
    inside: Counter[str] = Counter()
    best_rank, best = (0, 0), (0, 0)
    end = -1  # the window is matches[start:end + 1]
    for start in range(len(matches)):
        limit = matches[start].start() + SNIPPET_CHARS - LEAD_CHARS
        while end + 1 < len(matches) and (end < start or matches[end + 1].end() <= limit):
            end += 1
            inside[stems[end]] += 1
        rank = (len(inside), end - start + 1)
        if rank > best_rank:
            best_rank, best = rank, (start, end)
        inside[stems[start]] -= 1
        if not inside[stems[start]]:
            del inside[stems[start]]
    return best_rank, matches[best[0]:best[1] + 1]


def _marked(text: str, window: list[re.Match]) -> str:
    """The snippet around ``window``: escaped text, matches in <mark>, cut at word boundaries."""
    start = max(0, window[0].start() - LEAD_CHARS)
    end = min(len(text), start + SNIPPET_CHARS)
    if start > 0:
        start = min(_word_boundary(text, start, forward=True), window[0].start())
    if end < len(text):
        end = max(_word_boundary(text, end, forward=False), window[-1].end())
    parts = ["… " if start > 0 else ""]
    position = start
    for match in window:
        parts.append(escape(text[position:match.start()], quote=False))
        parts.append(f"<mark>{escape(match.group(), quote=False)}</mark>")
        position = match.end()
    parts.append(escape(text[position:end], quote=False))
    parts.append(" …" if end < len(text) else "")
    return " ".join("".join(parts).split())


def _word_boundary(text: str, index: int, forward: bool) -> int:
    """The nearest space at or after (or before) ``index``, so no word is cut in half."""
    found = text.find(" ", index) if forward else text.rfind(" ", 0, index)
    return index if found == -1 else found + (1 if forward else 0)


def opening(stored: dict) -> str:
    """The escaped start of the summary, lesson or body, cut at a word near ``SNIPPET_CHARS``."""
    return shorten(next((stored[f] for f in SNIPPET_FIELDS if stored.get(f)), ""))
