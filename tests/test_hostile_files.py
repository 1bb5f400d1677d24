"""Corpus files that crashed the validator and ingest (issue 16), and the YAML alias bomb
(issue 11, attack 1): each is a problem naming its file, and the other files still load."""

import shutil
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from hostile_inputs import ALIAS_BOMB, CRASHING_FIELDS, GOOD, GOOD_ID, alias_bomb_note, note_text

from kmsearch.cli import INTERNAL_EXIT, PROBLEMS_EXIT, cli
from kmsearch.config import PROJECT_ROOT
from kmsearch.errors import ValidationError
from kmsearch.files.corpus import parse_case_text, read_case_file
from kmsearch.files.responses import load_evaluations
from kmsearch.files.validation import note_from_fields
from kmsearch.limits import MAX_NESTING
from kmsearch.store.cases import Store
from kmsearch.taxonomy import load_taxonomy

TAXONOMY = load_taxonomy(PROJECT_ROOT / "corpus" / "taxonomy.yaml")
CORPUS = PROJECT_ROOT / "corpus"


def parse(text: str, source: str = "note.md"):
    return parse_case_text(text, source=source, taxonomy=TAXONOMY,
                           default_evaluation="private-sector-2021")


@pytest.fixture
def env(tmp_path):
    return {"KMSEARCH_DB": str(tmp_path / "db" / "kmsearch.db"),
            "KMSEARCH_INDEX_DIR": str(tmp_path / "indexes"), "KMSEARCH_CORPUS_DIR": str(CORPUS)}


@pytest.fixture
def hostile_folder(tmp_path) -> Path:
    """Every file that crashed the validator, the alias bomb, and two good files."""
    folder = tmp_path / "incoming"
    folder.mkdir()
    for name, (field_name, line) in CRASHING_FIELDS.items():
        (folder / f"{name}.md").write_text(note_text(name, field_name, line), encoding="utf-8")
    (folder / "alias-bomb.md").write_text(alias_bomb_note(), encoding="utf-8")
    (folder / f"{GOOD_ID}.md").write_text(GOOD, encoding="utf-8")
    (folder / "another-good-note.md").write_text(note_text("another-good-note"), encoding="utf-8")
    shutil.copytree(CORPUS / "evaluations", folder / "evaluations")
    return folder


def run(env, *args):
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


@pytest.mark.parametrize("name", sorted(CRASHING_FIELDS))
def test_each_crashing_file_is_a_validation_problem_naming_its_field_or_line(name):
    field_name, line = CRASHING_FIELDS[name]
    with pytest.raises(ValidationError) as caught:
        parse(note_text(name, field_name, line), f"{name}.md")
    problems = caught.value.problems
    assert problems and all(p.source == f"{name}.md" for p in problems)
    first = problems[0]
    assert first.line or first.field, first
    assert len(str(first)) < 400


def test_yaml_value_errors_name_the_value_and_the_line():
    text = note_text("bad-month", "end_year", "end_year: 2019-13-01")
    with pytest.raises(ValidationError) as caught:
        parse(text, "bad-month.md")
    (problem,) = caught.value.problems
    assert "cannot read '2019-13-01' as a YAML timestamp" in problem.message
    assert text.splitlines()[problem.line - 1] == "end_year: 2019-13-01"


def test_a_date_keyed_mapping_and_huge_numbers_are_reported_not_crashed_on():
    with pytest.raises(ValidationError) as caught:
        note_from_fields({"id": "x", "title": "T", "division": "trade",
                          "visibility": {__import__("datetime").date(2019, 1, 1): "x"},
                          "start_year": "9" * 5000, "sdgs": [10**5000], "budget": 10**200},
                         "", source="form", taxonomy=TAXONOMY,
                         default_evaluation="private-sector-2021")
    messages = {p.field: p.message for p in caught.value.problems}
    assert messages["visibility"].startswith('expected one of public, internal, restricted, '
                                             'found {"2019-01-01": "x"}')
    assert "expected a year 1945-2100" in messages["start_year"]
    assert "at most 100 digits" in messages["sdgs"] and "at most 100 digits" in messages["budget"]


def test_deeply_nested_extra_fields_are_refused_at_the_limit():
    deep: object = "leaf"
    for _ in range(491):
        deep = [deep]
    with pytest.raises(ValidationError, match=f"nested more than {MAX_NESTING} levels"):
        note_from_fields({"id": "x", "title": "T", "division": "trade", "extra": deep}, "",
                         source="form", taxonomy=TAXONOMY, default_evaluation="p")


def test_the_alias_bomb_is_refused_within_a_second_naming_the_file_and_the_rule(tmp_path):
    path = tmp_path / "alias-bomb.md"
    path.write_text(alias_bomb_note(), encoding="utf-8")
    assert len(ALIAS_BOMB) < 400
    start = time.perf_counter()
    with pytest.raises(ValidationError) as caught:
        read_case_file(path, taxonomy=TAXONOMY, default_evaluation="private-sector-2021")
    assert time.perf_counter() - start < 1.0
    (problem,) = caught.value.problems
    assert problem.source == str(path)
    assert "anchors and aliases" in problem.message and "limit" in problem.message


def test_evaluation_metadata_refuses_aliases_and_bad_values_too(tmp_path):
    (tmp_path / "ev.txt").write_text("Recommendation 1: do it\n", encoding="utf-8")
    (tmp_path / "ev.yaml").write_text(f"id: ev\ndate: 2019-13-01\n{ALIAS_BOMB}",
                                      encoding="utf-8")
    with pytest.raises(ValidationError, match="anchors and aliases"):
        load_evaluations(tmp_path)
    (tmp_path / "ev.yaml").write_text("id: ev\ndate: 2019-13-01\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="cannot read '2019-13-01'"):
        load_evaluations(tmp_path)


def test_validate_reports_each_bad_file_checks_the_rest_and_exits_1(env, hostile_folder):
    start = time.perf_counter()
    result = run(env, "validate", str(hostile_folder))
    assert time.perf_counter() - start < 20
    assert result.exit_code == PROBLEMS_EXIT, result.output
    assert "Traceback" not in result.output
    bad = {Path(line.split(":")[0]).stem for line in result.output.splitlines()
           if line.startswith(str(hostile_folder))}
    assert bad == {*CRASHING_FIELDS, "alias-bomb"}
    total = len(CRASHING_FIELDS) + 3
    assert result.output.splitlines()[-1].startswith(f"{total} files: 2 valid, {total - 2} with "
                                                     "problems")


def test_ingest_of_a_hostile_folder_loads_the_good_files(env, hostile_folder):
    result = run(env, "ingest", str(hostile_folder), "--no-index")
    assert result.exit_code == PROBLEMS_EXIT
    assert "Traceback" not in result.output
    store = Store(env["KMSEARCH_DB"])
    assert set(store.case_ids(origin="corpus")) == {GOOD_ID, "another-good-note"}
    store.close()


def test_an_unexpected_failure_names_the_file_exits_3_and_checks_the_others(
        env, hostile_folder, monkeypatch):
    """A fault of kmsearch (here, reading the disk fails in a way no one foresaw) is told apart
    from problems in the input by its exit status."""
    victim = hostile_folder / "another-good-note.md"
    read_bytes = Path.read_bytes

    def failing(self):
        if self == victim:
            raise RuntimeError("simulated disk driver fault")
        return read_bytes(self)

    monkeypatch.setattr(Path, "read_bytes", failing)
    result = run(env, "validate", str(hostile_folder))
    assert result.exit_code == INTERNAL_EXIT != PROBLEMS_EXIT
    assert f"internal error: {victim}: internal error while reading this file (RuntimeError" \
        in result.output
    assert "1 valid" in result.output.splitlines()[-1]
    ingested = run(env, "ingest", str(hostile_folder), "--no-index")
    assert ingested.exit_code == INTERNAL_EXIT
    store = Store(env["KMSEARCH_DB"])
    assert set(store.case_ids(origin="corpus")) == {GOOD_ID}
    store.close()
