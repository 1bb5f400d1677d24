"""Plain-word queries are built without the query parser: the query must be the parser's own."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from kmsearch.index.language import query_language
from kmsearch.index.querysyntax import QuerySyntax
from kmsearch.languages import detect

SYNTAX = QuerySyntax()
WORDS = ["cells", "cell", "the", "of", "data", "sharing", "non-smokers", "iPSC-derived", "1,000",
         "5%", "(AMPK)", "25(OH)D", "UK", "Çukurova", "Güleryüz", "железнодорожных", "données",
         "transport", "l'eau", "it's", "a", "e.g.", "1.5", "x", "IL-10", "Velox", "and", "or",
         "(a", "b)", "()", "ÉTÉ", "ﬁnance", "２０２１", "ǅ", "co2", "CO₂", "—", "...", "'", "’s"]


def both(text: str):
    token = query_language.set(detect(text))
    try:
        return SYNTAX._plain_query(text), SYNTAX._parsed(text)
    finally:
        query_language.reset(token)


def places(q):
    return [(leaf.fieldname, leaf.text, leaf.startchar, leaf.endchar) for leaf in q.leaves()]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(WORDS) | st.text(alphabet="abcdeéЖж019-,.'() ", max_size=8),
                min_size=1, max_size=12))
def test_plain_words_make_the_query_the_parser_makes(words):
    text = " ".join(words)
    plain, parsed = both(text)
    if plain is not None:
        assert plain == parsed, text
        assert places(plain) == places(parsed), text  # "did you mean" corrects by place


def test_claims_take_the_plain_path_and_syntax_does_not():
    for text in ["Auditory entrainment is strengthened when people see congruent information.",
                 "AMP-activated protein kinase (AMPK) activation increases fibrosis",
                 "железнодорожных перевозок", "données ouvertes"]:
        plain, parsed = both(text)
        assert plain is not None and plain == parsed, text
        assert places(plain) == places(parsed), text
    for text in ['"due diligence"', "division:transport water", "water AND energy", "wat*",
                 "what is smart?", "water^2", "-energy water", "title:water", "the and of"]:
        assert both(text)[0] is None, text
