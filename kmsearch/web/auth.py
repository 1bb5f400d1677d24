"""Who is asking: the one place a request becomes a Viewer (signed-in account, trusted proxy
header, or the configured default)."""

from __future__ import annotations

from flask import Flask, current_app, g, request
from flask_login import LoginManager, UserMixin, current_user

from ..access import ANONYMOUS, ROLES, Viewer, staff
from ..library import Session, User
from .context import current_library

DEFAULT_VIEWERS = {"anonymous": ANONYMOUS, "staff": staff()}


class SessionUser(UserMixin):
    """The account a server-side session is signed in as; the cookie holds only its token."""

    def __init__(self, user: User, token: str, session: Session | None = None):
        self.user = user
        self.token = token
        self.session = session

    def get_id(self) -> str:
        return self.token


def init_auth(app: Flask) -> None:
    """Sessions live in the database: each request resumes its session and re-reads the
    account, so signing out, disabling a user or changing their roles ends it at once."""
    manager = LoginManager(app)
    manager.login_view = "signin.login"
    manager.login_message = None  # pages show no flashed messages; the sign-in page explains
    manager.user_loader(load_session_user)
    app.jinja_env.globals["signed_in_account"] = signed_in_account
    app.jinja_env.globals["viewer_source"] = viewer_source


def load_session_user(token: str) -> SessionUser | None:
    """The enabled account of the open session a cookie's token names."""
    library = current_library()
    session = library.sessions.resume(token)
    if session is None:
        return None
    user = library.accounts.get(session.username)
    if user is None or user.disabled:
        return None
    return SessionUser(user, token, session)


def signed_in_account() -> User | None:
    """The account this request's session signed in with, if any."""
    return current_user.user if current_user.is_authenticated else None


def viewer_source() -> str:
    """Where this request's viewer comes from: "account" (a session), "proxy" (a trusted
    identity header) or "default" (nobody signed in: the configured default viewer)."""
    if signed_in_account() is not None:
        return "account"
    if current_viewer() is current_app.extensions["kmsearch.default_viewer"]:
        return "default"
    return "proxy"


def default_viewer(name: str) -> Viewer:
    """The viewer a request without a session or trusted identity header is answered for."""
    try:
        return DEFAULT_VIEWERS[str(name).strip().lower()]
    except KeyError:
        raise ValueError(
            f"DEFAULT_VIEWER (KMSEARCH_DEFAULT_VIEWER) must be one of "
            f"{', '.join(DEFAULT_VIEWERS)}, not {name!r}"
        ) from None


def current_viewer() -> Viewer:
    """The request's viewer: the signed-in account, else the ``X-Remote-User`` header when
    TRUST_USER_HEADER is on, else the configured default (anonymous unless a demo asks)."""
    if "viewer" not in g:
        account = signed_in_account()
        if account is not None:
            g.viewer = account.viewer
        else:
            from_header = _viewer_from_headers()
            default = current_app.extensions["kmsearch.default_viewer"]
            g.viewer = default if from_header is None else from_header
    return g.viewer


def _viewer_from_headers() -> Viewer | None:
    """The proxy's user with their local account's roles and divisions (a plain viewer without
    an account); roles and divisions come from headers only when TRUST_ROLE_HEADERS is on."""
    if not current_app.config.get("TRUST_USER_HEADER"):
        return None
    username = request.headers.get("X-Remote-User", "").strip()
    if not username:
        return None
    if not current_app.config.get("TRUST_ROLE_HEADERS"):
        return current_library().accounts.viewer_for(username)
    roles = _split(request.headers.get("X-Remote-Roles", "")) & set(ROLES)
    divisions = _split(request.headers.get("X-Remote-Divisions", ""))
    return Viewer(username, frozenset(roles or {"viewer"}), frozenset(divisions))


def _split(header: str) -> set[str]:
    return {part.strip().lower() for part in header.split(",") if part.strip()}
