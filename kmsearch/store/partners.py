"""Which partner a name belongs to, when reviewers override the automatic matching: merges and
splits, kept as overrides with a history of every change so that each can be undone."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ..errors import Conflict, NotFound
from ..partners import partner_key, partner_slug
from .cases import Store
from .schema import now, row_id


@dataclass
class PartnerChange:
    """A merge, split or undo: who, when, why, and the (match, value, before, after) rows."""

    id: int
    action: str
    author: str
    created_at: str
    comment: str
    undoes: int | None = None
    undone_by: int | None = None
    rows: list[tuple[str, str, str | None, str | None]] = field(default_factory=list)


class PartnerMap:
    """Name -> partner slug: an exact-name override, else a key override, else the key's slug."""

    def __init__(self, store: Store):
        self.store = store

    def overrides(self) -> dict[tuple[str, str], str]:
        sql = "SELECT match, value, slug FROM partner_overrides"
        return {(m, v): s for m, v, s in self.store.db.execute(sql)}

    def resolver(self):
        """A function name -> slug over one reading of the overrides, for many names at once."""
        overrides = self.overrides()

        def slug_for(name: str) -> str:
            found = overrides.get(("name", name))
            return found or overrides.get(("key", partner_key(name))) or partner_slug(name)

        return slug_for

    def case_partner_names(self) -> list[str]:
        """Every partner name any case note uses, in any state."""
        return [row[0] for row in self.store.db.execute("SELECT DISTINCT name FROM partners")]

    def merge(self, names: Iterable[str], source: str, target: str, *, author: str,
              comment: str = "") -> PartnerChange:
        """Every name now under ``source`` goes under ``target``."""
        if source == target:
            raise Conflict(f"Partner {source!r} cannot be merged into itself.")
        slug_for = self.resolver()
        moving = sorted({n for n in names if slug_for(n) == source})
        if not moving:
            raise NotFound(f"No partner {source!r} to merge.")
        overrides = self.overrides()
        changes = []
        for name in moving:
            if ("name", name) in overrides:
                changes.append(("name", name, target))
            else:
                changes.append(("key", partner_key(name), target))
        return self._record("merge", dict.fromkeys(changes), author, comment)

    def split(self, name: str, slug: str, *, author: str, comment: str = "") -> PartnerChange:
        """This exact spelling becomes its own partner, ``slug``."""
        return self._record("split", {("name", name, slug): None}, author, comment)

    def undo(self, change_id: int, *, author: str, comment: str = "") -> PartnerChange:
        """Put back the overrides as they were before change ``change_id``."""
        change = self.change(change_id)
        if change.undone_by:
            raise Conflict(f"Change {change_id} was already undone by change {change.undone_by}.")
        rows = {(m, v, before): None for m, v, before, _ in reversed(change.rows)}
        undo = self._record("undo", rows, author, comment, undoes=change_id)
        with self.store.write() as db:
            db.execute("UPDATE partner_changes SET undone_by = ? WHERE id = ?",
                       [undo.id, change_id])
        return undo

    def change(self, change_id: int) -> PartnerChange:
        if not row_id(change_id):
            raise NotFound(f"No partner change {str(change_id)[:20]}.")
        rows = list(self.store.db.query("SELECT * FROM partner_changes WHERE id = ?",
                                        [change_id]))
        if not rows:
            raise NotFound(f"No partner change {change_id}.")
        return self._change(rows[0])

    def changes(self, limit: int = 50) -> list[PartnerChange]:
        """The latest merges, splits and undos, newest first."""
        sql = "SELECT * FROM partner_changes ORDER BY id DESC LIMIT ?"
        return [self._change(row) for row in self.store.db.query(sql, [limit])]

    def _change(self, row: dict) -> PartnerChange:
        sql = ("SELECT match, value, before, after FROM partner_change_rows "
               "WHERE change_id = ? ORDER BY position")
        rows = [tuple(r) for r in self.store.db.execute(sql, [row["id"]])]
        return PartnerChange(row["id"], row["action"], row["author"] or "", row["created_at"],
                             row["comment"] or "", row["undoes"], row["undone_by"], rows)

    def _record(self, action: str, changes: dict, author: str, comment: str,
                undoes: int | None = None) -> PartnerChange:
        with self.store.write() as db:
            change_id = db["partner_changes"].insert({
                "action": action, "author": author, "created_at": now(), "comment": comment,
                "undoes": undoes, "undone_by": None,
            }).last_pk
            for position, (match, value, after) in enumerate(changes, start=1):
                sql = "SELECT slug FROM partner_overrides WHERE match = ? AND value = ?"
                found = db.execute(sql, [match, value]).fetchone()
                if after is None:
                    db.execute("DELETE FROM partner_overrides WHERE match = ? AND value = ?",
                               [match, value])
                else:
                    db["partner_overrides"].upsert(
                        {"match": match, "value": value, "slug": after}, pk=("match", "value"))
                db["partner_change_rows"].insert({
                    "change_id": change_id, "position": position, "match": match,
                    "value": value, "before": found[0] if found else None, "after": after,
                })
        return self.change(change_id)
