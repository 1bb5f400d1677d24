"""The evaluations' recommendations: a list grouped by evaluation, and one page each with its
key actions, progress updates and overdue flags."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Blueprint, render_template, request

from ..workflow.permissions import may_review
from .auth import current_viewer
from .context import current_library
from .lookups import link_counts

blueprint = Blueprint("recommendations", __name__)
DONE = {"added": "Key action added.", "saved": "Key action saved.",
        "recorded": "Progress update recorded."}


@blueprint.get("/recommendations")
def index():
    library = current_library()
    evaluations = library.evaluations()
    return render_template(
        "recommendations.html",
        evaluations=evaluations,
        counts=link_counts(library.cases(current_viewer()))["recommendation"],
        followup=library.monitoring.rows(evaluations),
        today=library.monitoring.today(),
    )


@blueprint.get("/recommendations/<path:rec_id>")
def recommendation(rec_id: str):
    return render_recommendation(rec_id, done=DONE.get(request.args.get("done", ""), ""))


def render_recommendation(rec_id: str, *, form_id: str = "", errors: Mapping | None = None,
                          posted: Mapping | None = None, done: str = "") -> str:
    """The recommendation page; after a refused form, with its messages and the values sent."""
    library, viewer = current_library(), current_viewer()
    view = library.recommendation(rec_id, viewer)
    return render_template(
        "recommendation.html",
        view=view,
        rec=view.recommendation,
        follow=library.monitoring.recommendation_followup(rec_id, viewer),
        may_follow_up=may_review(viewer),
        form_id=form_id,
        errors=errors or {},
        posted=posted or {},
        done=done,
    )
