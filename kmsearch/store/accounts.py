"""User accounts in the store: argon2 password hashes, roles, divisions, sign-in checks."""

from __future__ import annotations

import json
import re
import secrets
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ..access import ANONYMOUS, ROLES, Viewer
from ..errors import Conflict, NotFound, Problem, ValidationError
from ..taxonomy import Taxonomy
from .cases import Store
from .schema import now
from .sessions import end_sessions

PASSWORD_MIN_LENGTH = 10
PASSWORD_MAX_LENGTH = 1024
USERNAME = re.compile(r"[a-z0-9][a-z0-9._@-]{0,63}")
EMAIL = re.compile(r"[^@\s<>,;\"]{1,64}@[^@\s<>,;\"]+\.[^@\s<>,;\"]+")
EMAIL_MAX_LENGTH = 254
HASHER = PasswordHasher()


@dataclass(frozen=True)
class User:
    """One account; ``roles`` and ``divisions`` are codes, in a stable order."""

    username: str
    roles: tuple[str, ...]
    divisions: tuple[str, ...]
    disabled: bool
    created_at: str
    last_login: str | None
    password_hash: str = field(repr=False, compare=False)
    email: str = ""  # where notifications are e-mailed; empty: in-app only

    @property
    def viewer(self) -> Viewer:
        return Viewer(self.username, frozenset(self.roles), frozenset(self.divisions))


def add_user(
    store: Store,
    taxonomy: Taxonomy,
    username: str,
    password: str,
    *,
    roles: Iterable[str] = ("viewer",),
    divisions: Iterable[str] = (),
    email: str = "",
) -> User:
    """Create an account; ValidationError lists every problem, Conflict if the name is taken."""
    name = normal_username(username)
    email, email_problems = _email(name, email)
    problems = _username_problems(name) + _password_problems(name, password) + email_problems
    roles, role_problems = _roles(name, roles)
    divisions, division_problems = _divisions(name, taxonomy, divisions)
    problems += role_problems + division_problems + _contributor_problems(name, roles, divisions)
    if problems:
        raise ValidationError(problems)
    row = {
        "username": name, "password_hash": HASHER.hash(password),
        "roles": json.dumps(roles), "divisions": json.dumps(divisions),
        "disabled": 0, "created_at": now(), "last_login": None, "email": email or None,
    }
    try:
        with store.write() as db:
            db["users"].insert(row)
    except sqlite3.IntegrityError:
        raise Conflict(f"A user named {name!r} already exists; choose another name.") from None
    return _user(row)


def set_roles(store: Store, username: str, roles: Iterable[str]) -> User:
    """Replace the user's roles and end their sessions; a contributor must already have a
    division."""
    user = require_user(store, username)
    roles, problems = _roles(user.username, roles)
    problems += _contributor_problems(user.username, roles, user.divisions)
    if problems:
        raise ValidationError(problems)
    return _update(store, user.username, ended="roles changed", roles=json.dumps(roles))


def set_divisions(
    store: Store, taxonomy: Taxonomy, username: str, divisions: Iterable[str]
) -> User:
    """Replace the user's divisions (codes or names); a contributor keeps at least one."""
    user = require_user(store, username)
    divisions, problems = _divisions(user.username, taxonomy, divisions)
    problems += _contributor_problems(user.username, user.roles, divisions)
    if problems:
        raise ValidationError(problems)
    return _update(store, user.username, divisions=json.dumps(divisions))


def set_password(store: Store, username: str, password: str) -> User:
    """Replace the password; sessions signed in with the old one end."""
    user = require_user(store, username)
    problems = _password_problems(user.username, password)
    if problems:
        raise ValidationError(problems)
    return _update(store, user.username, ended="password changed",
                   password_hash=HASHER.hash(password))


def set_email(store: Store, username: str, email: str) -> User:
    """Replace the address notifications are e-mailed to; empty removes it."""
    user = require_user(store, username)
    email, problems = _email(user.username, email)
    if problems:
        raise ValidationError(problems)
    return _update(store, user.username, email=email or None)


def disable(store: Store, username: str) -> User:
    """Refuse the user from now on and end their sessions; nothing is deleted."""
    return _update(store, require_user(store, username).username, ended="account disabled",
                   disabled=1)


def enable(store: Store, username: str) -> User:
    return _update(store, require_user(store, username).username, disabled=0)


def authenticate(store: Store, username: str, password: str) -> Viewer | None:
    """The user's Viewer when the password is right and the account enabled, else None.

    An unknown name costs the same hashing as a known one, so timing does not tell them apart;
    a hash made with older argon2 parameters is replaced on success.
    """
    user = get_user(store, username) if isinstance(username, str) else None
    if user is None:
        _verify(_dummy_hash(), password)
        return None
    if not _verify(user.password_hash, password) or user.disabled:
        return None
    changes = {"last_login": now()}
    if HASHER.check_needs_rehash(user.password_hash):
        changes["password_hash"] = HASHER.hash(password)
    return _update(store, user.username, **changes).viewer


def get_user(store: Store, username: str) -> User | None:
    rows = store.db["users"].rows_where("username = ?", [normal_username(username)], limit=1)
    row = next(iter(rows), None)
    return _user(row) if row else None


def list_users(store: Store) -> list[User]:
    return [_user(row) for row in store.db["users"].rows_where(order_by="username")]


def viewer_for(store: Store, username: str) -> Viewer:
    """The viewer for a name vouched for elsewhere (a trusted proxy): the account's roles and
    divisions when there is one, a plain viewer when there is none, anonymous if disabled."""
    user = get_user(store, username)
    if user is None:
        return Viewer(normal_username(username), frozenset({"viewer"}))
    return ANONYMOUS if user.disabled else user.viewer


def normal_username(username: str) -> str:
    """Usernames are case-insensitive: kept and compared in lower case."""
    return str(username).strip().lower()


def require_user(store: Store, username: str) -> User:
    """The user, or NotFound saying how to list who exists."""
    user = get_user(store, username)
    if user is None:
        raise NotFound(
            f"No user named {normal_username(username)!r}; `kmsearch users list` shows who exists."
        )
    return user


def _update(store: Store, username: str, ended: str = "", **changes: object) -> User:
    """Change the user's row; with ``ended``, their open sessions end in the same transaction,
    for that reason."""
    with store.write() as db:
        db["users"].update(username, changes)
        if ended:
            end_sessions(db, "username = ?", [username], ended)
    return require_user(store, username)


def _user(row: dict) -> User:
    return User(
        username=row["username"], roles=tuple(json.loads(row["roles"])),
        divisions=tuple(json.loads(row["divisions"])), disabled=bool(row["disabled"]),
        created_at=row["created_at"], last_login=row["last_login"],
        password_hash=row["password_hash"], email=row.get("email") or "",
    )


def _verify(password_hash: str, password: str) -> bool:
    try:
        return HASHER.verify(password_hash, password if isinstance(password, str) else "")
    except (VerificationError, InvalidHashError):
        return False


@cache
def _dummy_hash() -> str:
    return HASHER.hash(secrets.token_hex(16))


def _username_problems(name: str) -> list[Problem]:
    if USERNAME.fullmatch(name):
        return []
    return [Problem(f"user {name!r}", "username", "use 1 to 64 letters, digits, '.', '_', '@' "
                    "or '-', starting with a letter or digit")]


def _email(name: str, email: str | None) -> tuple[str, list[Problem]]:
    """The address as kept (trimmed), and a problem when it cannot be one."""
    email = (email or "").strip() if isinstance(email, str) else ""
    if not email:
        return "", []
    if len(email) > EMAIL_MAX_LENGTH or not EMAIL.fullmatch(email):
        shown = email if len(email) <= 60 else email[:60] + "…"
        return email, [Problem(f"user {name!r}", "email", f"{shown!r} is not an e-mail address; "
                               "write it as name@example.org")]
    return email, []


def _password_problems(name: str, password: str) -> list[Problem]:
    source = f"user {name!r}"
    if not isinstance(password, str) or len(password) < PASSWORD_MIN_LENGTH:
        return [Problem(source, "password", f"must be at least {PASSWORD_MIN_LENGTH} characters")]
    if len(password) > PASSWORD_MAX_LENGTH:
        return [Problem(source, "password", f"must be at most {PASSWORD_MAX_LENGTH} characters")]
    if password.strip().lower() == name:
        return [Problem(source, "password", "must not be the username")]
    return []


def _roles(name: str, roles: Iterable[str]) -> tuple[list[str], list[Problem]]:
    """Known roles in ROLES order, and a problem for each unknown one or for none at all."""
    given = {str(role).strip().lower() for role in roles}
    problems = [
        Problem(f"user {name!r}", "roles", f"unknown role {role!r}; use {', '.join(ROLES)}")
        for role in sorted(given - set(ROLES))
    ]
    if not given:
        problems.append(Problem(f"user {name!r}", "roles", f"give at least one of "
                                f"{', '.join(ROLES)}"))
    return [role for role in ROLES if role in given], problems


def _divisions(
    name: str, taxonomy: Taxonomy, divisions: Iterable[str]
) -> tuple[list[str], list[Problem]]:
    """Division codes for codes or names, in order given, and a problem for each unknown one."""
    codes: list[str] = []
    problems = []
    for value in divisions:
        term = taxonomy.divisions.resolve(value)
        if term is None:
            known = ", ".join(taxonomy.divisions.codes())
            problems.append(Problem(f"user {name!r}", "divisions",
                                    f"unknown division {value!r}; use one of {known}"))
        elif term.code not in codes:
            codes.append(term.code)
    return codes, problems


def _contributor_problems(
    name: str, roles: Iterable[str], divisions: Iterable[str]
) -> list[Problem]:
    if "contributor" in roles and not list(divisions):
        return [Problem(f"user {name!r}", "divisions",
                        "a contributor needs at least one division to contribute for")]
    return []
