"""The store's tables, and how records map onto their rows and back."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from .records import CaseNote, Evaluation, Recommendation, lesson_id

SCHEMA_VERSION = 1
STATES = ("draft", "submitted", "published", "archived")
# Store.case_ids_for link -> (table, value column); a division is a column of cases itself.
LINKS = {
    "nexus": ("case_nexus", "nexus_area"),
    "sdg": ("case_sdgs", "sdg"),
    "recommendation": ("case_recommendations", "recommendation_id"),
    "partnership_type": ("case_partnership_types", "partnership_type"),
    "division": ("cases", "division"),
}

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS cases (
    id TEXT PRIMARY KEY, title TEXT NOT NULL, division TEXT, summary TEXT, body TEXT,
    start_year INTEGER, end_year INTEGER, status TEXT, good_practice INTEGER, visibility TEXT,
    risk_level TEXT, extra TEXT, data TEXT NOT NULL, content_hash TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'published', revision INTEGER NOT NULL, author TEXT,
    updated_by TEXT, created_at TEXT, updated_at TEXT, origin TEXT);
CREATE INDEX IF NOT EXISTS cases_state ON cases (state, division);
CREATE TABLE IF NOT EXISTS partners (case_id TEXT NOT NULL REFERENCES cases (id),
    position INTEGER, name TEXT, type TEXT, PRIMARY KEY (case_id, position));
CREATE TABLE IF NOT EXISTS lessons (id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES cases (id), position INTEGER, kind TEXT, text TEXT);
CREATE INDEX IF NOT EXISTS lessons_case ON lessons (case_id);
CREATE TABLE IF NOT EXISTS case_nexus (case_id TEXT NOT NULL REFERENCES cases (id),
    nexus_area TEXT, PRIMARY KEY (case_id, nexus_area));
CREATE TABLE IF NOT EXISTS case_sdgs (case_id TEXT NOT NULL REFERENCES cases (id),
    sdg INTEGER, PRIMARY KEY (case_id, sdg));
CREATE TABLE IF NOT EXISTS case_partnership_types (case_id TEXT NOT NULL REFERENCES cases (id),
    partnership_type TEXT, PRIMARY KEY (case_id, partnership_type));
CREATE TABLE IF NOT EXISTS case_recommendations (case_id TEXT NOT NULL REFERENCES cases (id),
    recommendation_id TEXT NOT NULL REFERENCES recommendations (id),
    PRIMARY KEY (case_id, recommendation_id));
CREATE INDEX IF NOT EXISTS case_nexus_value ON case_nexus (nexus_area);
CREATE INDEX IF NOT EXISTS case_sdgs_value ON case_sdgs (sdg);
CREATE INDEX IF NOT EXISTS case_partnership_types_value
    ON case_partnership_types (partnership_type);
CREATE INDEX IF NOT EXISTS case_recommendations_value ON case_recommendations (recommendation_id);
CREATE TABLE IF NOT EXISTS evaluations (id TEXT PRIMARY KEY, title TEXT, period TEXT,
    date TEXT, is_default INTEGER NOT NULL DEFAULT 0, content_hash TEXT);
CREATE TABLE IF NOT EXISTS recommendations (id TEXT PRIMARY KEY,
    evaluation_id TEXT NOT NULL REFERENCES evaluations (id), number INTEGER, text TEXT,
    response TEXT, response_text TEXT, actions TEXT, responsibility TEXT, timeline TEXT,
    status TEXT);
CREATE TABLE IF NOT EXISTS progress_notes (id INTEGER PRIMARY KEY,
    recommendation_id TEXT NOT NULL REFERENCES recommendations (id), date TEXT, status TEXT,
    text TEXT, author TEXT, created_at TEXT);
CREATE INDEX IF NOT EXISTS progress_notes_recommendation ON progress_notes (recommendation_id);
CREATE TABLE IF NOT EXISTS revisions (id INTEGER PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES cases (id), number INTEGER NOT NULL, action TEXT,
    state TEXT, author TEXT, created_at TEXT, comment TEXT, data TEXT NOT NULL,
    content_hash TEXT, UNIQUE (case_id, number));
CREATE TABLE IF NOT EXISTS users (username TEXT PRIMARY KEY COLLATE NOCASE,
    password_hash TEXT NOT NULL, roles TEXT NOT NULL, divisions TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL, last_login TEXT);
"""


def create_schema(db: Database, path: Path) -> None:
    """Create missing tables and record the schema version; refuse a newer database."""
    for statement in filter(str.strip, SCHEMA.split(";")):
        db.execute(statement)
    row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    if row is None:
        db["meta"].insert({"key": "schema_version", "value": str(SCHEMA_VERSION)})
    elif int(row[0]) > SCHEMA_VERSION:
        raise RuntimeError(
            f"{path} has schema version {row[0]}, newer than this kmsearch understands "
            f"({SCHEMA_VERSION}); upgrade kmsearch or point KMSEARCH_DB at another database"
        )


def now() -> str:
    """The current time as ISO-8601 UTC with seconds, the form every timestamp is stored in."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def canonical_json(value: Any) -> str:
    """Sorted-key JSON, so the same content is always the same bytes."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def case_row(note: CaseNote, digest: str) -> dict[str, Any]:
    """The searchable columns of a note, plus its full canonical JSON and content hash."""
    columns = ("id", "title", "division", "summary", "body", "start_year", "end_year",
               "status", "visibility", "risk_level")
    return {column: getattr(note, column) for column in columns} | {
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
