"""The one-page brief of a case note for senior management: what it holds, and as a Word file."""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from ..records import CaseNote, Recommendation
from ..taxonomy import Taxonomy

SUMMARY_CHARS = 900  # a brief stays on one page, two at most
MAX_LESSONS = 6


@dataclass
class Brief:
    """Every part of a brief, as the words a reader sees (names, not codes)."""

    note: CaseNote
    division: str
    partners: list[str]
    years: str
    status: str
    nexus_areas: list[str]
    sdgs: list[str]
    recommendations: list[tuple[str, str]]  # ("Recommendation 6", its text, shortened)
    summary: str
    lessons: list[tuple[str, str]]  # (kind, text)
    attachments: list[str] = field(default_factory=list)
    more_lessons: int = 0


def make_brief(note: CaseNote, taxonomy: Taxonomy, recommendations: list[Recommendation]) -> Brief:
    """The brief of ``note``; ``recommendations`` are the ones it links to."""
    years = "–".join(str(y) for y in (note.start_year, note.end_year) if y is not None)
    if note.start_year and note.end_year is None:
        years = f"{note.start_year}–ongoing"
    kinds = {"good-practice": "Good practice", "lesson": "Lesson", "pitfall": "Pitfall"}
    return Brief(
        note=note,
        division=taxonomy.divisions.name_of(note.division),
        partners=[f"{p.name} ({taxonomy.partner_types.name_of(p.type)})" for p in note.partners],
        years=years or "not given",
        status=note.status.replace("-", " ").capitalize(),
        nexus_areas=[taxonomy.nexus_areas.name_of(code) for code in note.nexus_areas],
        sdgs=[taxonomy.sdg_label(number) for number in sorted(note.sdgs)],
        recommendations=[(f"Recommendation {rec.number}", _cut(rec.text, 220))
                         for rec in recommendations],
        summary=_cut(note.summary, SUMMARY_CHARS),
        lessons=[(kinds.get(lesson.kind, lesson.kind), lesson.text)
                 for lesson in note.lessons[:MAX_LESSONS]],
        attachments=[a.name for a in note.attachments],
        more_lessons=max(0, len(note.lessons) - MAX_LESSONS),
    )


def brief_docx(brief: Brief) -> bytes:
    """The brief as a Word document: A4, narrow margins, a facts table, then the text."""
    from docx import Document
    from docx.shared import Cm, Pt

    document = Document()
    section = document.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(1.8))
    document.styles["Normal"].font.size = Pt(10)
    document.add_paragraph("UNECE partnerships library · case brief").style = "Subtitle"
    document.add_heading(brief.note.title, level=1)
    table = document.add_table(rows=0, cols=2)
    table.style = "Light List Accent 1"
    for label, value in facts(brief):
        cells = table.add_row().cells
        cells[0].text, cells[1].text = label, value
        cells[0].width, cells[1].width = Cm(4.0), Cm(13.4)
    document.add_heading("Summary", level=2)
    document.add_paragraph(brief.summary)
    for heading, items in (("Recommendations it illustrates", brief.recommendations),
                           ("Lessons", brief.lessons)):
        if items:
            document.add_heading(heading, level=2)
        for label, text in items:
            paragraph = document.add_paragraph(style="List Bullet")
            paragraph.add_run(f"{label}: ").bold = True
            paragraph.add_run(text)
    if brief.more_lessons:
        document.add_paragraph(f"and {brief.more_lessons} more in the library.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def facts(brief: Brief) -> list[tuple[str, str]]:
    """The facts block of a brief, in the order both formats show it."""
    rows = [
        ("Division", brief.division),
        ("Partners", "; ".join(brief.partners) or "none recorded"),
        ("Years", brief.years),
        ("Status", brief.status),
        ("Nexus areas", "; ".join(brief.nexus_areas) or "none"),
        ("SDGs", "; ".join(brief.sdgs) or "none"),
    ]
    if brief.attachments:
        rows.append(("Documents", "; ".join(brief.attachments)))
    return rows


def _cut(text: str, limit: int) -> str:
    text = " ".join((text or "").split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",.;:") + " …"
