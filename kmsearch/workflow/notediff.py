"""What changed between two revisions of a case note: field by field, and the body line by line."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from ..records import CaseNote
from ..store.cases import Revision
from ..taxonomy import Taxonomy

CONTEXT_LINES = 3


@dataclass
class FieldChange:
    name: str
    label: str
    old: str
    new: str
    old_codes: str = ""  # the codes behind labels, for those who know them
    new_codes: str = ""

    @property
    def changed(self) -> bool:
        return self.old != self.new


@dataclass
class LineChange:
    tag: str  # "equal", "delete" or "insert"
    text: str
    old_number: int | None = None
    new_number: int | None = None


@dataclass
class NoteDiff:
    old: Revision
    new: Revision
    fields: list[FieldChange]
    hunks: list[list[LineChange]] = field(default_factory=list)  # body changes with context

    @property
    def changed_fields(self) -> list[FieldChange]:
        return [change for change in self.fields if change.changed]


def diff_revisions(old: Revision, new: Revision, taxonomy: Taxonomy,
                   recommendations: dict[str, str] | None = None) -> NoteDiff:
    """Two revisions compared; ``recommendations`` labels recommendation ids."""
    labels = recommendations or {}
    old_values, new_values = field_texts(old, taxonomy, labels), field_texts(new, taxonomy, labels)
    fields = [
        FieldChange(name, label, old_values[name], new_values[name])
        for name, label in FIELD_LABELS.items()
    ]
    for change in fields:
        if change.name == "recommendations":
            change.old_codes = ", ".join(old.note.recommendations)
            change.new_codes = ", ".join(new.note.recommendations)
    return NoteDiff(old, new, fields, body_hunks(old.note.body, new.note.body))


def compare_bases(revisions: list[Revision]) -> dict[int, int]:
    """For each revision, the one its changes are read against: the live revision before it,
    so that a pending change is compared with what readers see, not with another pending one."""
    bases, live = {}, None
    for revision in revisions:
        if live is not None:
            bases[revision.number] = live
        if not revision.pending:
            live = revision.number
    return bases


FIELD_LABELS = {
    "state": "Workflow state", "title": "Title", "summary": "Summary", "division": "Division",
    "partners": "Partners", "partnership_types": "Partnership types",
    "nexus_areas": "Nexus areas", "sdgs": "SDGs", "recommendations": "Recommendations",
    "years": "Years", "status": "Status", "good_practice": "Good practice",
    "visibility": "Visibility", "risk_level": "Risk level", "lessons": "Lessons",
    "attachments": "Attached files", "extra": "Other fields",
}


def field_texts(revision: Revision, taxonomy: Taxonomy,
                recommendations: dict[str, str] | None = None) -> dict[str, str]:
    """Every field of a revision as the text a reader compares, with names instead of codes."""
    labels = recommendations or {}
    note: CaseNote = revision.note
    years = "–".join(str(y) for y in (note.start_year, note.end_year) if y is not None)
    return {
        "state": revision.state,
        "title": note.title,
        "summary": note.summary,
        "division": taxonomy.divisions.name_of(note.division),
        "partners": "\n".join(
            f"{p.name} ({taxonomy.partner_types.name_of(p.type)})" for p in note.partners
        ),
        "partnership_types": "\n".join(
            taxonomy.partnership_types.name_of(code) for code in note.partnership_types
        ),
        "nexus_areas": "\n".join(taxonomy.nexus_areas.name_of(code) for code in note.nexus_areas),
        "sdgs": "\n".join(taxonomy.sdg_label(number) for number in note.sdgs),
        "recommendations": "\n".join(labels.get(code, code) for code in note.recommendations),
        "years": years,
        "status": note.status,
        "good_practice": "yes" if note.good_practice else "no",
        "visibility": note.visibility,
        "risk_level": note.risk_level,
        "lessons": "\n".join(f"{lesson.kind}: {lesson.text}" for lesson in note.lessons),
        "attachments": "\n".join(f"{a.name} ({a.type}, sha256 {a.sha256[:12]})"
                                 for a in note.attachments),
        "extra": "\n".join(f"{key}: {value}" for key, value in sorted(note.extra.items())),
    }


def body_hunks(old: str, new: str, context: int = CONTEXT_LINES) -> list[list[LineChange]]:
    """The changed stretches of the body, each with up to ``context`` unchanged lines around."""
    a, b = (old or "").splitlines(), (new or "").splitlines()
    hunks = []
    for group in difflib.SequenceMatcher(None, a, b, autojunk=False).get_grouped_opcodes(context):
        lines = []
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines += [LineChange("equal", a[i], i + 1, j1 + i - i1 + 1) for i in range(i1, i2)]
                continue
            if tag in ("delete", "replace"):
                lines += [LineChange("delete", a[i], i + 1, None) for i in range(i1, i2)]
            if tag in ("insert", "replace"):
                lines += [LineChange("insert", b[j], None, j + 1) for j in range(j1, j2)]
        hunks.append(lines)
    return hunks
