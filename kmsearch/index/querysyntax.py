"""The keyword search language: user query strings and search filters as Whoosh queries.

Free text searches the stemmed text fields: any of the words may match, and documents that
match more of them rank higher (coordination), so a question in plain words finds its notes;
``"phrases"``, AND/OR/NOT, parentheses and wildcards work as usual. ``field:value`` restricts to
a facet, by code or display name, and is always required.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from whoosh import query
from whoosh.fields import ID, TEXT, Schema
from whoosh.qparser import FieldAliasPlugin, MultifieldParser, OrGroup, SingleQuotePlugin

from ..languages import detect
from ..taxonomy import Taxonomy
from .language import LanguageAnalyzer, query_language

# Stop words and stemming in the text's language (English, French, Russian), accents folded;
# shared by indexing, parsing and spelling.
STEMMING = LanguageAnalyzer()
# BM25F field boosts, applied at query time so that tuning them needs no re-index.
FIELD_BOOSTS = {"title": 4.0, "summary": 2.0, "lessons": 2.0, "body": 1.0, "partners": 0.7,
                "attachments": 0.5}
TEXT_FIELDS = tuple(FIELD_BOOSTS)
_DIGITS = re.compile(r"[0-9]{1,9}")  # ASCII only: "²".isdigit() is true, int("²") fails
# Query field -> vocabulary its values are resolved in (None: a fixed, lowercase vocabulary).
QUERY_FILTERS = {
    "division": "divisions",
    "nexus": "nexus_areas",
    "sdg": "sdgs",
    "partnertype": "partner_types",
    "type": "partnership_types",
    "year": None,
    "status": None,
    "kind": None,
}
ALIASES = {
    "partners": ["partner"],
    "partnertype": ["partner_type"],
    "type": ["ptype", "partnership_type"],
}
DOCUMENT_TYPES = {"case": "case", "cases": "case", "lesson": "lesson", "lessons": "lesson"}
MAX_QUERY_CHARS = 1000
# Marks the implicit OR between free-text words; the scorer multiplies by the share matched.
COORDINATED = 1.0
MIN_WILDCARD_PREFIX = 3
_FIELD_PREFIX = re.compile(r"\b(\w+):")
_WORD = re.compile(r"\w+")
_OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE"}
# Characters that mean something to the query parser (fields, phrases, wildcards, boosts,
# fuzziness, ranges, escapes) and a leading + or -; text without them is plain words.
_SYNTAX = re.compile(r"[:\"*?^~\[\]{}\\]|(?:^|\s)[+-]")
_PLAIN_WORD = re.compile(r"[^\s()]+")  # a word as the parser sees it: parentheses group


# Fields a user may type as ``name:value``; a clause on one of them restricts, it does not rank.
RESTRICTING = {*QUERY_FILTERS, "ptype", "partners", "title", "partnertype"}


@dataclass(frozen=True)
class QueryParts:
    """A query string split into what ranks (free text) and what restricts (typed filters).

    ``restriction`` is applied as a filter in every search arm; ``words`` is the free text the
    semantic arm embeds; ``searchable`` says whether any free-text word is left to rank by;
    ``notes`` say why parts of the query could not be searched.
    """

    restriction: query.Query | None
    words: str
    searchable: bool
    notes: tuple[str, ...] = field(default=())
    text: str = ""  # the query less what cannot be searched, for the keyword arm


class QuerySyntax:
    """Parses query strings; values of fielded filters resolve through ``taxonomy`` when given."""

    def __init__(self, taxonomy: Taxonomy | None = None):
        self.taxonomy = taxonomy
        fields = {name: TEXT(analyzer=STEMMING) for name in TEXT_FIELDS}
        fields |= {name: ID() for name in QUERY_FILTERS}
        self.schema = Schema(**fields)
        self.parser = MultifieldParser(
            TEXT_FIELDS, self.schema, fieldboosts=FIELD_BOOSTS, group=OrGroup.factory(COORDINATED)
        )
        self.parser.remove_plugin_class(SingleQuotePlugin)
        self.parser.add_plugin(FieldAliasPlugin(ALIASES))
        known = set(self.schema.names()) | {a for names in ALIASES.values() for a in names}
        self._known_fields = known

    def parse(self, text: str) -> query.Query:
        """The query for ``text``; never raises: broken syntax falls back to the plain words."""
        token = query_language.set(detect(text))
        try:
            return self._parse(text)
        finally:
            query_language.reset(token)

    def _parse(self, text: str) -> query.Query:
        text = self.clip(text)
        if not _WORD.search(text):
            return query.Every()
        plain = self._plain_query(text)
        return plain if plain is not None else self._parsed(text)

    def _parsed(self, text: str) -> query.Query:
        """The query the parser makes of ``text``, its typed filters mapped and regrouped."""
        try:
            parsed = self.parser.parse(self._fold_field_names(text))
            if _has_errors(parsed):
                return self.plain_words(text)
            implicit = isinstance(parsed, query.Or) and parsed.scale is not None
            parsed = self._map_filters(parsed).normalize()
            if implicit:
                parsed = _coordinate(parsed)
        except Exception:  # noqa: BLE001 - any parser failure means: search the words instead
            return self.plain_words(text)
        return self.plain_words(text) if parsed is query.NullQuery else parsed

    def _plain_query(self, text: str) -> query.Query | None:
        """The parser's own query for text of plain words (a claim, a question without its
        question mark), built directly: the parser takes ~10 ms for 20 words, this ~0.3 ms.
        None when the text has any syntax, an operator or no searchable word."""
        if _SYNTAX.search(text):
            return None
        clauses, seen = [], set()
        for word in _PLAIN_WORD.finditer(text):
            if word.group() in _OPERATORS:
                return None
            stems = [token.text for token in STEMMING(word.group(), mode="query")]
            # like the parser, a word that is one stem keeps its place (for "did you mean")
            start, end = (word.start(), word.end()) if len(stems) == 1 else (None, None)
            for stem in stems:
                if stem not in seen:  # the parser's normalize() drops repeated words
                    seen.add(stem)
                    clauses.append(query.Or([_placed(query.Term(name, stem, boost=boost),
                                                     start, end)
                                             for name, boost in FIELD_BOOSTS.items()]))
        if len(clauses) > 1:
            return query.Or(clauses, scale=COORDINATED)
        return clauses[0] if clauses else None

    def split(self, text: str) -> QueryParts:
        """The typed filters of ``text`` apart from its free-text words, with notes on what
        could not be searched (stop words only, too short or leading wildcards)."""
        notes = _wildcard_notes(text)
        if notes:  # search the rest of the query, without the wildcards it cannot search
            text = _WILDCARD.sub(lambda m: " " if _unsearchable(m) else m.group(0), text)
        q = self.parse(text)
        conjuncts = list(q.subqueries) if isinstance(q, query.And) else [q]
        restricting = [c for c in conjuncts if _is_restriction(c)]
        ranking = [c for c in conjuncts if not _is_restriction(c)]
        restriction = None
        if restricting:
            restriction = restricting[0] if len(restricting) == 1 else query.And(restricting)
        searchable = any(_has_text(c) for c in ranking)
        words = _free_words(text, self._known_fields)
        if not searchable and not restricting and not notes and _WORD.search(text):
            notes.append("The query has no searchable words: words such as “the”, “and” or "
                         "“of” and punctuation are not searched. Add a more specific word.")
        return QueryParts(restriction, words if searchable else "", searchable, tuple(notes),
                          " ".join(text.split()))

    def plain_words(self, text: str) -> query.Query:
        """Every word of ``text`` in any text field, ignoring all syntax."""
        words = dict.fromkeys(w for w in _WORD.findall(self.clip(text)) if w not in _OPERATORS)
        clauses = []
        for word in words:
            stems = list(STEMMING(word, mode="query"))
            if stems:
                stem = stems[0].text
                clauses.append(
                    query.Or([query.Term(f, stem, boost=b) for f, b in FIELD_BOOSTS.items()])
                )
        if len(clauses) > 1:
            return query.Or(clauses, scale=COORDINATED)
        return clauses[0] if clauses else query.Every()

    @staticmethod
    def clip(text: str) -> str:
        """At most ``MAX_QUERY_CHARS`` characters, cut at a space: longer input is not a query."""
        text = text or ""
        if len(text) <= MAX_QUERY_CHARS:
            return text
        cut = text[:MAX_QUERY_CHARS]
        return cut.rsplit(None, 1)[0] if " " in cut else cut

    def _fold_field_names(self, text: str) -> str:
        def fold(match: re.Match) -> str:
            name = match.group(1).lower()
            return f"{name}:" if name in self._known_fields else match.group(0)

        return _FIELD_PREFIX.sub(fold, text)

    def _map_filters(self, q: query.Query) -> query.Query:
        """Rewrite fielded filter clauses onto the index's filter fields and codes."""
        fieldname = getattr(q, "fieldname", None)
        if fieldname in TEXT_FIELDS and isinstance(q, query.Wildcard | query.Prefix):
            return _guard_wildcard(q)
        if fieldname in TEXT_FIELDS and isinstance(q, query.TermRange):
            return query.NullQuery  # ranges of words are meaningless, and slow
        if fieldname not in QUERY_FILTERS:
            return q if q.is_leaf() else q.apply(self._map_filters)
        if isinstance(q, query.Term):
            return self._filter_term(fieldname, q.text)
        if isinstance(q, query.Phrase):
            return self._filter_term(fieldname, " ".join(q.words))
        if isinstance(q, query.TermRange) and fieldname == "year":
            start, end = _year_text(q.start), _year_text(q.end)
            return query.TermRange("year", start, end, q.startexcl, q.endexcl)
        if isinstance(q, query.Wildcard | query.Prefix):
            target = "ptype" if fieldname == "type" else fieldname
            return q.__class__(target, q.text.lower())
        return query.NullQuery

    def _filter_term(self, fieldname: str, value: str) -> query.Query:
        folded = " ".join(value.casefold().split())
        if fieldname == "type" and folded in DOCUMENT_TYPES:
            return query.Term("type", DOCUMENT_TYPES[folded])
        target = "ptype" if fieldname == "type" else fieldname
        if fieldname == "year":
            if not _DIGITS.fullmatch(folded):
                raise ValueError(f"year:{value} is not a year")
            return query.Term("year", _year_text(folded))
        if fieldname == "sdg":
            folded = folded.removeprefix("sdg").strip(" -:")
        vocabulary = QUERY_FILTERS[fieldname]
        if vocabulary and self.taxonomy is not None:
            term = self.taxonomy.vocabulary(vocabulary).resolve(folded)
            if term is not None:
                return query.Term(target, term.code)
        return query.Term(target, folded.replace(" ", "-") if fieldname == "kind" else folded)

    def spans(self, q: query.Query) -> dict[tuple[int, int], str]:
        """(start, end) in the query string -> stemmed word, for each free-text word sought."""
        found: dict[tuple[int, int], str] = {}
        for term in without_negations(q).leaves():
            start, end = getattr(term, "startchar", None), getattr(term, "endchar", None)
            if (isinstance(term, query.Term) and term.fieldname in TEXT_FIELDS
                    and start is not None and end is not None):
                found[(start, end)] = term.text
        return found


def _placed(term: query.Term, start: int | None, end: int | None) -> query.Term:
    term.startchar, term.endchar = start, end
    return term


def _leaf_fields(q: query.Query) -> set[str]:
    return {f for leaf in q.leaves() if (f := getattr(leaf, "fieldname", None))}


def _is_restriction(q: query.Query) -> bool:
    """A clause on typed fields only: ``division:x``, ``NOT status:y``, ``title:z``, ``partner:w``.

    A free word is searched in every text field at once, so a clause naming one text field was
    typed as ``field:value``.
    """
    names = _leaf_fields(q)
    if not names:
        return False
    text = names & set(TEXT_FIELDS)
    return names <= RESTRICTING and (not text or len(names) == 1)


def _has_text(q: query.Query) -> bool:
    """Whether a ranking clause can match any free-text word (stop words parse to nothing)."""
    if q is query.NullQuery or isinstance(q, query.Every | query.Not):
        return False
    return bool(_leaf_fields(without_negations(q)) & set(TEXT_FIELDS))


_WILDCARD = re.compile(r"(?<![\w:])(\w*)[*?][\w*?]*")


def _unsearchable(match: re.Match) -> bool:
    return len(match.group(1)) < MIN_WILDCARD_PREFIX


def _wildcard_notes(text: str) -> list[str]:
    notes = []
    for match in filter(_unsearchable, _WILDCARD.finditer(text)):
        literal = match.group(1)
        if not literal:
            notes.append(f"“{match.group(0)}” was not searched: a wildcard cannot start a "
                         "word; type at least the first three letters, as in “statist*”.")
        else:
            notes.append(f"“{match.group(0)}” was not searched: a wildcard needs at least "
                         f"{MIN_WILDCARD_PREFIX} letters before it, as in “statist*”.")
    return list(dict.fromkeys(notes))


_FIELDED = re.compile(r"\b(\w+):(\"[^\"]*\"|\[[^\]]*\]|\([^)]*\)|\S+)")


def _free_words(text: str, known: set[str]) -> str:
    """``text`` without its ``field:value`` clauses, operators and syntax characters."""
    def drop(match: re.Match) -> str:
        return " " if match.group(1).lower() in known else match.group(0)

    kept = _FIELDED.sub(drop, text)
    words = [w for w in re.findall(r"[\w'-]+", kept) if w not in _OPERATORS]
    return " ".join(words)


def _coordinate(q: query.Query) -> query.Query:
    """Regroup the words of an implicit OR: ``a b NOT c division:x division:z title:y`` is
    (a OR b, coordinated) AND NOT c AND (division:x OR division:z) AND title:y (typed filters
    are required), each word's fields kept together so coordination counts words."""
    if not isinstance(q, query.Or):
        return q
    facets: list[query.Query] = []
    by_field: dict[frozenset[str], list[query.Query]] = {}
    words: dict[object, list[query.Query]] = {}
    for child in q.subqueries:
        names = _leaf_fields(child)
        if isinstance(child, query.Not):
            facets.append(child)
        elif names and not names & set(TEXT_FIELDS):
            by_field.setdefault(frozenset(names), []).append(child)
        else:
            words.setdefault(_word_key(child), []).append(child)
    # values of one facet are alternatives, as in URL filters; normalize() has also merged
    # a parenthesised ``(division:a OR division:b)`` into this OR, which this restores
    facets += [group[0] if len(group) == 1 else query.Or(group) for group in by_field.values()]
    clauses = []
    for group in words.values():
        if len(group) == 1 and len(TEXT_FIELDS) > 1 and _is_restriction(group[0]):
            facets.append(group[0])  # one text field only: typed as ``title:y``
        else:
            clauses.append(group[0] if len(group) == 1 else query.Or(group))
    if len(clauses) > 1:
        facets.append(query.Or(clauses, boost=q.boost, scale=COORDINATED))
    elif clauses:
        facets.append(clauses[0])
    return facets[0] if len(facets) == 1 else query.And(facets)


def _word_key(q: query.Query) -> object:
    """What the clauses the parser made for one word (one per text field) have in common."""
    if isinstance(q, query.Phrase):
        return ("phrase", tuple(q.words))
    if isinstance(q, query.Term | query.Prefix | query.Wildcard):
        return (type(q).__name__, q.text, getattr(q, "startchar", None))
    return id(q)


def without_negations(q: query.Query) -> query.Query:
    """``q`` with its NOT clauses dropped: what the user is looking for, to highlight or correct."""
    if isinstance(q, query.Not):
        return query.NullQuery
    if isinstance(q, query.AndNot):
        return without_negations(q.a)
    return q if q.is_leaf() else q.apply(without_negations)


def _has_errors(q: query.Query) -> bool:
    """Whoosh marks clauses it could not parse with an ``error`` attribute instead of raising."""
    return getattr(q, "error", None) is not None or any(_has_errors(c) for c in q.children())


def _guard_wildcard(q: query.Query) -> query.Query:
    """A wildcard needs a few literal characters first, or it expands to most of the vocabulary."""
    literal = re.split(r"[*?]", q.text, maxsplit=1)[0]
    if len(literal) >= MIN_WILDCARD_PREFIX:
        return q
    return query.Term(q.fieldname, literal) if literal else query.NullQuery


def _year_text(value: object) -> str | None:
    """Years as four digits, so that term ranges order them correctly."""
    if value is None or value == "":
        return None
    if not _DIGITS.fullmatch(str(value)):
        raise ValueError(f"{value!r} is not a year")
    return f"{int(value):04d}"
