"""Sign in and sign out with a username and password: failed attempts back off per username
and address together; a sign-in starts a server-side session, signing out ends it."""

from __future__ import annotations

import math
from urllib.parse import urlsplit, urlunsplit

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user, logout_user

from ..library import normal_username
from .auth import SessionUser, signed_in_account
from .context import current_library

blueprint = Blueprint("signin", __name__)

FAILED = (
    "That username and password do not match an active account. Check both and try again; "
    "an administrator can reset a forgotten password."
)
TOO_MANY = (
    "Too many failed sign-in attempts from this address. "
    "Wait a minute, then try again."
)
BACK_OFF = (
    "Too many failed sign-in attempts for this username from this address. Wait {wait} "
    "before trying again (each further attempt doubles the wait), or ask an administrator "
    "to lift the lock."
)


def init_signin(app: Flask) -> None:
    """Serve /login and /logout. Failed sign-ins back off per username and address together
    (the store's ``Lockout``); LOGIN_RATE_LIMIT is a ceiling on failures per address across
    all names, against trying one password on many accounts."""
    app.register_blueprint(blueprint)
    limiter = Limiter(get_remote_address, app=app, storage_uri="memory://", headers_enabled=True)
    limiter.limit(
        lambda: current_app.config["LOGIN_RATE_LIMIT"],
        key_func=_address_key,
        methods=["POST"],
        exempt_when=lambda: request.endpoint != "signin.login",
        deduct_when=lambda response: response.status_code != 303,
        error_message=TOO_MANY,
    )(blueprint)


@blueprint.route("/login", methods=["GET", "POST"])
def login():
    next_url = safe_next(request.values.get("next"))
    if request.method == "GET":
        return _form(next_url)
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    library, address = current_library(), get_remote_address() or "unknown"
    name = normal_username(username)
    if name and library.lockout.wait(name, address):
        # Still waiting: refused unchecked, and counted, so hammering only lengthens the wait.
        return _locked_out(next_url, username, library.lockout.failed(name, address))
    user = library.accounts.sign_in(username, password)
    if user is None:
        if name:
            library.lockout.failed(name, address)
        return _form(next_url, username=username, error=FAILED)
    library.lockout.succeeded(name, address)
    _end_current_session()
    session.clear()  # a fresh session: nothing set before signing in carries over
    session.permanent = True  # the cookie lasts as long as the session may
    token = library.sessions.start(user.username, request.headers.get("User-Agent", ""),
                                   address)
    login_user(SessionUser(user, token))
    g.pop("viewer", None)
    return redirect(next_url, 303)


@blueprint.post("/logout")
def logout():
    _end_current_session()
    logout_user()
    session.clear()
    g.pop("viewer", None)
    return redirect(url_for("search.home"), 303)


def _end_current_session() -> None:
    """End this browser's server-side session, so a copy of its cookie opens nothing."""
    if current_user.is_authenticated:
        current_library().sessions.end(current_user.token)


def safe_next(target: str | None) -> str:
    """``target`` as a path on this site, or the home page: never a redirect elsewhere."""
    home = url_for("search.home")
    target = (target or "").strip()
    if not target or any(ord(c) < 32 or c == "\\" for c in target):
        return home
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        same_site = parts.scheme in ("http", "https") and parts.netloc == request.host
        if not same_site:
            return home
    if not parts.path.startswith("/") or parts.path.startswith("//"):
        return home
    return urlunsplit(("", "", parts.path, parts.query, ""))


def _form(next_url: str, username: str = "", error: str | None = None,
          status: int = 200) -> Response:
    html = render_template(
        "login.html", next_url=next_url, username=username, error=error,
        account=signed_in_account(),
    )
    return Response(html, status=status, mimetype="text/html")


def _locked_out(next_url: str, username: str, wait: float) -> Response:
    """429 with the wait, before any password is checked: a locked pair learns nothing."""
    seconds = math.ceil(wait)
    spoken = f"{seconds} seconds" if seconds < 120 else f"{math.ceil(seconds / 60)} minutes"
    response = _form(next_url, username=username, error=BACK_OFF.format(wait=spoken),
                     status=429)
    response.headers["Retry-After"] = str(seconds)
    return response


def _address_key() -> str:
    return f"address:{get_remote_address()}"
