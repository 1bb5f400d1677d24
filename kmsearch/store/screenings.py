"""Due-diligence screenings in the store: who screened what, when, the answers, the result and
the date it expires. One row per screening; the newest of a subject is the one in force."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .cases import Store
from .schema import canonical_json


@dataclass
class Screening:
    """One screening of a proposal or a case note (``subject_type`` ``proposal`` or ``case``)."""

    id: int
    subject_type: str
    subject_id: str
    partner: str
    division: str
    screened_by: str
    screened_at: str
    path: str  # "simplified" or "full"
    answers: dict[str, str]
    facts: dict[str, Any]
    tier: str
    excluded: bool
    reasons: list[dict[str, str]]
    expires_on: date
    comment: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def expired(self, today: date) -> bool:
        return self.expires_on < today


def save_screening(store: Store, row: dict[str, Any]) -> Screening:
    """Record a screening (``row`` holds every column but the id) in one transaction."""
    stored = row | {
        "answers": canonical_json(row["answers"]), "facts": canonical_json(row["facts"]),
        "reasons": canonical_json(row["reasons"]), "excluded": int(row["excluded"]),
        "expires_on": row["expires_on"].isoformat(),
    }
    with store.write() as db:
        row_id = db["screenings"].insert(stored).last_pk
    return screening(store, row_id)


def screening(store: Store, screening_id: int) -> Screening:
    rows = list(store.db.query("SELECT * FROM screenings WHERE id = ?", [screening_id]))
    return _screening(rows[0])


def screenings_of(store: Store, subject_type: str, subject_id: str) -> list[Screening]:
    """A subject's screenings, newest first."""
    sql = ("SELECT * FROM screenings WHERE subject_type = ? AND subject_id = ? "
           "ORDER BY screened_at DESC, id DESC")
    return [_screening(row) for row in store.db.query(sql, [subject_type, subject_id])]


def all_screenings(store: Store) -> list[Screening]:
    """Every screening, newest first."""
    sql = "SELECT * FROM screenings ORDER BY screened_at DESC, id DESC"
    return [_screening(row) for row in store.db.query(sql)]


def _screening(row: dict[str, Any]) -> Screening:
    return Screening(
        id=row["id"], subject_type=row["subject_type"], subject_id=row["subject_id"],
        partner=row["partner"] or "", division=row["division"] or "",
        screened_by=row["screened_by"], screened_at=row["screened_at"], path=row["path"],
        answers=json.loads(row["answers"]), facts=json.loads(row["facts"]), tier=row["tier"],
        excluded=bool(row["excluded"]), reasons=json.loads(row["reasons"]),
        expires_on=date.fromisoformat(row["expires_on"]), comment=row["comment"] or "",
    )
