import subprocess
import sys
import threading
from dataclasses import replace

import numpy as np
import pytest

from kmsearch.documents import documents_for
from kmsearch.index.embedder import Embedder, EmbeddingCache, embed_cached, get_embedder
from kmsearch.index.vectors import MAP_FILE, MATRIX_FILE, IndexCorrupt, VectorIndex, passages_for
from kmsearch.records import CaseNote, Lesson, Partner


class CountingEmbedder:
    """The real embedder, remembering every text it was asked to embed."""

    def __init__(self, embedder: Embedder):
        self.embedder = embedder
        self.embedded: list[str] = []

    def embed(self, texts: list[str]) -> np.ndarray:
        self.embedded.extend(texts)
        return self.embedder.embed(texts)

    def __getattr__(self, name):
        return getattr(self.embedder, name)


def note(case_id: str, title: str, summary: str, body: str = "", lessons=()) -> CaseNote:
    return CaseNote(
        id=case_id,
        title=title,
        division="transport",
        partners=[Partner("Example Partner", "business")],
        summary=summary,
        body=body,
        lessons=[Lesson(case_id, i, "lesson", text) for i, text in enumerate(lessons, 1)],
    )


ROAD_SAFETY = note(
    "road-safety-data",
    "Vehicle manufacturers' association data sharing for road-safety statistics",
    "An association of vehicle manufacturers agreed to share anonymised collision records with "
    "the secretariat so that road-safety statistics could be compiled across the region.",
    lessons=["Agree the anonymisation rules before the first data transfer."],
)
GARMENTS = note(
    "garment-traceability",
    "Traceability for sustainable garment and footwear value chains",
    "Apparel brands piloted a standard for tracing cotton from farm to shop.",
    lessons=["Pilot the standard with a few brands before opening it to all."],
)
FORESTS = note(
    "forest-restoration",
    "Forest landscape restoration with timber companies",
    "Timber firms funded tree nurseries and replanting of degraded hillsides.",
)
BUILDINGS = note(
    "building-efficiency",
    "Energy efficiency standards for buildings",
    "Engineering firms helped draft performance-based energy standards for housing.",
)
NOTES = [ROAD_SAFETY, GARMENTS, FORESTS, BUILDINGS]


def docs_of(*notes: CaseNote):
    return [doc for n in notes for doc in documents_for(n)]


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return get_embedder()


@pytest.fixture
def counting(embedder) -> CountingEmbedder:
    return CountingEmbedder(embedder)


@pytest.fixture
def index(tmp_path, counting) -> VectorIndex:
    index = VectorIndex(tmp_path / "vectors", embedder_factory=lambda: counting)
    index.rebuild(docs_of(*NOTES))
    return index


def keys_for(index: VectorIndex, query: str, **options) -> list[str]:
    return [hit.key for hit in index.search(index.embed_query(query), **options)]


def test_importing_the_module_does_not_load_torch():
    code = (
        "import sys, kmsearch.index.vectors as v; v.get_embedder().count_tokens('x');"
        " print('torch' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr


@pytest.mark.model
def test_embeddings_are_normalised_float32_rows_of_384(embedder):
    vectors = embedder.embed(["road safety statistics", "garment traceability", "forests"])
    assert vectors.dtype == np.float32
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert embedder.embed([]).shape == (0, 384)


@pytest.mark.model
def test_threads_may_embed_at_the_same_time(embedder):
    texts = [f"Partnership number {i} shared data with the secretariat." for i in range(24)]
    expected = embedder.embed(texts)
    results = {}

    def embed_one(i):
        results[i] = embedder.embed([texts[i]])[0]

    threads = [threading.Thread(target=embed_one, args=(i,)) for i in range(len(texts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert np.allclose(np.stack([results[i] for i in range(len(texts))]), expected, atol=1e-5)


def test_model_window_and_token_counts_come_from_the_model(embedder):
    assert embedder.max_tokens == 256
    assert embedder.count_tokens("") == 2  # [CLS] and [SEP]
    assert embedder.count_tokens("Road safety statistics.") == 2 + 4


@pytest.mark.model
def test_synonym_query_finds_the_note_about_manufacturers_sharing_data(index):
    hits = index.search(index.embed_query("carmakers sharing crash data"))
    assert hits[0].key == "case:road-safety-data"
    unrelated = [h.score for h in hits if not h.key.endswith("road-safety-data")]
    assert hits[0].score > max(unrelated)


@pytest.mark.model
def test_each_doc_appears_once_with_its_best_passage(index):
    hits = index.search(index.embed_query("anonymisation rules before the data transfer"), k=10)
    keys = [hit.key for hit in hits]
    assert len(keys) == len(set(keys))
    best = next(hit for hit in hits if hit.key == "case:road-safety-data")
    assert "anonymisation rules" in best.passage
    assert [hit.score for hit in hits] == sorted((hit.score for hit in hits), reverse=True)


def test_passages_fit_the_window_start_with_the_title_and_lose_markdown(embedder):
    paragraph = " ".join(
        f"Sentence {i} explains how the federation shared its inspection data." for i in range(12)
    )
    endless = " ".join(["unpunctuated words about hazelnut kernels"] * 120)
    body = (
        f"## Context\n\n{paragraph}\n\n**Bold** and [linked](https://example.org) words.\n\n"
        f"- first item\n- second item\n\n{endless}\n\n{paragraph}"
    )
    long_note = note("long", "Dried fruit brochures", "A short summary.", body, ["Plan updates."])
    case = documents_for(long_note)[0]

    passages = passages_for(case, embedder)

    assert len(passages) > 4
    assert all(p.startswith("Dried fruit brochures. ") for p in passages)
    assert all(embedder.count_tokens(p) <= embedder.max_tokens for p in passages)
    assert passages[0] == "Dried fruit brochures. A short summary."
    assert passages[-1] == "Dried fruit brochures. Plan updates."
    text = " ".join(passages)
    assert "##" not in text and "**" not in text and "https://" not in text
    assert "Context. Sentence 0" in text and "linked words" in text and "first item." in text


def test_packed_passages_end_on_sentences_and_overlap_by_one(embedder):
    sentences = [f"Finding number {i} concerns the data exchange with partners." for i in range(60)]
    case = documents_for(note("many", "Findings", "", " ".join(sentences)))[0]

    passages = [p.removeprefix("Findings. ") for p in passages_for(case, embedder)]

    assert len(passages) > 1
    assert all(p.endswith("partners.") for p in passages)
    for before, after in zip(passages, passages[1:], strict=False):
        assert after.startswith(before.rsplit(". ", 1)[-1])


def test_a_lesson_is_one_passage_after_its_case_title(embedder):
    lesson = documents_for(ROAD_SAFETY)[1]
    assert lesson.type == "lesson"
    assert passages_for(lesson, embedder) == [
        "Vehicle manufacturers' association data sharing for road-safety statistics. "
        "Agree the anonymisation rules before the first data transfer."
    ]


@pytest.mark.model
def test_the_cache_embeds_an_unchanged_passage_only_once(tmp_path, counting):
    cache = EmbeddingCache(tmp_path / "cache.sqlite")
    texts = ["first passage", "second passage", "first passage"]

    first = embed_cached(texts, counting, cache)
    second = embed_cached(texts, counting, cache)

    assert counting.embedded == ["first passage", "second passage"]
    assert np.array_equal(first, second)
    assert np.array_equal(first[0], first[2])
    assert len(cache) == 2


@pytest.mark.model
def test_an_unreadable_cache_file_is_replaced_by_an_empty_one(tmp_path, counting):
    path = tmp_path / "cache.sqlite"
    path.write_bytes(b"this is not a database" * 100)

    cache = EmbeddingCache(path)

    assert len(cache) == 0
    assert embed_cached(["a passage"], counting, cache).shape == (1, 384)
    assert len(EmbeddingCache(path)) == 1


@pytest.mark.model
def test_rebuild_and_a_new_index_on_the_same_folder_embed_nothing_again(tmp_path, index, counting):
    embedded = len(counting.embedded)
    assert embedded == len(set(index.passages))  # a lesson's passage is also its case's

    index.rebuild(docs_of(*NOTES))
    again = VectorIndex(tmp_path / "vectors", embedder_factory=lambda: counting)
    reports = []
    again.rebuild(docs_of(*NOTES), progress=lambda done, total: reports.append((done, total)))

    assert len(counting.embedded) == embedded
    assert np.array_equal(again.matrix, index.matrix)
    assert reports == [(len(index.passages), len(index.passages))]


@pytest.mark.model
def test_a_masked_doc_never_appears_even_when_it_is_the_best_match(index):
    mask = np.array([key != "case:road-safety-data" for key in index.doc_keys])

    keys = keys_for(index, "carmakers sharing crash data", doc_mask=mask)

    assert "case:road-safety-data" not in keys
    assert "lesson:road-safety-data--1" in keys
    assert len(keys) == mask.sum()


@pytest.mark.model
def test_an_all_false_mask_finds_nothing(index):
    assert keys_for(index, "garments", doc_mask=np.zeros(len(index.doc_keys), bool)) == []


@pytest.mark.model
def test_k_limits_the_number_of_docs(index):
    assert len(keys_for(index, "data sharing", k=2)) == 2


@pytest.mark.model
def test_upsert_replaces_a_docs_passages_at_once(index):
    version = index.version
    changed = note(
        "forest-restoration",
        "Forest landscape restoration with timber companies",
        "Carmakers opened their crash-test databases to the statisticians.",
    )

    index.upsert(documents_for(changed))

    assert index.version > version
    assert keys_for(index, "carmakers crash-test databases")[0] == "case:forest-restoration"
    forest_rows = index.row_doc == index.doc_keys.index("case:forest-restoration")
    assert all("crash-test" in p for p in index.passages[forest_rows])
    assert index.doc_hashes()["case:forest-restoration"] == changed.content_hash()


@pytest.mark.model
def test_upsert_adds_new_docs_and_keeps_existing_ordinals(index):
    before = index.doc_keys
    index.upsert(documents_for(note("ports", "Green ports", "Shipping lines cut emissions.")))
    assert index.doc_keys[: len(before)] == before
    assert keys_for(index, "shipping emissions in harbours")[0] == "case:ports"


@pytest.mark.model
def test_delete_removes_docs_at_once_without_moving_others(index):
    before = index.doc_keys
    index.delete(["case:road-safety-data", "lesson:road-safety-data--1", "case:unknown"])

    keys = keys_for(index, "carmakers sharing crash data")
    assert not any(key.endswith(("road-safety-data", "road-safety-data--1")) for key in keys)
    assert "case:road-safety-data" not in index.doc_hashes()
    kept = [i for i, key in enumerate(before) if "road-safety" not in key]
    assert [index.doc_keys[i] for i in kept] == [before[i] for i in kept]


@pytest.mark.model
def test_a_mask_built_before_new_docs_were_added_hides_them(index):
    mask = np.ones(len(index.doc_keys), bool)
    index.upsert(documents_for(note("crash", "Crash data", "Carmakers share crash data.")))
    assert "case:crash" not in keys_for(index, "carmakers sharing crash data", doc_mask=mask)


@pytest.mark.model
def test_doc_vector_is_the_normalised_mean_of_its_passages(index):
    vector = index.doc_vector("case:road-safety-data")
    assert vector.dtype == np.float32
    assert np.isclose(np.linalg.norm(vector), 1.0, atol=1e-5)
    assert index.search(vector, k=1)[0].key == "case:road-safety-data"
    assert index.doc_vector("case:unknown") is None


@pytest.mark.model
def test_save_and_load_round_trip(tmp_path, index, counting):
    query = index.embed_query("carmakers sharing crash data")
    index.save()

    loaded = VectorIndex(tmp_path / "vectors", embedder_factory=lambda: counting)
    assert loaded.load() is True

    assert loaded.search(query) == index.search(query)
    assert loaded.doc_hashes() == index.doc_hashes()
    assert sorted(loaded.doc_keys) == sorted(index.doc_keys)


@pytest.mark.model
def test_loading_a_folder_with_no_saved_index_leaves_it_empty(tmp_path, counting):
    index = VectorIndex(tmp_path / "empty", embedder_factory=lambda: counting)
    assert index.load() is False
    assert index.search(index.embed_query("anything")) == []


@pytest.mark.model
@pytest.mark.parametrize(
    "damage",
    [
        "truncate the matrix",
        "flip a matrix byte",
        "truncate the map",
        "remove the map",
        "change the model",
    ],
)
def test_a_damaged_or_foreign_index_raises_index_corrupt(tmp_path, index, counting, damage):
    index.save()
    folder = tmp_path / "vectors"
    matrix, mapping = folder / MATRIX_FILE, folder / MAP_FILE
    if damage == "truncate the matrix":
        matrix.write_bytes(matrix.read_bytes()[:-100])
    elif damage == "flip a matrix byte":
        data = bytearray(matrix.read_bytes())
        data[-5] ^= 0xFF
        matrix.write_bytes(bytes(data))
    elif damage == "truncate the map":
        mapping.write_text(mapping.read_text()[:50])
    elif damage == "remove the map":
        mapping.unlink()
    else:
        mapping.write_text(mapping.read_text().replace("all-MiniLM-L6-v2", "another-model"))

    with pytest.raises(IndexCorrupt, match="rebuild"):
        VectorIndex(folder, embedder_factory=lambda: counting).load()


@pytest.mark.model
def test_searches_see_whole_snapshots_while_a_writer_upserts(index):
    query = index.embed_query("carmakers sharing crash data")
    errors = []

    def search_repeatedly():
        try:
            for _ in range(200):
                hits = index.search(query)
                assert len({hit.key for hit in hits}) == len(hits)
        except Exception as exc:  # collected and re-raised by the test thread
            errors.append(exc)

    readers = [threading.Thread(target=search_repeatedly) for _ in range(3)]
    for reader in readers:
        reader.start()
    for i in range(5):
        index.upsert(documents_for(note(f"extra-{i}", f"Extra {i}", f"Additional note {i}.")))
    for reader in readers:
        reader.join()

    assert errors == []
    assert len(index.doc_keys) == len(docs_of(*NOTES)) + 5


@pytest.mark.model
def test_rewriting_a_doc_with_as_many_passages_gives_the_same_index_as_replacing_it(tmp_path):
    """The in-place path for ordinary edits must equal the general path."""
    first = CaseNote(id="edit-me", title="Bridge inspection with drones", division="transport",
                     summary="Drones inspected bridges.", body="Drones flew over old bridges.")
    other = CaseNote(id="other", title="Forest inventory", division="forests-land-housing",
                     summary="Counting trees.", body="Trees were counted by satellite.")
    index = VectorIndex(tmp_path / "a")
    index.rebuild(documents_for(first) + documents_for(other))
    edited = replace(first, body="Drones flew over old railway bridges.")
    index.upsert(documents_for(edited))
    fresh = VectorIndex(tmp_path / "b")
    fresh.rebuild(documents_for(edited) + documents_for(other))
    query = fresh.embed_query("railway bridges")
    got = {h.key: (round(h.score, 5), h.passage) for h in index.search(query, k=5)}
    want = {h.key: (round(h.score, 5), h.passage) for h in fresh.search(query, k=5)}
    assert got == want


@pytest.mark.model
def test_a_search_answers_from_one_snapshot_while_a_note_is_published(index):
    """A request ranks under several masks (facets): a note published between two of them must
    not make the masks disagree with the scores (a soak run found this as a 500)."""
    from kmsearch.index.catalog import Catalog
    from kmsearch.search.arms import ArmQuery, SemanticArm

    docs = docs_of(*NOTES)
    catalog = Catalog(docs)
    arm = SemanticArm(index, catalog)
    allowed = np.ones(len(catalog), dtype=bool)
    result = arm.search(ArmQuery("energy standards", "energy standards"), allowed, 10, 0)
    extra = note("new-note", "Energy labels for appliances", "Retailers show energy labels.")
    index.upsert(docs_of(extra))  # published while the request is still running
    rows = result.matched(allowed)
    assert sorted(catalog.docs[row].key for row in rows) == sorted(key for key, _ in result.ranked)
    # and the next request sees the new note's index without failing on the old catalog
    again = arm.search(ArmQuery("energy labels", "energy labels"), allowed, 10, 0)
    assert "case:new-note" not in {key for key, _ in again.ranked}  # not in this catalog yet
