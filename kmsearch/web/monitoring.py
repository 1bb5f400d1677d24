"""Follow-up forms on recommendation pages (reviewers and admins) and the monitoring dashboard
with the lists its figures link to and the partnerships report download (signed-in staff)."""

from __future__ import annotations

from flask import Blueprint, Response, redirect, render_template, request, url_for

from ..errors import Problem, ValidationError
from ..limits import whole_number
from ..workflow.monitoring.charts import bar_chart
from .auth import current_viewer
from .context import current_library
from .contribute import sign_in_first

blueprint = Blueprint("monitoring", __name__)
REPORT_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "html": "text/html; charset=utf-8",
    "md": "text/markdown; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@blueprint.before_request
def signed_in_for_dashboard():
    """The dashboard and its lists are for signed-in staff: others sign in first."""
    return sign_in_first() if request.path.startswith("/monitoring") else None


# The dashboard and its lists

@blueprint.get("/monitoring")
def dashboard():
    monitoring, viewer = current_library().monitoring, current_viewer()
    filters = monitoring.read_filters(_args())
    figures = monitoring.figures(viewer, filters)
    return render_template("monitoring.html", figures=figures, filters=filters,
                           params=filters.params(), bar_chart=bar_chart,
                           evaluations=current_library().evaluations(),
                           report_types=REPORT_TYPES)


@blueprint.get("/monitoring/notes")
def notes():
    monitoring = current_library().monitoring
    filters = monitoring.read_filters(_args())
    figure, value = request.args.get("figure", "all"), request.args.get("value", "all")
    found = monitoring.notes(current_viewer(), filters, figure, value)
    return render_template("monitoring_notes.html", notes=found, filters=filters,
                           params=filters.params(), figure=figure, value=value)


@blueprint.get("/monitoring/activity")
def activity():
    monitoring = current_library().monitoring
    filters = monitoring.read_filters(_args())
    step = request.args.get("step", "submitted")
    division, month = request.args.get("of", ""), request.args.get("month", "")
    found = monitoring.steps(current_viewer(), filters, step, division, month)
    return render_template("monitoring_activity.html", steps=found, filters=filters,
                           params=filters.params(), step=step, division=division, month=month)


@blueprint.get("/monitoring/actions")
def actions():
    monitoring = current_library().monitoring
    filters = monitoring.read_filters(_args())
    figures = monitoring.figures(current_viewer(), filters)
    overdue = request.args.get("overdue") == "1"
    status = request.args.get("status", "")
    rows = [(row, action) for row in figures.followup for action in row.actions
            if (not overdue or action in row.overdue) and (not status or action.status == status)]
    return render_template("monitoring_actions.html", rows=rows, figures=figures,
                           params=filters.params(), overdue=overdue, status=status)


@blueprint.get("/monitoring/report")
def report():
    monitoring = current_library().monitoring
    filters = monitoring.read_filters(_args())
    fmt = request.args.get("format", "docx")
    if fmt not in REPORT_TYPES:
        raise ValidationError([Problem("query", "format", f"expected one of "
                                       f"{', '.join(REPORT_TYPES)}; found {fmt[:20]!r}")])
    body = monitoring.report(current_viewer(), filters, fmt)
    name = f"partnerships-report-{filters.period().replace(' ', '-')}.{fmt}"
    disposition = "inline" if fmt == "html" else "attachment"
    return Response(body, mimetype=REPORT_TYPES[fmt],
                    headers={"Content-Disposition": f'{disposition}; filename="{name}"'})


# Key actions and progress updates, from the recommendation page

@blueprint.post("/recommendations/<evaluation>/<int:number>/actions")
def add_action(evaluation: str, number: int):
    rec_id = f"{evaluation}/{number}"
    return _act(rec_id, "new-action", lambda m, v: m.add_action(v, rec_id, _form()), "added")


@blueprint.post("/recommendations/<evaluation>/<int:number>/actions/<int:action_id>")
def edit_action(evaluation: str, number: int, action_id: int):
    rec_id = f"{evaluation}/{number}"
    version = request.form.get("version", "")
    expected = whole_number(version)
    return _act(rec_id, f"action-{action_id}",
                lambda m, v: m.edit_action(v, rec_id, action_id, _form(), expected), "saved")


@blueprint.post("/recommendations/<evaluation>/<int:number>/actions/<int:action_id>/updates")
def add_update(evaluation: str, number: int, action_id: int):
    rec_id = f"{evaluation}/{number}"
    return _act(rec_id, f"update-{action_id}",
                lambda m, v: m.add_update(v, rec_id, action_id, _form()), "recorded")


def _act(rec_id: str, form_id: str, step, done: str):
    """Run one follow-up step; on bad input show the page again with the messages (400)."""
    library, viewer = current_library(), current_viewer()
    try:
        step(library.monitoring, viewer)
    except ValidationError as error:
        if rec_id not in {r.id for r in library.recommendations()}:
            raise
        from .recommendations import render_recommendation

        errors: dict[str, list[str]] = {}
        for problem in error.problems:
            errors.setdefault(problem.field, []).append(problem.message)
        return render_recommendation(rec_id, form_id=form_id, errors=errors,
                                     posted=request.form), 400
    target = url_for("recommendations.recommendation", rec_id=rec_id, done=done)
    return redirect(f"{target}#follow-up-actions", 303)


def _form() -> dict[str, str]:
    return {key: value for key, value in request.form.items() if key != "csrf_token"}


def _args() -> dict[str, list[str]]:
    return request.args.to_dict(flat=False)

