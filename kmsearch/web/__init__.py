"""The web UI and JSON API: ``create_app`` builds the Flask application, ``serve`` runs it."""

from __future__ import annotations

import contextlib
from dataclasses import replace
from datetime import timedelta
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from ..config import Settings
from ..library import Library
from ..resources import templates_dir
from . import (
    account,
    api,
    browse,
    bulk,
    cases,
    contribute,
    documents,
    monitoring,
    recommendations,
    responses,
    review,
    search,
)
from .auth import default_viewer, init_auth
from .errors import register_error_handlers
from .notifications import init_notifications
from .partners import init_partners
from .proposals import init_proposals
from .security import init_security
from .signin import init_signin
from .templating import register_template_helpers

DEFAULTS: dict[str, Any] = {
    "DEFAULT_VIEWER": "anonymous",  # "staff" lets a local demo show internal notes
    "TRUST_USER_HEADER": False,  # trust X-Remote-User from a proxy
    "TRUST_ROLE_HEADERS": False,  # also trust X-Remote-Roles/-Divisions (needs the above)
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    "SESSION_COOKIE_SECURE": None,  # None: on, except under TESTING; 0 for a plain-http demo
    "SECRET_KEY_FILE": None,  # None: <instance_dir>/secret_key, generated on first use
    "LOGIN_RATE_LIMIT": "60 per minute",  # failed sign-ins per client address, all names
    "PROXY_COUNT": 0,  # reverse proxies in front whose X-Forwarded-* headers are trusted
    "PROPOSAL_RATE_LIMIT": "10 per hour",  # posts to /propose and its status page per address
    "SETTINGS": None,  # a kmsearch.config.Settings; None: Settings.from_env()
}
SESSION_SETTINGS = ("SESSION_IDLE_MINUTES", "SESSION_MAX_HOURS")  # also Settings fields


def create_app(config: dict[str, Any] | None = None, library: Library | None = None) -> Flask:
    """Defaults, then ``<instance_dir>/kmsearch.cfg`` if present, then ``KMSEARCH_*``
    variables, then ``config``; the library (given, or made from the settings) opens its
    database and indexes on first use, not here. ``instance_dir`` is a setting
    (``KMSEARCH_INSTANCE_DIR``, ``kmsearch --instance``), ``./instance`` by default."""
    config = config or {}
    settings = library.settings if library else config.get("SETTINGS") or Settings.from_env()
    app = Flask(
        __name__,
        template_folder=str(templates_dir()),
        instance_path=str(settings.instance_dir),
        instance_relative_config=True,
    )
    app.config.from_mapping(DEFAULTS)
    app.config.from_pyfile("kmsearch.cfg", silent=True)
    app.config.from_prefixed_env("KMSEARCH")
    app.config.update(config)
    app.json.sort_keys = False

    if library is None:
        library = Library(replace(app.config["SETTINGS"] or settings, **{
            name.lower(): int(app.config[name]) for name in SESSION_SETTINGS if name in app.config
        }))
    app.extensions["kmsearch"] = library
    # A session's cookie lasts as long as the server-side session may.
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=library.settings.session_max_hours)
    app.extensions["kmsearch.default_viewer"] = default_viewer(app.config["DEFAULT_VIEWER"])

    blueprints = (search, cases, recommendations, browse, contribute, review, bulk, monitoring,
                  documents, responses, account, api)
    for module in blueprints:
        app.register_blueprint(module.blueprint)
    register_error_handlers(app)
    init_security(app)
    documents.init_uploads(app)
    init_auth(app)
    init_signin(app)
    init_proposals(app)
    init_partners(app)
    init_notifications(app)
    register_template_helpers(app)
    trust_proxies(app, int(app.config["PROXY_COUNT"] or 0))
    return app


def trust_proxies(app: Flask, count: int) -> None:
    """Behind ``count`` reverse proxies, take the client's address, scheme and host from their
    ``X-Forwarded-*`` headers (Werkzeug's ProxyFix), so sign-in limits see real clients."""
    if count < 0:
        raise ValueError(f"PROXY_COUNT (KMSEARCH_PROXY_COUNT) must be 0 or more, not {count}")
    if count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)


def serve(app: Flask, host: str = "127.0.0.1", port: int = 5000, threads: int = 8) -> None:
    """Run ``app`` under waitress, a production WSGI server.

    With poll() rather than select(), which fails outright once any open file's number passes
    1,023 (index segments, database connections and sockets all count); and with the soft
    limit on open files raised to the hard one."""
    from waitress import serve as waitress_serve

    _raise_open_file_limit()
    waitress_serve(app, host=host, port=port, threads=threads, asyncore_use_poll=True)


def _raise_open_file_limit() -> None:
    try:
        import resource
    except ImportError:  # not on Windows
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:  # if refused, the limit stays; the poll loop still works within it
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))
