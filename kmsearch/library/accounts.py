"""Sign-in accounts as the web and the CLI use them: one object bound to the library's store."""

from __future__ import annotations

from collections.abc import Iterable

from ..access import Viewer
from ..store import accounts
from ..store.accounts import User
from ..store.cases import Store
from ..taxonomy import Taxonomy


class Accounts:
    """Add, change, disable and authenticate accounts; each change is one write transaction."""

    def __init__(self, store: Store, taxonomy: Taxonomy):
        self.store = store
        self.taxonomy = taxonomy

    def add(self, username: str, password: str, *, roles: Iterable[str] = ("viewer",),
            divisions: Iterable[str] = (), email: str = "") -> User:
        """Create an account; ValidationError lists every problem, Conflict if the name is taken."""
        return accounts.add_user(self.store, self.taxonomy, username, password, roles=roles,
                                 divisions=divisions, email=email)

    def set_email(self, username: str, email: str) -> User:
        """Replace the address notifications are e-mailed to (empty: in-app only)."""
        return accounts.set_email(self.store, username, email)

    def set_roles(self, username: str, roles: Iterable[str]) -> User:
        """Replace the user's roles and end their sessions; a contributor must already have a
        division."""
        return accounts.set_roles(self.store, username, roles)

    def set_divisions(self, username: str, divisions: Iterable[str]) -> User:
        """Replace the user's divisions (codes or names); a contributor keeps at least one."""
        return accounts.set_divisions(self.store, self.taxonomy, username, divisions)

    def set_password(self, username: str, password: str) -> User:
        """Replace the password and end the user's sessions."""
        return accounts.set_password(self.store, username, password)

    def disable(self, username: str) -> User:
        """Refuse the user from now on and end their sessions; nothing is deleted."""
        return accounts.disable(self.store, username)

    def enable(self, username: str) -> User:
        """Let a disabled user sign in again."""
        return accounts.enable(self.store, username)

    def authenticate(self, username: str, password: str) -> Viewer | None:
        """The user's Viewer when the password is right and the account enabled, else None."""
        return accounts.authenticate(self.store, username, password)

    def sign_in(self, username: str, password: str) -> User | None:
        """The account when the password is right and the account enabled (its last sign-in
        recorded), else None."""
        viewer = self.authenticate(username, password) if username else None
        return self.get(viewer.username) if viewer else None

    def get(self, username: str) -> User | None:
        """The account, or None."""
        return accounts.get_user(self.store, username)

    def require(self, username: str) -> User:
        """The account, or NotFound saying how to list who exists."""
        return accounts.require_user(self.store, username)

    def users(self) -> list[User]:
        """Every account, by username."""
        return accounts.list_users(self.store)

    def viewer_for(self, username: str) -> Viewer:
        """The viewer for a name vouched for by a trusted proxy (see ``accounts.viewer_for``)."""
        return accounts.viewer_for(self.store, username)
