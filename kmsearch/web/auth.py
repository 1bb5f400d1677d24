"""Who is asking: the one place a request becomes a Viewer, until accounts arrive."""

from __future__ import annotations

from flask import current_app, g, request

from ..access import ANONYMOUS, ROLES, Viewer, staff

DEFAULT_VIEWERS = {"anonymous": ANONYMOUS, "staff": staff()}


def default_viewer(name: str) -> Viewer:
    """The viewer a request without trusted identity headers is answered for."""
    try:
        return DEFAULT_VIEWERS[str(name).strip().lower()]
    except KeyError:
        raise ValueError(
            f"DEFAULT_VIEWER (KMSEARCH_DEFAULT_VIEWER) must be one of "
            f"{', '.join(DEFAULT_VIEWERS)}, not {name!r}"
        ) from None


def current_viewer() -> Viewer:
    """The request's viewer: from ``X-Remote-*`` headers when TRUST_USER_HEADER is on, else the
    configured default (anonymous unless the local demo asks for staff)."""
    if "viewer" not in g:
        g.viewer = _viewer_from_headers() or current_app.extensions["kmsearch.default_viewer"]
    return g.viewer


def _viewer_from_headers() -> Viewer | None:
    if not current_app.config.get("TRUST_USER_HEADER"):
        return None
    username = request.headers.get("X-Remote-User", "").strip()
    if not username:
        return None
    roles = _split(request.headers.get("X-Remote-Roles", "")) & set(ROLES)
    divisions = _split(request.headers.get("X-Remote-Divisions", ""))
    return Viewer(username, frozenset(roles or {"viewer"}), frozenset(divisions))


def _split(header: str) -> set[str]:
    return {part.strip().lower() for part in header.split(",") if part.strip()}
