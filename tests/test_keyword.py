import math
import os
import threading
from pathlib import Path

import numpy as np
import pytest
from whoosh import index as whoosh_index
from whoosh import query
from whoosh.util.numeric import byte_to_length, length_to_byte

from kmsearch.documents import documents_for
from kmsearch.index import postings
from kmsearch.index.keyword import MAX_SEGMENTS, IndexBusy, IndexCorrupt, KeywordIndex
from kmsearch.index.postings import Snapshot
from kmsearch.index.querysyntax import FIELD_BOOSTS, STEMMING, TEXT_FIELDS
from kmsearch.records import CaseNote, Lesson, Partner
from kmsearch.taxonomy import load_taxonomy

TAXONOMY = load_taxonomy(Path(__file__).parents[1] / "corpus" / "taxonomy.yaml")


def PUBLIC(keys: np.ndarray) -> np.ndarray:
    """What the engine allows an anonymous visitor here: the notes not marked restricted."""
    return np.array([not k.split(":", 1)[1].startswith("secret") for k in keys], dtype=bool)


def NOTHING(keys: np.ndarray) -> np.ndarray:
    return np.zeros(len(keys), dtype=bool)


def note(id: str, title: str, lessons: tuple[tuple[str, str], ...] = (), **fields) -> CaseNote:
    data = dict(division="trade", visibility="public", start_year=2019, end_year=2020,
                status="active", summary=f"Summary of {id}.", body="Nothing special here.")
    data.update(fields)
    case = CaseNote(id=id, title=title, **data)
    case.lessons = [Lesson(id, n, kind, text) for n, (kind, text) in enumerate(lessons, 1)]
    return case


NOTES = [
    note("garment", "Traceability for garment value chains",
         summary="A clothing brand piloted a traceability standard.",
         body="Suppliers exchanged data using the draft standard over fourteen months.",
         partners=[Partner("Aurelia Apparel Group", "business")],
         partnership_types=["standards-development"], nexus_areas=["natural-resources"],
         sdgs=[8, 12], status="completed", good_practice=True,
         lessons=(("good-practice", "Pilot the standard with a few brands first."),
                  ("pitfall", "Small workshops could not afford the software."))),
    note("road-safety", "Road safety campaign sponsorship", division="transport",
         summary="A carmaker sponsored a road safety campaign for young drivers.",
         body="Helmets and seat belts were the themes of the campaign.",
         partners=[Partner("Velox Motors", "business")],
         partnership_types=["event-sponsorship"], nexus_areas=["mobility-connectivity"],
         sdgs=[3, 11], start_year=2017, end_year=2018,
         lessons=(("lesson", "Agree the use of logos before printing anything."),)),
    note("phone-data", "Mobile phone data for tourism statistics", division="statistics",
         summary="An operator shared anonymised mobile phone data with statisticians.",
         body="Tourism flows were estimated from roaming records; gender gaps were visible.",
         partners=[Partner("Northern Telecom", "business"),
                   Partner("University of Lakeside", "academia")],
         partnership_types=["data-sharing"], nexus_areas=["measuring-sdgs"], sdgs=[5, 17],
         start_year=2021, end_year=None, status="proposed"),
    note("housing", "Energy efficient social housing", division="forests-land-housing",
         summary="Builders and a foundation retrofitted homes in smart cities.",
         body="The standard for insulation was tested in three cities.",
         partners=[Partner("Green Homes Foundation", "foundation")],
         partnership_types=["joint-project"], nexus_areas=["smart-cities"], sdgs=[7, 11],
         start_year=2015, end_year=2016, status="discontinued"),
    note("secret", "Confidential lithium sourcing", division="environment",
         visibility="restricted", summary="Talks with a mining company about lithium.",
         body="The word quokkalith appears only in this restricted note.",
         partners=[Partner("Deep Rock Mining", "business")]),
]


def build(tmp_path: Path, notes=NOTES) -> KeywordIndex:
    index = KeywordIndex(tmp_path / "keyword", TAXONOMY)
    index.rebuild(doc for n in notes for doc in documents_for(n))
    return index


@pytest.fixture
def index(tmp_path) -> KeywordIndex:
    return build(tmp_path)


def keys(index: KeywordIndex, text: str, allowed=PUBLIC, **options) -> list[str]:
    return [hit.key for hit in index.search(text, allowed=allowed, **options).hits]


def cases(index: KeywordIndex, text: str, allowed=PUBLIC) -> set[str]:
    return {key.split(":")[1].split("--")[0] for key in keys(index, text, allowed)}


def test_search_finds_other_forms_of_a_word(index):
    assert "case:garment" in keys(index, "standards")
    assert "case:garment" in keys(index, "piloting")


def test_a_title_match_ranks_above_a_summary_match_above_a_body_match(tmp_path):
    index = build(tmp_path, [
        note("in-body", "Rivers", body="Drones inspected the bridge twice."),
        note("in-title", "Bridge inspection", body="Drones flew twice."),
        note("in-summary", "Roads", summary="Drones inspected a bridge.", body="Twice."),
    ])
    assert keys(index, "bridge") == ["case:in-title", "case:in-summary", "case:in-body"]


@pytest.mark.parametrize("text, expected", [
    ("division:transport", {"road-safety"}),
    ('division:"Forests, Land and Housing"', {"housing"}),
    ("Division:STATISTICS", {"phone-data"}),
    ("nexus:smart-cities", {"housing"}),
    ("sdg:5", {"phone-data"}),
    ('sdg:"Gender equality"', {"phone-data"}),
    ("partner:velox", {"road-safety"}),
    ("partnertype:academia", {"phone-data"}),
    ("type:data-sharing", {"phone-data"}),
    ("year:2018", {"road-safety"}),
    ("year:[2015 TO 2016]", {"housing"}),
    ("status:completed", {"garment"}),
    ("kind:pitfall", {"garment"}),
    ("title:safety", {"road-safety"}),
    ("standard division:trade", {"garment"}),
])
def test_each_fielded_filter_restricts_the_results(index, text, expected):
    assert cases(index, text) == expected


def test_type_can_also_mean_case_or_lesson(index):
    assert set(keys(index, "type:lesson standard")) == {"lesson:garment--1"}


def test_a_filter_value_that_does_not_exist_matches_nothing(index):
    assert keys(index, "division:atlantis") == []


def test_phrases_need_the_words_together(index):
    assert cases(index, '"road safety campaign"') == {"road-safety"}
    assert cases(index, '"safety road"') == set()


def test_not_and_or_and_parentheses(index):
    assert cases(index, "standard NOT garment type:case") == {"housing"}
    assert cases(index, "(helmets OR insulation) AND cities") == {"housing"}


def test_wildcards_expand_to_matching_words(index):
    assert cases(index, "statistic*") == {"phone-data"}


@pytest.mark.parametrize("text", [
    '"road safety', "(road safety", "road safety)", "road AND", "road AND (safety OR",
    "a:b:c road", "road^x", "NOT NOT road )(", "road \u202e\x00 \U0001f697",
    "road " * 2000,
])
def test_broken_syntax_falls_back_to_the_words(index, text):
    assert "case:road-safety" in keys(index, text)


@pytest.mark.parametrize("text", [
    "AND", "NOT", "division:", "year:abc", "*", "t*", "[a TO", "\x00", "\U0001f697", "x" * 10000,
])
def test_odd_queries_never_raise(index, text):
    index.search(text, allowed=PUBLIC)


def test_an_empty_query_lists_every_visible_document(index):
    result = index.search("", allowed=PUBLIC, limit=1000)
    visible = {d.key for n in NOTES if n.visibility == "public" for d in documents_for(n)}
    assert set(result.matched) == visible
    assert result.total == len(visible)


def test_a_misspelt_word_gets_a_suggestion(index):
    assert index.search("traceabilty", allowed=PUBLIC).suggestion == "traceability"
    assert index.search("road safty", allowed=PUBLIC).suggestion == "road safety"


def test_a_correct_query_gets_no_suggestion(index):
    assert index.search("traceability", allowed=PUBLIC).suggestion is None
    assert index.search("zzzzqqq", allowed=PUBLIC).suggestion is None


def test_a_typo_that_slipped_into_one_note_still_gets_a_suggestion(tmp_path):
    notes = [note(f"n{n}", f"Traceability pilot {n}") for n in range(21)]
    index = build(tmp_path, [*notes, note("typo", "Traceabilty of cotton")])
    result = index.search("traceabilty", allowed=PUBLIC)
    assert (result.total, result.suggestion) == (1, "traceability")


def test_suggestions_never_reveal_words_of_hidden_notes(index):
    assert index.search("quokkalit", allowed=PUBLIC).suggestion is None
    assert index.search("quokkalit", allowed=None).suggestion == "quokkalith"


def test_snippets_mark_the_matches_and_escape_everything_else(tmp_path):
    hostile = note("hostile", "Scripted note", summary="A <script>alert('x')</script> & data.")
    index = build(tmp_path, [hostile])
    [hit] = index.search("data", allowed=PUBLIC, limit=1).hits
    assert hit.snippet == "A &lt;script&gt;alert('x')&lt;/script&gt; &amp; <mark>data</mark>."


def test_snippets_prefer_the_passage_with_most_query_words(index):
    hits = index.search("roaming gender", allowed=PUBLIC).hits
    assert "<mark>roaming</mark>" in hits[0].snippet and "<mark>gender</mark>" in hits[0].snippet


def test_a_hit_without_highlightable_words_shows_the_start_of_its_text(index):
    [hit] = index.search("partner:aurelia type:case", allowed=PUBLIC).hits
    assert hit.snippet == "A clothing brand piloted a traceability standard."


def test_snippets_for_any_keys_beyond_the_first_hits(index):
    assert index.search("helmets", allowed=PUBLIC, snippets=0).hits[0].snippet == ""
    assert index.snippets_for("helmets", ["case:road-safety", "case:nowhere"]) == {
        "case:road-safety": "<mark>Helmets</mark> and seat belts were the themes of the campaign."
    }


def test_restricted_notes_never_reach_anonymous_viewers(index):
    for text in ("lithium", "quokkalith", "", "division:environment", "mining OR standard"):
        result = index.search(text, allowed=PUBLIC)
        assert not any(k.startswith(("case:secret", "lesson:secret")) for k in result.matched)
        assert all(hit.key in result.matched for hit in result.hits)
        assert result.total == len(result.matched)
    assert keys(index, "lithium", allowed=None) == ["case:secret"]


def test_a_filter_that_accepts_nothing_returns_nothing(index):
    result = index.search("standard", allowed=NOTHING)
    assert (result.hits, result.total, result.matched, result.suggestion) == ([], 0, [], None)


def test_date_sort_puts_the_newest_first(index):
    found = keys(index, "type:case", by_date=True)
    assert found == ["case:phone-data", "case:garment", "case:road-safety", "case:housing"]


def reference_bm25f(docs: dict[int, dict[str, list[str]]], words: list[str],
                    weights: dict[str, float]) -> dict[int, float]:
    """Textbook BM25F (Robertson and Zaragoza 2009, 3.3), one document at a time in plain Python:
    per-field length normalisation, weighted frequencies summed, saturation applied once."""
    n = len(docs)
    fields = list(weights)
    # Whoosh stores a document's field length in one byte (within 3% above 50 words)
    length = {d: {f: byte_to_length(length_to_byte(len(tokens.get(f, [])))) for f in fields}
              for d, tokens in docs.items()}
    average = {f: sum(length[d][f] for d in docs) / n or 1.0 for f in fields}
    scores = dict.fromkeys(docs, 0.0)
    for word in words:
        holders = [d for d, tokens in docs.items()
                   if any(word in tokens.get(f, []) for f in fields)]
        if not holders:
            continue
        idf = math.log(1 + (n - len(holders) + 0.5) / (len(holders) + 0.5))
        for d in holders:
            tf = 0.0
            for f in fields:
                b = postings.FIELD_B.get(f, postings.DEFAULT_B)
                norm = (1 - b) + b * length[d][f] / average[f]
                tf += weights[f] * docs[d].get(f, []).count(word) / norm
            scores[d] += idf * tf * (postings.K1 + 1) / (postings.K1 + tf)
    return scores


def test_scores_equal_a_textbook_bm25f_reference(index):
    index.upsert(documents_for(note("road-safety", "Road safety again")))  # two segments
    searcher = whoosh_index.open_dir(str(index.directory)).searcher()
    snapshot = Snapshot(searcher, {}, TEXT_FIELDS)
    docs = {
        docnum: {f: [t.text for t in STEMMING(stored.get(f) or "")] for f in TEXT_FIELDS}
        for docnum, stored in searcher.reader().iter_docs()
    }
    assert len(docs) == snapshot.count
    for text in ("standard", "road safety", "standard cities data", "the road to standards",
                 "title:road safety"):
        q = index.parse_query(text)
        mask, scores = snapshot.evaluate(q)
        if text.startswith("title:"):
            weights = {f: (1.0 if f == "title" else 0.0) for f in FIELD_BOOSTS}
            expected = reference_bm25f(docs, ["road"], weights)
            safety = reference_bm25f(docs, ["safeti"], FIELD_BOOSTS)
            expected = {d: s + safety[d] for d, s in expected.items()}
        else:
            words = [t.text for t in STEMMING(text, mode="query")]
            expected = reference_bm25f(docs, words, FIELD_BOOSTS)
        matched = {d for d, score in expected.items() if score > 0}
        assert set(np.flatnonzero(mask)) == matched, text
        assert [scores[d] for d in docs] == pytest.approx([expected[d] for d in docs],
                                                          rel=1e-4), text


def test_a_word_in_two_fields_is_saturated_once_not_per_field(tmp_path):
    index = build(tmp_path, [note("both", "Standard", summary="A standard.", body="x."),
                             note("title-only", "Standard", summary="Other.", body="y.")])
    scores = {hit.key: hit.score for hit in index.search("standard", allowed=PUBLIC).hits}
    snapshot = index._current()
    single = snapshot.evaluate(query.Term("title", "standard"))[1].max()
    # summed per-field BM25 would give "both" nearly twice "title-only"; BM25F much less
    assert scores["case:both"] > scores["case:title-only"]
    assert scores["case:both"] < 1.5 * scores["case:title-only"]
    assert single > 0


def test_matching_and_whoosh_agree_on_which_documents_match(index):
    index.upsert(documents_for(note("road-safety", "Road safety again")))  # two segments
    searcher = whoosh_index.open_dir(str(index.directory)).searcher()
    snapshot = Snapshot(searcher, {}, TEXT_FIELDS)
    for text in ("standard", "road safety", "standard OR cities", "standard NOT garment",
                 "data ANDMAYBE tourism", '"road safety"', "stand*", "division:trade"):
        q = index.parse_query(text)
        mask, _ = snapshot.evaluate(q)
        expected = {hit.docnum for hit in searcher.search(q, limit=None)}
        assert set(np.flatnonzero(mask)) == expected, text


def test_upserts_are_searchable_at_once(index):
    index.upsert(documents_for(note("bridge", "Suspension bridge monitoring")))
    assert keys(index, "suspension") == ["case:bridge"]
    index.upsert(documents_for(note("bridge", "Cable-stayed bridge monitoring")))
    assert keys(index, "suspension") == []
    assert keys(index, "cable") == ["case:bridge"]


def test_upserting_a_note_drops_the_lessons_it_no_longer_has(index):
    garment = NOTES[0]
    shorter = note("garment", garment.title, lessons=(("lesson", "Only one lesson now."),))
    index.upsert(documents_for(shorter))
    assert sorted(k for k in index.doc_hashes() if "garment" in k) == [
        "case:garment", "lesson:garment--1"]
    assert keys(index, "workshops") == []


def test_deleting_a_case_removes_its_note_and_lessons(index):
    index.delete_case("garment")
    assert not [k for k in index.doc_hashes() if "garment" in k]
    assert keys(index, "traceability") == []


def test_doc_hashes_and_count_describe_what_is_indexed(index):
    hashes = index.doc_hashes()
    assert len(hashes) == index.doc_count() == sum(len(documents_for(n)) for n in NOTES)
    assert hashes["lesson:garment--2"] == NOTES[0].content_hash()


def test_rebuild_replaces_everything_and_reports_progress(index):
    progress = []
    assert index.rebuild(documents_for(NOTES[1]), progress=progress.append) == 2
    assert progress == [2]
    assert set(index.doc_hashes()) == {"case:road-safety", "lesson:road-safety--1"}


def test_concurrent_upserts_from_eight_threads_leave_a_consistent_index(index):
    errors = []

    def write(n: int) -> None:
        try:
            for round in range(3):
                index.upsert(documents_for(note(
                    f"thread-{n}", f"Thread {n} round {round}", lessons=(("lesson", "x y"),))))
                index.search("thread", allowed=PUBLIC)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    reopened = KeywordIndex(index.directory)
    assert sorted(keys(reopened, "type:case round", limit=100)) == sorted(
        f"case:thread-{n}" for n in range(8))
    assert all(f"lesson:thread-{n}--1" in reopened.doc_hashes() for n in range(8))


def test_a_writer_in_another_process_is_waited_for_then_reported(index):
    lock = whoosh_index.open_dir(str(index.directory)).lock("WRITELOCK")  # as another process
    assert lock.acquire()
    threading.Timer(0.3, lock.release).start()
    index.upsert(documents_for(note("late", "Late arrival")))
    assert keys(index, "arrival") == ["case:late"]
    assert lock.acquire()
    try:
        impatient = KeywordIndex(index.directory, lock_timeout=0.2)
        with pytest.raises(IndexBusy, match="write lock"):
            impatient.delete_case("late")
    finally:
        lock.release()


def test_a_corrupt_index_raises_index_corrupt_and_can_be_recreated(index):
    directory = index.directory
    index.close()
    [toc] = directory.glob("_MAIN_*.toc")
    toc.write_bytes(b"not a table of contents")
    with pytest.raises(IndexCorrupt, match="rebuild it from the database"):
        KeywordIndex(directory)
    recreated = KeywordIndex.create(directory)
    assert recreated.doc_count() == 0


def test_segments_without_a_table_of_contents_are_corrupt(index):
    directory = index.directory
    index.close()
    for toc in directory.glob("_MAIN_*.toc"):
        toc.unlink()
    with pytest.raises(IndexCorrupt, match="no table of contents"):
        KeywordIndex(directory)


def test_an_empty_folder_gets_an_empty_index(tmp_path):
    assert KeywordIndex(tmp_path / "new").doc_count() == 0


def test_a_question_in_plain_words_finds_notes_that_match_some_of_its_words(index):
    found = keys(index, "has anyone worked on road helmets with zzzunheard partners")
    assert found and found[0].startswith("case:road-safety")


def test_documents_matching_more_words_rank_above_those_matching_fewer(index):
    result = index.search("road safety cities", allowed=PUBLIC)
    scores = {hit.key: hit.score for hit in result.hits}
    both = index.search("road safety", allowed=PUBLIC).hits[0].key
    assert max(scores, key=scores.get) == both


def test_facet_clauses_and_negations_stay_required_among_optional_words(index):
    assert cases(index, "standard helmets division:trade") == {"garment"}
    assert "garment" not in cases(index, "standard helmets NOT garment type:case")


def test_a_lesson_is_found_by_its_own_words_not_by_its_notes_title(index):
    hits = index.search("garment", allowed=PUBLIC).hits
    assert "case:garment" in [hit.key for hit in hits]
    for hit in hits:
        if hit.key.startswith("lesson:"):
            assert "<mark>" in hit.snippet


def test_a_short_word_absent_from_the_index_is_not_corrected_two_edits_away(index):
    index.upsert(documents_for(note("alone", "Working alone on bridges")))
    assert index.search("anyone", allowed=PUBLIC).suggestion is None
    assert index.search("alnoe", allowed=PUBLIC).suggestion == "alone"


def test_a_burst_of_edits_keeps_segments_and_open_files_bounded(tmp_path):
    """Each edit commits a segment and every reader opens every segment's file: a soak run's
    300 publications in 10 minutes reached 1,024 open files before this bound."""
    index = build(tmp_path)
    open_files = len(os.listdir("/proc/self/fd"))
    for number in range(3 * MAX_SEGMENTS):
        index.upsert(documents_for(note(f"burst-{number}", f"Burst note {number}")))
        assert index.segment_count() <= MAX_SEGMENTS
        index.search("burst", allowed=PUBLIC)  # a reader over the segments of the moment
    assert len(os.listdir("/proc/self/fd")) - open_files < 10 * MAX_SEGMENTS
    assert keys(index, "burst note 71")[0] == "case:burst-71"
