"""Many notes at once from the web: reviewers publish or return a selection or a whole import,
contributors submit every draft of an upload, and long uploads show their progress."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from ..errors import NotFound, Problem, ValidationError
from ..workflow.uploads import describe
from .auth import current_viewer
from .context import current_library
from .contribute import sign_in_first
from .jobs import current_jobs

blueprint = Blueprint("bulk", __name__)
blueprint.before_request(sign_in_first)
MAX_SELECTED = 5000
REVIEW_ACTIONS = {"publish": "published", "return": "returned", "publish-import": "published"}


@blueprint.post("/review/bulk")
def review_many():
    """Publish or return the ticked notes, or every waiting note of one source."""
    viewer, library = current_viewer(), current_library()
    action = request.form.get("action", "")
    if action not in REVIEW_ACTIONS:
        raise ValidationError([Problem("request", "action", "expected publish or return, "
                                       f"found {action[:20]!r}")])
    source = request.form.get("source", "").strip()
    ids = _ids() + (library.waiting_from(viewer, source) if source else [])
    if not ids:
        raise ValidationError([Problem("request", "ids", "tick at least one note, or choose a "
                                       "whole import")])
    comment = " ".join(request.form.get("comment", "").split())
    report = library.review_many(viewer, action, ids, comment)
    return render_template("bulk_report.html", report=report, verb=REVIEW_ACTIONS[action],
                           describe=describe)


@blueprint.post("/contribute/submit-all")
def submit_many():
    """Submit the drafts an upload created, in one step."""
    report = current_library().review_many(current_viewer(), "submit", _ids())
    return render_template("bulk_report.html", report=report, verb="submitted for review",
                           describe=describe)


@blueprint.get("/contribute/upload/jobs/<job_id>")
def upload_job(job_id: str):
    """A long upload: its progress while it runs (the page refreshes itself), then its report."""
    viewer = current_viewer()
    job = current_jobs().get(job_id, viewer.username or "")
    if job is None:
        raise NotFound("No upload with this number is yours; it may be from before a restart.")
    if job.error is not None:
        raise job.error
    return render_template("upload_progress.html", job=job, report=job.result,
                           describe=describe)


def _ids() -> list[str]:
    ids = [i.strip() for i in request.form.getlist("ids") if i.strip()]
    if len(ids) > MAX_SELECTED:
        raise ValidationError([Problem("request", "ids", f"expected at most {MAX_SELECTED:,} "
                                       f"notes at once, found {len(ids):,}")])
    return ids
