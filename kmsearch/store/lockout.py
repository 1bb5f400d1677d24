"""Failed sign-ins counted per username and client address together, with exponential back-off:
an attacker hammering a name from one address is slowed there, while its owner still signs in
from their own address. Kept in the database, so every server process and the CLI agree."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from .cases import Store

FREE_ATTEMPTS = 5  # failures allowed before the first wait
FIRST_WAIT = timedelta(seconds=1)  # doubled at each further failure
LONGEST_WAIT = timedelta(minutes=15)
FORGET_AFTER = timedelta(hours=24)  # a pair with no failure for this long starts afresh


@dataclass(frozen=True)
class Lock:
    username: str
    address: str
    failures: int
    locked_until: str | None


class Lockout:
    """The sign-in limiter over the store's ``signin_failures`` table."""

    def __init__(self, store: Store):
        self.store = store

    def wait(self, username: str, address: str, at: datetime | None = None) -> float:
        """Seconds before this username may try again from this address; 0 when free now."""
        row = self._row(username, address)
        if row is None or not row["locked_until"]:
            return 0.0
        remaining = datetime.fromisoformat(row["locked_until"]) - (at or _now())
        return max(0.0, remaining.total_seconds())

    def failed(self, username: str, address: str, at: datetime | None = None) -> float:
        """Count a failed sign-in; returns the wait it brings (0 while attempts are free)."""
        at = at or _now()
        with self.store.write() as db:
            row = db.execute(
                "SELECT failures, last_failure FROM signin_failures "
                "WHERE username = ? AND address = ?", [username, address]).fetchone()
            stale = row is None or at - datetime.fromisoformat(row[1]) > FORGET_AFTER
            failures = 1 if stale else row[0] + 1
            wait = backoff(failures)
            db["signin_failures"].upsert({
                "username": username, "address": address, "failures": failures,
                "last_failure": _iso(at),
                "locked_until": _iso(at + wait) if wait else None,
            }, pk=("username", "address"))
        return wait.total_seconds()

    def succeeded(self, username: str, address: str) -> None:
        """A right password from this address clears its count for this username."""
        with self.store.write() as db:
            db.execute("DELETE FROM signin_failures WHERE username = ? AND address = ?",
                       [username, address])

    def locks(self, username: str) -> list[Lock]:
        """Every address with failed sign-ins counted against the username."""
        rows = self.store.db["signin_failures"].rows_where(
            "username = ?", [username], order_by="last_failure DESC")
        return [Lock(r["username"], r["address"], r["failures"], r["locked_until"])
                for r in rows]

    def unlock(self, username: str) -> int:
        """Forget every failed sign-in for the username, from any address; returns how many
        addresses were counted."""
        with self.store.write() as db:
            cursor = db.execute("DELETE FROM signin_failures WHERE username = ?", [username])
            return cursor.rowcount

    def _row(self, username: str, address: str) -> dict | None:
        rows = self.store.db["signin_failures"].rows_where(
            "username = ? AND address = ?", [username, address], limit=1)
        return next(iter(rows), None)


def backoff(failures: int) -> timedelta:
    """The wait after ``failures`` failures in a row: none for the free attempts, then 1 s,
    2 s, 4 s ... up to 15 minutes."""
    if failures < FREE_ATTEMPTS:
        return timedelta(0)
    doublings = min(failures - FREE_ATTEMPTS, 20)
    return min(FIRST_WAIT * (2**doublings), LONGEST_WAIT)


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()
