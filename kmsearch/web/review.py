"""Review: the queue of submitted notes, publish / return / restore, revision history and diffs."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for

from ..errors import Problem, ValidationError
from ..limits import whole_number
from ..workflow.notediff import compare_bases
from .auth import current_viewer
from .context import current_library
from .contribute import current_contributions, sign_in_first

blueprint = Blueprint("review", __name__)
blueprint.before_request(sign_in_first)


@blueprint.get("/review")
def queue():
    service, viewer = current_contributions(), current_viewer()
    items = service.review_queue(viewer)
    published = {item.id: service.compared_with(item) for item in items}
    publishable = {item.id for item in items if service.may_publish(viewer, item.stored)}
    sources = current_library().sources_waiting(viewer)
    return render_template("review_queue.html", items=items, published=published, sources=sources,
                           publishable=publishable, done=request.args.get("done", ""),
                           done_id=request.args.get("case", ""))


@blueprint.post("/review/<case_id>/publish")
def publish(case_id: str):
    current_library().publish(current_viewer(), case_id, _comment())
    return _back(case_id, "published")


@blueprint.post("/review/<case_id>/return")
def return_to_author(case_id: str):
    current_library().return_to_author(current_viewer(), case_id, _comment())
    return _back(case_id, "returned")


@blueprint.post("/review/<case_id>/restore")
def restore(case_id: str):
    current_contributions().restore(current_viewer(), case_id, _comment())
    return redirect(url_for("contribute.note", case_id=case_id, done="restored"), 303)


@blueprint.get("/cases/<case_id>/history")
def history(case_id: str):
    stored, revisions = current_contributions().history(current_viewer(), case_id)
    return render_template("history.html", stored=stored, note=stored.note, revisions=revisions,
                           bases=compare_bases(revisions))


@blueprint.get("/cases/<case_id>/diff")
def diff(case_id: str):
    service, viewer = current_contributions(), current_viewer()
    stored, revisions = service.history(viewer, case_id)
    newest = revisions[-1].number if revisions else 1
    to_rev = _revision_number("to", default=newest)
    from_rev = _revision_number("from", default=compare_bases(revisions).get(to_rev,
                                                                           max(1, to_rev - 1)))
    found = service.diff(viewer, case_id, from_rev, to_rev)
    return render_template("diff.html", stored=stored, note=stored.note, diff=found,
                           revisions=revisions)


def _revision_number(name: str, default: int) -> int:
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    if (number := whole_number(raw, 7)) is None or not 1 <= number <= 1_000_000:
        message = f"expected a revision number such as 1 or 2, found {raw[:20]!r}"
        raise ValidationError([Problem("request", name, message)])
    return number


def _comment() -> str:
    return " ".join(request.form.get("comment", "").split())


def _back(case_id: str, done: str):
    """Back where the reviewer acted from: the queue, or the note's page."""
    if request.form.get("from") == "note":
        return redirect(url_for("contribute.note", case_id=case_id, done=done), 303)
    return redirect(url_for("review.queue", done=done, case=case_id), 303)
