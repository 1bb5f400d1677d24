"""Management responses as Word or PDF files: their text laid out as the plain-text parser reads
it (one paragraph per block, blank lines between), and problems pointed at a page or paragraph."""

from __future__ import annotations

import datetime
import io
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from ..errors import Problem, ValidationError
from ..records import Evaluation
from .filetypes import detect
from .readers import Unreadable
from .responses import is_footer, parse_management_response

PARAGRAPH_GAP = 1.5  # a gap this many times the usual line spacing starts a paragraph (PDF)


@dataclass
class ResponseText:
    """The text of a response document, and where each of its lines came from."""

    text: str
    kind: str  # txt, docx or pdf
    where: Callable[[int], str]  # line number -> "page 2, line 14" or "paragraph 31"
    blank_pages: list[int] = field(default_factory=list)  # PDF pages without a text layer

    def warnings(self, name: str) -> list[Problem]:
        """Pages whose text could not be read: a scan in the middle of a typed response."""
        return [Problem(f"{name}, page {page}", "", "no text layer (a scanned image?); its "
                        "text was not read") for page in self.blank_pages]


def response_text(name: str, data: bytes) -> ResponseText:
    """Read a management response from text, .docx or .pdf bytes; ``ValidationError`` when the
    file cannot be read (encrypted, scanned, damaged, another type)."""
    kind = detect(name, data).type
    try:
        if kind == "docx":
            return _docx_text(data)
        if kind == "pdf":
            return _pdf_text(data, name)
    except Unreadable as error:
        message = f"{error}; cannot read the response"
        raise ValidationError([Problem(name, "file", message)]) from error
    if kind not in ("txt", "md"):
        message = f"a {kind.upper()} file; expected a management response as .txt, .docx or .pdf"
        raise ValidationError([Problem(name, "file", message)])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        message = f"not UTF-8 text ({error.reason} at byte {error.start}); save it as UTF-8"
        raise ValidationError([Problem(name, "", message)]) from error
    return ResponseText(text, "txt", lambda line: f"line {line}")


def read_response(
    name: str, data: bytes, *, evaluation_id: str, title: str | None = None,
    period: str | None = None, date: datetime.date | None = None,
) -> tuple[Evaluation, ResponseText]:
    """Parse a response document of any accepted kind with the one parser; each problem names
    the line of a text file, the paragraph of a Word file or the page and line of a PDF."""
    found = response_text(name, data)
    try:
        evaluation = parse_management_response(
            found.text, evaluation_id=evaluation_id, title=title, period=period, date=date,
            source=name,
        )
    except ValidationError as error:
        if found.kind == "txt":
            raise
        raise ValidationError([
            replace(p, source=f"{name}, {found.where(p.line)}", line=None) if p.line else p
            for p in error.problems
        ] + found.warnings(name)) from error
    return evaluation, found


def _docx_text(data: bytes) -> ResponseText:
    """Each paragraph and each table row (cells joined by tabs) is a block; headers and footers
    of the page are not part of the body, so they never reach the parser."""
    from docx import Document

    try:
        document = Document(io.BytesIO(data))
    except Exception as error:  # noqa: BLE001 - any failure to open means a damaged file
        raise Unreadable(f"a damaged Word file ({type(error).__name__})") from error
    namespace = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    blocks = []
    for block in document.element.body.iterchildren():
        if block.tag == namespace + "p":
            blocks.append("".join(t.text or "" for t in block.iter(namespace + "t")))
        elif block.tag == namespace + "tbl":
            for row in block.iter(namespace + "tr"):
                cells = ["".join(t.text or "" for t in cell.iter(namespace + "t")).strip()
                         for cell in row.iter(namespace + "tc")]
                blocks.append("\t".join(cells))
    return ResponseText("\n\n".join(blocks), "docx", lambda line: f"paragraph {(line + 1) // 2}")


def _pdf_text(data: bytes, name: str) -> ResponseText:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        pdf = PdfReader(io.BytesIO(data))
        if pdf.is_encrypted and not pdf.decrypt(""):
            raise Unreadable("encrypted (password-protected)")
        pages = [pdf_page_lines(page) for page in pdf.pages]
    except (PdfReadError, ValueError, KeyError, TypeError) as error:
        raise Unreadable(f"a damaged PDF ({type(error).__name__})") from error
    if not any(text.strip() for lines in pages for text in lines):
        raise Unreadable("no text layer on any page (a scanned image?)")
    lines, origin = [], []
    for number, page_lines in enumerate(pages, start=1):
        for index, text in enumerate(page_lines, start=1):
            lines.append(text)
            origin.append((number, index))
        lines.append("")  # a page ends a paragraph only if the parser says so
        origin.append((number, len(page_lines) + 1))

    def where(line: int) -> str:
        page, at = origin[min(max(line, 1), len(origin)) - 1]
        return f"page {page}, line {at}"

    blank = [n for n, page_lines in enumerate(pages, 1)
             if all(is_footer(text.replace("\t", " ")) for text in page_lines)]
    return ResponseText("\n".join(lines), "pdf", where, blank)


def pdf_page_lines(page) -> list[str]:
    """The page's text lines top to bottom, with a blank line where the gap above a line is
    larger than the page's usual line spacing (a paragraph break)."""
    pieces: list[tuple[float, float, str]] = []

    def visit(text, cm, tm, font, size) -> None:
        if text and text.strip():
            y = tm[5] * cm[3] + cm[5] if cm else tm[5]
            x = tm[4] * cm[0] + cm[4] if cm else tm[4]
            pieces.append((round(y, 1), x, text))

    page.extract_text(visitor_text=visit)
    rows: dict[float, list[tuple[float, str]]] = {}
    for y, x, text in pieces:
        key = next((k for k in rows if abs(k - y) < 2.0), y)
        rows.setdefault(key, []).append((x, text))
    ordered = sorted(rows.items(), key=lambda item: -item[0])
    gaps = [a[0] - b[0] for a, b in zip(ordered, ordered[1:], strict=False)]
    usual = sorted(gaps)[len(gaps) // 4] if gaps else 0.0
    lines: list[str] = []
    for index, (_, parts) in enumerate(ordered):
        if index and usual and gaps[index - 1] > PARAGRAPH_GAP * usual:
            lines.append("")
        cells = [text.strip("\n") for _, text in sorted(parts)]
        lines.append("\t".join(c for c in cells if c.strip()) if len(cells) > 1 else cells[0])
    return lines
