"""Management responses as Word and PDF files: the same parser, the same recommendations as
the text file, problems pointed at a page or paragraph, the original kept with the evaluation."""

import io
from pathlib import Path

import pytest
from click.testing import CliRunner
from documents import RESPONSE_TXT, response_docx, response_pdf, scanned_pdf
from pypdf import PdfReader

from kmsearch.cli import cli
from kmsearch.config import Settings
from kmsearch.errors import ValidationError
from kmsearch.files.responsedocs import pdf_page_lines, read_response
from kmsearch.library import Library

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def env(tmp_path):
    return {
        "KMSEARCH_DB": str(tmp_path / "db" / "kmsearch.db"),
        "KMSEARCH_INDEX_DIR": str(tmp_path / "indexes"),
        "KMSEARCH_CORPUS_DIR": str(ROOT / "corpus"),
    }


def run(env, *args):
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def recommendations(env, evaluation_id):
    library = Library(Settings.from_env(db_path=env["KMSEARCH_DB"]))
    return library.store.get_evaluation(evaluation_id)


def test_import_response_of_word_and_pdf_gives_the_eight_recommendations_of_the_text(
    env, tmp_path
):
    docx_path, pdf_path = tmp_path / "mr-2021.docx", tmp_path / "mr-2021.pdf"
    docx_path.write_bytes(response_docx())
    pdf_path.write_bytes(response_pdf())
    for path, evaluation_id in ((RESPONSE_TXT, "from-text"), (docx_path, "from-word"),
                                (pdf_path, "from-pdf")):
        result = run(env, "import-response", str(path), "--evaluation", evaluation_id)
        assert result.exit_code == 0, result.output
        assert "created, 8 recommendations" in result.output
    text = recommendations(env, "from-text")
    for other in (recommendations(env, "from-word"), recommendations(env, "from-pdf")):
        assert (other.title, other.period, other.date) == (text.title, text.period, text.date)
        assert len(other.recommendations) == 8
        for mine, theirs in zip(other.recommendations, text.recommendations, strict=True):
            assert (mine.number, mine.text, mine.response, mine.response_text, mine.actions,
                    mine.responsibility, mine.timeline) == (
                theirs.number, theirs.text, theirs.response, theirs.response_text,
                theirs.actions, theirs.responsibility, theirs.timeline)
    assert "\n\n" in text.recommendations[4].actions  # two paragraphs, kept apart in the PDF too


def test_the_original_document_is_kept_with_the_evaluation(env, tmp_path):
    pdf_path = tmp_path / "mr-2021.pdf"
    pdf_path.write_bytes(response_pdf())
    assert run(env, "import-response", str(pdf_path), "--evaluation", "ps").exit_code == 0
    library = Library(Settings.from_env(db_path=env["KMSEARCH_DB"]))
    [kept] = library.attachments.files.evaluation_files("ps")
    assert (kept.name, kept.type, kept.size) == ("mr-2021.pdf", "pdf", pdf_path.stat().st_size)
    found, path = library.evaluation_file("ps", kept.sha256)
    assert path.read_bytes() == pdf_path.read_bytes()
    assert path.is_relative_to(Path(env["KMSEARCH_DB"]).parent / "attachments")


def test_a_scanned_cover_page_is_reported_and_the_typed_pages_still_parse(env, tmp_path):
    pdf_path = tmp_path / "signed.pdf"
    pdf_path.write_bytes(response_pdf(scanned_page=True))
    result = CliRunner().invoke(
        cli, ["import-response", str(pdf_path), "--evaluation", "signed"], env=env)
    assert result.exit_code == 0, result.output
    assert "8 recommendations" in result.stdout
    assert "signed.pdf, page 2: no text layer (a scanned image?)" in result.stderr


def test_a_wholly_scanned_response_is_refused_with_a_clear_message(env, tmp_path):
    path = tmp_path / "scan.pdf"
    path.write_bytes(scanned_pdf())
    result = CliRunner().invoke(cli, ["import-response", str(path), "--evaluation", "scan"],
                                env=env)
    assert result.exit_code == 1
    assert "scan.pdf:file: no text layer on any page (a scanned image?)" in result.output


def test_problems_in_a_pdf_name_the_page_and_line(tmp_path):
    text = RESPONSE_TXT.read_text(encoding="utf-8")
    broken = text.replace("Timeline: 31 December 2022", "Timeline: sometime soon")
    data = response_pdf(broken)
    with pytest.raises(ValidationError) as raised:
        read_response("broken.pdf", data, evaluation_id="x")
    [problem] = raised.value.problems
    assert problem.field == "recommendation 6.timeline"
    page, line = (int(part.split()[-1]) for part in problem.source.split(", ")[1:])
    lines = pdf_page_lines(PdfReader(io.BytesIO(data)).pages[page - 1])
    assert lines[line - 1] == "Timeline: sometime soon"


def test_problems_in_a_word_file_name_the_paragraph():
    text = RESPONSE_TXT.read_text(encoding="utf-8")
    broken = text.replace("Timeline: 31 December 2022", "Timeline: sometime soon")
    with pytest.raises(ValidationError) as raised:
        read_response("broken.docx", response_docx(broken), evaluation_id="x")
    [problem] = raised.value.problems
    assert problem.source.startswith("broken.docx, paragraph ")
    assert problem.field == "recommendation 6.timeline"
    assert str(problem).endswith("could not read 'sometime soon' as a date; expected "
                                 "'31 December 2023', 'December 2023', '31/12/2023', "
                                 "'2023-12-31' or '2023'")


def test_a_spreadsheet_is_not_taken_for_a_response(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    book.active["A1"] = "Recommendation 1"
    path = tmp_path / "mr.xlsx"
    book.save(path)
    with pytest.raises(ValidationError, match="expected a management response as .txt, .docx"):
        read_response("mr.xlsx", path.read_bytes(), evaluation_id="x")
