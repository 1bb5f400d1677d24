"""SQLite through sqlite-utils, the system of record: case notes with revisions, evaluations."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from ..errors import Conflict, NotFound, Problem, ValidationError
from ..records import IMPLEMENTATION_STATUSES, CaseNote, Evaluation, Lesson, Recommendation
from .actionfields import parse_update_fields
from .followup import FROM_IMPLEMENTATION, FollowUp, drop_unused_actions, seed_response_actions
from .migrations import migrate
from .schema import (
    LINKS,
    STATES,
    canonical_json,
    case_row,
    child_rows,
    evaluation_hash,
    evaluation_row,
    note_from,
    now,
    recommendation_from,
    recommendation_row,
    to_date,
)

__all__ = ["STATES", "ProgressNote", "Revision", "SaveResult", "Store", "StoredCase"]


@dataclass
class SaveResult:
    action: str  # "created", "updated" or "unchanged"
    revision: int
    previous_state: str | None = None  # the state before the save; None for a new note


@dataclass
class StoredCase:
    """A case note with its workflow state and bookkeeping; ``author`` is who created it."""

    note: CaseNote
    state: str
    revision: int
    author: str
    created_at: str  # ISO-8601 UTC with seconds, like every timestamp
    updated_at: str
    origin: str  # "corpus", "import" or "web": how the note was first created
    updated_by: str = ""
    content_hash: str = ""
    source: str = ""  # which corpus folder, import or "web" the note belongs to
    language: str = "en"  # detected from the text: "en", "fr" or "ru"
    pending_revision: int | None = None  # an edit waiting for review beside this live note

    @property
    def id(self) -> str:
        return self.note.id

    @property
    def latest_revision(self) -> int:
        """The newest revision, pending or live: the one an edit must start from."""
        return max(self.revision, self.pending_revision or 0)


@dataclass
class Revision:
    """One version of a case note, as it was right after a change, and who made it."""

    number: int
    action: str  # created, updated, archived, restored or state
    author: str
    created_at: str
    comment: str
    note: CaseNote
    state: str = "published"
    pending: bool = False  # stored beside the live note, waiting for review


@dataclass
class ProgressNote:
    id: int
    recommendation_id: str
    date: date
    status: str
    text: str
    author: str
    created_at: str


class Store:
    """The database of one kmsearch instance; safe to share between threads.

    Each thread gets its own connection (``threading.local``) so that, under WAL, readers
    never wait for the writer; every write transaction starts with ``BEGIN IMMEDIATE``, so
    writers queue on SQLite's own lock, across threads and processes alike, instead of
    failing halfway when two of them read and then try to write.
    """

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._connections: list[Database] = []
        self._lock = threading.Lock()
        if self.db.journal_mode != "wal":
            self.db.enable_wal()
        with self.write() as db:
            migrate(db, self.path)

    @property
    def db(self) -> Database:
        """This thread's connection, opened on first use."""
        db = getattr(self._local, "db", None)
        if db is None:
            conn = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
            db = self._local.db = Database(conn)
            db.execute("PRAGMA foreign_keys = ON")
            # Under WAL, NORMAL still write()s every commit to the -wal file before COMMIT
            # returns and only leaves the fsync to checkpoints: the bytes are in the OS page
            # cache, so a killed process loses no acknowledged write (a power cut might).
            db.execute("PRAGMA synchronous = NORMAL")
            with self._lock:
                self._connections.append(db)
        return db

    def close(self) -> None:
        """Close every thread's connection."""
        with self._lock:
            for db in self._connections:
                db.close()
            self._connections.clear()
            self._local = threading.local()

    @contextmanager
    def write(self) -> Iterator[Database]:
        """One write transaction, holding the write lock from the start; rolled back on error.

        Inside another ``write()`` of the same thread it is a savepoint of that transaction:
        its own failure undoes its own writes only, and nothing is kept unless the outer
        transaction commits.
        """
        db = self.db
        depth = getattr(self._local, "depth", 0)
        name = f"write_{depth}"
        db.conn.execute(f"SAVEPOINT {name}" if depth else "BEGIN IMMEDIATE")
        self._local.depth = depth + 1
        try:
            yield db
            db.conn.execute(f"RELEASE {name}" if depth else "COMMIT")
        except BaseException:
            if db.conn.in_transaction:
                db.conn.execute(f"ROLLBACK TO {name}" if depth else "ROLLBACK")
                if depth:
                    db.conn.execute(f"RELEASE {name}")
            raise
        finally:
            self._local.depth = depth

    # Case notes and their revisions

    def save_case(
        self,
        note: CaseNote,
        *,
        author: str,
        comment: str = "",
        state: str = "published",
        origin: str = "web",
        source: str | None = None,
        expected_revision: int | None = None,
        pending: bool = False,
        replaces_pending: bool = False,
    ) -> SaveResult:
        """Create or update a note, its child rows and a revision holding it, in one transaction.

        The same content in the same state writes nothing; ``origin`` counts only on creation,
        and ``source`` (default: the origin) names the folder or import the note belongs to.
        A ``pending`` save stores the revision beside the live note, which stays as it is;
        ``replaces_pending`` makes this live save take the pending revision's place.
        ``expected_revision`` is the note's latest revision, pending or live.
        """
        digest = note.content_hash()
        with self.write() as db:
            sql = "SELECT revision, content_hash, state, pending_revision FROM cases WHERE id = ?"
            current = db.execute(sql, [note.id]).fetchone()
            number = max(current[0], current[3] or 0) if current else 0
            if expected_revision is not None and expected_revision != number:
                raise Conflict(
                    f"Case note {note.id!r} is now at revision {number}, not {expected_revision}: "
                    "someone saved it in the meantime. Reload it, reapply your changes and save."
                )
            if pending:
                return _save_pending(db, note, digest, current, author, comment, state)
            clears = bool(replaces_pending and current and current[3])
            if current and current[1] == digest and current[2] == state and not clears:
                return SaveResult("unchanged", number, state)
            _check_case(db, note, state)
            row = case_row(note, digest) | {
                "state": state, "revision": number + 1, "updated_by": author, "updated_at": now()
            }
            if current is None:
                row |= {"author": author, "created_at": row["updated_at"], "origin": origin,
                        "source": source or origin}
                action = "created"
            else:
                action = "updated" if current[1] != digest else _state_action(current[2], state)
                if clears:
                    row["pending_revision"] = None
            db["cases"].upsert(row, pk="id")
            if current is None or current[1] != digest:
                for table, rows in child_rows(note).items():
                    db.execute(f"DELETE FROM {table} WHERE case_id = ?", [note.id])
                    db[table].insert_all(rows)
            db["revisions"].insert({
                "case_id": note.id, "number": number + 1, "action": action, "state": state,
                "author": author, "created_at": row["updated_at"], "comment": comment,
                "data": row["data"], "content_hash": digest,
            })
        if current is None:
            return SaveResult("created", number + 1)
        return SaveResult("updated", number + 1, current[2])

    def get_case(self, case_id: str) -> StoredCase | None:
        rows = list(self.db.query("SELECT * FROM cases WHERE id = ?", [case_id]))
        return _stored_case(rows[0]) if rows else None

    def iter_cases(self, states: tuple[str, ...] | None = ("published",)) -> Iterator[StoredCase]:
        """Every note in one of ``states`` (in any state for None), by id."""
        where, params = _in_states(states)
        for row in self.db.query(f"SELECT * FROM cases {where} ORDER BY id", params):
            yield _stored_case(row)

    def iter_with_pending(self, state: str) -> Iterator[StoredCase]:
        """Live notes (not archived) whose pending revision is in ``state``, by id."""
        sql = ("SELECT cases.* FROM cases JOIN revisions AS r ON r.case_id = cases.id AND "
               "r.number = cases.pending_revision WHERE r.state = ? AND "
               "cases.state != 'archived' ORDER BY cases.id")
        for row in self.db.query(sql, [state]):
            yield _stored_case(row)

    def case_hashes(self, states: tuple[str, ...] | None = ("published",)) -> dict[str, str]:
        """The content hash of every note in ``states``, in one query, to skip unchanged notes."""
        where, params = _in_states(states)
        return dict(self.db.execute(f"SELECT id, content_hash FROM cases {where}", params))

    def case_ids(
        self, *, origin: str | None = None, source: str | None = None,
        states: tuple[str, ...] | None = None,
    ) -> list[str]:
        """Ids of the notes first created from ``origin`` and belonging to ``source``, in
        ``states``; None means any."""
        where, params = _in_states(states)
        for column, value in (("origin", origin), ("source", source)):
            if value is not None:
                where = f"{where} {'AND' if where else 'WHERE'} {column} = ?"
                params = [*params, value]
        return [row[0] for row in self.db.execute(f"SELECT id FROM cases {where} ORDER BY id",
                                                  params)]

    def claim(self, case_ids: list[str], source: str) -> int:
        """Record that these notes belong to ``source``; returns how many changed hands."""
        changed = 0
        with self.write() as db:
            for start in range(0, len(case_ids), 500):
                chunk = case_ids[start:start + 500]
                marks = ",".join("?" * len(chunk))
                sql = f"UPDATE cases SET source = ? WHERE id IN ({marks}) AND source IS NOT ?"
                changed += db.execute(sql, [source, *chunk, source]).rowcount
        return changed

    def get_lesson(self, lesson_id: str) -> tuple[Lesson, StoredCase] | None:
        """A lesson and the note it belongs to, whatever the note's state."""
        sql = "SELECT case_id, position FROM lessons WHERE id = ?"
        row = self.db.execute(sql, [lesson_id]).fetchone()
        stored = self.get_case(row[0]) if row else None
        if stored is None:
            return None
        return next(item for item in stored.note.lessons if item.position == row[1]), stored

    def revisions(self, case_id: str) -> list[Revision]:
        """Every version of a note, oldest first."""
        sql = "SELECT * FROM revisions WHERE case_id = ? ORDER BY number"
        return [_revision(row) for row in self.db.query(sql, [case_id])]

    def revision(self, case_id: str, number: int) -> Revision | None:
        sql = "SELECT * FROM revisions WHERE case_id = ? AND number = ?"
        rows = list(self.db.query(sql, [case_id, number]))
        return _revision(rows[0]) if rows else None

    def case_ids_for(self, link: str, value: Any) -> list[str]:
        """Published notes linked to a nexus area, SDG, recommendation, partnership type or
        division (``link`` is one of ``LINKS``), by id."""
        if link not in LINKS:
            raise ValueError(f"unknown link {link!r}; expected one of {', '.join(LINKS)}")
        table, column = LINKS[link]
        joined = "" if table == "cases" else f"JOIN {table} AS t ON t.case_id = cases.id"
        qualified = column if table == "cases" else f"t.{column}"
        sql = (
            f"SELECT cases.id FROM cases {joined} "
            f"WHERE {qualified} = ? AND cases.state = 'published' ORDER BY cases.id"
        )
        return [row[0] for row in self.db.execute(sql, [int(value) if link == "sdg" else value])]

    def counts(self) -> dict[str, int]:
        """Rows per table, and case notes per workflow state (every state, zeros included)."""
        tables = ("cases", "lessons", "partners", "evaluations", "recommendations", "revisions",
                  "actions", "action_updates")
        counts = {table: self.db[table].count for table in tables}
        counts |= dict.fromkeys(STATES, 0)
        return counts | dict(self.db.execute("SELECT state, count(*) FROM cases GROUP BY state"))

    # Evaluations, recommendations and their follow-up

    def save_evaluation(self, ev: Evaluation) -> str:
        """Import or re-import an evaluation: "created", "updated" or "unchanged".

        Each recommendation gets the key action its response states; reviewers' actions,
        edits and statuses are kept.
        """
        digest = evaluation_hash(ev)
        with self.write() as db:
            sql = "SELECT content_hash FROM evaluations WHERE id = ?"
            current = db.execute(sql, [ev.id]).fetchone()
            if current and current[0] == digest:
                return "unchanged"
            sql = "SELECT id, status FROM recommendations WHERE evaluation_id = ?"
            statuses = dict(db.execute(sql, [ev.id]))
            _delete_recommendations(db, set(statuses) - {rec.id for rec in ev.recommendations})
            if ev.default:
                db.execute("UPDATE evaluations SET is_default = 0 WHERE id != ?", [ev.id])
            db["evaluations"].upsert(evaluation_row(ev, digest), pk="id")
            rows = [
                recommendation_row(rec) | {"status": statuses.get(rec.id, rec.status)}
                for rec in ev.recommendations
            ]
            db["recommendations"].upsert_all(rows, pk="id")
            seed_response_actions(db, ev.recommendations)
        return "updated" if current else "created"

    def get_evaluation(self, evaluation_id: str) -> Evaluation | None:
        rows = list(self.db.query("SELECT * FROM evaluations WHERE id = ?", [evaluation_id]))
        return self._evaluation(rows[0]) if rows else None

    def list_evaluations(self) -> list[Evaluation]:
        """Every evaluation with its recommendations: the default first, then newest first."""
        sql = "SELECT * FROM evaluations ORDER BY is_default DESC, date DESC, id"
        return [self._evaluation(row) for row in self.db.query(sql)]

    def _evaluation(self, row: dict[str, Any]) -> Evaluation:
        return Evaluation(
            id=row["id"], title=row["title"], period=row["period"], date=to_date(row["date"]),
            recommendations=self.list_recommendations(row["id"]), default=bool(row["is_default"]),
        )

    def default_evaluation_id(self) -> str | None:
        row = self.db.execute("SELECT id FROM evaluations WHERE is_default LIMIT 1").fetchone()
        return row[0] if row else None

    def get_recommendation(self, rec_id: str) -> Recommendation | None:
        rows = list(self.db.query("SELECT * FROM recommendations WHERE id = ?", [rec_id]))
        return recommendation_from(rows[0]) if rows else None

    def list_recommendations(self, evaluation_id: str | None = None) -> list[Recommendation]:
        """Recommendations of one evaluation (of all for None), by evaluation and number."""
        where, params = ("WHERE evaluation_id = ?", [evaluation_id]) if evaluation_id else ("", [])
        sql = f"SELECT * FROM recommendations {where} ORDER BY evaluation_id, number"
        return [recommendation_from(row) for row in self.db.query(sql, params)]

    def recommendation_ids(self) -> set[str]:
        return {row[0] for row in self.db.execute("SELECT id FROM recommendations")}

    def set_recommendation_status(
        self, rec_id: str, status: str, *, text: str, author: str, date: date | None = None
    ) -> ProgressNote:
        """Record progress the older way: a dated update, with the implementation status given
        to the recommendation's first open key action (implemented: completed)."""
        if status not in IMPLEMENTATION_STATUSES:
            choices = ", ".join(IMPLEMENTATION_STATUSES)
            message = f"expected one of {choices}; found {status!r}"
            raise ValidationError([Problem(rec_id, "status", message)])
        if self.get_recommendation(rec_id) is None:
            raise NotFound(f"No recommendation with id {rec_id!r}.")
        followup = FollowUp(self)
        action = followup.primary_action(rec_id)
        day = date or datetime.now(UTC).date()
        values = parse_update_fields(
            {"date": day, "text": text or "-",
             "status": FROM_IMPLEMENTATION.get(status, "not-started")}, today=max(day, _today()))
        update = followup.add_update(rec_id, action.id, values, author=author)
        return ProgressNote(id=update.id, recommendation_id=rec_id, date=update.date,
                            status=self.get_recommendation(rec_id).status, text=update.text,
                            author=author, created_at=update.created_at)

    def progress_notes(self, rec_id: str) -> list[ProgressNote]:
        """Every progress update on a recommendation's key actions, oldest first, with the
        status in the implementation vocabulary (a completed action reads "implemented")."""
        updates = [u for a in FollowUp(self).actions(rec_id) for u in a.updates]
        return [
            ProgressNote(id=u.id, recommendation_id=rec_id, date=u.date,
                         status="implemented" if u.status == "completed" else u.status,
                         text=u.text, author=u.author, created_at=u.created_at)
            for u in sorted(updates, key=lambda u: (u.date, u.id))
        ]


def _today() -> date:
    return datetime.now(UTC).date()


def _check_case(db: Database, note: CaseNote, state: str) -> None:
    """Refuse what the tables would reject, with a message instead of an IntegrityError."""
    problems = []
    if state not in STATES:
        message = f"expected one of {', '.join(STATES)}; found {state!r}"
        problems.append(Problem(note.id, "state", message))
    positions = [lesson.position for lesson in note.lessons]
    if len(set(positions)) != len(positions):
        message = f"each lesson needs its own position; found {positions}"
        problems.append(Problem(note.id, "lessons", message))
    marks = ", ".join("?" * len(note.recommendations))
    sql = f"SELECT id FROM recommendations WHERE id IN ({marks})"
    known = {row[0] for row in db.execute(sql, note.recommendations)} if marks else set()
    for rec_id in sorted(set(note.recommendations) - known):
        message = f"unknown recommendation {rec_id!r}; import its evaluation first"
        problems.append(Problem(note.id, "recommendations", message))
    if problems:
        raise ValidationError(problems)


def _delete_recommendations(db: Database, gone: set[str]) -> None:
    """Drop recommendations a re-imported evaluation no longer has, unless something uses them."""
    for rec_id in sorted(gone):
        sql = "SELECT case_id FROM case_recommendations WHERE recommendation_id = ?"
        cases = [row[0] for row in db.execute(sql, [rec_id])]
        sql = "SELECT count(*) FROM progress_notes WHERE recommendation_id = ?"
        notes = db.execute(sql, [rec_id]).fetchone()[0]
        actions = drop_unused_actions(db, rec_id)
        if cases or notes or actions:
            raise Conflict(
                f"Recommendation {rec_id} is no longer in its evaluation, but case notes "
                f"{cases} link to it and it has {notes} progress notes and {actions} key "
                "actions reviewers worked on; unlink it first."
            )
        db.execute("DELETE FROM recommendations WHERE id = ?", [rec_id])


def _save_pending(db: Database, note: CaseNote, digest: str, current: tuple | None,
                  author: str, comment: str, state: str) -> SaveResult:
    """A revision beside the live note: the note's row, its child rows and search stay."""
    if current is None:
        raise Conflict(f"Case note {note.id!r} has no live revision for a change to wait beside.")
    live, live_hash, live_state, waiting = current
    before = (live_hash, live_state)
    if waiting:
        sql = "SELECT content_hash, state FROM revisions WHERE case_id = ? AND number = ?"
        before = tuple(db.execute(sql, [note.id, waiting]).fetchone())
    elif digest == live_hash:
        return SaveResult("unchanged", live, live_state)  # nothing to propose
    if before == (digest, state):
        return SaveResult("unchanged", max(live, waiting or 0), state)
    if state not in ("draft", "submitted"):
        raise ValueError(f"a pending revision is a draft or submitted, not {state!r}")
    _check_case(db, note, state)
    number = max(live, waiting or 0) + 1
    db["revisions"].insert({
        "case_id": note.id, "number": number, "state": state, "author": author,
        "action": "updated" if digest != before[0] else "state", "created_at": now(),
        "comment": comment, "data": canonical_json(note.to_dict()), "content_hash": digest,
        "pending": 1,
    })
    db.execute("UPDATE cases SET pending_revision = ? WHERE id = ?", [number, note.id])
    return SaveResult("updated", number, before[1])


def _state_action(old: str, new: str) -> str:
    if new == "archived":
        return "archived"
    return "restored" if old == "archived" else "state"


def _in_states(states: tuple[str, ...] | None) -> tuple[str, list[str]]:
    if states is None:
        return "", []
    return f"WHERE state IN ({', '.join('?' * len(states))})", list(states)


def _stored_case(row: dict[str, Any]) -> StoredCase:
    return StoredCase(
        note=note_from(row["data"]), state=row["state"], revision=row["revision"],
        author=row["author"], created_at=row["created_at"], updated_at=row["updated_at"],
        origin=row["origin"], updated_by=row["updated_by"], content_hash=row["content_hash"],
        source=row.get("source") or row["origin"],
        language=row.get("language") or "en", pending_revision=row.get("pending_revision"),
    )


def _revision(row: dict[str, Any]) -> Revision:
    return Revision(
        number=row["number"], action=row["action"], author=row["author"],
        created_at=row["created_at"], comment=row["comment"], note=note_from(row["data"]),
        state=row["state"], pending=bool(row.get("pending")),
    )


def _progress_note(row: dict[str, Any]) -> ProgressNote:
    return ProgressNote(**row | {"date": to_date(row["date"])})
