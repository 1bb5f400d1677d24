"""The security layer: CSRF tokens, response headers, cookie flags, the secret key, size limits."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask, Response, current_app, request, session
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import RequestEntityTooLarge

from .auth import current_viewer
from .errors import error_response

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
# Read-only POST routes, exempt from CSRF checks: they change nothing.
CSRF_EXEMPT = ("kmsearch.web.api.suggest_links", "kmsearch.web.api.search_text")
SECRET_KEY_MIN_LENGTH = 16
IDENTITY_HEADERS = ("X-Remote-User", "X-Remote-Roles", "X-Remote-Divisions")

csrf = CSRFProtect()


def init_security(app: Flask) -> None:
    """Protect every state-changing request with a CSRF token, harden cookies and headers,
    and give the app a secret key; call once the configuration is final."""
    app.config["SECRET_KEY"] = secret_key(app)
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    if app.config.get("SESSION_COOKIE_SECURE") is None:
        app.config["SESSION_COOKIE_SECURE"] = not app.testing
    app.config["SESSION_COOKIE_SECURE"] = bool(app.config["SESSION_COOKIE_SECURE"])
    app.config["REMEMBER_COOKIE_SECURE"] = app.config["SESSION_COOKIE_SECURE"]
    app.config["REMEMBER_COOKIE_HTTPONLY"] = True
    app.config["REMEMBER_COOKIE_SAMESITE"] = "Lax"
    # One limit for the whole request and for a single form field, as the 413 message says.
    app.config["MAX_FORM_MEMORY_SIZE"] = app.config.get("MAX_CONTENT_LENGTH")
    # A token lives as long as the session, so a form left open for hours still submits.
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)

    csrf.init_app(app)
    for view in CSRF_EXEMPT:
        csrf.exempt(view)
    app.after_request(add_security_headers)
    app.after_request(add_cache_headers)

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return error_response(
            400,
            f"{error.description} The form or request did not carry this site's security "
            "token: reload the page and send it again (API clients send the token from the "
            "page in an X-CSRFToken header).",
        )

    app.register_error_handler(RequestEntityTooLarge, too_large)


def too_large(error: RequestEntityTooLarge | None = None) -> Response:
    """413, saying the limit; the contribution form answers its own, keeping what was typed."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    return error_response(
        413,
        f"The request is larger than the {_size(limit)} this site accepts; "
        "shorten the text or send fewer files at once.",
    )


def add_security_headers(response: Response) -> Response:
    """Every response, pages, API answers, errors and static files alike, gets the headers."""
    response.headers.update(SECURITY_HEADERS)
    return response


def add_cache_headers(response: Response) -> Response:
    """``no-store`` on every API answer and on whatever a signed-in viewer (or a browser holding
    a session) is shown, so no shared cache or back button keeps it; pages vary by viewer."""
    if request.endpoint == "static":
        return response
    response.vary.add("Cookie")
    if current_app.config.get("TRUST_USER_HEADER"):
        response.vary.update(IDENTITY_HEADERS)
    personal = (
        request.path.startswith("/api/")
        or current_app.config["SESSION_COOKIE_NAME"] in request.cookies
        or session.modified
        or "Set-Cookie" in response.headers
        or current_viewer().signed_in
    )
    if personal:
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
    return response


def secret_key(app: Flask) -> str:
    """``SECRET_KEY`` (``KMSEARCH_SECRET_KEY``) when configured, else the key kept in
    ``SECRET_KEY_FILE`` (default ``instance/secret_key``), generated there on first use."""
    configured = app.config.get("SECRET_KEY")
    if configured:
        key = str(configured)
        if len(key) < SECRET_KEY_MIN_LENGTH:
            raise ValueError(
                f"SECRET_KEY (KMSEARCH_SECRET_KEY) must be at least {SECRET_KEY_MIN_LENGTH} "
                "characters; unset it to have one generated in the instance folder, or use "
                "python -c 'import secrets; print(secrets.token_hex(32))'"
            )
        return key
    path = Path(app.config.get("SECRET_KEY_FILE") or Path(app.instance_path) / "secret_key")
    return stored_secret_key(path)


def stored_secret_key(path: Path) -> str:
    """The key in ``path``; a new random one written there (mode 0600) when there is none.
    Processes starting together agree on one key: the file appears whole or not at all."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as file:
            file.write(secrets.token_hex(32) + "\n")
            file.flush()
            os.fsync(file.fileno())
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    key = path.read_text(encoding="ascii").strip()
    if len(key) < SECRET_KEY_MIN_LENGTH:
        raise ValueError(
            f"{path}: the stored secret key is missing or too short; delete the file to have a "
            "new one generated (everyone will have to sign in again)"
        )
    return key


def _size(limit: int) -> str:
    if limit >= 1024 * 1024:
        return f"{limit / (1024 * 1024):g} MB"
    return f"{limit / 1024:g} KB" if limit >= 1024 else f"{limit} bytes"
