"""Key actions of recommendations, their dated progress updates and the history of every change.

A recommendation's status is derived from its actions and kept in ``recommendations.status``
inside the same transaction as the change that moved it. Nothing is overwritten silently: every
write adds a row to ``action_history`` with who, when and the values before and after.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlite_utils import Database

from ..errors import Conflict, NotFound, Problem, ValidationError
from ..records import Recommendation
from .schema import canonical_json, iso, now, row_id, to_date

if TYPE_CHECKING:
    from .cases import Store

CLOSED = ("completed", "no-longer-applicable")
EDITABLE = ("text", "responsible_unit", "due_date", "status")
SEED_AUTHOR = "management response"
# The status an older implementation status gives the action seeded from the response.
FROM_IMPLEMENTATION = {"implemented": "completed", "in-progress": "in-progress",
                       "no-longer-applicable": "no-longer-applicable"}


@dataclass
class ProgressUpdate:
    """A dated account of progress on one action, with optional evidence."""

    id: int
    action_id: int
    date: date
    text: str
    status: str  # the action's status right after this update
    evidence_url: str
    evidence_case_id: str
    author: str
    created_at: str


@dataclass
class KeyAction:
    """One key action of a recommendation, with its progress updates, oldest first."""

    id: int
    recommendation_id: str
    text: str
    responsible_unit: str
    due_date: date | None
    status: str
    source: str  # "response" (seeded from the management response) or "web"
    created_by: str
    created_at: str
    updated_by: str
    updated_at: str
    version: int
    updates: list[ProgressUpdate] = field(default_factory=list)

    def overdue(self, today: date) -> bool:
        """Past its due date and neither completed nor dropped."""
        return self.due_date is not None and self.due_date < today and self.status not in CLOSED


@dataclass
class HistoryEntry:
    """One change to an action: created, edited, progress, refreshed from the response."""

    action_id: int
    change: str
    changes: dict[str, Any]
    author: str
    created_at: str


def derived_status(statuses: Iterable[str]) -> str:
    """A recommendation's status from its actions' statuses: implemented when every action is
    closed and one completed; no-longer-applicable when all were dropped; not-started when none
    began; in-progress otherwise."""
    statuses = list(statuses)
    if not statuses or all(s == "not-started" for s in statuses):
        return "not-started"
    if all(s == "no-longer-applicable" for s in statuses):
        return "no-longer-applicable"
    if all(s in CLOSED for s in statuses):
        return "implemented"
    return "in-progress"


class FollowUp:
    """Reads and writes key actions; every write is one ``Store.write()`` transaction."""

    def __init__(self, store: Store):
        self.store = store

    def actions(self, rec_id: str) -> list[KeyAction]:
        """A recommendation's actions, oldest first, each with its updates."""
        return self.actions_by_recommendation([rec_id]).get(rec_id, [])

    def actions_by_recommendation(
        self, rec_ids: Iterable[str] | None = None
    ) -> dict[str, list[KeyAction]]:
        """Actions with their updates for many recommendations (every one for None), in two
        queries."""
        db = self.store.db
        where, params = "", []
        if rec_ids is not None:
            ids = list(rec_ids)
            where, params = f"WHERE recommendation_id IN ({', '.join('?' * len(ids))})", ids
            if not ids:
                return {}
        rows = list(db.query(f"SELECT * FROM actions {where} ORDER BY id", params))
        updates: dict[int, list[ProgressUpdate]] = {}
        if rows:
            sql = (f"SELECT * FROM action_updates WHERE action_id IN "
                   f"(SELECT id FROM actions {where}) ORDER BY date, id")
            for row in db.query(sql, params):
                updates.setdefault(row["action_id"], []).append(_update(row))
        found: dict[str, list[KeyAction]] = {}
        for row in rows:
            found.setdefault(row["recommendation_id"], []).append(
                _action(row, updates.get(row["id"], [])))
        return found

    def get_action(self, rec_id: str, action_id: int) -> KeyAction:
        """One action of ``rec_id``; an action of another recommendation is refused."""
        row = self.store.db.execute("SELECT recommendation_id FROM actions WHERE id = ?",
                                    [action_id]).fetchone()
        if row is None:
            raise NotFound(f"No key action {action_id}.")
        if row[0] != rec_id:
            raise ValidationError([Problem(rec_id, "action", f"key action {action_id} belongs "
                                           f"to recommendation {row[0]}, not to {rec_id}")])
        return next(a for a in self.actions(rec_id) if a.id == action_id)

    def history(self, rec_id: str) -> list[HistoryEntry]:
        """Every change to the recommendation's actions, oldest first."""
        sql = ("SELECT h.* FROM action_history AS h JOIN actions AS a ON a.id = h.action_id "
               "WHERE a.recommendation_id = ? ORDER BY h.id")
        return [_history(row) for row in self.store.db.query(sql, [rec_id])]

    def add_action(self, rec_id: str, fields: Mapping[str, Any], *, author: str) -> KeyAction:
        """A new action (fields from ``parse_action_fields``) on an existing recommendation."""
        with self.store.write() as db:
            _require_recommendation(db, rec_id)
            action_id = _insert_action(db, rec_id, fields, source="web", author=author)
            refresh_status(db, rec_id)
        return self.get_action(rec_id, action_id)

    def edit_action(self, rec_id: str, action_id: int, fields: Mapping[str, Any], *,
                    author: str, expected_version: int | None = None) -> KeyAction:
        """Change some of an action's fields; the old values go to the history."""
        with self.store.write() as db:
            current = _current(db, rec_id, action_id)
            if expected_version is not None and expected_version != current["version"]:
                raise Conflict(f"Key action {action_id} was changed by {current['updated_by']} "
                               f"at {current['updated_at']} since you opened it; reload the page "
                               "and apply your change again.")
            changes = _changes(current, fields)
            if changes:
                row = {k: _stored(v) for k, v in fields.items() if k in changes} | {
                    "updated_by": author, "updated_at": now(),
                    "version": current["version"] + 1}
                if current["source"] == "response" and set(changes) - {"status"}:
                    row["edited"] = 1
                db["actions"].update(action_id, row)
                _record(db, action_id, "edited", changes, author)
                refresh_status(db, rec_id)
        return self.get_action(rec_id, action_id)

    def add_update(self, rec_id: str, action_id: int, values: Mapping[str, Any], *,
                   author: str) -> ProgressUpdate:
        """A dated progress update (from ``parse_update_fields``); a status in it moves the
        action too. An evidence case id must name a note of the library."""
        with self.store.write() as db:
            current = _current(db, rec_id, action_id)
            case_id = values.get("evidence_case_id") or ""
            if case_id and db.execute("SELECT 1 FROM cases WHERE id = ?", [case_id]).fetchone() \
                    is None:
                raise ValidationError([Problem("update", "evidence_case_id",
                                               f"no case note with id {case_id!r}")])
            status = values.get("status") or current["status"]
            row = {"action_id": action_id, "date": iso(values["date"]), "text": values["text"],
                   "status": status, "evidence_url": values.get("evidence_url") or "",
                   "evidence_case_id": case_id, "author": author, "created_at": now()}
            row["id"] = db["action_updates"].insert(row).last_pk
            changes = {"update": [None, row["text"]], "date": [None, row["date"]]}
            if status != current["status"]:
                changes["status"] = [current["status"], status]
            db["actions"].update(action_id, {"status": status, "updated_by": author,
                                             "updated_at": row["created_at"],
                                             "version": current["version"] + 1})
            _record(db, action_id, "progress", changes, author)
            refresh_status(db, rec_id)
        return _update(row)

    def primary_action(self, rec_id: str) -> KeyAction:
        """The action older commands act on: the first still open, else the first one."""
        actions = self.actions(rec_id)
        if not actions:
            raise NotFound(f"Recommendation {rec_id} has no key action; add one first.")
        return next((a for a in actions if a.status not in CLOSED), actions[0])


def seed_response_actions(db: Database, recommendations: Iterable[Recommendation],
                          author: str = SEED_AUTHOR) -> None:
    """Give each recommendation the key action its management response states ("Follow up
    actions", "Responsibility", "Timeline"), once; later imports refresh that action only while
    no reviewer has edited it. Call inside a write transaction."""
    for rec in recommendations:
        wanted = {"text": " ".join((rec.actions or rec.text).split()),
                  "responsible_unit": rec.responsibility or "", "due_date": rec.timeline}
        rows = list(db.query("SELECT * FROM actions WHERE recommendation_id = ? AND "
                             "source = 'response'", [rec.id]))
        if not rows:
            status = FROM_IMPLEMENTATION.get(rec.status, "not-started")
            _insert_action(db, rec.id, wanted | {"status": status}, source="response",
                           author=author)
        else:
            current = rows[0]
            changes = _changes(current, wanted)
            if changes and not current["edited"]:
                db["actions"].update(current["id"], {k: _stored(v) for k, v in wanted.items()}
                                     | {"updated_by": author, "updated_at": now(),
                                        "version": current["version"] + 1})
                _record(db, current["id"], "refreshed", changes, author)
        refresh_status(db, rec.id)


def drop_unused_actions(db: Database, rec_id: str) -> int:
    """Delete a recommendation's actions when no one has worked on them; return how many
    actions remain (a recommendation with worked-on actions must not be deleted)."""
    sql = ("SELECT id FROM actions WHERE recommendation_id = ? AND source = 'response' "
           "AND edited = 0 AND NOT EXISTS (SELECT 1 FROM action_updates WHERE action_id = "
           "actions.id) AND NOT EXISTS (SELECT 1 FROM action_history WHERE action_id = "
           "actions.id AND change NOT IN ('created', 'refreshed'))")
    for (action_id,) in list(db.execute(sql, [rec_id])):
        db.execute("DELETE FROM action_history WHERE action_id = ?", [action_id])
        db.execute("DELETE FROM actions WHERE id = ?", [action_id])
    sql = "SELECT count(*) FROM actions WHERE recommendation_id = ?"
    return db.execute(sql, [rec_id]).fetchone()[0]


def refresh_status(db: Database, rec_id: str) -> str:
    """Store the status derived from the recommendation's actions; return it."""
    rows = db.execute("SELECT status FROM actions WHERE recommendation_id = ?", [rec_id])
    status = derived_status(row[0] for row in rows)
    db.execute("UPDATE recommendations SET status = ? WHERE id = ?", [status, rec_id])
    return status


def _insert_action(db: Database, rec_id: str, fields: Mapping[str, Any], *, source: str,
                   author: str) -> int:
    stamp = now()
    row = {"recommendation_id": rec_id, "source": source, "text": fields["text"],
           "responsible_unit": fields.get("responsible_unit") or "",
           "due_date": _stored(fields.get("due_date")),
           "status": fields.get("status") or "not-started", "created_by": author,
           "created_at": stamp, "updated_by": author, "updated_at": stamp, "version": 1,
           "edited": 0}
    action_id = db["actions"].insert(row).last_pk
    created = {k: [None, row[k]] for k in EDITABLE if row[k]}
    _record(db, action_id, "created", created, author)
    return action_id


def _record(db: Database, action_id: int, change: str, changes: dict[str, Any],
            author: str) -> None:
    db["action_history"].insert({"action_id": action_id, "change": change,
                                 "changes": canonical_json(changes), "author": author,
                                 "created_at": now()})


def _current(db: Database, rec_id: str, action_id: int) -> dict[str, Any]:
    if not row_id(action_id):
        raise NotFound(f"No key action {str(action_id)[:20]}.")
    rows = list(db.query("SELECT * FROM actions WHERE id = ?", [action_id]))
    if not rows:
        raise NotFound(f"No key action {action_id}.")
    if rows[0]["recommendation_id"] != rec_id:
        raise ValidationError([Problem(rec_id, "action", f"key action {action_id} belongs to "
                                       f"recommendation {rows[0]['recommendation_id']}, not to "
                                       f"{rec_id}; nothing was changed")])
    return rows[0]


def _require_recommendation(db: Database, rec_id: str) -> None:
    if db.execute("SELECT 1 FROM recommendations WHERE id = ?", [rec_id]).fetchone() is None:
        raise NotFound(f"No recommendation with id {rec_id!r}.")


def _changes(current: Mapping[str, Any], fields: Mapping[str, Any]) -> dict[str, list[Any]]:
    """{field: [before, after]} for the editable fields whose value differs."""
    return {
        key: [current[key], _stored(value)]
        for key, value in fields.items()
        if key in EDITABLE and (current[key] or "") != (_stored(value) or "")
    }


def _stored(value: Any) -> Any:
    return iso(value) if isinstance(value, date) else value


def _action(row: dict[str, Any], updates: list[ProgressUpdate]) -> KeyAction:
    return KeyAction(
        id=row["id"], recommendation_id=row["recommendation_id"], text=row["text"],
        responsible_unit=row["responsible_unit"] or "", due_date=to_date(row["due_date"]),
        status=row["status"], source=row["source"], created_by=row["created_by"],
        created_at=row["created_at"], updated_by=row["updated_by"],
        updated_at=row["updated_at"], version=row["version"], updates=updates,
    )


def _update(row: dict[str, Any]) -> ProgressUpdate:
    return ProgressUpdate(
        id=row["id"], action_id=row["action_id"], date=to_date(row["date"]), text=row["text"],
        status=row["status"] or "", evidence_url=row["evidence_url"] or "",
        evidence_case_id=row["evidence_case_id"] or "", author=row["author"] or "",
        created_at=row["created_at"],
    )


def _history(row: dict[str, Any]) -> HistoryEntry:
    return HistoryEntry(action_id=row["action_id"], change=row["change"],
                        changes=json.loads(row["changes"]), author=row["author"],
                        created_at=row["created_at"])
