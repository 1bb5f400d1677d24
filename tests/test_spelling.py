"""'Did you mean' measured on the sample library: correct queries untouched, typos corrected."""

from pathlib import Path

import pytest

from kmsearch.documents import documents_for
from kmsearch.files.corpus import read_corpus
from kmsearch.index.keyword import KeywordIndex
from kmsearch.taxonomy import load_taxonomy

ROOT = Path(__file__).parents[1]
DATA = Path(__file__).parent / "data" / "spelling"
TAXONOMY = load_taxonomy(ROOT / "corpus" / "taxonomy.yaml")


def lines(name: str) -> list[str]:
    text = (DATA / name).read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


CORRECT = lines("correct.txt")
MISSPELT = [tuple(line.split("\t")) for line in lines("misspelt.tsv")]


@pytest.fixture(scope="module")
def library_index(tmp_path_factory) -> KeywordIndex:
    report = read_corpus(ROOT / "corpus" / "cases", taxonomy=TAXONOMY,
                         default_evaluation="private-sector-2021")
    assert report.notes and not report.problems
    index = KeywordIndex(tmp_path_factory.mktemp("spelling") / "keyword", TAXONOMY)
    index.rebuild(doc for _, note in report.notes for doc in documents_for(note))
    return index


def test_the_lists_are_large_enough():
    assert len(CORRECT) >= 100 and len(MISSPELT) >= 50


def test_no_correct_query_gets_a_suggestion(library_index):
    suggested = {text: library_index.search(text, limit=10).suggestion
                 for text in CORRECT}
    assert {text: s for text, s in suggested.items() if s} == {}


def test_every_real_misspelling_is_corrected(library_index):
    wrong = {}
    for typo, expected in MISSPELT:
        suggestion = library_index.search(typo, limit=10).suggestion
        if suggestion != expected:
            wrong[typo] = suggestion
    assert wrong == {}


def typos(a: str, b: str) -> int:
    """Optimal string alignment distance, the textbook dynamic programme."""
    d = [[i + j if not i * j else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1,
                          d[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


def test_words_within_edits_are_those_at_most_that_many_typos_away(library_index):
    snapshot = library_index._current()
    lexicon = [w.decode() for w in snapshot.searcher.reader().lexicon("spelling")]
    words = [typo for line, _ in MISSPELT for typo in line.casefold().split()]
    words += ["partnership", "x", "ünece", "zzzzzz", "alnoe"]
    for word in words:
        for edits in (1, 2):
            expected = {w for w in lexicon if w[:1] == word[:1] and typos(word, w) <= edits}
            assert snapshot.words_within("spelling", word, edits) == expected, (word, edits)
