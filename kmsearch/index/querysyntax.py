"""The keyword search language: user query strings and search filters as Whoosh queries.

Free text searches the stemmed text fields: any of the words may match, and documents that
match more of them rank higher (coordination), so a question in plain words finds its notes;
``"phrases"``, AND/OR/NOT, parentheses and wildcards work as usual. ``field:value`` restricts to
a facet, by code or display name, and is always required.
"""

from __future__ import annotations

import re

from whoosh import query
from whoosh.analysis import StemmingAnalyzer
from whoosh.fields import ID, TEXT, Schema
from whoosh.qparser import FieldAliasPlugin, MultifieldParser, OrGroup, SingleQuotePlugin

from ..access import Viewer
from ..filters import YEAR_RANGE, Filters
from ..taxonomy import Taxonomy

# English Porter stemming and stop words, shared by indexing, parsing and highlighting.
STEMMING = StemmingAnalyzer()
# BM25F field boosts, applied at query time so that tuning them needs no re-index.
FIELD_BOOSTS = {"title": 4.0, "summary": 2.0, "lessons": 2.0, "body": 1.0, "partners": 0.7}
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
        text = self.clip(text)
        if not _WORD.search(text):
            return query.Every()
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


def _coordinate(q: query.Query) -> query.Query:
    """Regroup the words of an implicit OR: ``a b NOT c division:x`` is (a OR b, coordinated)
    AND NOT c AND division:x, each word's fields kept together so coordination counts words."""
    if not isinstance(q, query.Or):
        return q
    facets: list[query.Query] = []
    words: dict[object, list[query.Query]] = {}
    for child in q.subqueries:
        if _is_facet_clause(child) or isinstance(child, query.Not):
            facets.append(child)
            continue
        same_word = isinstance(child, query.Term) and child.fieldname in TEXT_FIELDS
        words.setdefault(child.text if same_word else id(child), []).append(child)
    clauses = [group[0] if len(group) == 1 else query.Or(group) for group in words.values()]
    if len(clauses) > 1:
        facets.append(query.Or(clauses, boost=q.boost, scale=COORDINATED))
    elif clauses:
        facets.append(clauses[0])
    return facets[0] if len(facets) == 1 else query.And(facets)


def _is_facet_clause(q: query.Query) -> bool:
    names = {name for name, _ in q.iter_all_terms()}
    return bool(names) and not names & set(TEXT_FIELDS)


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


def filter_query(
    filters: Filters, viewer: Viewer, states: tuple[str, ...] = ("published",)
) -> query.Query:
    """Exactly the documents that pass ``filters.matches`` and ``access.can_see`` for ``viewer``."""
    clauses = [_visible_to(viewer), _any("state", states)]
    facets = {
        "division": filters.division,
        "nexus": filters.nexus,
        "sdg": filters.sdg,
        "ptype": filters.partnership_type,
        "partnertype": filters.partner_type,
        "status": filters.status,
        "kind": filters.kind,
        "type": filters.type,
    }
    clauses += [_any(field, values) for field, values in facets.items() if values]
    if filters.good_practice:
        clauses.append(query.Term("good_practice", "true"))
    if filters.year_from is not None or filters.year_to is not None:
        low = filters.year_from if filters.year_from is not None else YEAR_RANGE[0]
        high = filters.year_to if filters.year_to is not None else YEAR_RANGE[1]
        clauses.append(query.TermRange("year", _year_text(low), _year_text(high)))
    return query.And(clauses)


def _visible_to(viewer: Viewer) -> query.Query:
    """The index form of ``access.can_see``."""
    allowed: list[query.Query] = [query.Term("visibility", "public")]
    if viewer.signed_in:
        allowed.append(query.Term("visibility", "internal"))
        if viewer.sees_all_restricted:
            allowed.append(query.Term("visibility", "restricted"))
        elif "contributor" in viewer.roles and viewer.divisions:
            allowed.append(
                query.And([query.Term("visibility", "restricted"),
                           _any("division", viewer.divisions)])
            )
    return query.Or(allowed)


def _any(fieldname: str, values) -> query.Query:
    if not values:
        return query.NullQuery
    return query.Or([query.Term(fieldname, str(value)) for value in values])
