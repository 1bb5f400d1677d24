"""Text of a document page by page (PDF pages, Word page breaks, sheets, slides), one format
each; run in a separate process by ``extract.py`` so a hostile file cannot hang or bloat ours."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable, Iterator

MAX_PAGE_CHARS = 100_000  # text kept from one page (sheet, slide)
MAX_SHEET_ROWS = 5_000


class Unreadable(Exception):
    """The file cannot be read as its type; the message says why, for the person attaching it."""


def read_pages(kind: str, data: bytes, max_pages: int) -> tuple[list[str], int]:
    """The text of the first ``max_pages`` pages and how many pages the document has."""
    reader = READERS[kind]
    return reader(data, max_pages)


def _pdf(data: bytes, max_pages: int) -> tuple[list[str], int]:
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, PdfReadError

    try:
        pdf = PdfReader(io.BytesIO(data))
        if pdf.is_encrypted and not pdf.decrypt(""):
            raise Unreadable("encrypted (password-protected)")
        total = len(pdf.pages)
        pages = [_clip(pdf.pages[n].extract_text() or "") for n in range(min(total, max_pages))]
    except FileNotDecryptedError as error:
        raise Unreadable("encrypted (password-protected)") from error
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError) as error:
        raise Unreadable(f"a damaged PDF ({type(error).__name__}: {error})") from error
    return pages, total


def _docx(data: bytes, max_pages: int) -> tuple[list[str], int]:
    """Pages end at explicit and at Word's last rendered page breaks; tables by row."""
    document = _open_office(data, "docx")
    pages: list[list[str]] = [[]]
    for block in document.element.body.iterchildren():
        tag = block.tag.rsplit("}", 1)[-1]
        if tag == "p":
            for piece, breaks in _paragraph_pieces(block):
                pages.extend([] for _ in range(breaks))
                if piece:
                    pages[-1].append(piece)
        elif tag == "tbl":
            pages[-1].extend(_table_rows(block))
    texts = ["\n".join(lines) for lines in pages]
    while len(texts) > 1 and not texts[-1].strip():
        texts.pop()
    return [_clip(text) for text in texts[:max_pages]], len(texts)


def _paragraph_pieces(paragraph) -> Iterator[tuple[str, int]]:
    """A paragraph's text, split where a page break falls: (text, page breaks before it)."""
    breaks, text = 0, []
    for node in paragraph.iter():
        tag = node.tag.rsplit("}", 1)[-1]
        is_break = tag == "lastRenderedPageBreak" or (
            tag == "br" and node.get(_W + "type") == "page")
        if is_break:
            yield "".join(text).strip(), breaks
            breaks, text = 1, []
        elif tag == "t" and node.text:
            text.append(node.text)
        elif tag == "tab":
            text.append("\t")
    yield "".join(text).strip(), breaks


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _table_rows(table) -> list[str]:
    rows = []
    for row in table.iter(_W + "tr"):
        cells = ["".join(t.text or "" for t in cell.iter(_W + "t")).strip()
                 for cell in row.iter(_W + "tc")]
        rows.append("\t".join(cells).rstrip())
    return rows


def _xlsx(data: bytes, max_pages: int) -> tuple[list[str], int]:
    book = _open_office(data, "xlsx")
    pages = []
    for sheet in book.worksheets[:max_pages]:
        lines = [f"{sheet.title}"]
        for number, row in enumerate(sheet.iter_rows(values_only=True)):
            if number >= MAX_SHEET_ROWS:
                break
            cells = [str(value) for value in row if value is not None]
            if cells:
                lines.append("\t".join(cells))
        pages.append(_clip("\n".join(lines)))
    total = len(book.worksheets)
    book.close()
    return pages, total


def _pptx(data: bytes, max_pages: int) -> tuple[list[str], int]:
    deck = _open_office(data, "pptx")
    slides = list(deck.slides)
    pages = []
    for slide in slides[:max_pages]:
        lines = []
        for shape in slide.shapes:
            if getattr(shape, "has_text_frame", False) and shape.has_text_frame:
                lines.extend(p.text for p in shape.text_frame.paragraphs if p.text.strip())
            if getattr(shape, "has_table", False) and shape.has_table:
                lines.extend("\t".join(cell.text for cell in row.cells) for row in shape.table.rows)
        pages.append(_clip("\n".join(lines)))
    return pages, len(slides)


def _text(data: bytes, max_pages: int) -> tuple[list[str], int]:
    """A text file is one page; form feeds, where a file has them, start new pages."""
    pages = data.decode("utf-8", errors="replace").lstrip("\ufeff").split("\f")
    return [_clip(page) for page in pages[:max_pages]], len(pages)


def _open_office(data: bytes, kind: str):
    try:
        if kind == "docx":
            from docx import Document

            return Document(io.BytesIO(data))
        if kind == "xlsx":
            from openpyxl import load_workbook

            return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        from pptx import Presentation

        return Presentation(io.BytesIO(data))
    except Exception as error:  # noqa: BLE001 - any failure to open means the same to a user
        reason = f"{type(error).__name__}: {error}"
        raise Unreadable(f"a damaged {kind.upper()} file ({reason})") from error


def _clip(text: str) -> str:
    return text[:MAX_PAGE_CHARS].strip()


READERS: dict[str, Callable[[bytes, int], tuple[list[str], int]]] = {
    "pdf": _pdf, "docx": _docx, "xlsx": _xlsx, "pptx": _pptx, "md": _text, "txt": _text,
}


def main() -> None:
    """Worker entry: file bytes on stdin, ``TYPE MAX_PAGES MAX_BYTES`` as arguments, JSON out.

    The process limits its own address space first, so a bomb fails here with MemoryError.
    """
    import resource

    kind, max_pages, max_memory = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    resource.setrlimit(resource.RLIMIT_AS, (max_memory, max_memory))
    data = sys.stdin.buffer.read()
    try:
        pages, total = read_pages(kind, data, max_pages)
        answer = {"pages": pages, "total": total}
    except Unreadable as error:
        answer = {"error": str(error)}
    sys.stdout.write(json.dumps(answer))


if __name__ == "__main__":
    main()
