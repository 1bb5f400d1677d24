import importlib.util
import sys
from collections import Counter
from pathlib import Path

import pytest

from kmsearch.config import PROJECT_ROOT
from kmsearch.files.corpus import read_corpus
from kmsearch.taxonomy import load_taxonomy

SCRIPT = PROJECT_ROOT / "benchmarks" / "generate_corpus.py"
_spec = importlib.util.spec_from_file_location("generate_corpus", SCRIPT)
generate_corpus = sys.modules["generate_corpus"] = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(generate_corpus)  # a script, not a package: loaded from its path

EVALUATION = "private-sector-2021"


def read_generated(folder: Path):
    return read_corpus(
        folder,
        taxonomy=load_taxonomy(folder / "taxonomy.yaml"),
        default_evaluation=EVALUATION,
        known_recommendations={f"{EVALUATION}/{n}" for n in range(1, 9)},
    )


def body_words(body: str) -> int:
    return sum(len(line.split()) for line in body.splitlines() if not line.startswith("#"))


def test_fifty_generated_notes_pass_corpus_validation(tmp_path):
    generate_corpus.main(["--notes", "50", "--out", str(tmp_path), "--seed", "7"])
    report = read_generated(tmp_path)
    assert report.problems == []
    assert report.files == 50
    notes = [note for _, note in report.notes]
    assert len({note.id for note in notes}) == 50
    assert all(2 <= len(note.lessons) <= 5 for note in notes)
    assert all(2016 <= note.start_year <= 2024 for note in notes)
    assert all(150 <= body_words(note.body) <= 500 for note in notes)
    assert len({note.division for note in notes}) >= 5
    assert {"public", "internal", "restricted"} <= {note.visibility for note in notes}
    assert (tmp_path / "evaluations" / f"{EVALUATION}.yaml").is_file()


def test_generated_notes_are_the_same_for_a_seed():
    first = list(generate_corpus.generate_notes(20, seed=3))
    assert list(generate_corpus.generate_notes(20, seed=3)) == first
    assert list(generate_corpus.generate_notes(20, seed=4)) != first


def test_generated_notes_reuse_the_sample_vocabulary_in_realistic_shares():
    texts = list(generate_corpus.generate_notes(400, seed=1))
    shares = Counter(
        line.split(": ", 1)[1] for text in texts for line in text.splitlines()
        if line.startswith("visibility: ")
    )
    assert 0.10 < shares["public"] / 400 < 0.20
    assert 0.05 < shares["restricted"] / 400 < 0.15
    assert sum("UN/CEFACT" in text for text in texts) > 10  # words of the sample notes


def test_an_empty_sample_folder_falls_back_to_built_in_phrases(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    folder = tmp_path / "corpus"
    (folder / "cases").mkdir(parents=True)
    (folder / "taxonomy.yaml").write_bytes((PROJECT_ROOT / "corpus" / "taxonomy.yaml").read_bytes())
    for text in generate_corpus.generate_notes(10, seed=2, sample_dir=empty):
        note_id = next(line[4:] for line in text.splitlines() if line.startswith("id: "))
        (folder / "cases" / f"{note_id}.md").write_text(text, encoding="utf-8")
    report = read_generated(folder)
    assert report.problems == []
    assert len(report.notes) == 10


def test_the_script_refuses_to_mix_with_existing_case_files(tmp_path):
    generate_corpus.main(["--notes", "2", "--out", str(tmp_path)])
    with pytest.raises(SystemExit, match="already holds case files"):
        generate_corpus.main(["--notes", "2", "--out", str(tmp_path)])
