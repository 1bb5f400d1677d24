"""The corpus files an ingest read, by their bytes: a file whose bytes, reading context and
note are all as they were is known unchanged without being parsed again (at 10,000 notes,
parsing and validating is nearly all of a re-ingest that changes nothing)."""

from __future__ import annotations

from dataclasses import dataclass

from .cases import Store
from .schema import now


@dataclass(frozen=True)
class CorpusFile:
    """A file as last ingested: the digest of its bytes and reading context, the note it holds
    and that note's content hash just after the ingest."""

    path: str
    digest: str
    case_id: str
    content_hash: str


def corpus_files(store: Store) -> dict[str, CorpusFile]:
    """Every file recorded, by path."""
    sql = "SELECT path, digest, case_id, content_hash FROM corpus_files"
    return {row[0]: CorpusFile(*row) for row in store.db.execute(sql)}


def remember(store: Store, files: list[CorpusFile]) -> None:
    """Record (or update) these files, in one transaction."""
    if not files:
        return
    stamp = now()
    with store.write() as db:
        db.conn.executemany(
            "INSERT INTO corpus_files (path, digest, case_id, content_hash, read_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (path) DO UPDATE SET digest = excluded.digest, "
            "case_id = excluded.case_id, content_hash = excluded.content_hash, "
            "read_at = excluded.read_at",
            [(f.path, f.digest, f.case_id, f.content_hash, stamp) for f in files],
        )

