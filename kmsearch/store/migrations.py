"""Every schema change as one named migration, applied in order at start inside one write.

To change the schema, append a migration to ``MIGRATIONS``: a new name and either SQL statements
or a function of the database. Never edit or reorder one that has shipped: databases in use
recorded its name in ``_migrations`` and will not run it again.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from sqlite_utils import Database

from .schema import note_language, now

Step = str | Callable[[Database], None]

INITIAL = """
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

DRAFTS = """
CREATE TABLE IF NOT EXISTS drafts (id INTEGER PRIMARY KEY, case_id TEXT, author TEXT NOT NULL,
    kind TEXT NOT NULL, base_revision INTEGER, message TEXT, data TEXT NOT NULL,
    created_at TEXT, updated_at TEXT);
CREATE INDEX IF NOT EXISTS drafts_author ON drafts (author, updated_at);
CREATE INDEX IF NOT EXISTS drafts_case ON drafts (case_id);
CREATE INDEX IF NOT EXISTS cases_author ON cases (author);
"""

SESSIONS = """
CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, username TEXT NOT NULL COLLATE NOCASE,
    created_at TEXT NOT NULL, last_seen TEXT NOT NULL, user_agent TEXT, address TEXT,
    ended_at TEXT, ended_reason TEXT);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions (username, ended_at);
"""

SIGNIN_FAILURES = """
CREATE TABLE IF NOT EXISTS signin_failures (username TEXT NOT NULL COLLATE NOCASE,
    address TEXT NOT NULL, failures INTEGER NOT NULL, last_failure TEXT NOT NULL,
    locked_until TEXT, PRIMARY KEY (username, address));
"""

# Attached files: their bytes live under the instance folder, found by hash; here what was
# detected in them and the text of each page, extracted once per content hash.
ATTACHMENTS = """
CREATE TABLE IF NOT EXISTS attachment_files (sha256 TEXT PRIMARY KEY, size INTEGER NOT NULL,
    type TEXT NOT NULL, pages INTEGER NOT NULL DEFAULT 0, searchable INTEGER NOT NULL DEFAULT 0,
    message TEXT NOT NULL DEFAULT '', seconds REAL, created_at TEXT);
CREATE TABLE IF NOT EXISTS attachment_pages (
    sha256 TEXT NOT NULL REFERENCES attachment_files (sha256), page INTEGER NOT NULL,
    text TEXT NOT NULL, PRIMARY KEY (sha256, page));
"""

# The original documents an evaluation was imported from (a management response as PDF...).
EVALUATION_FILES = """
CREATE TABLE IF NOT EXISTS evaluation_files (
    evaluation_id TEXT NOT NULL REFERENCES evaluations (id),
    sha256 TEXT NOT NULL REFERENCES attachment_files (sha256), name TEXT NOT NULL,
    size INTEGER, type TEXT, created_at TEXT, PRIMARY KEY (evaluation_id, sha256));
"""

SOURCES = """
ALTER TABLE cases ADD COLUMN source TEXT;
UPDATE cases SET source = CASE WHEN origin = 'corpus' THEN 'corpus' ELSE origin END;
CREATE INDEX IF NOT EXISTS cases_source ON cases (source, state);
CREATE TABLE IF NOT EXISTS import_keys (source TEXT NOT NULL, key TEXT NOT NULL,
    case_id TEXT NOT NULL REFERENCES cases (id), row_hash TEXT NOT NULL, updated_at TEXT,
    PRIMARY KEY (source, key));
CREATE INDEX IF NOT EXISTS import_keys_case ON import_keys (case_id);
"""
# An edit of a published note waits beside it: the note's row stays the live revision, and
# ``pending_revision`` points at the revision (flagged ``pending``) that waits for review.
PENDING_REVISIONS = """
ALTER TABLE cases ADD COLUMN pending_revision INTEGER;
ALTER TABLE revisions ADD COLUMN pending INTEGER NOT NULL DEFAULT 0
"""
CORPUS_FILES = """
CREATE TABLE IF NOT EXISTS corpus_files (path TEXT PRIMARY KEY, digest TEXT NOT NULL,
    case_id TEXT NOT NULL, content_hash TEXT NOT NULL, read_at TEXT)
"""
ACTIONS = """
CREATE TABLE IF NOT EXISTS actions (id INTEGER PRIMARY KEY,
    recommendation_id TEXT NOT NULL REFERENCES recommendations (id),
    source TEXT NOT NULL DEFAULT 'web', text TEXT NOT NULL, responsible_unit TEXT,
    due_date TEXT, status TEXT NOT NULL DEFAULT 'not-started',
    created_by TEXT, created_at TEXT, updated_by TEXT, updated_at TEXT,
    version INTEGER NOT NULL DEFAULT 1, edited INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS actions_recommendation ON actions (recommendation_id);
CREATE UNIQUE INDEX IF NOT EXISTS actions_from_response
    ON actions (recommendation_id) WHERE source = 'response';
CREATE TABLE IF NOT EXISTS action_updates (id INTEGER PRIMARY KEY,
    action_id INTEGER NOT NULL REFERENCES actions (id), date TEXT NOT NULL, text TEXT NOT NULL,
    status TEXT, evidence_url TEXT, evidence_case_id TEXT, author TEXT, created_at TEXT);
CREATE INDEX IF NOT EXISTS action_updates_action ON action_updates (action_id, date);
CREATE TABLE IF NOT EXISTS action_history (id INTEGER PRIMARY KEY,
    action_id INTEGER NOT NULL REFERENCES actions (id), change TEXT NOT NULL,
    changes TEXT NOT NULL, author TEXT, created_at TEXT);
CREATE INDEX IF NOT EXISTS action_history_action ON action_history (action_id)
"""
# The implementation status a recommendation had -> the status of the action it becomes.
_ACTION_STATUS = {"implemented": "completed", "in-progress": "in-progress"}


def _actions_from_follow_up(db: Database) -> None:
    """Key actions: create the tables, give every recommendation the action its management
    response states, and carry its status and progress notes over to that action."""
    for statement in filter(str.strip, ACTIONS.split(";")):
        db.execute(statement)
    stamp = now()
    for rec in list(db.query("SELECT * FROM recommendations ORDER BY id")):
        status = _ACTION_STATUS.get(rec["status"] or "", "not-started")
        text = " ".join((rec["actions"] or rec["text"] or "").split())
        action_id = db["actions"].insert({
            "recommendation_id": rec["id"], "source": "response", "text": text,
            "responsible_unit": rec["responsibility"] or "", "due_date": rec["timeline"],
            "status": status, "created_by": "management response", "created_at": stamp,
            "updated_by": "management response", "updated_at": stamp, "version": 1,
            "edited": 0,
        }).last_pk
        changes = {"text": [None, text], "status": [None, status]}
        db["action_history"].insert({"action_id": action_id, "change": "created",
                                     "changes": json.dumps(changes), "author": "migration",
                                     "created_at": stamp})
        sql = "SELECT * FROM progress_notes WHERE recommendation_id = ? ORDER BY date, id"
        for note in list(db.query(sql, [rec["id"]])):
            db["action_updates"].insert({
                "action_id": action_id, "date": note["date"] or note["created_at"][:10],
                "text": note["text"] or "", "status": _ACTION_STATUS.get(note["status"] or "",
                                                                          "not-started"),
                "evidence_url": "", "evidence_case_id": "", "author": note["author"],
                "created_at": note["created_at"],
            })
            db["action_history"].insert({
                "action_id": action_id, "change": "progress", "author": note["author"],
                "changes": json.dumps({"update": [None, note["text"]]}),
                "created_at": note["created_at"]})



def case_language(db: Database) -> None:
    """Each note's language ("en", "fr", "ru"), detected from its text; existing notes filled."""
    if "language" not in db["cases"].columns_dict:
        db.execute("ALTER TABLE cases ADD COLUMN language TEXT")
    rows = db.execute("SELECT id, title, summary, body FROM cases").fetchall()
    db.conn.executemany("UPDATE cases SET language = ? WHERE id = ?",
                        [(note_language(title, summary, body), id) for id, title, summary, body
                         in rows])


PARTNERS = """
CREATE TABLE IF NOT EXISTS partner_overrides (match TEXT NOT NULL, value TEXT NOT NULL,
    slug TEXT NOT NULL, PRIMARY KEY (match, value));
CREATE TABLE IF NOT EXISTS partner_changes (id INTEGER PRIMARY KEY, action TEXT NOT NULL,
    author TEXT, created_at TEXT, comment TEXT, undoes INTEGER, undone_by INTEGER);
CREATE TABLE IF NOT EXISTS partner_change_rows (change_id INTEGER NOT NULL
    REFERENCES partner_changes (id), position INTEGER, match TEXT NOT NULL, value TEXT NOT NULL,
    before TEXT, after TEXT);
CREATE INDEX IF NOT EXISTS partner_change_rows_change ON partner_change_rows (change_id);
"""

SCREENINGS = """
CREATE TABLE IF NOT EXISTS screenings (id INTEGER PRIMARY KEY, subject_type TEXT NOT NULL,
    subject_id TEXT NOT NULL, partner TEXT, division TEXT, screened_by TEXT NOT NULL,
    screened_at TEXT NOT NULL, path TEXT NOT NULL, answers TEXT NOT NULL, facts TEXT NOT NULL,
    tier TEXT NOT NULL, excluded INTEGER NOT NULL DEFAULT 0, reasons TEXT NOT NULL,
    expires_on TEXT NOT NULL, comment TEXT);
CREATE INDEX IF NOT EXISTS screenings_subject ON screenings (subject_type, subject_id);
"""

PROPOSALS = """
CREATE TABLE IF NOT EXISTS proposals (id INTEGER PRIMARY KEY, reference TEXT NOT NULL UNIQUE,
    token_hash TEXT NOT NULL, state TEXT NOT NULL, division TEXT, suggested_division TEXT,
    organisation TEXT NOT NULL, partner_type TEXT, country TEXT, title TEXT NOT NULL,
    data TEXT NOT NULL, submitted_by TEXT, case_id TEXT, created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL, decided_at TEXT);
CREATE INDEX IF NOT EXISTS proposals_state ON proposals (state, division);
CREATE TABLE IF NOT EXISTS proposal_events (id INTEGER PRIMARY KEY,
    proposal_id INTEGER NOT NULL REFERENCES proposals (id), from_state TEXT, to_state TEXT NOT NULL,
    author TEXT, created_at TEXT NOT NULL, comment TEXT, division TEXT);
CREATE INDEX IF NOT EXISTS proposal_events_proposal ON proposal_events (proposal_id);
"""

NOTIFICATIONS = """
ALTER TABLE users ADD COLUMN email TEXT;
CREATE TABLE IF NOT EXISTS notifications (id INTEGER PRIMARY KEY,
    username TEXT NOT NULL COLLATE NOCASE, kind TEXT NOT NULL, case_id TEXT, title TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT '', link TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL,
    read_at TEXT);
CREATE INDEX IF NOT EXISTS notifications_user ON notifications (username, read_at, id);
CREATE TABLE IF NOT EXISTS outbox (id INTEGER PRIMARY KEY, recipient TEXT NOT NULL,
    subject TEXT NOT NULL, body TEXT NOT NULL, created_at TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL, last_error TEXT, sent_at TEXT);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (status, next_attempt_at);
CREATE TABLE IF NOT EXISTS follows (id INTEGER PRIMARY KEY,
    username TEXT NOT NULL COLLATE NOCASE, kind TEXT NOT NULL, target TEXT NOT NULL,
    frequency TEXT NOT NULL, created_at TEXT NOT NULL, last_digest_at TEXT NOT NULL,
    UNIQUE (username, kind, target));
CREATE INDEX IF NOT EXISTS follows_due ON follows (frequency, last_digest_at)
"""

MIGRATIONS: list[tuple[str, Step]] = [
    ("0001_initial", INITIAL),
    ("0002_drafts", DRAFTS),
    ("0200_case_language", case_language),
    ("0300_monitoring_actions", _actions_from_follow_up),
    # The monitoring dashboard reads these columns of every published note; from the index
    # alone, it never reads the notes' bodies (a tenth of the pages at 10,000 notes).
    ("0301_cases_facts_index", "CREATE INDEX IF NOT EXISTS cases_facts ON cases (state, id, "
                               "title, division, visibility, start_year, end_year, status, "
                               "good_practice)"),
    ("0400_partner_overrides", PARTNERS),
    ("0401_screenings", SCREENINGS),
    ("0402_proposals", PROPOSALS),
    ("0500_sessions", SESSIONS),
    ("0501_signin_failures", SIGNIN_FAILURES),
    ("0600_attachments", ATTACHMENTS),
    ("0601_evaluation_files", EVALUATION_FILES),
    ("0900_case_sources", SOURCES),
    ("1000_notifications", NOTIFICATIONS),
    ("1100_pending_revisions", PENDING_REVISIONS),
    ("1200_corpus_files", CORPUS_FILES),
]


def migrate(db: Database, path: Path, migrations: list[tuple[str, Step]] = MIGRATIONS) -> list[str]:
    """Apply the migrations this database has not recorded yet, in order; return their names.

    Call inside one write transaction, so a failed migration leaves the database as it was.
    A database that records migrations this code does not know is newer: it is refused.
    """
    db.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT)")
    done = {row[0] for row in db.execute("SELECT name FROM _migrations")}
    unknown = done - {name for name, _ in migrations}
    if unknown:
        raise RuntimeError(
            f"{path} was changed by a newer kmsearch (migrations {', '.join(sorted(unknown))}); "
            "upgrade kmsearch or point KMSEARCH_DB at another database"
        )
    applied = []
    for name, step in migrations:
        if name in done:
            continue
        if callable(step):
            step(db)
        else:
            for statement in filter(str.strip, step.split(";")):
                db.execute(statement)
        db.execute("INSERT INTO _migrations (name, applied_at) VALUES (?, ?)", [name, now()])
        applied.append(name)
    return applied
