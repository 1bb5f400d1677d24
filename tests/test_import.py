"""Importing a register kept as a sheet: mapping, re-import, sources, and messages per row."""

import csv
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from register import MAPPING, write_register

from kmsearch.cli import cli
from kmsearch.errors import ValidationError
from kmsearch.files.importer import import_rows
from kmsearch.files.ingest import ingest
from kmsearch.files.mapping import check_mapping, goals, identity_mapping, load_mapping
from kmsearch.files.propose import propose_mapping
from kmsearch.files.sheets import read_rows
from kmsearch.files.slugs import slug
from kmsearch.store.cases import Store
from kmsearch.taxonomy import load_taxonomy

ROOT = Path(__file__).resolve().parents[1]
TAXONOMY = load_taxonomy(ROOT / "corpus" / "taxonomy.yaml")
DEFAULT = "private-sector-2021"


@pytest.fixture(scope="module")
def register(tmp_path_factory) -> Path:
    return write_register(tmp_path_factory.mktemp("register") / "register.xlsx", rows=3000)


@pytest.fixture
def store(tmp_path) -> Store:
    store = Store(tmp_path / "kmsearch.db")
    ingest(store, ROOT / "corpus", TAXONOMY, default_evaluation=DEFAULT)
    return store


@pytest.fixture(scope="module")
def imported_db(tmp_path_factory, register):
    """A database holding the corpus and the register imported once, and that first report."""
    path = tmp_path_factory.mktemp("imported") / "kmsearch.db"
    store = Store(path)
    ingest(store, ROOT / "corpus", TAXONOMY, default_evaluation=DEFAULT)
    report = run_import(store, register)
    store.close()
    return path, report


@pytest.fixture
def imported(imported_db, tmp_path):
    """A copy of that database for one test to change, and the first import's report."""
    path, report = imported_db
    copy = tmp_path / "kmsearch.db"
    shutil.copy(path, copy)
    return Store(copy), report


def run_import(store, path, mapping_text=MAPPING, **options):
    header, rows = read_rows(path)
    mapping = check_mapping(__import__("yaml").safe_load(mapping_text), header, TAXONOMY, "map")
    options = {"source": "import:register", "author": "import", "default_evaluation": DEFAULT,
               **options}
    return import_rows(store, TAXONOMY, path.name, rows, mapping, **options)


def test_a_3000_row_register_imports_every_row_or_says_why_in_one_line(imported):
    store, report = imported
    assert report.rows == 3000
    assert len(report.created) + len(report.problems) == 3000
    assert len(report.problems) == 3000 // 97  # the rows written with SDG 18
    for problem in report.problems:
        assert "\n" not in str(problem)
        assert problem.source.startswith("register.xlsx row ")
        assert problem.message == "expected SDG numbers 1-17, found 18"
    ids = report.created
    assert len(set(ids)) == len(ids)  # duplicate titles still get ids of their own
    stored = store.get_case(ids[0])
    assert stored.state == "draft" and stored.origin == "import"
    assert stored.source == "import:register"


def test_the_register_s_own_words_become_kmsearch_values(imported):
    store, _ = imported
    notes = [s.note for s in store.iter_cases(states=("draft",))]
    by_title = {n.title: n for n in notes}
    statuses = {n.status for n in notes}
    assert statuses == {"active", "completed", "proposed", "discontinued"}
    types = {p.type for n in notes for p in n.partners}
    assert types <= {"business", "public-sector", "academia", "other", "ngo", "foundation"}
    zolitur = [p for n in notes for p in n.partners if "ZOLITUR" in p.name]
    assert zolitur and zolitur[0].name == "Zona Libre de Turismo (ZOLITUR)"
    assert {p.type for n in notes for p in n.partners if p.name.startswith("Partner ")} == \
        {"business"}
    hashed = [n for t, n in by_title.items() if t.startswith("#OceanAction")]
    assert hashed and all(n.id.startswith("sdgp-oceanaction") for n in hashed)
    assert any(t.startswith("CafÃ©") for t in by_title)  # mojibake kept as text, not refused
    chinese = next(n for n in notes if n.title.startswith("农村"))
    assert chinese.id.startswith("sdgp-oceanaction2")  # no letters to slug: the row's key
    russian = next(n for n in notes if n.title.startswith("Чистая"))
    assert russian.id.startswith("sdgp-chistaya-voda")
    assert all(1 <= sdg <= 17 for n in notes for sdg in n.sdgs)
    assert all(n.start_year and 2010 <= n.start_year <= 2023 for n in notes)
    assert all(n.extra["website"].startswith("https://example.org/") for n in notes)


def test_importing_the_same_sheet_again_changes_nothing(imported, register):
    store, first = imported
    before = list(store.db.conn.iterdump())
    again = run_import(store, register)
    assert (again.created, again.updated, again.removed) == ([], [], [])
    assert sorted(again.unchanged) == sorted(first.created)
    assert list(store.db.conn.iterdump()) == before


def test_an_edited_row_updates_its_note_and_a_removed_row_is_reported(imported, register,
                                                                       tmp_path):
    store, first = imported
    book = load_workbook(register)
    sheet = book.active
    sheet.cell(row=3, column=2).value = "Agua limpia: edited title"
    sheet.delete_rows(5)
    edited = tmp_path / "register.xlsx"
    book.save(edited)
    report = run_import(store, edited)
    assert len(report.updated) == 1 and report.created == []
    assert store.get_case(report.updated[0]).note.title == "Agua limpia: edited title"
    assert len(report.removed) == 1 and report.removed[0] in first.created
    assert store.get_case(report.removed[0]) is not None  # reported, never deleted


def test_a_dry_run_reports_the_same_and_changes_nothing(store, register):
    before = list(store.db.conn.iterdump())
    report = run_import(store, register, dry_run=True)
    assert len(report.created) == 3000 - 3000 // 97 and report.dry_run
    assert list(store.db.conn.iterdump()) == before


def test_ingesting_the_corpus_after_an_import_warns_about_none_of_its_notes(tmp_path, register):
    env = {"KMSEARCH_DB": str(tmp_path / "k.db"), "KMSEARCH_INDEX_DIR": str(tmp_path / "idx"),
           "KMSEARCH_CORPUS_DIR": str(ROOT / "corpus")}
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(MAPPING)
    runner = CliRunner()
    assert runner.invoke(cli, ["ingest", "--no-index"], env=env).exit_code == 0
    small = write_register(tmp_path / "small.xlsx", rows=30)
    result = runner.invoke(cli, ["import", str(small), "--mapping", str(mapping), "--no-index",
                                 "--source", "register"], env=env)
    assert result.exit_code == 0, result.output
    assert "created                 30" in result.output
    result = runner.invoke(cli, ["ingest", "--no-index"], env=env)
    assert result.exit_code == 0
    assert "warning" not in result.output
    assert "missing from corpus             0" in result.output
    other = tmp_path / "migrated"
    (other / "cases").mkdir(parents=True)
    garment = (ROOT / "corpus" / "cases" / "cefact-garment-traceability.md").read_text()
    for n in (1, 2):
        (other / "cases" / f"migrated-{n}.md").write_text(
            garment.replace("id: cefact-garment-traceability", f"id: migrated-{n}"))
    result = runner.invoke(cli, ["ingest", str(other), "--no-index"], env=env)
    assert "created              2" in result.output and "warning" not in result.output
    result = runner.invoke(cli, ["ingest", "--no-index"], env=env)
    assert "warning" not in result.output  # the corpus knows nothing of the other folder
    (other / "cases" / "migrated-2.md").unlink()
    result = runner.invoke(cli, ["ingest", str(other), "--no-index"], env=env)
    assert "warning: migrated-2: in the database but its file is no longer in" in result.output
    assert result.output.count("warning") == 1  # its own note only


def test_the_cli_proposes_a_mapping_that_imports_the_register(tmp_path, register):
    header, rows = read_rows(register)
    proposed = propose_mapping(header, rows, TAXONOMY)
    mapping = __import__("yaml").safe_load(proposed)
    assert mapping["columns"]["title"] == "Commitment title"
    assert mapping["columns"]["partners"] == "Lead entity"
    assert mapping["columns"]["status"] == "Progress"
    assert mapping["columns"]["sdgs"] == "SDG targets"
    assert mapping["columns"]["division"] == "Unit"
    assert mapping["source_key"] == "Commitment ID"
    assert mapping["values"]["status"]["Ongoing"] == "active"
    assert mapping["values"]["partner_type"]["Private sector"] == "business"
    assert mapping["values"]["partner_type"]["Foundation"] == "foundation"
    assert "id" not in mapping["columns"]  # "#OceanAction..." are keys, not ids
    check_mapping(mapping, header, TAXONOMY, "proposed")  # a usable mapping as it stands


def test_a_sheet_in_kmsearch_s_own_layout_needs_no_mapping(tmp_path, store):
    path = tmp_path / "export.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "title", "division", "partners", "sdgs", "status", "lessons"])
        writer.writerow(["road-data", "Road data", "Transport", "Velox Ltd (business)", "9; 11",
                         "active", "lesson: Agree early | pitfall: Late data"])
    header, rows = read_rows(path)
    mapping = identity_mapping(header)
    report = import_rows(store, TAXONOMY, path.name, rows, mapping, source="import:export",
                         author="t", default_evaluation=DEFAULT)
    assert report.created == ["road-data"], report.problems
    note = store.get_case("road-data").note
    assert [(p.name, p.type) for p in note.partners] == [("Velox Ltd", "business")]
    assert [lesson.kind for lesson in note.lessons] == ["lesson", "pitfall"]


def test_a_json_list_imports_like_a_sheet(tmp_path, store):
    path = tmp_path / "register.json"
    path.write_text(json.dumps([{"Name": "Rail data", "Unit": "Transport", "Goals": ["9", "11.2"],
                                 "State": "Ongoing", "Partner": "Rail Co (Private sector)"}]))
    header, rows = read_rows(path)
    mapping = check_mapping({"columns": {"title": "Name", "division": "Unit", "sdgs": "Goals",
                                         "status": "State", "partners": "Partner"}},
                            header, TAXONOMY, "map")
    report = import_rows(store, TAXONOMY, path.name, rows, mapping, source="import:json",
                         author="t", default_evaluation=DEFAULT)
    note = store.get_case(report.created[0]).note
    assert (note.sdgs, note.status, note.partners[0].type) == ([9, 11], "active", "business")


def test_a_mapping_naming_a_missing_column_or_no_division_is_refused_at_once(tmp_path, register):
    bad = tmp_path / "map.yaml"
    bad.write_text("columns:\n  title: Titel\n  nonsense: Progress\n")
    header, _ = read_rows(register)
    with pytest.raises(ValidationError) as caught:
        load_mapping(bad, header, TAXONOMY)
    messages = [str(p) for p in caught.value.problems]
    assert any("no column 'Titel'" in m and "'Commitment title'" in m for m in messages)
    assert any("columns.nonsense" in m and "unknown field" in m for m in messages)
    assert any(m.startswith(f"{bad}:division: required: map a column") for m in messages)


def test_sdg_targets_count_for_their_goal():
    assert goals("14.1, 14.a; SDG 5; Goal 17, 3.9") == [14, 5, 17, 3]
    assert goals("18.1") == [18]  # left for the validator to refuse, with the number


def test_ids_are_transliterated_and_cut_between_words():
    assert slug("Czysta woda dla wiejskich szkół") == "czysta-woda-dla-wiejskich-szkol"
    assert slug("Чистая вода") == "chistaya-voda"
    cut = slug("Sustainable and smart cities for all ages in the whole UNECE region " * 2)
    assert len(cut) <= 60 and not cut.endswith("-")
    assert ("Sustainable and smart cities for all ages in the whole UNECE region "
            .casefold().replace(" ", "-")).startswith(cut)
