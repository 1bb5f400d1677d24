"""Server-side sign-in sessions: a random token in the cookie, only its hash in the database,
so that signing out, disabling a user, changing their roles and timeouts end a session at once."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlite_utils import Database

from ..errors import NotFound
from .cases import Store

TOUCH_EVERY = timedelta(seconds=60)  # last_seen is written at most this often per session
USER_AGENT_LENGTH = 120


@dataclass(frozen=True)
class Session:
    """One sign-in: ``id`` is the hash of the cookie's token, never the token itself."""

    id: str
    username: str
    created_at: str
    last_seen: str
    user_agent: str
    address: str
    ended_at: str | None = None
    ended_reason: str | None = None

    @property
    def active(self) -> bool:
        return self.ended_at is None


def token_hash(token: str) -> str:
    """The id a token is kept under: SHA-256, so a copied database opens no session."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Sessions:
    """Start, resume, list and end sessions, with an idle timeout and an absolute lifetime."""

    def __init__(self, store: Store, idle_minutes: int, max_hours: int):
        self.store = store
        self.idle = timedelta(minutes=idle_minutes)
        self.lifetime = timedelta(hours=max_hours)

    def start(self, username: str, user_agent: str = "", address: str = "",
              at: datetime | None = None) -> str:
        """A new session for ``username``; returns the token to put in the cookie."""
        token = secrets.token_urlsafe(32)
        stamp = _iso(at or _now())
        with self.store.write() as db:
            db["sessions"].insert({
                "id": token_hash(token), "username": username, "created_at": stamp,
                "last_seen": stamp, "user_agent": summary_of(user_agent),
                "address": address[:64], "ended_at": None, "ended_reason": None,
            })
        return token

    def resume(self, token: str, at: datetime | None = None) -> Session | None:
        """The active session a token opens, seen now; None when it is unknown or ended, and
        a session past its idle timeout or lifetime is ended here."""
        if not isinstance(token, str) or not token:
            return None
        found = self.get(token_hash(token))
        if found is None or not found.active:
            return None
        at = at or _now()
        if at - _parse(found.last_seen) > self.idle:
            self._end_where("id = ?", [found.id], "idle timeout", at)
            return None
        if at - _parse(found.created_at) > self.lifetime:
            self._end_where("id = ?", [found.id], "lifetime reached", at)
            return None
        if at - _parse(found.last_seen) >= TOUCH_EVERY:
            with self.store.write() as db:
                db.execute("UPDATE sessions SET last_seen = ? WHERE id = ? AND ended_at IS NULL",
                           [_iso(at), found.id])
        return found

    def get(self, session_id: str) -> Session | None:
        rows = self.store.db["sessions"].rows_where("id = ?", [session_id], limit=1)
        row = next(iter(rows), None)
        return Session(**row) if row else None

    def active_for(self, username: str) -> list[Session]:
        """The user's sessions that are still open, most recently seen first."""
        rows = self.store.db["sessions"].rows_where(
            "username = ? AND ended_at IS NULL", [username], order_by="last_seen DESC")
        return [Session(**row) for row in rows]

    def end(self, token: str, reason: str = "signed out") -> None:
        """End the session a token opens (signing out)."""
        if isinstance(token, str) and token:
            self._end_where("id = ?", [token_hash(token)], reason)

    def end_one(self, username: str, session_id: str, reason: str = "signed out") -> None:
        """End one of the user's sessions by its id; NotFound for anyone else's."""
        found = self.get(session_id)
        if found is None or found.username.lower() != username.lower() or not found.active:
            raise NotFound("No open session with that id for this account.")
        self._end_where("id = ?", [session_id], reason)

    def end_all(self, username: str, reason: str = "signed out everywhere") -> int:
        """End every open session of the user; returns how many there were."""
        return self._end_where("username = ?", [username], reason)

    def _end_where(self, where: str, params: list, reason: str,
                   at: datetime | None = None) -> int:
        with self.store.write() as db:
            return end_sessions(db, where, params, reason, at)


def end_sessions(db: Database, where: str, params: list, reason: str,
                 at: datetime | None = None) -> int:
    """End the open sessions matching ``where`` inside the caller's write transaction."""
    cursor = db.execute(
        f"UPDATE sessions SET ended_at = ?, ended_reason = ? WHERE ended_at IS NULL AND {where}",
        [_iso(at or _now()), reason, *params],
    )
    return cursor.rowcount


def summary_of(user_agent: str) -> str:
    """A short description of a browser, enough to recognise one's own sessions."""
    agent = " ".join(str(user_agent or "").split())
    browser = next((name for key, name in BROWSERS if key in agent), "")
    system = next((name for key, name in SYSTEMS if key in agent), "")
    if browser or system:
        return " on ".join(part for part in (browser, system) if part)
    return agent[:USER_AGENT_LENGTH] or "unknown client"


BROWSERS = (("Edg/", "Edge"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"),
            ("Safari/", "Safari"), ("curl/", "curl"), ("python-requests", "Python"),
            ("Werkzeug", "test client"))
SYSTEMS = (("Windows", "Windows"), ("Android", "Android"), ("iPhone", "iOS"),
           ("Mac OS X", "macOS"), ("Linux", "Linux"))


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp)
