"""Attached files: checked by content, kept by hash outside the database, read page by page;
encrypted, scanned, damaged and bomb files are kept and reported in under two seconds."""

import io
import time
from dataclasses import replace

import pytest
from documents import (
    corrupt_pdf,
    docx_bomb,
    docx_with_pages,
    pdf_with_pages,
    scanned_pdf,
)

from kmsearch.config import Settings
from kmsearch.errors import ValidationError
from kmsearch.files.attachments import Attachments, safe_name
from kmsearch.files.filetypes import detect
from kmsearch.store.cases import Store

PAGES = ["Opening page about customs.", "Second page on freight corridors.",
         "Third page where the tidal turbine warranty is explained."]


@pytest.fixture
def attachments(tmp_path):
    settings = Settings(db_path=tmp_path / "instance" / "kmsearch.db")
    return Attachments(Store(settings.db_path), settings)


def test_a_pdf_is_read_page_by_page_and_kept_by_its_hash(attachments, tmp_path):
    data = pdf_with_pages(PAGES)
    added = attachments.add("reports/Final report.pdf", data)
    assert added.attachment.name == "Final report.pdf"
    assert (added.attachment.type, added.attachment.size) == ("pdf", len(data))
    assert (added.file.pages, added.file.searchable, added.message) == (3, True, "")
    path = attachments.path(added.attachment)
    assert path == tmp_path / "instance" / "attachments" / added.attachment.sha256[:2] / \
        added.attachment.sha256
    assert path.read_bytes() == data
    texts = attachments.files.texts([added.attachment.sha256])[added.attachment.sha256]
    assert sorted(texts) == [1, 2, 3] and "tidal turbine warranty" in texts[3]


def test_the_same_bytes_are_extracted_once(attachments):
    data = pdf_with_pages(PAGES)
    first = attachments.add("a.pdf", data)
    second = attachments.add("b.pdf", data)
    assert second.file == first.file  # read from the database, not extracted again
    assert second.attachment.name == "b.pdf"
    count = attachments.files.store.db.execute("SELECT count(*) FROM attachment_files")
    assert count.fetchone()[0] == 1


def test_word_pages_end_at_page_breaks(attachments):
    added = attachments.add("memo.docx", docx_with_pages(PAGES))
    texts = attachments.files.texts([added.attachment.sha256])[added.attachment.sha256]
    assert added.attachment.type == "docx" and added.file.pages == 3
    assert "tidal turbine" in texts[3] and "tidal" not in texts[1]


def test_sheets_and_slides_are_pages(attachments):
    from openpyxl import Workbook
    from pptx import Presentation
    from pptx.util import Inches

    book = Workbook()
    book.active.title = "Budget"
    book.active.append(["Item", "Amount"])
    book.active.append(["Sensors", 1200])
    book.create_sheet("Partners").append(["Example Ports Ltd", "business"])
    out = io.BytesIO()
    book.save(out)
    sheet = attachments.add("budget.xlsx", out.getvalue())
    deck = Presentation()
    for title in ("Kick-off", "Results of the pilot"):
        slide = deck.slides.add_slide(deck.slide_layouts[5])
        slide.shapes.title.text = title
        slide.shapes.add_textbox(Inches(1), Inches(2), Inches(5), Inches(1)).text_frame.text = \
            f"{title} details"
    out = io.BytesIO()
    deck.save(out)
    slides = attachments.add("deck.pptx", out.getvalue())
    texts = attachments.files.texts([sheet.attachment.sha256, slides.attachment.sha256])
    assert (sheet.attachment.type, sheet.file.pages) == ("xlsx", 2)
    assert "Sensors\t1200" in texts[sheet.attachment.sha256][1]
    assert "Example Ports Ltd" in texts[sheet.attachment.sha256][2]
    assert (slides.attachment.type, slides.file.pages) == ("pptx", 2)
    assert "Results of the pilot details" in texts[slides.attachment.sha256][2]


def test_the_type_comes_from_the_content_not_the_name(attachments):
    assert detect("looks-like.txt", pdf_with_pages(["x"])).type == "pdf"
    assert detect("notes.pdf", b"# Heading\n\nplain words").type == "txt"
    assert detect("notes.md", b"# Heading").type == "md"
    with pytest.raises(ValidationError, match="not a file type that can be attached"):
        attachments.add("photo.pdf", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    with pytest.raises(ValidationError, match="old binary Office file"):
        attachments.add("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)


def test_a_file_over_the_size_limit_is_refused_before_anything_is_kept(tmp_path):
    settings = Settings(db_path=tmp_path / "kmsearch.db", max_attachment_bytes=1000)
    attachments = Attachments(Store(settings.db_path), settings)
    with pytest.raises(ValidationError, match="is more than the 1,000 bytes an attachment may"):
        attachments.add("big.txt", b"x" * 1001)
    assert not (tmp_path / "attachments").exists()


def test_pages_past_the_limit_are_kept_but_not_read(tmp_path):
    settings = Settings(db_path=tmp_path / "kmsearch.db", max_attachment_pages=2)
    attachments = Attachments(Store(settings.db_path), settings)
    added = attachments.add("long.pdf", pdf_with_pages(PAGES))
    assert added.file.pages == 2
    assert added.message == "only the first 2 of 3 pages are searchable"


@pytest.mark.parametrize(("name", "make", "expected"), [
    ("damaged.pdf", corrupt_pdf, "a damaged PDF"),
    ("locked.pdf", lambda: pdf_with_pages(PAGES, password="secret"),
     "encrypted (password-protected); kept as a file, not searchable"),
    ("scan.pdf", scanned_pdf, "no text layer (a scanned image?); not searchable"),
    ("bomb.docx", docx_bomb, "times (more than 200), as in a zip bomb; kept as a file"),
    ("broken.docx", lambda: docx_with_pages(PAGES)[:2000], "a damaged DOCX file"),
])
def test_unreadable_files_are_kept_and_reported_in_under_two_seconds(
    attachments, name, make, expected
):
    data = make()
    started = time.monotonic()
    added = attachments.add(name, data)
    elapsed = time.monotonic() - started
    assert elapsed < 2.0, f"{name} took {elapsed:.2f} s"
    assert expected in added.message
    assert not added.file.searchable
    assert attachments.path(added.attachment).read_bytes() == data  # nothing lost


def test_an_office_file_unpacking_to_too_much_is_not_opened():
    found = detect("huge.docx", docx_bomb(unpacked_mb=210))
    assert (found.type, found.unsafe) == ("docx", "it would unpack to 210.0 MB (more than "
                                          "200.0 MB)")


def test_a_slow_extraction_is_stopped_at_the_time_budget(tmp_path):
    settings = Settings(db_path=tmp_path / "kmsearch.db", extract_seconds=0)
    attachments = Attachments(Store(settings.db_path), settings)
    added = attachments.add("report.pdf", pdf_with_pages(PAGES))
    assert added.message == ("reading its text took longer than 0 s; kept as a file, "
                             "not searchable")
    assert attachments.path(added.attachment).is_file()


def test_file_names_are_made_safe_for_headers_and_pages():
    assert safe_name("../../etc/passwd") == "passwd"
    assert safe_name('C:\\Users\\x\\My "report".pdf') == "My _report_.pdf"
    assert safe_name("\r\nSet-Cookie: a=b.pdf") == "Set-Cookie_ a_b.pdf"
    assert safe_name("...") == "attachment"
    assert len(safe_name("a" * 300 + ".pdf")) <= 120 and safe_name("a" * 300 + ".pdf").endswith(
        ".pdf")


def test_corpus_notes_name_their_files_relative_to_the_note(attachments, tmp_path):
    from kmsearch.records import Attachment, CaseNote

    folder = tmp_path / "cases"
    (folder / "files").mkdir(parents=True)
    (folder / "files" / "mou.pdf").write_bytes(pdf_with_pages(PAGES))
    note = CaseNote("n", "A note", "trade",
                    attachments=[Attachment("mou.pdf", source="files/mou.pdf")])
    resolved = attachments.resolve(note, folder / "n.md")
    [attachment] = resolved.attachments
    assert (attachment.name, attachment.source, attachment.type) == (
        "mou.pdf", "files/mou.pdf", "pdf")
    assert len(attachment.sha256) == 64
    missing = replace(note, attachments=[Attachment("gone.pdf", source="files/gone.pdf")])
    with pytest.raises(ValidationError, match="attachments: cannot read 'files/gone.pdf'"):
        attachments.resolve(missing, folder / "n.md")


@pytest.mark.model  # attaching to a published note re-indexes it
def test_an_exported_corpus_carries_its_files_and_reads_back_the_same(tmp_path):
    from click.testing import CliRunner

    from kmsearch.cli import cli
    from kmsearch.config import PROJECT_ROOT

    env = {"KMSEARCH_DB": str(tmp_path / "db" / "kmsearch.db"),
           "KMSEARCH_INDEX_DIR": str(tmp_path / "indexes"),
           "KMSEARCH_CORPUS_DIR": str(PROJECT_ROOT / "corpus")}
    runner = CliRunner()
    assert runner.invoke(cli, ["ingest", "--no-index"], env=env).exit_code == 0
    report = tmp_path / "report.pdf"
    report.write_bytes(pdf_with_pages(PAGES))
    attached = runner.invoke(cli, ["attach", "cefact-garment-traceability", str(report),
                                   "--publish"], env=env)
    assert attached.exit_code == 0, attached.output
    assert "report.pdf (PDF," in attached.output and "3 pages read) updated" in attached.output
    assert "waiting for review" in attached.output and "published, revision" in attached.output
    out = tmp_path / "export"
    exported = runner.invoke(cli, ["export", "-o", str(out)], env=env)
    assert "with 1 attached files" in exported.output
    text = (out / "cefact-garment-traceability.md").read_text(encoding="utf-8")
    assert "attachments: [files/cefact-garment-traceability/report.pdf]" in text
    assert (out / "files" / "cefact-garment-traceability" / "report.pdf").read_bytes() == \
        report.read_bytes()
    assert runner.invoke(cli, ["validate", str(out)], env=env).exit_code == 0
