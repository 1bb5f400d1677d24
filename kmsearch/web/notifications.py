"""Notifications: each user's list with mark as read, and follows with their Follow buttons."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Flask, redirect, render_template, request, url_for

from ..library.notifications import search_target
from ..limits import whole_number
from .auth import current_viewer
from .context import current_library
from .contribute import sign_in_first
from .signin import safe_next

blueprint = Blueprint("notifications", __name__)
blueprint.before_request(sign_in_first)
DONE = {"read": "Marked as read.", "followed": "Followed: a digest comes when notes change.",
        "unfollowed": "No longer followed."}


def init_notifications(app: Flask) -> None:
    app.register_blueprint(blueprint)

    @app.context_processor
    def follow_helpers() -> dict[str, Any]:
        return {"unread_notifications": unread_notifications, "follow_of": follow_of,
                "search_follow_target": search_follow_target}


@blueprint.get("/notifications")
def page():
    notifications, viewer = current_library().notifications, current_viewer()
    return render_template(
        "notifications.html", items=notifications.of(viewer), follows=notifications.follows(viewer),
        unread=notifications.unread(viewer), done=DONE.get(request.args.get("done", ""), ""))


@blueprint.post("/notifications/read")
def mark_read():
    """Mark one notification read (``id``), or all of them."""
    ids = None
    if "id" in request.form:
        number = whole_number(request.form["id"], 18)
        ids = [number] if number else []
    current_library().notifications.mark_read(current_viewer(), ids)
    return redirect(url_for("notifications.page", done="read"), 303)


@blueprint.post("/follows")
def follow():
    form = request.form
    current_library().notifications.follow(current_viewer(), form.get("kind", ""),
                                           form.get("target", ""), form.get("frequency", ""))
    return redirect(_back("followed"), 303)


@blueprint.post("/follows/<int:follow_id>/delete")
def unfollow(follow_id: int):
    current_library().notifications.unfollow(current_viewer(), follow_id)
    return redirect(_back("unfollowed"), 303)


def unread_notifications() -> int:
    """The signed-in viewer's unread count, for the header."""
    return current_library().notifications.unread(current_viewer())


def follow_of(kind: str, target: str):
    """The viewer's follow of this target, or None: decides which button a page shows."""
    return current_library().notifications.following(current_viewer(), kind, str(target))


def search_follow_target() -> str:
    """This results page's search as a follow's target: its query string without paging."""
    return search_target(urlencode(list(request.args.items(multi=True))))


def _back(done: str) -> str:
    """Where the form was sent from (a path on this site), told what was done."""
    target = safe_next(request.form.get("next")) if request.form.get("next") else \
        url_for("notifications.page")
    if target.startswith(url_for("notifications.page")):
        return url_for("notifications.page", done=done)
    return target
