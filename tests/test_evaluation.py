import math
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from kmsearch.errors import ValidationError
from kmsearch.search.evaluation import (
    METRICS,
    BeirCollection,
    evaluate,
    load_beir,
    mrr_at_k,
    ndcg_at_k,
    recall_at_k,
)

BEIR_TINY = Path(__file__).parent / "data" / "beir-tiny"
SYNONYM_QUERIES = ("q1", "q2", "q3", "q4")  # words absent from their relevant documents
CODE_QUERIES = ("q5", "q7")  # a regulation number and an indicator code among look-alikes


def only(collection: BeirCollection, query_ids: tuple[str, ...]) -> BeirCollection:
    return replace(
        collection,
        queries={q: collection.queries[q] for q in query_ids},
        qrels={q: collection.qrels[q] for q in query_ids},
    )


def copy_of_tiny(tmp_path: Path) -> Path:
    return Path(shutil.copytree(BEIR_TINY, tmp_path / "beir"))


def test_ndcg_of_relevant_documents_at_ranks_one_and_three():
    dcg = 1 + 1 / math.log2(4)
    ideal = 1 + 1 / math.log2(3)
    assert ndcg_at_k(["a", "x", "b"], {"a": 1, "b": 1}) == pytest.approx(dcg / ideal)
    assert ndcg_at_k(["a", "x", "b"], {"a": 1, "b": 1}) == pytest.approx(0.9197, abs=1e-4)


def test_ndcg_uses_graded_relevance_as_gain():
    judged = {"a": 2, "b": 1}
    assert ndcg_at_k(["a", "b"], judged) == pytest.approx(1.0)
    dcg = 1 + 2 / math.log2(3)
    ideal = 2 + 1 / math.log2(3)
    assert ndcg_at_k(["b", "a"], judged) == pytest.approx(dcg / ideal)


def test_ndcg_is_zero_without_relevant_documents_in_the_top_k():
    assert ndcg_at_k(["x", "y"], {"a": 1}) == 0.0
    assert ndcg_at_k([f"x{i}" for i in range(10)] + ["a"], {"a": 1}, k=10) == 0.0
    assert ndcg_at_k(["a"], {"a": 0}) == 0.0
    assert ndcg_at_k([], {"a": 1}) == 0.0


def test_ndcg_ideal_ranking_is_cut_at_k():
    judged = {"a": 1, "b": 1, "c": 1}
    assert ndcg_at_k(["a", "b"], judged, k=2) == pytest.approx(1.0)


def test_recall_counts_relevant_documents_in_the_top_k():
    judged = {"a": 2, "b": 1, "c": 1, "z": 0}
    assert recall_at_k(["a", "x", "c", "z"], judged) == pytest.approx(2 / 3)
    assert recall_at_k(["a", "x", "c"], judged, k=1) == pytest.approx(1 / 3)
    assert recall_at_k(["x", "y"], judged) == 0.0
    assert recall_at_k(["z"], {"z": 0}) == 0.0


def test_mrr_is_the_reciprocal_rank_of_the_first_relevant_document():
    assert mrr_at_k(["a", "x", "b"], {"a": 1, "b": 2}) == 1.0
    assert mrr_at_k(["z", "x", "b"], {"z": 0, "b": 1}) == pytest.approx(1 / 3)
    assert mrr_at_k(["x", "y"], {"a": 1}) == 0.0
    assert mrr_at_k([f"x{i}" for i in range(10)] + ["a"], {"a": 1}, k=10) == 0.0


def test_load_beir_reads_documents_queries_and_graded_judgements():
    collection = load_beir(BEIR_TINY)
    assert len(collection.docs) == 39
    first = collection.docs[0]
    assert (first.id, first.title) == ("v1", "Passenger vehicle collision tests")
    assert collection.queries["q6"] == "DEHAM"
    assert collection.qrels["q1"] == {"v1": 2, "v5": 1}
    assert collection.qrels["q9"]["t8"] == 0


def test_load_beir_keeps_only_queries_with_a_relevant_document():
    collection = load_beir(BEIR_TINY)
    assert "q11" not in collection.queries  # judged, but only with score 0
    assert set(collection.queries) == set(collection.qrels)
    assert len(collection.queries) == 10


def test_load_beir_names_file_and_line_of_a_malformed_line(tmp_path):
    folder = copy_of_tiny(tmp_path)
    corpus = folder / "corpus.jsonl"
    lines = corpus.read_text(encoding="utf-8").splitlines()
    lines[2] = '{"_id": "v3", "title": "Tyres", "text": '
    lines[4] = '{"title": "No id", "text": "Text without an id."}'
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ValidationError) as raised:
        load_beir(folder)
    shown = [str(p) for p in raised.value.problems]
    assert shown[0].startswith(f"{corpus}:3: invalid JSON")
    assert shown[1].startswith(f"{corpus}:5:_id: expected a string id")


def test_load_beir_rejects_judgements_of_unknown_documents(tmp_path):
    folder = copy_of_tiny(tmp_path)
    qrels = folder / "qrels" / "test.tsv"
    with qrels.open("a", encoding="utf-8") as out:
        out.write("q1\tno-such-doc\t1\nq1\tv1\thigh\n")
    with pytest.raises(ValidationError) as raised:
        load_beir(folder)
    shown = [str(p) for p in raised.value.problems]
    assert shown == [
        f"{qrels}:19:corpus-id: expected an id from corpus.jsonl, found 'no-such-doc'",
        f"{qrels}:20:score: expected a whole number, found 'high'",
    ]


def test_load_beir_reports_a_missing_file(tmp_path):
    folder = copy_of_tiny(tmp_path)
    (folder / "queries.jsonl").unlink()
    with pytest.raises(ValidationError, match="queries.jsonl: not found"):
        load_beir(folder)


@pytest.mark.model
def test_evaluate_scores_every_mode_deterministically(tmp_path):
    collection = load_beir(BEIR_TINY)
    modes = ("keyword", "semantic", "hybrid")
    seen = []
    first = evaluate(collection, modes, workdir=tmp_path / "one",
                     progress=lambda stage, done, total: seen.append((stage, done, total)))
    assert set(first) == set(modes)
    for scores in first.values():
        assert set(scores) == set(METRICS)
        assert all(0.0 <= value <= 1.0 for value in scores.values())
    assert first["keyword"]["ndcg@10"] > 0
    assert first["semantic"]["ndcg@10"] > 0
    assert evaluate(collection, modes, workdir=tmp_path / "two") == first
    assert ("keyword", 39, 39) in seen
    assert ("hybrid", 10, 10) in seen
    assert [stage for stage, _, _ in seen][-1] == "hybrid"


@pytest.mark.model
def test_semantic_wins_on_synonyms_and_keyword_on_codes(tmp_path):
    collection = load_beir(BEIR_TINY)
    synonyms = evaluate(only(collection, SYNONYM_QUERIES), ["keyword", "semantic"],
                        workdir=tmp_path / "synonyms")
    codes = evaluate(only(collection, CODE_QUERIES), ["keyword", "semantic"],
                     workdir=tmp_path / "codes")
    assert synonyms["semantic"]["ndcg@10"] > synonyms["keyword"]["ndcg@10"]
    assert codes["keyword"]["mrr@10"] > codes["semantic"]["mrr@10"]


def test_evaluate_rejects_an_unknown_mode_before_indexing(tmp_path):
    with pytest.raises(ValidationError, match="found fuzzy"):
        evaluate(load_beir(BEIR_TINY), ["keyword", "fuzzy"], workdir=tmp_path)
    assert not any(tmp_path.iterdir())
