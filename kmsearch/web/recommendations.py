"""The evaluations' recommendations: a list grouped by evaluation, and one page each."""

from __future__ import annotations

from flask import Blueprint, render_template

from .auth import current_viewer
from .context import current_library
from .lookups import link_counts

blueprint = Blueprint("recommendations", __name__)


@blueprint.get("/recommendations")
def index():
    library = current_library()
    return render_template(
        "recommendations.html",
        evaluations=library.evaluations(),
        counts=link_counts(library.cases(current_viewer()))["recommendation"],
    )


@blueprint.get("/recommendations/<path:rec_id>")
def recommendation(rec_id: str):
    library = current_library()
    view = library.recommendation(rec_id, current_viewer())
    return render_template(
        "recommendation.html",
        view=view,
        rec=view.recommendation,
        progress=library.progress_notes(rec_id),
    )
