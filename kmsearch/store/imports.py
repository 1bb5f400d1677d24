"""Which note each row of an imported sheet became, so that importing the sheet again updates
those notes instead of creating new ones, and rows that left the sheet can be reported."""

from __future__ import annotations

from dataclasses import dataclass

from .cases import Store
from .schema import now


@dataclass(frozen=True)
class ImportKey:
    """A sheet row's stable key within its source, the note it became and the row's hash."""

    source: str
    key: str
    case_id: str
    row_hash: str


def keys_of(store: Store, source: str) -> dict[str, ImportKey]:
    """Every row key recorded for ``source``, by key."""
    sql = "SELECT source, key, case_id, row_hash FROM import_keys WHERE source = ?"
    return {row[1]: ImportKey(*row) for row in store.db.execute(sql, [source])}


def record(store: Store, keys: list[ImportKey]) -> None:
    """Remember (or update) the notes these rows became, in one transaction."""
    stamp = now()
    with store.write() as db:
        db.conn.executemany(
            "INSERT INTO import_keys (source, key, case_id, row_hash, updated_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (source, key) DO UPDATE SET "
            "case_id = excluded.case_id, row_hash = excluded.row_hash, "
            "updated_at = excluded.updated_at",
            [(k.source, k.key, k.case_id, k.row_hash, stamp) for k in keys],
        )


def sources(store: Store) -> list[tuple[str, int]]:
    """Each source with its number of notes, largest first."""
    sql = "SELECT coalesce(source, origin), count(*) FROM cases GROUP BY 1 ORDER BY 2 DESC, 1"
    return [(row[0], row[1]) for row in store.db.execute(sql)]
