"""Management responses uploaded by reviewers as text, Word or PDF files."""

from __future__ import annotations

import datetime

from flask import Blueprint, Response, render_template, request

from ..errors import Forbidden, Problem, ValidationError
from ..workflow.permissions import may_review
from .auth import current_viewer
from .context import current_library
from .contribute import sign_in_first

blueprint = Blueprint("responses", __name__)
blueprint.before_request(sign_in_first)


@blueprint.route("/review/responses", methods=["GET", "POST"])
def upload():
    """Import an evaluation from its management response; problems name the page or line."""
    if not may_review(current_viewer()):
        raise Forbidden("Only reviewers and admins import management responses.")
    if request.method == "GET":
        return render_template("review_responses.html", form={}, problems=[], imported=None)
    form = {key: request.form.get(key, "").strip() for key in
            ("evaluation_id", "title", "period", "date")} | {
        "default": request.form.get("default") == "on"}
    upload = request.files.get("file")
    problems: list[Problem] = []
    imported = None
    try:
        if upload is None or not upload.filename:
            raise ValidationError([Problem("form", "file", "choose the response file")])
        if not form["evaluation_id"]:
            raise ValidationError([Problem("form", "evaluation_id", "give the evaluation an "
                                           "id such as energy-2019")])
        evaluation, action, warnings = current_library().import_response(
            upload.filename, upload.read(), evaluation_id=form["evaluation_id"],
            title=form["title"] or None, period=form["period"] or None,
            date=_date(form["date"]), default=form["default"],
        )
        imported, problems = (evaluation, action), warnings
        status = 200
    except ValidationError as error:
        problems, status = error.problems, 422
    html = render_template("review_responses.html", form=form, problems=problems,
                           imported=imported)
    return Response(html, status=status, mimetype="text/html")


@blueprint.app_context_processor
def response_helpers() -> dict:
    return {"evaluation_files": current_library().evaluation_files}


def _date(value: str) -> datetime.date | None:
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as error:
        message = f"expected a date as YYYY-MM-DD, found {value[:20]!r}"
        raise ValidationError([Problem("form", "date", message)]) from error
