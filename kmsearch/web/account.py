"""The account page: who you are signed in as, your open sessions, and signing out of them."""

from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, request, session, url_for
from flask_login import current_user, logout_user

from ..errors import ValidationError
from .auth import current_viewer, signed_in_account
from .context import current_library

blueprint = Blueprint("account", __name__)


@blueprint.before_request
def signed_in_only():
    """A visitor who is not signed in is sent to sign in, then back here."""
    if not current_viewer().signed_in:
        return redirect(url_for("signin.login", next=request.path), 303)
    return None


@blueprint.get("/account")
def page(email: str | None = None, email_error: str = ""):
    viewer = current_viewer()
    account, settings = signed_in_account(), current_library().settings
    this_session = current_user.session.id if account and current_user.session else None
    return render_template(
        "account.html", viewer=viewer, account=account, this_session=this_session,
        email=account.email if email is None and account else email or "",
        email_error=email_error,
        sessions=current_library().sessions.active_for(viewer.username),
        done=request.args.get("done", ""), idle_minutes=settings.session_idle_minutes,
        max_hours=settings.session_max_hours, email_on=settings.email_on,
    )


@blueprint.post("/account/email")
def set_email():
    """The address notifications are e-mailed to; a wrong one is shown again with the reason."""
    library, viewer = current_library(), current_viewer()
    email = request.form.get("email", "")
    try:
        library.accounts.set_email(viewer.username, email)
    except ValidationError as error:
        return page(email=email, email_error="; ".join(p.message for p in error.problems)), 400
    return redirect(url_for("account.page", done="email"), 303)


@blueprint.post("/account/sessions/<session_id>/end")
def end_one(session_id: str):
    current_library().sessions.end_one(current_viewer().username, session_id)
    return redirect(url_for("account.page", done="ended"), 303)


@blueprint.post("/account/sign-out-everywhere")
def sign_out_everywhere():
    """End every session of this account, this browser's included."""
    current_library().sessions.end_all(current_viewer().username)
    logout_user()
    session.clear()
    g.pop("viewer", None)
    return redirect(url_for("signin.login"), 303)
