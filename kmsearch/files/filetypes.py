"""What an uploaded file is, told by its content (magic bytes, zip structure), never its name;
and whether an Office file would unpack to more than is safe to open."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from ..documents import DOCUMENT_LABELS, DOCUMENT_TYPES
from ..errors import Problem, ValidationError

TYPES = DOCUMENT_TYPES
TYPE_LABELS = {kind: DOCUMENT_LABELS[kind] for kind in TYPES}
MEDIA_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "md": "text/markdown",  # Flask adds "; charset=utf-8" to text types
    "txt": "text/plain",
}
# the part every file of an Office type has, in the zip that holds it
_OFFICE_PARTS = {"word/document.xml": "docx", "xl/workbook.xml": "xlsx",
                 "ppt/presentation.xml": "pptx"}
MAX_UNPACKED_BYTES = 200 * 1024 * 1024  # an Office file opening to more than this is a bomb
MAX_RATIO = 200  # ... as is one part compressed more than this
MAX_PARTS = 10_000
EXPECTED = "a PDF, Word (.docx), Excel (.xlsx), PowerPoint (.pptx), Markdown or plain-text file"


@dataclass(frozen=True)
class Detected:
    """A file's type; ``unsafe`` says why its content must not be opened (a zip bomb)."""

    type: str
    unsafe: str = ""


def detect(name: str, data: bytes) -> Detected:
    """The type of ``data``; ``ValidationError`` when it is none of the accepted types."""
    head = data[:1024]
    if b"%PDF-" in head:
        return Detected("pdf")
    if data.startswith(b"PK\x03\x04"):
        return _office(name, data)
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        raise _refuse(name, "an old binary Office file (.doc, .xls or .ppt); save it as .docx, "
                      ".xlsx or .pptx and attach that")
    if _is_text(data):
        return Detected("md" if name.lower().endswith((".md", ".markdown")) else "txt")
    raise _refuse(name, f"not a file type that can be attached; expected {EXPECTED}")


def _office(name: str, data: bytes) -> Detected:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        kind = _office_by_name(name)
        if kind:  # a damaged Office file: kept, and reported without trying to open it
            return Detected(kind, f"a damaged {kind.upper()} file (not a complete zip archive)")
        raise _refuse(name, f"a damaged zip archive; expected {EXPECTED}") from None
    names = {info.filename for info in infos}
    kind = next((t for part, t in _OFFICE_PARTS.items() if part in names), None)
    if kind is None:
        raise _refuse(name, f"a zip archive, not a Word, Excel or PowerPoint file; "
                      f"expected {EXPECTED}")
    unpacked = sum(info.file_size for info in infos)
    worst = max((info.file_size / max(info.compress_size, 1) for info in infos), default=0)
    if len(infos) > MAX_PARTS:
        return Detected(kind, f"it holds {len(infos)} parts (more than {MAX_PARTS})")
    if unpacked > MAX_UNPACKED_BYTES:
        return Detected(kind, f"it would unpack to {_size(unpacked)} "
                        f"(more than {_size(MAX_UNPACKED_BYTES)})")
    if worst > MAX_RATIO:
        return Detected(kind, f"a part of it is compressed {worst:,.0f} times "
                        f"(more than {MAX_RATIO}), as in a zip bomb")
    return Detected(kind)


def _office_by_name(name: str) -> str | None:
    suffix = name.lower().rsplit(".", 1)[-1]
    return suffix if suffix in ("docx", "xlsx", "pptx") else None


def _is_text(data: bytes) -> bool:
    if b"\x00" in data[:8192]:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _size(count: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if count < 1024 or unit == "GB":
            return f"{count:,.0f} {unit}" if unit == "bytes" else f"{count:,.1f} {unit}"
        count /= 1024
    return f"{count} GB"


def human_size(count: int) -> str:
    """A byte count for people: 532 bytes, 14.2 KB, 3.1 MB."""
    return _size(count)


def _refuse(name: str, message: str) -> ValidationError:
    return ValidationError([Problem(name, "file", message)])
