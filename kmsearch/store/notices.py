"""Notifications in the store: each user's in-app list, the e-mail outbox, and follows."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlite_utils import Database

from .cases import Store
from .schema import now

FOLLOW_KINDS = ("recommendation", "division", "nexus", "search")
FREQUENCIES = {"daily": timedelta(days=1), "weekly": timedelta(days=7)}
MAX_ATTEMPTS = 8  # then a message is "failed" and kept, for `kmsearch outbox list`
FIRST_RETRY = timedelta(minutes=1)  # doubled after each failure: 1, 2, 4 ... 64 minutes
SENDING_LEASE = timedelta(minutes=5)  # a claimed message is retried after this if not settled


@dataclass(frozen=True)
class Notification:
    id: int
    username: str
    kind: str  # submitted, returned, published or digest
    case_id: str | None
    title: str
    body: str
    link: str  # a path in the site, such as /cases/<id>
    created_at: str
    read_at: str | None

    @property
    def unread(self) -> bool:
        return self.read_at is None


@dataclass(frozen=True)
class Mail:
    """One e-mail in the outbox, with the state of its delivery."""

    id: int
    recipient: str
    subject: str
    body: str
    created_at: str
    status: str  # pending, sent or failed (after MAX_ATTEMPTS)
    attempts: int
    next_attempt_at: str
    last_error: str | None
    sent_at: str | None


@dataclass(frozen=True)
class Follow:
    id: int
    username: str
    kind: str  # one of FOLLOW_KINDS
    target: str  # a recommendation id, a division or nexus code, a search's query string
    frequency: str  # daily or weekly
    created_at: str
    last_digest_at: str

    def due(self, at: datetime) -> bool:
        """Whether a digest of this follow is due at ``at``."""
        return datetime.fromisoformat(self.last_digest_at) + FREQUENCIES[self.frequency] <= at


class Notices:
    """Rows of the notifications, outbox and follows tables; every write is one transaction,
    or a part of the caller's when given its ``db``."""

    def __init__(self, store: Store):
        self.store = store

    # In-app notifications and the e-mails that go with them

    def add(self, db: Database, username: str, kind: str, title: str, *, body: str = "",
            link: str = "", case_id: str | None = None) -> None:
        db["notifications"].insert({
            "username": username, "kind": kind, "case_id": case_id, "title": title,
            "body": body, "link": link, "created_at": now(), "read_at": None})

    def enqueue(self, db: Database, recipient: str, subject: str, body: str) -> None:
        """Put an e-mail in the outbox; the sender delivers it later, never the saver."""
        stamp = now()
        db["outbox"].insert({"recipient": recipient, "subject": subject, "body": body,
                             "created_at": stamp, "status": "pending", "attempts": 0,
                             "next_attempt_at": stamp, "last_error": None, "sent_at": None})

    def of_user(self, username: str, limit: int = 200) -> list[Notification]:
        rows = self.store.db.query(
            "SELECT * FROM notifications WHERE username = ? ORDER BY id DESC LIMIT ?",
            [username, limit])
        return [Notification(**row) for row in rows]

    def unread_count(self, username: str) -> int:
        sql = "SELECT count(*) FROM notifications WHERE username = ? AND read_at IS NULL"
        return self.store.db.execute(sql, [username]).fetchone()[0]

    def mark_read(self, username: str, ids: Iterable[int] | None = None) -> int:
        """Mark the user's notifications ``ids`` (all, for None) read; how many were unread."""
        sql = "UPDATE notifications SET read_at = ? WHERE username = ? AND read_at IS NULL"
        params: list = [now(), username]
        if ids is not None:
            ids = list(ids)
            sql += f" AND id IN ({', '.join('?' * len(ids))})"
            params += ids
        with self.store.write() as db:
            return db.execute(sql, params).rowcount

    # The outbox

    def claim_due(self, at: datetime, *, every: bool = False, limit: int = 50) -> list[Mail]:
        """Pending messages due at ``at`` (all pending ones with ``every``), each counted as an
        attempt and leased for SENDING_LEASE, so two senders never send one twice."""
        where = "status = 'pending'" + ("" if every else " AND next_attempt_at <= ?")
        params = [] if every else [_stamp(at)]
        with self.store.write() as db:
            rows = list(db.query(f"SELECT * FROM outbox WHERE {where} ORDER BY id LIMIT ?",
                                 [*params, limit]))
            lease = _stamp(at + SENDING_LEASE)
            for row in rows:
                row["attempts"] += 1
                db["outbox"].update(row["id"], {"attempts": row["attempts"],
                                                "next_attempt_at": lease})
        return [Mail(**row) for row in rows]

    def sent(self, mail_id: int) -> None:
        with self.store.write() as db:
            db["outbox"].update(mail_id, {"status": "sent", "sent_at": now(), "last_error": None})

    def failed(self, mail: Mail, error: str, at: datetime) -> None:
        """Record a failed attempt; retry after an exponential back-off, or give up."""
        status = "failed" if mail.attempts >= MAX_ATTEMPTS else "pending"
        retry = at + FIRST_RETRY * 2 ** (mail.attempts - 1)
        with self.store.write() as db:
            db["outbox"].update(mail.id, {"status": status, "last_error": error[:500],
                                          "next_attempt_at": _stamp(retry)})

    def mails(self, status: str | None = None, limit: int = 100) -> list[Mail]:
        """The newest messages of the outbox, of one status if given."""
        where, params = ("WHERE status = ?", [status]) if status else ("", [])
        rows = self.store.db.query(f"SELECT * FROM outbox {where} ORDER BY id DESC LIMIT ?",
                                   [*params, limit])
        return [Mail(**row) for row in rows]

    # Follows

    def follow(self, username: str, kind: str, target: str, frequency: str) -> Follow:
        """Follow ``target``, or change how often an existing follow's digest comes."""
        with self.store.write() as db:
            found = self._find(db, username, kind, target)
            if found is None:
                stamp = now()
                db["follows"].insert({"username": username, "kind": kind, "target": target,
                                      "frequency": frequency, "created_at": stamp,
                                      "last_digest_at": stamp})
            else:
                db["follows"].update(found.id, {"frequency": frequency})
            return self._find(db, username, kind, target)

    def unfollow(self, username: str, follow_id: int) -> bool:
        with self.store.write() as db:
            sql = "DELETE FROM follows WHERE id = ? AND username = ?"
            return db.execute(sql, [follow_id, username]).rowcount > 0

    def follows(self, username: str | None = None) -> list[Follow]:
        """The user's follows (everyone's for None), oldest first."""
        where, params = ("WHERE username = ?", [username]) if username else ("", [])
        rows = self.store.db.query(f"SELECT * FROM follows {where} ORDER BY id", params)
        return [Follow(**row) for row in rows]

    def digested(self, db: Database, follow_id: int, at: datetime) -> None:
        db["follows"].update(follow_id, {"last_digest_at": _stamp(at)})

    def _find(self, db: Database, username: str, kind: str, target: str) -> Follow | None:
        rows = list(db.query("SELECT * FROM follows WHERE username = ? AND kind = ? AND "
                             "target = ?", [username, kind, target]))
        return Follow(**rows[0]) if rows else None


def utcnow() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).replace(microsecond=0).isoformat()
