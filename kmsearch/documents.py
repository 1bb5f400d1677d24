"""Turn a case note into the documents both indexes hold: one for the note, one per lesson."""

from __future__ import annotations

from dataclasses import dataclass, field

from .records import CaseNote, Lesson


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


def case_key(case_id: str) -> str:
    return f"case:{case_id}"


def lesson_key(lesson_id: str) -> str:
    return f"lesson:{lesson_id}"


def documents_for(note: CaseNote, state: str = "published") -> list[IndexDoc]:
    """The case document first, then one document per lesson, sharing the note's metadata."""
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
            **shared,
        )
    ]
    docs.extend(_lesson_doc(lesson, shared) for lesson in note.lessons)
    return docs


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
