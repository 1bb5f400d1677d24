"""Hostile uploads: a mixed good and bad upload (issue 16), a failure part-way that must leave
nothing behind, the .xlsx zip bomb and the YAML alias bomb (issue 11, attacks 1 and 2), and the
caps on rows, columns, cell length, nesting and time."""

import io
import re
import sqlite3
import time
import zipfile

import pytest
from contribution_library import contribution_app, xlsx_bytes
from hostile_inputs import ALIAS_BOMB, ROOT, alias_bomb_note, note_text, xlsx_bomb
from web_library import signed_in

from kmsearch.errors import ValidationError
from kmsearch.files.mapping import load_mapping
from kmsearch.files.sheets import check_archive
from kmsearch.limits import (
    MAX_CELL_CHARS,
    MAX_COLUMNS,
    MAX_IMPORT_XLSX_UNCOMPRESSED,
    MAX_NESTING,
    MAX_ROWS,
    MAX_XLSX_ENTRIES,
    MAX_XLSX_UNCOMPRESSED,
)
from kmsearch.taxonomy import load_taxonomy
from kmsearch.workflow.uploads import Budget, read_upload

TAXONOMY = load_taxonomy(ROOT / "corpus" / "taxonomy.yaml")
CONTRIBUTOR = signed_in("tom", "contributor", "transport")
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


pytestmark = pytest.mark.model  # the shared library it copies is indexed with the model


@pytest.fixture(scope="module")
def app(library_copy):
    app = contribution_app(library_copy("hostile-uploads"))
    yield app
    app.extensions["kmsearch"].store.close()


@pytest.fixture
def client(app):
    return app.test_client()


def upload(client, *files: tuple[str, bytes]):
    page = client.get("/contribute/upload", headers=CONTRIBUTOR).get_data(as_text=True)
    data = {"csrf_token": TOKEN.search(page).group(1),
            "files": [(io.BytesIO(content), name) for name, content in files]}
    return client.post("/contribute/upload", data=data, headers=CONTRIBUTOR,
                       content_type="multipart/form-data")


def case(app, case_id):
    return app.extensions["kmsearch"].store.get_case(case_id)


def test_a_mixed_upload_saves_the_good_file_and_reports_the_bad_one(app, client):
    bad = note_text("upload-bad-month", "end_year", "end_year: 2019-13-01")
    response = upload(client, ("upload-good-one.md", note_text("upload-good-one").encode()),
                      ("upload-bad-month.md", bad.encode()))
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html[-2000:]
    assert "1 note saved as drafts, 1 problem" in html
    assert "upload-good-one" in html and "upload-bad-month.md line" in html
    assert "cannot read &#39;2019-13-01&#39; as a YAML timestamp" in html
    assert case(app, "upload-good-one").state == "draft"
    assert case(app, "upload-bad-month") is None


def test_a_failure_part_way_through_an_upload_leaves_nothing_saved_and_a_retry_works(app, client):
    files = [(f"{name}.md", note_text(name).encode())
             for name in ("upload-first", "upload-fails", "upload-last")]
    db_path = app.extensions["kmsearch"].settings.db_path
    with sqlite3.connect(db_path) as db:  # a real failure in the database, on the second note
        db.execute("CREATE TRIGGER refuse_one BEFORE INSERT ON cases WHEN NEW.id = 'upload-fails' "
                   "BEGIN SELECT RAISE(ABORT, 'simulated disk failure'); END")
    failed = upload(client, *files)
    assert failed.status_code == 500
    assert "nothing from it was saved" in failed.get_data(as_text=True)
    assert [case(app, name) for name in ("upload-first", "upload-fails", "upload-last")] == \
        [None, None, None]
    with sqlite3.connect(db_path) as db:
        db.execute("DROP TRIGGER refuse_one")
    retry = upload(client, *files)
    assert "3 notes saved as drafts" in retry.get_data(as_text=True)
    assert all(case(app, name).state == "draft"
               for name in ("upload-first", "upload-fails", "upload-last"))


def test_the_xlsx_zip_bomb_is_refused_within_a_second_naming_the_file_and_the_limit(client):
    bomb = xlsx_bomb(64)
    assert len(bomb) < 1024 * 1024
    start = time.perf_counter()
    response = upload(client, ("bomb.xlsx", bomb))  # over 32 KB: the background worker reads it
    assert response.status_code == 303
    while "Upload done" not in (html := client.get(response.headers["Location"],
                                                   headers=CONTRIBUTOR).get_data(as_text=True)):
        assert time.perf_counter() - start < 1.0, "the bomb was not refused within a second"
        time.sleep(0.02)
    assert time.perf_counter() - start < 1.0
    assert "0 notes saved as drafts, 1 problem" in html
    assert re.search(r"bomb\.xlsx: the workbook unpacks to 6\d,\d{3},\d{3} bytes; the limit "
                     rf"is {MAX_XLSX_UNCOMPRESSED:,}", html), html[-1500:]


def test_archives_with_too_many_members_are_refused_before_opening():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for number in range(MAX_XLSX_ENTRIES + 1):
            archive.writestr(f"part{number}.xml", "<x/>")
    refused = read_upload("parts.xlsx", out.getvalue())
    (problem,) = refused.problems
    assert problem.source == "parts.xlsx" and f"the limit is {MAX_XLSX_ENTRIES}" in problem.message
    sheet = io.BytesIO(xlsx_bytes([["title"], ["A"]]))
    assert check_archive("ok.xlsx", sheet, MAX_XLSX_UNCOMPRESSED, MAX_XLSX_ENTRIES) is None


def test_archives_on_disk_are_measured_the_same_way(tmp_path):
    """`kmsearch import` reads registers from disk with the same check, at its own limit."""
    path = tmp_path / "register.xlsx"
    path.write_bytes(xlsx_bomb(64))
    problem = check_archive(str(path), path, MAX_XLSX_UNCOMPRESSED, MAX_XLSX_ENTRIES)
    assert problem.source == str(path) and "the workbook unpacks to 6" in problem.message
    assert check_archive(str(path), path, MAX_IMPORT_XLSX_UNCOMPRESSED, 1000) is None


def test_an_alias_bomb_in_an_import_mapping_is_refused(tmp_path):
    path = tmp_path / "mapping.yaml"
    path.write_text(ALIAS_BOMB, encoding="utf-8")
    start = time.perf_counter()
    with pytest.raises(ValidationError, match="anchors and aliases"):
        load_mapping(path, ["title"], TAXONOMY)
    assert time.perf_counter() - start < 1.0


def test_the_alias_bomb_upload_is_refused_within_a_second(app, client):
    start = time.perf_counter()
    response = upload(client, ("alias-bomb.md", alias_bomb_note().encode()))
    assert time.perf_counter() - start < 1.0
    html = response.get_data(as_text=True)
    assert "alias-bomb.md line" in html and "anchors and aliases" in html
    assert case(app, "alias-bomb") is None


def test_rows_columns_cell_length_and_nesting_are_capped():
    header = "title,division,status\n"
    many = read_upload("many.csv", (header + "T,trade,active\n" * (MAX_ROWS + 1)).encode())
    assert f"more than {MAX_ROWS:,} rows" in many.problems[0].message and not many.entries
    wide = read_upload("wide.csv", ("a," * MAX_COLUMNS + "b\n").encode())
    assert f"more than {MAX_COLUMNS} columns" in wide.problems[0].message
    long_cell = read_upload("long.csv", (header + "T,trade," + "x" * (MAX_CELL_CHARS + 1))
                            .encode())
    assert f"{MAX_CELL_CHARS:,} characters" in long_cell.problems[0].message
    deep = "[" * 40_000 + "]" * 40_000  # json.loads raises RecursionError on this
    nested = read_upload("nested.csv", f'title,extra\nT,"{{""x"": {deep}}}"\n'.encode())
    assert nested.problems[0].field == "extra"
    shallow = "[" * (MAX_NESTING + 5) + "]" * (MAX_NESTING + 5)
    kept = read_upload("nested.csv", f'title,extra\nT,"{{""x"": {shallow}}}"\n'.encode())
    assert kept.entries[0].fields["x"]  # read here; the validator refuses the depth


def test_an_upload_over_its_time_budget_stops_with_a_clear_message():
    spent = read_upload("notes.csv", b"title,division\nA,trade\nB,trade\n", budget=Budget(0.0))
    (problem,) = spent.problems
    assert problem.source == "notes.csv row 1"
    assert "took more than 0 s (the limit)" in problem.message and not spent.entries
