"""Partnership proposals in the store: the proposal as received, its workflow state and every
step (who, when, comment), and the hash of the proposer's status token (never the token)."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..errors import Conflict, NotFound
from .cases import Store
from .schema import canonical_json, now

OPEN_STATES = ("received", "screening", "assigned")
DECISIONS = ("accepted", "declined", "withdrawn")
PROPOSAL_STATES = OPEN_STATES + DECISIONS
REFERENCE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read over the phone


@dataclass
class ProposalEvent:
    """One step of a proposal's workflow."""

    from_state: str | None
    to_state: str
    author: str
    created_at: str
    comment: str = ""
    division: str = ""


@dataclass
class Proposal:
    """A partnership proposal: who proposes, what, and where it stands."""

    id: int
    reference: str
    state: str
    division: str  # the division it is assigned to; "" until assigned
    suggested_division: str
    organisation: str
    partner_type: str
    country: str
    title: str
    fields: dict[str, Any]
    submitted_by: str
    case_id: str
    created_at: str
    updated_at: str
    decided_at: str
    token_hash: str = ""
    events: list[ProposalEvent] = field(default_factory=list)

    def get(self, name: str, default: Any = "") -> Any:
        return self.fields.get(name, default)


def new_reference(year: int | None = None) -> str:
    """A reference such as ``P-2026-K7QX4M``: the year and six random letters or digits."""
    year = year or datetime.now(UTC).year
    return f"P-{year}-" + "".join(secrets.choice(REFERENCE_LETTERS) for _ in range(6))


def insert_proposal(store: Store, fields: dict[str, Any], *, token_hash: str,
                    submitted_by: str, suggested_division: str = "") -> Proposal:
    """Record a received proposal and its first step, in one transaction."""
    stamp = now()
    with store.write() as db:
        reference = new_reference()
        while db.execute("SELECT 1 FROM proposals WHERE reference = ?", [reference]).fetchone():
            reference = new_reference()
        proposal_id = db["proposals"].insert({
            "reference": reference, "token_hash": token_hash, "state": "received",
            "division": None, "suggested_division": suggested_division,
            "organisation": fields["organisation"], "partner_type": fields["partner_type"],
            "country": fields["country"], "title": fields["title"],
            "data": canonical_json(fields), "submitted_by": submitted_by, "case_id": None,
            "created_at": stamp, "updated_at": stamp, "decided_at": None,
        }).last_pk
        db["proposal_events"].insert({
            "proposal_id": proposal_id, "from_state": None, "to_state": "received",
            "author": submitted_by or "proposer", "created_at": stamp, "comment": "",
            "division": None,
        })
    return get_proposal(store, reference)


def get_proposal(store: Store, reference: str) -> Proposal:
    rows = list(store.db.query("SELECT * FROM proposals WHERE reference = ?", [reference]))
    if not rows:
        raise NotFound(f"No proposal {reference!r}.")
    return _proposal(store, rows[0])


def list_proposals(store: Store) -> list[Proposal]:
    """Every proposal, newest first."""
    sql = "SELECT * FROM proposals ORDER BY created_at DESC, id DESC"
    return [_proposal(store, row) for row in store.db.query(sql)]


def move_proposal(store: Store, reference: str, *, expected: tuple[str, ...], to_state: str,
                  author: str, comment: str = "", division: str | None = None,
                  case_id: str | None = None) -> Proposal:
    """Move a proposal from one of ``expected`` states to ``to_state``, recording the step;
    refused with Conflict when someone moved it meanwhile."""
    stamp = now()
    with store.write() as db:
        row = db.execute("SELECT id, state, division FROM proposals WHERE reference = ?",
                         [reference]).fetchone()
        if row is None:
            raise NotFound(f"No proposal {reference!r}.")
        proposal_id, state, current_division = row
        if state not in expected:
            raise Conflict(f"Proposal {reference} is {state}; this step needs it to be "
                           f"{' or '.join(expected)}. Reload the page to see what changed.")
        changes: dict[str, Any] = {"state": to_state, "updated_at": stamp}
        if division is not None:
            changes["division"] = division
        if case_id is not None:
            changes["case_id"] = case_id
        if to_state in DECISIONS:
            changes["decided_at"] = stamp
        db["proposals"].update(proposal_id, changes)
        db["proposal_events"].insert({
            "proposal_id": proposal_id, "from_state": state, "to_state": to_state,
            "author": author, "created_at": stamp, "comment": comment,
            "division": division if division is not None else current_division,
        })
    return get_proposal(store, reference)


def _proposal(store: Store, row: dict[str, Any]) -> Proposal:
    sql = ("SELECT from_state, to_state, author, created_at, comment, division "
           "FROM proposal_events WHERE proposal_id = ? ORDER BY id")
    events = [
        ProposalEvent(r[0], r[1], r[2] or "", r[3], r[4] or "", r[5] or "")
        for r in store.db.execute(sql, [row["id"]])
    ]
    return Proposal(
        id=row["id"], reference=row["reference"], state=row["state"],
        division=row["division"] or "", suggested_division=row["suggested_division"] or "",
        organisation=row["organisation"], partner_type=row["partner_type"] or "",
        country=row["country"] or "", title=row["title"], fields=json.loads(row["data"]),
        submitted_by=row["submitted_by"] or "", case_id=row["case_id"] or "",
        created_at=row["created_at"], updated_at=row["updated_at"],
        decided_at=row["decided_at"] or "", token_hash=row["token_hash"], events=events,
    )
