"""Work in progress that is not a case note yet: raw form data kept server-side, so nothing a
contributor typed is lost, and the workflow's lookups of notes by author and by state."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..errors import NotFound
from .cases import Store
from .schema import now

KINDS = ("work", "conflict")  # unfinished work; a version refused because the note moved on


@dataclass
class Draft:
    """A form as its author left it: ``fields`` as the validator takes them, and the body."""

    id: int
    author: str
    kind: str
    fields: dict[str, Any]
    body: str
    case_id: str | None = None
    base_revision: int | None = None  # the note's revision the author had opened
    message: str = ""  # for a conflict copy: why it was refused
    created_at: str = ""
    updated_at: str = ""

    @property
    def title(self) -> str:
        title = self.fields.get("title")
        return " ".join(title.split()) if isinstance(title, str) and title.strip() else ""


class Drafts:
    """The drafts table, in the store's database, next to the notes it may belong to."""

    def __init__(self, store: Store):
        self.store = store

    def save(
        self,
        author: str,
        fields: dict[str, Any],
        body: str,
        *,
        draft_id: int | None = None,
        case_id: str | None = None,
        kind: str = "work",
        base_revision: int | None = None,
        message: str = "",
    ) -> Draft:
        """Create a draft, or overwrite ``draft_id`` when that draft is ``author``'s own."""
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
        stamp = now()
        row = {
            "case_id": case_id, "author": author, "kind": kind, "base_revision": base_revision,
            "message": message, "data": json.dumps({"fields": fields, "body": body}),
            "updated_at": stamp,
        }
        with self.store.write() as db:
            if draft_id is not None:
                sql = "SELECT created_at FROM drafts WHERE id = ? AND author = ?"
                found = db.execute(sql, [draft_id, author]).fetchone()
                if found is None:
                    raise NotFound(f"No draft {draft_id} of yours; it may have been saved as a "
                                   "note or discarded. Open it from My notes.")
                db["drafts"].update(draft_id, row)
                created = found[0]
            else:
                draft_id = db["drafts"].insert(row | {"created_at": stamp}).last_pk
                created = stamp
        return _draft(row | {"id": draft_id, "created_at": created})

    def get(self, draft_id: int, author: str) -> Draft:
        """``author``'s draft; NotFound for anyone else's, so ids reveal nothing."""
        rows = list(self.store.db.query(
            "SELECT * FROM drafts WHERE id = ? AND author = ?", [draft_id, author]))
        if not rows:
            raise NotFound(f"No draft {draft_id} of yours.")
        return _draft(rows[0])

    def of_author(self, author: str) -> list[Draft]:
        """Every draft of ``author``, most recently changed first."""
        sql = "SELECT * FROM drafts WHERE author = ? ORDER BY updated_at DESC, id DESC"
        return [_draft(row) for row in self.store.db.query(sql, [author])]

    def delete(self, draft_id: int, author: str) -> None:
        with self.store.write() as db:
            db.execute("DELETE FROM drafts WHERE id = ? AND author = ?", [draft_id, author])

    def case_ids_by(self, author: str) -> list[str]:
        """The notes ``author`` created, whatever their state."""
        sql = "SELECT id FROM cases WHERE author = ? ORDER BY updated_at DESC"
        return [row[0] for row in self.store.db.execute(sql, [author])]


def _draft(row: dict[str, Any]) -> Draft:
    data = json.loads(row["data"])
    return Draft(
        id=row["id"], author=row["author"], kind=row["kind"], fields=data["fields"],
        body=data["body"], case_id=row["case_id"], base_revision=row["base_revision"],
        message=row["message"] or "", created_at=row["created_at"], updated_at=row["updated_at"],
    )
