"""Case note and lesson pages."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, render_template

from ..access import Viewer
from ..errors import NotFound
from ..search.results import Hit
from ..workflow.permissions import may_edit_division, may_see_history
from .auth import current_viewer
from .context import current_library
from .lookups import contact_for

blueprint = Blueprint("cases", __name__)


@blueprint.get("/cases/<case_id>")
def case(case_id: str):
    library, viewer = current_library(), current_viewer()
    stored = library.get_case(case_id, viewer)
    history = library.revisions(case_id) if may_see_history(viewer, stored) else None
    return render_template(
        "case.html",
        stored=stored,
        note=stored.note,
        may_edit=may_edit_division(viewer, stored.note.division),
        pending=(library.contributions.pending(stored)
                 if may_edit_division(viewer, stored.note.division) else None),
        recommendations=library.linked_recommendations(stored.note),
        related=_unless_unindexed(library.search.related, case_id, viewer),
        history=history,
        screenings=library.case_screenings.of(viewer, case_id),
        may_screen=library.case_screenings.may_screen(viewer, stored),
        proposal=library.proposals.visible_reference(viewer, stored.note.extra.get("proposal")),
        contact=contact_for(library, stored, viewer),
    )


@blueprint.get("/lessons/<lesson_id>")
def lesson(lesson_id: str):
    library, viewer = current_library(), current_viewer()
    found, stored = library.get_lesson(lesson_id, viewer)
    return render_template(
        "lesson.html",
        lesson=found,
        stored=stored,
        note=stored.note,
        recommendations=library.linked_recommendations(stored.note),
        related=_unless_unindexed(library.search.related_lessons, lesson_id, viewer),
    )


def _unless_unindexed(related: Callable[..., list[Hit]], item_id: str, viewer: Viewer) -> list[Hit]:
    """A "related" list, empty while a just-saved note is not in the indexes yet."""
    try:
        return related(item_id, viewer, k=5)
    except NotFound:
        return []
