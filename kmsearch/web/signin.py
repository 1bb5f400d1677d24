"""Sign in and sign out with a username and password, rate-limited per address and per name."""

from __future__ import annotations

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
from flask_login import login_user, logout_user

from ..library import normal_username
from .auth import SessionUser, signed_in_account
from .context import current_library

blueprint = Blueprint("signin", __name__)

FAILED = (
    "That username and password do not match an active account. Check both and try again; "
    "an administrator can reset a forgotten password."
)
TOO_MANY = (
    "Too many failed sign-in attempts from this address or for this username. "
    "Wait a minute, then try again."
)


def init_signin(app: Flask) -> None:
    """Serve /login and /logout; failed sign-ins are limited to LOGIN_RATE_LIMIT per client
    address and per username, counted in this process's memory."""
    app.register_blueprint(blueprint)
    limiter = Limiter(get_remote_address, app=app, storage_uri="memory://", headers_enabled=True)
    for key in (_address_key, _username_key):
        limiter.limit(
            lambda: current_app.config["LOGIN_RATE_LIMIT"],
            key_func=key,
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
    user = current_library().accounts.sign_in(username, password)
    if user is None:
        return _form(next_url, username=username, error=FAILED)
    session.clear()  # a fresh session: nothing set before signing in carries over
    login_user(SessionUser(user))
    g.pop("viewer", None)
    return redirect(next_url, 303)


@blueprint.post("/logout")
def logout():
    logout_user()
    session.clear()
    g.pop("viewer", None)
    return redirect(url_for("search.home"), 303)


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


def _form(next_url: str, username: str = "", error: str | None = None) -> Response:
    html = render_template(
        "login.html", next_url=next_url, username=username, error=error,
        account=signed_in_account(),
    )
    return Response(html, status=200, mimetype="text/html")


def _address_key() -> str:
    return f"address:{get_remote_address()}"


def _username_key() -> str:
    return f"username:{normal_username(request.form.get('username', ''))}"
