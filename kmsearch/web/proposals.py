"""The one-stop shop on the web: the public proposal form and status page, the reviewers' queue,
a proposal's page with channelling, due-diligence screening and the workflow steps."""

from __future__ import annotations

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from ..errors import Problem, ValidationError
from ..workflow.intake import CONTRIBUTIONS, LIMITS, TEXT_FIELDS
from ..workflow.permissions import may_review
from ..workflow.proposals import OPEN_STATES, PROPOSAL_STATES
from .auth import current_viewer
from .context import current_library
from .contribute import sign_in_first

blueprint = Blueprint("proposals", __name__)
HONEYPOT = "website"
TOO_MANY = ("Too many proposals were sent from this address in a short time. Wait an hour, "
            "or write to the Programme Management Unit.")
LIMITED = ("proposals.propose", "proposals.status", "proposals.withdraw_own")
PRIVATE = {"Cache-Control": "no-store"}


def init_proposals(app: Flask) -> None:
    """Serve the proposal pages; posts to the public form and status page are limited to
    PROPOSAL_RATE_LIMIT per client address, counted in this process's memory."""
    app.config.setdefault("PROPOSAL_RATE_LIMIT", "10 per hour")
    app.register_blueprint(blueprint)
    limiter = Limiter(get_remote_address, app=app, storage_uri="memory://", headers_enabled=True)
    limiter.limit(
        lambda: current_app.config["PROPOSAL_RATE_LIMIT"],
        key_func=lambda: f"proposal:{get_remote_address()}",
        methods=["POST"],
        exempt_when=lambda: request.endpoint not in LIMITED,
        error_message=TOO_MANY,
    )(blueprint)

    @app.context_processor
    def proposal_navigation() -> dict:
        return {"proposal_nav": proposal_nav}


def proposal_nav() -> list[tuple[str, str, bool]]:
    """The proposals queue, for those who may see proposals."""
    viewer, endpoint = current_viewer(), request.endpoint or ""
    if may_review(viewer) or (viewer.signed_in and "contributor" in viewer.roles):
        here = endpoint.startswith("proposals.") and not endpoint.startswith("proposals.propose")
        return [(url_for("proposals.queue"), "Proposals", here)]
    return []


def _form_page(values: dict, problems: list[Problem] | None = None, status: int = 200):
    library = current_library()
    errors: dict[str, list[str]] = {}
    for problem in problems or []:
        errors.setdefault(problem.field or "form", []).append(problem.message)
    # A field with a problem comes back empty: what was wrong in it is not shown back.
    values = {name: value for name, value in values.items()
              if name not in errors and name != HONEYPOT}
    html = render_template("propose.html", values=values, errors=errors, fields=TEXT_FIELDS,
                           limits=LIMITS, contributions=CONTRIBUTIONS,
                           currencies=list(library.due_diligence.exchange_rates),
                           honeypot=HONEYPOT)
    return Response(html, status=status, headers=PRIVATE)


@blueprint.route("/propose", methods=["GET", "POST"])
def propose():
    if request.method == "GET":
        return _form_page({"currency": current_library().due_diligence.currency,
                           "contribution_kind": "none"})
    if request.form.get(HONEYPOT):
        raise ValidationError([Problem("proposal", "", "This form could not be accepted. If "
                                       "you are a person, leave the field marked "
                                       "'leave empty' empty and send it again.")])
    form = request.form.to_dict()
    try:
        proposal, token = current_library().proposals.submit(current_viewer(), form)
    except ValidationError as error:
        return _form_page(form, error.problems, status=400)
    html = render_template("propose_done.html", reference=proposal.reference, token=token)
    return Response(html, status=201, headers=PRIVATE)


@blueprint.route("/propose/status", methods=["GET", "POST"])
def status():
    """The proposer's view: reference and token in a form (POST keeps the token out of URLs)."""
    if request.method == "GET":
        return render_template("propose_status.html", view=None)
    return _status_page(current_library().proposals.status)


@blueprint.post("/propose/status/withdraw")
def withdraw_own():
    return _status_page(current_library().proposals.withdraw_by_proposer)


def _status_page(step) -> Response:
    """The status page after ``step(reference, token)``, never cached."""
    token = request.form.get("token", "")
    view = step(request.form.get("reference", ""), token)
    return Response(render_template("propose_status.html", view=view, token=token),
                    headers=PRIVATE)


@blueprint.get("/proposals")
def queue():
    sign_in = sign_in_first()
    if sign_in:
        return sign_in
    state = request.args.get("state", "")
    division = request.args.get("division", "")
    if state and state not in PROPOSAL_STATES + ("open",):
        raise ValidationError([Problem("request", "state", "expected one of "
                                       + ", ".join(("open",) + PROPOSAL_STATES))])
    if division and current_library().taxonomy.divisions.resolve(division) is None:
        raise ValidationError([Problem("request", "division", "expected a division code")])
    items = current_library().proposals.queue(
        current_viewer(), state="" if state == "open" else state, division=division,
        open_only=state == "open")
    return render_template("proposals_queue.html", items=items, state=state, division=division,
                           states=PROPOSAL_STATES)


@blueprint.get("/proposals/<reference>")
def proposal(reference: str):
    sign_in = sign_in_first()
    if sign_in:
        return sign_in
    library, viewer = current_library(), current_viewer()
    service = library.proposals
    found = service.get(viewer, reference)
    return render_template(
        "proposal.html", proposal=found, channelling=service.channelling(viewer, found),
        earlier=service.earlier(viewer, found), screenings=service.screenings(viewer, found),
        assessment=service.assessment(found), durations=service.durations(found),
        rules=library.due_diligence, may_review=may_review(viewer), open_states=OPEN_STATES,
        done=request.args.get("done", ""), contributions=CONTRIBUTIONS,
    )


@blueprint.route("/proposals/<reference>/screen", methods=["GET", "POST"])
def screen(reference: str):
    library, viewer = current_library(), current_viewer()
    service = library.proposals
    found = service.get(viewer, reference)
    path = request.values.get("path", "")
    assessment = service.assessment(found)
    if path not in ("simplified", "full"):
        path = "simplified" if assessment.simplified_allowed else "full"
    if request.method == "POST":
        answers = {q.code: request.form.get(q.code, "") for q in library.due_diligence.questions}
        try:
            service.screen(viewer, reference, path, answers, _comment())
        except ValidationError as error:
            return _screen_page(found, path, assessment, answers, error.problems, 400)
        return redirect(url_for("proposals.proposal", reference=reference, done="screened"), 303)
    return _screen_page(found, path, assessment, {}, [], 200)


def _screen_page(found, path, assessment, answers, problems, status):
    errors = {p.field: p.message for p in problems}
    html = render_template("screening_form.html", subject=found, kind="proposal", path=path,
                           assessment=assessment, answers=answers, errors=errors,
                           rules=current_library().due_diligence,
                           action=url_for("proposals.screen", reference=found.reference),
                           back=url_for("proposals.proposal", reference=found.reference))
    return Response(html, status=status)


@blueprint.post("/proposals/<reference>/assign")
def assign(reference: str):
    current_library().proposals.assign(current_viewer(), reference,
                                       request.form.get("division", ""), _comment())
    return _back(reference, "assigned")


@blueprint.post("/proposals/<reference>/accept")
def accept(reference: str):
    current_library().proposals.accept(current_viewer(), reference, _comment())
    return _back(reference, "accepted")


@blueprint.post("/proposals/<reference>/decline")
def decline(reference: str):
    current_library().proposals.decline(current_viewer(), reference, _comment())
    return _back(reference, "declined")


@blueprint.post("/proposals/<reference>/withdraw")
def withdraw(reference: str):
    current_library().proposals.withdraw(current_viewer(), reference, _comment())
    return _back(reference, "withdrawn")


def _comment() -> str:
    return " ".join(request.form.get("comment", "").split())[:2000]


def _back(reference: str, done: str):
    return redirect(url_for("proposals.proposal", reference=reference, done=done), 303)
