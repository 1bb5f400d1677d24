"""Ingest: the corpus folder into the store, idempotent, with every problem reported."""

import shutil
from pathlib import Path

import pytest

from kmsearch.files.ingest import ingest
from kmsearch.store.cases import Store
from kmsearch.taxonomy import load_taxonomy

ROOT = Path(__file__).resolve().parents[1]
TAXONOMY = load_taxonomy(ROOT / "corpus" / "taxonomy.yaml")
DEFAULT = "private-sector-2021"

NOTE = """\
---
id: {id}
title: {title}
division: Transport
partners:
  - name: Example Logistics
    type: business
partnership_types: [joint-project]
nexus_areas: [mobility-connectivity]
sdgs: [9, 11]
recommendations: [6, 8]
start_year: 2020
status: active
visibility: public
lessons:
  - kind: lesson
    text: Agree on data ownership before the pilot starts.
---
## Context

A pilot with a logistics company.
"""


def write_note(corpus: Path, case_id: str, title: str = "A transport pilot") -> Path:
    path = corpus / "cases" / f"{case_id}.md"
    path.write_text(NOTE.format(id=case_id, title=title), encoding="utf-8")
    return path


@pytest.fixture
def corpus(tmp_path) -> Path:
    """A corpus folder with the real 2021 evaluation and three small case notes."""
    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "corpus" / "evaluations", corpus / "evaluations")
    (corpus / "cases").mkdir()
    for case_id in ("etir-pilot", "rail-data", "road-safety"):
        write_note(corpus, case_id)
    return corpus


@pytest.fixture
def store(tmp_path) -> Store:
    store = Store(tmp_path / "kmsearch.db")
    yield store
    store.close()


def run(store: Store, corpus: Path, **options):
    return ingest(store, corpus, TAXONOMY, default_evaluation=DEFAULT, **options)


def test_first_ingest_loads_evaluations_then_notes(store, corpus):
    seen = []
    report = run(store, corpus, progress=seen.append)
    assert report.ok
    assert report.evaluations == {DEFAULT: "created"}
    assert report.created == ["etir-pilot", "rail-data", "road-safety"]
    assert (report.updated, report.unchanged, report.missing_from_corpus) == ([], [], [])
    assert report.files == 3
    assert seen == ["etir-pilot", "rail-data", "road-safety"]
    stored = store.get_case("rail-data")
    assert (stored.state, stored.origin, stored.author, stored.revision) == (
        "published", "corpus", "corpus", 1
    )
    assert stored.note.recommendations == [f"{DEFAULT}/6", f"{DEFAULT}/8"]
    assert store.revisions("rail-data")[0].comment == "ingested from rail-data.md"
    assert store.case_ids_for("recommendation", f"{DEFAULT}/6") == [
        "etir-pilot", "rail-data", "road-safety"
    ]


def test_ingesting_the_same_corpus_twice_changes_nothing(store, corpus):
    run(store, corpus)
    before = list(store.db.iterdump())
    report = run(store, corpus)
    assert report.ok
    assert report.unchanged == ["etir-pilot", "rail-data", "road-safety"]
    assert (report.created, report.updated) == ([], [])
    assert report.evaluations == {DEFAULT: "unchanged"}
    assert list(store.db.iterdump()) == before


def test_a_changed_file_updates_its_note_with_exactly_one_revision(store, corpus):
    run(store, corpus)
    revisions = store.counts()["revisions"]
    write_note(corpus, "rail-data", title="Rail freight data, second phase")
    report = run(store, corpus, author="loader")
    assert (report.updated, report.unchanged) == (["rail-data"], ["etir-pilot", "road-safety"])
    assert store.counts()["revisions"] == revisions + 1
    latest = store.revisions("rail-data")[-1]
    assert (latest.number, latest.action, latest.author) == (2, "updated", "loader")
    assert store.get_case("rail-data").note.title == "Rail freight data, second phase"
    assert store.revisions("rail-data")[0].note.title == "A transport pilot"


def test_a_removed_file_is_reported_and_its_note_kept(store, corpus):
    run(store, corpus)
    (corpus / "cases" / "road-safety.md").unlink()
    report = run(store, corpus)
    assert report.missing_from_corpus == ["road-safety"]
    assert report.ok
    assert store.get_case("road-safety").state == "published"


def test_notes_contributed_on_the_web_are_never_missing_from_the_corpus(store, corpus):
    run(store, corpus)
    web_note = store.get_case("rail-data").note
    web_note.id = "web-only"
    web_note.lessons = []
    store.save_case(web_note, author="alice")
    assert run(store, corpus).missing_from_corpus == []


def test_an_archived_note_stays_archived_when_its_file_changes(store, corpus):
    run(store, corpus)
    stored = store.get_case("etir-pilot")
    store.save_case(stored.note, author="reviewer", state="archived",
                    expected_revision=stored.revision)
    (corpus / "cases" / "etir-pilot.md").unlink()
    assert run(store, corpus).missing_from_corpus == []
    write_note(corpus, "etir-pilot", title="eTIR pilot, corrected")
    report = run(store, corpus)
    assert report.updated == ["etir-pilot"]
    stored = store.get_case("etir-pilot")
    assert (stored.state, stored.note.title) == ("archived", "eTIR pilot, corrected")


def test_bad_files_are_reported_while_good_files_load(store, corpus):
    (corpus / "cases" / "broken-yaml.md").write_text("---\ntitle: [unclosed\n---\nBody\n")
    bad_division = NOTE.format(id="bad-division", title="T").replace("Transport", "Tranport")
    (corpus / "cases" / "bad-division.md").write_text(bad_division)
    seen = []
    report = run(store, corpus, progress=seen.append)
    assert not report.ok
    assert report.created == ["etir-pilot", "rail-data", "road-safety"]
    assert report.files == 5
    assert sorted(seen) == ["bad-division", "broken-yaml", "etir-pilot", "rail-data",
                            "road-safety"]
    problems = [str(problem) for problem in report.problems]
    assert any("bad-division.md" in p and "division" in p and "transport" in p for p in problems)
    assert any("broken-yaml.md" in p and "YAML" in p for p in problems)
    assert store.get_case("bad-division") is None
    assert report.missing_from_corpus == []


def test_a_broken_file_of_a_stored_note_is_not_reported_missing(store, corpus):
    run(store, corpus)
    (corpus / "cases" / "rail-data.md").write_text("no front matter\n")
    report = run(store, corpus)
    assert [Path(p.source).name for p in report.problems] == ["rail-data.md"]
    assert report.missing_from_corpus == []
    assert store.get_case("rail-data").revision == 1


def test_a_broken_evaluation_is_reported_and_notes_without_links_still_load(store, corpus):
    (corpus / "evaluations" / f"{DEFAULT}.yaml").write_text("id: [broken\n")
    report = run(store, corpus)
    assert report.evaluations == {}
    assert any(f"{DEFAULT}.yaml" in str(p) for p in report.problems)
    assert any("recommendations" in str(p) for p in report.problems)
    assert report.created == []
    assert report.files == 3


def test_the_shipped_corpus_ingests_cleanly_and_idempotently(store):
    first = run(store, ROOT / "corpus")
    assert first.ok, "\n".join(str(p) for p in first.problems)
    assert len(first.created) == first.files > 0
    second = run(store, ROOT / "corpus")
    assert len(second.unchanged) == first.files
    assert store.default_evaluation_id() == DEFAULT


def test_a_second_ingest_of_unchanged_files_parses_none_of_them(store, corpus):
    assert run(store, corpus).not_parsed == 0
    report = run(store, corpus)
    assert (report.not_parsed, report.files) == (3, 3)
    assert sorted(report.unchanged) == ["etir-pilot", "rail-data", "road-safety"]
    assert report.missing_from_corpus == []


def test_a_changed_file_is_parsed_again_and_then_known_by_its_new_bytes(store, corpus):
    run(store, corpus)
    write_note(corpus, "rail-data", title="Rail freight data, second phase")
    report = run(store, corpus)
    assert (report.updated, report.not_parsed) == (["rail-data"], 2)
    assert run(store, corpus).not_parsed == 3


def test_a_note_changed_in_the_store_has_its_file_read_again(store, corpus):
    run(store, corpus)
    stored = store.get_case("rail-data")
    stored.note.title = "Retitled on the web"
    store.save_case(stored.note, author="alice", expected_revision=stored.revision)
    report = run(store, corpus)
    assert (report.updated, report.not_parsed) == (["rail-data"], 2)  # the file wins, as ever
    assert store.get_case("rail-data").note.title == "A transport pilot"


def test_a_file_that_turns_bad_is_reported_every_time_and_known_again_once_restored(store,
                                                                                    corpus):
    run(store, corpus)
    path = corpus / "cases" / "road-safety.md"
    good = path.read_bytes()
    path.write_text("no front matter\n")
    for _ in range(2):
        report = run(store, corpus)
        assert [Path(p.source).name for p in report.problems] == ["road-safety.md"]
    path.write_bytes(good)
    report = run(store, corpus)
    assert report.ok and report.not_parsed == 3


def test_a_new_file_claiming_a_known_files_id_is_still_refused(store, corpus):
    run(store, corpus)
    (corpus / "cases" / "zz").mkdir()  # read after the known cases/rail-data.md
    copy = corpus / "cases" / "zz" / "rail-data.md"
    copy.write_text(NOTE.format(id="rail-data", title="A second rail-data"), encoding="utf-8")
    report = run(store, corpus)
    assert any("zz/rail-data.md" in p.source and "unique id" in p.message
               for p in report.problems)
    assert store.get_case("rail-data").note.title == "A transport pilot"


def test_every_file_is_parsed_again_when_the_vocabularies_change(store, corpus, tmp_path):
    run(store, corpus)
    text = (ROOT / "corpus" / "taxonomy.yaml").read_text(encoding="utf-8")
    changed = tmp_path / "taxonomy.yaml"
    changed.write_text(text.replace("Transport", "Sustainable Transport", 1), encoding="utf-8")
    report = ingest(store, corpus, load_taxonomy(changed), default_evaluation=DEFAULT)
    assert report.not_parsed == 0


def test_a_note_with_attached_files_is_always_parsed_again(store, corpus):
    from documents import pdf_with_pages

    (corpus / "cases" / "files").mkdir()
    (corpus / "cases" / "files" / "mou.pdf").write_bytes(pdf_with_pages(["A memorandum."]))
    text = NOTE.format(id="with-file", title="A note with a file").replace(
        "status: active", "status: active\nattachments: [files/mou.pdf]")
    (corpus / "cases" / "with-file.md").write_text(text, encoding="utf-8")
    assert run(store, corpus).ok
    report = run(store, corpus)
    assert report.not_parsed == 3 and "with-file" in report.unchanged
