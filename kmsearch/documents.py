"""Turn a case note into the documents both indexes hold: one for the note, one per lesson."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .records import CaseNote, Lesson

PAGE_BREAK = "\f"  # separates the attached pages in ``IndexDoc.attachments``
HAS_DOCUMENTS = "has-documents"  # the document facet's value for "any attached file"
DOCUMENT_TYPES = ("pdf", "docx", "xlsx", "pptx", "md", "txt")  # what may be attached
DOCUMENT_LABELS = {HAS_DOCUMENTS: "Has documents", "pdf": "PDF", "docx": "Word",
                   "xlsx": "Excel", "pptx": "PowerPoint", "md": "Markdown", "txt": "Text"}


@dataclass(frozen=True)
class PageRef:
    """Where a piece of attached text comes from: the file and its page (sheet, slide)."""

    name: str
    sha256: str
    page: int


@dataclass
class IndexDoc:
    """A searchable unit with the metadata that filters, facets and visibility need."""

    key: str  # "case:<id>" or "lesson:<id>"
    type: str  # "case" or "lesson"
    id: str
    case_id: str
    title: str  # the note's title (for a lesson, its note's title, shown as context)
    summary: str
    body: str
    lessons: str  # for a case: its lessons' text; for a lesson: the lesson itself
    partners: str
    division: str
    nexus_areas: list[str] = field(default_factory=list)
    sdgs: list[int] = field(default_factory=list)
    partnership_types: list[str] = field(default_factory=list)
    partner_types: list[str] = field(default_factory=list)
    years: list[int] = field(default_factory=list)
    start_year: int | None = None
    status: str = ""
    kind: str = ""  # lesson kind; "" for a case
    good_practice: bool = False
    visibility: str = "internal"
    state: str = "published"
    content_hash: str = ""
    # a case's attached files: the text of each page with text, pages separated by PAGE_BREAK,
    # ``pages`` saying which file and page each one is; ``document_types`` for the facet
    attachments: str = ""
    pages: list[PageRef] = field(default_factory=list)
    document_types: list[str] = field(default_factory=list)

    def page_texts(self) -> list[str]:
        """The attached pages' text, aligned with ``pages``."""
        return self.attachments.split(PAGE_BREAK) if self.pages else []

    def page_of(self, passage: str) -> PageRef | None:
        """The attached page a vector passage ("<title>. <text>") was cut from, if any."""
        if not self.pages:
            return None
        text = " ".join(passage.split())
        title = " ".join(self.title.split())
        if title and text.startswith(title):
            text = text[len(title):].lstrip(". ")
        probe = text[:60]
        if not probe:
            return None
        for ref, page in zip(self.pages, self.page_texts(), strict=True):
            if probe in " ".join(page.split()):
                return ref
        return None


def case_key(case_id: str) -> str:
    return f"case:{case_id}"


def lesson_key(lesson_id: str) -> str:
    return f"lesson:{lesson_id}"


def documents_for(
    note: CaseNote,
    state: str = "published",
    texts: Mapping[str, Mapping[int, str]] | None = None,
) -> list[IndexDoc]:
    """The case document first, then one document per lesson, sharing the note's metadata.

    ``texts`` holds the extracted pages of attached files by hash; the case document carries
    them, so that a note ranks once however many of its pages match.
    """
    pages, page_texts = _attached_pages(note, texts or {})
    types = sorted({a.type for a in note.attachments if a.type})
    shared = dict(
        case_id=note.id,
        title=note.title,
        partners="; ".join(p.name for p in note.partners),
        division=note.division,
        nexus_areas=list(note.nexus_areas),
        sdgs=list(note.sdgs),
        partnership_types=list(note.partnership_types),
        partner_types=sorted({p.type for p in note.partners}),
        years=note.years,
        start_year=note.start_year,
        status=note.status,
        visibility=note.visibility,
        state=state,
        content_hash=note.content_hash(),
    )
    docs = [
        IndexDoc(
            key=case_key(note.id),
            type="case",
            id=note.id,
            summary=note.summary,
            body=note.body,
            lessons="\n".join(lesson.text for lesson in note.lessons),
            good_practice=note.good_practice,
            attachments=PAGE_BREAK.join(page_texts),
            pages=pages,
            document_types=[HAS_DOCUMENTS, *types] if note.attachments else [],
            **shared,
        )
    ]
    docs.extend(_lesson_doc(lesson, shared) for lesson in note.lessons)
    return docs


def _attached_pages(
    note: CaseNote, texts: Mapping[str, Mapping[int, str]]
) -> tuple[list[PageRef], list[str]]:
    refs, found = [], []
    for attachment in note.attachments:
        for number, text in sorted(texts.get(attachment.sha256, {}).items()):
            text = text.replace(PAGE_BREAK, " ").strip()
            if text:
                refs.append(PageRef(attachment.name, attachment.sha256, number))
                found.append(text)
    return refs, found


def _lesson_doc(lesson: Lesson, shared: dict) -> IndexDoc:
    return IndexDoc(
        key=lesson_key(lesson.id),
        type="lesson",
        id=lesson.id,
        summary="",
        body="",
        lessons=lesson.text,
        kind=lesson.kind,
        good_practice=lesson.kind == "good-practice",
        **shared,
    )
