"""The store's tables, and how records map onto their rows and back."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import Any

from ..languages import detect
from ..records import CaseNote, Evaluation, Recommendation, lesson_id

STATES = ("draft", "submitted", "published", "archived")
# Store.case_ids_for link -> (table, value column); a division is a column of cases itself.
LINKS = {
    "nexus": ("case_nexus", "nexus_area"),
    "sdg": ("case_sdgs", "sdg"),
    "recommendation": ("case_recommendations", "recommendation_id"),
    "partnership_type": ("case_partnership_types", "partnership_type"),
    "division": ("cases", "division"),
}



def row_id(value: int) -> bool:
    """Whether ``value`` can be a row id: SQLite's integers stop at 2**63 - 1, and an address
    asking for a larger one names no row rather than overflowing the driver."""
    return 0 < value < 2**63


def now() -> str:
    """The current time as ISO-8601 UTC with seconds, the form every timestamp is stored in."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def canonical_json(value: Any) -> str:
    """Sorted-key JSON, so the same content is always the same bytes."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def note_language(title: str | None, summary: str | None, body: str | None) -> str:
    """The language a note is written in, from its title, summary and body."""
    return detect("\n".join(part or "" for part in (title, summary, body)))


def case_row(note: CaseNote, digest: str) -> dict[str, Any]:
    """The searchable columns of a note, plus its full canonical JSON and content hash."""
    columns = ("id", "title", "division", "summary", "body", "start_year", "end_year",
               "status", "visibility", "risk_level")
    return {column: getattr(note, column) for column in columns} | {
        "language": note_language(note.title, note.summary, note.body),
        "good_practice": int(note.good_practice), "extra": canonical_json(note.extra),
        "data": canonical_json(note.to_dict()), "content_hash": digest,
    }


def child_rows(note: CaseNote) -> dict[str, list[dict[str, Any]]]:
    """The rows of every child table for one note, keyed by table."""
    links = {
        "case_nexus": note.nexus_areas, "case_sdgs": note.sdgs,
        "case_partnership_types": note.partnership_types,
        "case_recommendations": note.recommendations,
    }
    columns = dict(LINKS.values())
    return {
        "partners": [
            {"case_id": note.id, "position": n, "name": p.name, "type": p.type}
            for n, p in enumerate(note.partners, start=1)
        ],
        "lessons": [
            {"id": lesson_id(note.id, lesson.position), "case_id": note.id,
             "position": lesson.position, "kind": lesson.kind, "text": lesson.text}
            for lesson in note.lessons
        ],
    } | {
        table: [{"case_id": note.id, columns[table]: value} for value in dict.fromkeys(values)]
        for table, values in links.items()
    }


def note_from(data: str) -> CaseNote:
    return CaseNote.from_dict(json.loads(data))


def evaluation_hash(ev: Evaluation) -> str:
    """Everything the evaluation's documents say; reviewers' statuses are not part of it."""
    data = asdict(ev)
    for rec in data["recommendations"]:
        del rec["status"]
    return hashlib.sha256(canonical_json(data).encode("utf-8")).hexdigest()


def evaluation_row(ev: Evaluation, digest: str) -> dict[str, Any]:
    return {"id": ev.id, "title": ev.title, "period": ev.period, "date": iso(ev.date),
            "is_default": int(ev.default), "content_hash": digest}


def recommendation_row(rec: Recommendation) -> dict[str, Any]:
    return asdict(rec) | {"id": rec.id, "timeline": iso(rec.timeline)}


def recommendation_from(row: dict[str, Any]) -> Recommendation:
    fields = {key: value for key, value in row.items() if key != "id"}
    return Recommendation(**fields | {"timeline": to_date(row["timeline"])})


def iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def to_date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None
