"""Attached files: bytes kept under the instance folder by content hash, and per file what its
text extraction found (type, pages, the text of each page), so nothing is extracted twice."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..records import Attachment
from .cases import Store
from .schema import now


@dataclass(frozen=True)
class StoredFile:
    """One attached file's bytes as stored, and what extracting its text found."""

    sha256: str
    size: int
    type: str
    pages: int  # pages (slides, sheets) read for search
    searchable: bool  # some page has text
    message: str  # why it is not (fully) searchable, for the people who attached it
    seconds: float = 0.0


class FileStore:
    """Files under ``directory/<sha256[:2]>/<sha256>``; their extracted text in the database."""

    def __init__(self, store: Store, directory: Path):
        self.store = store
        self.directory = Path(directory)

    def path(self, sha256: str) -> Path:
        if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
            raise ValueError(f"not a sha256 hex digest: {sha256!r}")
        return self.directory / sha256[:2] / sha256

    def get(self, sha256: str) -> StoredFile | None:
        """What is known of a stored file, or None when it was never stored."""
        sql = "SELECT * FROM attachment_files WHERE sha256 = ?"
        rows = list(self.store.db.query(sql, [sha256]))
        return _stored_file(rows[0]) if rows else None

    def save(self, data: bytes, found: StoredFile, pages: list[str]) -> StoredFile:
        """Write the bytes (durably, before the row that points to them), then the extraction."""
        target = self.path(found.sha256)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            handle, temp = tempfile.mkstemp(dir=target.parent, prefix=".upload.")
            try:
                with os.fdopen(handle, "wb") as f:
                    f.write(data)
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(temp, target)
            except BaseException:
                Path(temp).unlink(missing_ok=True)
                raise
        with self.store.write() as db:
            if db.execute("SELECT 1 FROM attachment_files WHERE sha256 = ?",
                          [found.sha256]).fetchone():
                return self.get(found.sha256) or found
            db["attachment_files"].insert({
                "sha256": found.sha256, "size": found.size, "type": found.type,
                "pages": found.pages, "searchable": int(found.searchable),
                "message": found.message, "seconds": found.seconds, "created_at": now(),
            })
            db["attachment_pages"].insert_all(
                {"sha256": found.sha256, "page": number, "text": text}
                for number, text in enumerate(pages, start=1) if text
            )
        return found

    def texts(self, hashes: Iterable[str]) -> dict[str, dict[int, str]]:
        return attached_texts(self.store, hashes)

    def keep_for_evaluation(self, evaluation_id: str, attachment: Attachment) -> None:
        """Record a stored file as a document the evaluation was imported from."""
        with self.store.write() as db:
            db["evaluation_files"].upsert({
                "evaluation_id": evaluation_id, "sha256": attachment.sha256,
                "name": attachment.name, "size": attachment.size, "type": attachment.type,
                "created_at": now(),
            }, pk=("evaluation_id", "sha256"))

    def evaluation_files(self, evaluation_id: str) -> list[Attachment]:
        """The documents an evaluation was imported from, newest first."""
        sql = ("SELECT name, sha256, size, type FROM evaluation_files WHERE evaluation_id = ? "
               "ORDER BY created_at DESC, name")
        return [Attachment(name, sha, size, kind)
                for name, sha, size, kind in self.store.db.execute(sql, [evaluation_id])]


def attached_texts(store: Store, hashes: Iterable[str]) -> dict[str, dict[int, str]]:
    """The text of every page that has some, by file hash and page number."""
    wanted = sorted(set(hashes))
    found: dict[str, dict[int, str]] = {sha: {} for sha in wanted}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        sql = (f"SELECT sha256, page, text FROM attachment_pages "
               f"WHERE sha256 IN ({', '.join('?' * len(chunk))}) ORDER BY sha256, page")
        for sha, page, text in store.db.execute(sql, chunk):
            found[sha][page] = text
    return found


def _stored_file(row: dict) -> StoredFile:
    return StoredFile(
        sha256=row["sha256"], size=row["size"], type=row["type"], pages=row["pages"],
        searchable=bool(row["searchable"]), message=row["message"], seconds=row["seconds"] or 0.0,
    )
