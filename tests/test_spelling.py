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
