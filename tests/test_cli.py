import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from kmsearch.cli import cli
from kmsearch.store.cases import Store

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
GOOD = (CORPUS / "cases" / "vehicle-event-data-road-safety.md").read_text(encoding="utf-8")


@pytest.fixture
def env(tmp_path):
    return {
        "KMSEARCH_DB": str(tmp_path / "db" / "kmsearch.db"),
        "KMSEARCH_INDEX_DIR": str(tmp_path / "indexes"),
        "KMSEARCH_CORPUS_DIR": str(CORPUS),
    }


def run(env, *args):
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


@pytest.fixture
def broken_folder(tmp_path):
    folder = tmp_path / "incoming"
    folder.mkdir()
    (folder / "vehicle-event-data-road-safety.md").write_text(GOOD, encoding="utf-8")
    (folder / "bad-yaml.md").write_text("---\nid: bad-yaml\ntitle: [unclosed\n---\nBody\n")
    (folder / "unknown-division.md").write_text(
        GOOD.replace("id: vehicle-event-data-road-safety", "id: unknown-division")
        .replace("division: Transport", "division: Space Exploration")
    )
    (folder / "sdg-eighteen.md").write_text(
        GOOD.replace("id: vehicle-event-data-road-safety", "id: sdg-eighteen")
        .replace("sdgs: [3, 11, 9]", "sdgs: [3, 18]")
    )
    (folder / "missing-title.md").write_text(
        GOOD.replace("id: vehicle-event-data-road-safety", "id: missing-title")
        .replace("title: In-vehicle event data", "subtitle: In-vehicle event data")
    )
    (folder / "latin1.md").write_bytes(
        GOOD.replace("id: vehicle-event-data-road-safety", "id: latin1").encode("utf-8")
        + "Caf\u00e9".encode("latin-1")
    )
    (folder / "empty.md").write_bytes(b"")
    return folder


def test_validate_prints_one_precise_line_per_problem_and_exits_1(env, broken_folder):
    result = run(env, "validate", str(broken_folder))
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.startswith(str(broken_folder))]
    by_file = {Path(line.split(":")[0]).name: line for line in lines}
    assert len(lines) == 6, result.output
    assert "bad-yaml.md:4: invalid YAML" in by_file["bad-yaml.md"]
    assert "from line 3" in by_file["bad-yaml.md"]
    assert ":division:" in by_file["unknown-division.md"]
    assert "Space Exploration" in by_file["unknown-division.md"]
    assert ":sdgs" in by_file["sdg-eighteen.md"] and "18" in by_file["sdg-eighteen.md"]
    assert ":title:" in by_file["missing-title.md"]
    assert "UTF-8" in by_file["latin1.md"] and "0xe9" in by_file["latin1.md"]
    assert "empty" in by_file["empty.md"].lower()
    assert "7 files: 1 valid, 6 with problems" in result.output


def test_validate_writes_nothing(env, broken_folder):
    run(env, "validate", str(broken_folder))
    assert not Path(env["KMSEARCH_DB"]).exists()


def test_ingest_loads_the_good_files_of_a_broken_folder_and_exits_1(env, broken_folder):
    response = CORPUS / "evaluations" / "private-sector-2021.txt"
    run(env, "import-response", str(response), "--evaluation", "private-sector-2021", "--default")
    result = run(env, "ingest", "--no-index", str(broken_folder))
    assert result.exit_code == 1
    store = Store(env["KMSEARCH_DB"])
    assert [s.note.id for s in store.iter_cases()] == ["vehicle-event-data-road-safety"]
    assert "error:" in result.output


def test_ingesting_twice_leaves_the_database_unchanged(env):
    assert run(env, "ingest", "--no-index").exit_code == 0
    dump = list(Store(env["KMSEARCH_DB"]).db.conn.iterdump())
    second = run(env, "ingest", "--no-index")
    assert second.exit_code == 0
    assert "unchanged" in second.output
    assert list(Store(env["KMSEARCH_DB"]).db.conn.iterdump()) == dump


def test_markdown_export_round_trips_into_an_empty_database(env, tmp_path):
    assert run(env, "ingest", "--no-index").exit_code == 0
    exported = tmp_path / "exported"
    shutil.copytree(CORPUS / "evaluations", exported / "evaluations")
    result = run(env, "export", "--format", "markdown", "-o", str(exported / "cases"))
    assert result.exit_code == 0, result.output
    other = dict(env, KMSEARCH_DB=str(tmp_path / "other.db"))
    assert run(other, "ingest", "--no-index", str(exported)).exit_code == 0
    first = {s.note.id: s.note for s in Store(env["KMSEARCH_DB"]).iter_cases()}
    second = {s.note.id: s.note for s in Store(other["KMSEARCH_DB"]).iter_cases()}
    assert len(first) >= 40
    assert first == second


def test_json_and_csv_exports_name_every_note(env):
    run(env, "ingest", "--no-index")
    as_json = run(env, "export", "--format", "json").output
    as_csv = run(env, "export", "--format", "csv").output
    for case_id in ("vehicle-event-data-road-safety", "cefact-garment-traceability"):
        assert case_id in as_json and case_id in as_csv


def test_import_response_stores_eight_recommendations(env):
    result = run(
        env, "import-response", str(CORPUS / "evaluations" / "private-sector-2021.txt"),
        "--evaluation", "ps-2021", "--title", "Private sector", "--period", "2017-2021",
        "--date", "2021-09-27",
    )
    assert result.exit_code == 0, result.output
    store = Store(env["KMSEARCH_DB"])
    recs = store.list_recommendations("ps-2021")
    assert [r.number for r in recs] == list(range(1, 9))
    assert recs[4].response == "partially-accepted"


def test_import_response_reports_a_bad_date_clearly(env):
    result = CliRunner().invoke(
        cli,
        ["import-response", str(CORPUS / "evaluations" / "private-sector-2021.txt"),
         "--evaluation", "x", "--date", "27/09/2021"],
        env=env,
    )
    assert result.exit_code == 2
    assert "expected YYYY-MM-DD" in result.output


def test_stats_counts_cases_and_recommendations(env):
    run(env, "ingest", "--no-index")
    result = run(env, "stats", "--json")
    assert '"cases": 48' in result.output or '"cases": ' in result.output
    assert '"recommendations": 8' in result.output


def test_every_command_has_help(env):
    for command in ("init", "ingest", "validate", "import-response", "export", "stats",
                    "reindex", "search", "eval", "serve", "follow-up"):
        result = run(env, command, "--help")
        assert result.exit_code == 0 and "Usage:" in result.output


@pytest.fixture
def indexed_env(env):
    assert run(env, "ingest").exit_code == 0
    return env


@pytest.mark.model
def test_search_prints_a_ranked_table_with_snippets(indexed_env):
    result = run(indexed_env, "search", "carmakers sharing crash data", "--per-page", "3")
    assert result.exit_code == 0
    first = result.output.split("\n  1. ")[1]
    assert first.startswith("[case] In-vehicle event data")
    assert "/cases/vehicle-event-data-road-safety" in first


@pytest.mark.model
def test_search_json_has_the_api_shape_and_filters_apply(indexed_env):
    result = run(indexed_env, "search", "data", "--division", "Transport", "--json")
    data = json.loads(result.output)
    assert set(data) >= {"total", "hits", "facets", "suggestion"}
    assert data["hits"] and {hit["division"] for hit in data["hits"]} == {"transport"}


@pytest.mark.model
def test_search_refuses_an_unknown_filter_value_with_a_message(indexed_env):
    result = CliRunner().invoke(cli, ["search", "x", "--division", "Space"], env=indexed_env)
    assert result.exit_code == 1
    assert "unknown value 'Space'" in result.output


@pytest.mark.model
def test_search_as_anonymous_shows_public_notes_only(indexed_env):
    data = json.loads(run(indexed_env, "search", "", "--as", "anonymous", "--json",
                          "--per-page", "100").output)
    assert data["total"] > 0
    store = Store(indexed_env["KMSEARCH_DB"])
    for hit in data["hits"]:
        assert store.get_case(hit["case_id"]).note.visibility == "public"


@pytest.mark.model
def test_reindex_rebuilds_both_indexes(indexed_env):
    result = run(indexed_env, "reindex")
    assert result.exit_code == 0 and "reindexed" in result.output


@pytest.mark.model
def test_eval_prints_the_three_modes_on_a_beir_collection(env):
    result = run(env, "eval", str(ROOT / "tests" / "data" / "beir-tiny"))
    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line.split()[1:] for line in result.output.splitlines()[-3:]}
    assert set(rows) == {"hybrid", "keyword", "semantic"}
    for values in rows.values():
        assert all(0.0 <= float(v) <= 1.0 for v in values)


@pytest.mark.model
def test_eval_never_stops_on_a_long_or_odd_query(env, tmp_path):
    collection = tmp_path / "beir-long"
    shutil.copytree(ROOT / "tests" / "data" / "beir-tiny", collection)
    queries = (collection / "queries.jsonl").read_text(encoding="utf-8").splitlines()
    first = json.loads(queries[0])
    first["text"] = " ".join([first["text"]] * 40) + " " + "word " * 3000  # > 15,000 chars
    second = json.loads(queries[1])
    second["text"] = "the and of \u0001 *tion"
    lines = [json.dumps(first), json.dumps(second), *queries[2:]]
    (collection / "queries.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run(env, "eval", str(collection), "--mode", "keyword")
    assert result.exit_code == 0, result.output
    assert float(result.output.splitlines()[-1].split()[1]) > 0


@pytest.mark.model
def test_search_groups_lessons_and_says_why_a_query_found_nothing(indexed_env):
    grouped = run(indexed_env, "search", "partners data", "--mode", "keyword", "--per-page", "20")
    assert grouped.exit_code == 0 and "       - [lesson]" in grouped.output
    flat = run(indexed_env, "search", "partners data", "--flat", "--json")
    assert not json.loads(flat.output)["grouped"]
    empty = run(indexed_env, "search", "the and of")
    assert "0 results" in empty.output and "no searchable words" in empty.output
    like = run(indexed_env, "search", "--like", "division:trade crash data " * 30, "--json")
    assert json.loads(like.output)["hits"]


def test_follow_up_records_dated_progress_and_shows_the_history(env):
    run(env, "ingest", "--no-index")
    result = run(env, "follow-up", "6", "--status", "in-progress", "--note",
                 "Knowledge library released to two divisions.", "--date", "2026-11-20")
    assert result.exit_code == 0, result.output
    assert "private-sector-2021/6: in-progress" in result.output
    assert "2026-11-20" in result.output and "Knowledge library released" in result.output
    store = Store(env["KMSEARCH_DB"])
    assert store.get_recommendation("private-sector-2021/6").status == "in-progress"
    again = run(env, "ingest", "--no-index")
    assert again.exit_code == 0
    assert Store(env["KMSEARCH_DB"]).get_recommendation("private-sector-2021/6").status == (
        "in-progress")


def test_follow_up_refuses_an_unknown_recommendation_or_status(env):
    run(env, "ingest", "--no-index")
    missing = CliRunner().invoke(cli, ["follow-up", "9"], env=env)
    assert missing.exit_code == 1 and "No recommendation" in missing.output
    bad = CliRunner().invoke(cli, ["follow-up", "6", "--status", "done", "--note", "x"], env=env)
    assert bad.exit_code == 2 and "done" in bad.output
    half = CliRunner().invoke(cli, ["follow-up", "6", "--status", "implemented"], env=env)
    assert half.exit_code == 2 and "--note" in half.output
