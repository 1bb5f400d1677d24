"""Posting lists read a block at a time, and exact phrases matched from word positions, agree
with Whoosh's own matchers."""

import random
import re
from pathlib import Path

import numpy as np
import pytest
from whoosh import query

from kmsearch.documents import documents_for
from kmsearch.files.corpus import read_corpus
from kmsearch.index import postinglists
from kmsearch.index.keyword import KeywordIndex
from kmsearch.index.querysyntax import TEXT_FIELDS
from kmsearch.records import CaseNote
from kmsearch.taxonomy import load_taxonomy

ROOT = Path(__file__).parents[1]
TAXONOMY = load_taxonomy(ROOT / "corpus" / "taxonomy.yaml")


@pytest.fixture(scope="module")
def notes():
    report = read_corpus(ROOT / "corpus" / "cases", taxonomy=TAXONOMY,
                         default_evaluation="private-sector-2021")
    assert report.notes and not report.problems
    return [note for _, note in report.notes]


@pytest.fixture(scope="module")
def index(tmp_path_factory, notes) -> KeywordIndex:
    """The sample library in several segments, with deleted documents among them."""
    index = KeywordIndex(tmp_path_factory.mktemp("phrases") / "keyword", TAXONOMY)
    index.rebuild(doc for note in notes[:-4] for doc in documents_for(note))
    for note in notes[-4:]:
        index.upsert(documents_for(note))
    index.upsert(documents_for(notes[0]))  # again: its earlier documents are deleted
    index.delete_case(notes[1].id)
    return index


def phrases(notes, rng: random.Random, count: int) -> list[str]:
    """Runs of two to four words from the notes' texts, and pairs of words that are not."""
    words = [w for note in notes for w in re.findall(r"[A-Za-z][A-Za-z'-]+", note.body)]
    found = []
    for _ in range(count):
        start = rng.randrange(len(words) - 4)
        found.append(" ".join(words[start:start + rng.randint(2, 4)]))
        found.append(f"{rng.choice(words)} {rng.choice(words)}")
    return found


def test_phrases_match_the_documents_and_scores_of_whooshs_matchers(index, notes):
    snapshot = index._current()
    assert len(snapshot.leaves) > 1 and not snapshot.live.all()
    matched = checked = 0
    for text in phrases(notes, random.Random(4), 150):
        q = index.parse_query(f'"{text}"')  # stop words aside, one word left is no phrase
        for phrase in (leaf for leaf in q.leaves() if isinstance(leaf, query.Phrase)):
            checked += 1
            assert snapshot._positional(phrase.fieldname)  # matched from positions, not Whoosh
            mask, scores = snapshot.evaluate(phrase)
            expected, expected_scores = snapshot._by_whoosh(phrase)
            expected &= snapshot.live
            assert mask.tolist() == expected.tolist(), (text, phrase.fieldname)
            assert np.allclose(scores[mask], expected_scores[mask]), text
            matched += int(mask.sum())
    assert checked > 500 and matched > 150  # the runs from the texts were found


def test_a_phrase_in_every_field_finds_the_note_that_has_it(index, notes):
    note = notes[2]
    words = re.findall(r"[A-Za-z]+", note.title)[:3]
    q = index.parse_query('"' + " ".join(words) + '"')
    assert {leaf.fieldname for leaf in q.leaves() if isinstance(leaf, query.Phrase)} <= set(
        TEXT_FIELDS)
    assert f"case:{note.id}" in {h.key for h in index.search('"' + " ".join(words) + '"').hits}


def test_posting_lists_read_by_blocks_are_those_whooshs_matcher_walks(index):
    snapshot = index._current()
    checked = 0
    for leaf, _, _ in snapshot.leaves:
        deleted = set(leaf.deleted_docs_set)
        for fieldname in ("body", "title", "lessons"):
            for btext, _ in leaf.iter_field(fieldname):
                ids, weights = postinglists.postings(leaf, fieldname, btext)
                keep = [i for i, d in enumerate(ids.tolist()) if d not in deleted]
                matcher = leaf.postings(fieldname, btext)
                walked = []
                while matcher.is_active():
                    walked.append((matcher.id(), matcher.weight()))
                    matcher.next()
                pairs = zip(ids[keep].tolist(), weights[keep].tolist(), strict=True)
                assert list(pairs) == walked
                checked += 1
    assert checked > 1000


def test_long_posting_lists_over_many_blocks_and_segments(tmp_path):
    """Whoosh stores 128 postings a block: lists of 400 span four, in two segments."""
    index = KeywordIndex(tmp_path / "keyword", TAXONOMY)
    rng = random.Random(8)
    notes = []
    for number in range(400):
        words = ["harbour", "cranes", "loading", "berths", "tariffs"]
        rng.shuffle(words)
        notes.append(CaseNote(id=f"port-{number}", title=f"Port note {number}", division="trade",
                              visibility="public", summary="Ports.", body=" ".join(words)))
    index.rebuild(doc for note in notes[:300] for doc in documents_for(note))
    for note in notes[300:]:
        index.upsert(documents_for(note))
    index.delete_case("port-7")
    snapshot = index._current()
    leaf, _, _ = max(snapshot.leaves, key=lambda entry: entry[0].doc_count_all())
    btext = b"harbour"
    ids, _ = postinglists.postings(leaf, "body", btext)
    assert len(ids) > 256 and ids.tolist() == sorted(ids.tolist())
    matcher = leaf.postings("body", btext)
    matcher = getattr(matcher, "child", matcher)  # read by blocks, not one posting at a time
    assert all(hasattr(matcher, name) for name in postinglists._BLOCK_API)
    for text in ('"harbour cranes"', '"loading berths tariffs"', '"cranes harbour"'):
        for phrase in (p for p in index.parse_query(text).leaves() if isinstance(p, query.Phrase)):
            mask, _ = snapshot.evaluate(phrase)
            expected = snapshot._by_whoosh(phrase)[0] & snapshot.live
            assert mask.tolist() == expected.tolist()
            if phrase.fieldname == "body":
                assert 0 < mask.sum() < 400
