"""Real-format documents for the tests, made here: the shipped management response as Word and
PDF (header tables, page footers); PDFs with given pages; scanned, encrypted, broken, bomb files."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from docx import Document
from docx.enum.text import WD_BREAK
from fpdf import FPDF

ROOT = Path(__file__).resolve().parent.parent
RESPONSE_TXT = ROOT / "corpus" / "evaluations" / "private-sector-2021.txt"
FOOTER = "Management Response, Evaluation, PMU, UNECE"


def response_blocks(text: str) -> list[tuple[str, object]]:
    """The response as ("heading"|"table"|"paragraph"|"page", content) blocks, in order."""
    blocks: list[tuple[str, object]] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        if line.strip() == FOOTER:
            blocks.append(("page", None))
        elif "\t" in line:
            cells = line.rstrip("\t").split("\t")
            if blocks and blocks[-1][0] == "table" and len(blocks[-1][1][0]) == len(cells):
                blocks[-1][1].append(cells)
            else:
                blocks.append(("table", [cells]))
        elif line.strip().isupper():
            blocks.append(("heading", line.strip()))
        else:
            blocks.append(("paragraph", line.strip()))
    while blocks and blocks[-1][0] == "page":
        blocks.pop()
    return blocks


def response_docx(text: str | None = None) -> bytes:
    """The management response as a Word file: tables for the header block, a footer on every
    page, page breaks where the original pages end."""
    text = text if text is not None else RESPONSE_TXT.read_text(encoding="utf-8")
    document = Document()
    document.sections[0].footer.paragraphs[0].text = f"{FOOTER}    Page"
    for kind, content in response_blocks(text):
        if kind == "heading":
            document.add_heading(content, level=1)
        elif kind == "paragraph":
            document.add_paragraph(content)
        elif kind == "page":
            document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        else:
            width = max(len(row) for row in content)
            table = document.add_table(rows=0, cols=width)
            for row in content:
                cells = table.add_row().cells
                for cell, value in zip(cells, row, strict=False):
                    cell.text = value
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


class _ResponsePdf(FPDF):
    def footer(self) -> None:
        self.set_y(-15)
        self.set_font("helvetica", size=8)
        self.cell(0, 10, FOOTER, align="L")
        self.cell(0, 10, str(self.page_no()), align="R")


def response_pdf(text: str | None = None, *, scanned_page: bool = False) -> bytes:
    """The management response as a PDF made from the same blocks: a two-column table for the
    header, paragraphs with space between them, footers and page numbers; with
    ``scanned_page``, the signed cover sheet follows the header as a scanned image."""
    text = text if text is not None else RESPONSE_TXT.read_text(encoding="utf-8")
    pdf = _ResponsePdf(format="A4")
    pdf.set_auto_page_break(True, margin=20)
    pdf.add_page()
    pdf.set_font("helvetica", size=11)
    for kind, content in response_blocks(text):
        if kind == "heading":
            pdf.set_font("helvetica", style="B", size=14)
            pdf.multi_cell(0, 7, content, new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("helvetica", size=11)
            pdf.ln(4)
        elif kind == "paragraph":
            pdf.multi_cell(0, 5.5, content, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(4)
        elif kind == "page":
            pdf.add_page()
        else:
            width = max(len(row) for row in content)
            if scanned_page and width > 2:
                pdf.add_page()
                pdf.image(_scan(), x=10, y=10, w=190)
                pdf.add_page()
            widths = (55, 135) if width == 2 else (28, 92, 28, 42)[:width]
            with pdf.table(col_widths=widths, text_align="LEFT", first_row_as_headings=False,
                           line_height=5.5) as table:
                for row in content:
                    cells = table.row()
                    for value in [*row, *[""] * (width - len(row))]:
                        cells.cell(value)
            pdf.ln(4)
    return bytes(pdf.output())


def pdf_with_pages(pages: list[str], *, password: str | None = None) -> bytes:
    """A PDF with one page per text (wrapped), optionally encrypted with ``password``."""
    pdf = FPDF(format="A4")
    pdf.set_font("helvetica", size=11)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 6, text)
    if password is not None:
        pdf.set_encryption(owner_password=password + "-owner", user_password=password)
    return bytes(pdf.output())


def _scan() -> io.BytesIO:
    """A grey page with lines of dots: an image where a scanner saw text."""
    from PIL import Image

    image = Image.new("L", (400, 560), color=235)
    for x in range(40, 360, 3):
        for y in range(60, 500, 14):
            image.putpixel((x, y), 20)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    buffer.seek(0)
    return buffer


def scanned_pdf(pages: int = 2) -> bytes:
    """A PDF of images only, as a scanner makes: no text layer at all."""
    pdf = FPDF(format="A4")
    for _ in range(pages):
        pdf.add_page()
        pdf.image(_scan(), x=10, y=10, w=190)
    return bytes(pdf.output())


def docx_with_pages(pages: list[str]) -> bytes:
    """A Word file with explicit page breaks between the texts."""
    document = Document()
    for number, text in enumerate(pages):
        if number:
            document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def docx_bomb(unpacked_mb: int = 40) -> bytes:
    """A Word file whose document part unpacks to ``unpacked_mb`` MB of zeros: a zip bomb."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as part:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(unpacked_mb):
                part.write(chunk)
    return out.getvalue()


def corrupt_pdf() -> bytes:
    """The start of a real PDF and then noise: what a broken download looks like."""
    return pdf_with_pages(["A page that never arrives whole."])[:300] + b"\x00garbage" * 50
