"""Partner profiles on the web and in the API, reviewers' merges and splits, and due-diligence
screenings of case notes; plus the ``partner_url`` helper every page links partner names with."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, g, redirect, render_template, request, url_for

from ..errors import NotFound, Problem, ValidationError
from ..workflow.partners import PartnerProfile
from ..workflow.permissions import may_review
from .auth import current_viewer
from .context import current_library

blueprint = Blueprint("partners", __name__)
api = Blueprint("api_partners", __name__, url_prefix="/api/v1")


def init_partners(app: Flask) -> None:
    app.register_blueprint(blueprint)
    app.register_blueprint(api)
    app.jinja_env.globals["partner_url"] = partner_url


def partner_url(name: str) -> str:
    """The address of the profile of the partner called ``name`` (after merges and splits)."""
    if "partner_resolver" not in g:
        g.partner_resolver = current_library().partners.resolver()
    return url_for("partners.partner", slug=g.partner_resolver(name))


@blueprint.get("/partners")
def index():
    profiles = current_library().partners.directory(current_viewer())
    return render_template("partners.html", profiles=profiles)


@blueprint.get("/partners/<slug>")
def partner(slug: str):
    library, viewer = current_library(), current_viewer()
    try:
        profile = library.partners.profile(slug, viewer)
    except NotFound:
        moved = library.partners.moved_to(slug)
        if moved:
            return redirect(url_for("partners.partner", slug=moved), 301)
        raise
    changes = library.partners.changes(viewer) if may_review(viewer) else []
    return render_template("partner.html", profile=profile, may_review=may_review(viewer),
                           changes=[c for c in changes if _touches(c, profile)],
                           done=request.args.get("done", ""))


@blueprint.post("/partners/<slug>/merge")
def merge(slug: str):
    target = request.form.get("target", "").strip().strip("/").rsplit("/", 1)[-1]
    current_library().partners.merge(current_viewer(), slug, target, _comment())
    return redirect(url_for("partners.partner", slug=target, done="merged"), 303)


@blueprint.post("/partners/<slug>/split")
def split(slug: str):
    change = current_library().partners.split(current_viewer(), request.form.get("name", ""),
                                              _comment())
    new_slug = change.rows[0][3] if change.rows else slug
    return redirect(url_for("partners.partner", slug=new_slug, done="split"), 303)


@blueprint.post("/partners/changes/<int:change_id>/undo")
def undo(change_id: int):
    current_library().partners.undo(current_viewer(), change_id, _comment())
    back = request.form.get("back", "")
    slug = back if back and "/" not in back else ""
    if slug:
        try:
            current_library().partners.profile(slug, current_viewer())
        except NotFound:
            slug = current_library().partners.moved_to(slug) or ""
    if slug:
        return redirect(url_for("partners.partner", slug=slug, done="undone"), 303)
    return redirect(url_for("partners.index"), 303)


@blueprint.route("/cases/<case_id>/screening", methods=["GET", "POST"])
def case_screening(case_id: str):
    library, viewer = current_library(), current_viewer()
    service = library.case_screenings
    stored = service.note(viewer, case_id)
    form = request.form.to_dict() if request.method == "POST" else {}
    path = request.values.get("path", "full")
    path = path if path in ("simplified", "full") else "full"
    problems: list[Problem] = []
    answers = {q.code: form.get(q.code, "") for q in library.due_diligence.questions}
    if request.method == "POST":
        try:
            service.screen(viewer, case_id, form, path, answers, _comment())
            return redirect(url_for("partners.case_screening", case_id=case_id,
                                    done="screened"), 303)
        except ValidationError as error:
            problems = error.problems
    html = render_template(
        "screening_form.html", subject=stored, kind="case", path=path, answers=answers,
        assessment=None, errors={p.field: p.message for p in problems}, form=form,
        rules=library.due_diligence, screenings=service.of(viewer, case_id),
        done=request.args.get("done", ""),
        action=url_for("partners.case_screening", case_id=case_id),
        back=url_for("cases.case", case_id=case_id))
    return Response(html, status=400 if problems else 200)


@api.get("/partners")
def api_partners():
    profiles = current_library().partners.directory(current_viewer())
    return {"total": len(profiles), "partners": [partner_summary(p) for p in profiles]}


@api.get("/partners/<slug>")
def api_partner(slug: str):
    profile = current_library().partners.profile(slug, current_viewer())
    return partner_summary(profile) | {
        "names": profile.names,
        "cases": [
            {"id": s.id, "title": s.note.title, "division": s.note.division,
             "status": s.note.status, "start_year": s.note.start_year,
             "end_year": s.note.end_year, "risk_level": s.note.risk_level,
             "url": url_for("cases.case", case_id=s.id)}
            for s in profile.cases
        ],
        "lessons": [
            {"id": lesson.id, "kind": lesson.kind, "text": lesson.text, "case_id": s.id,
             "url": url_for("cases.lesson", lesson_id=lesson.id)}
            for lesson, s in profile.lessons
        ],
        "proposals": [
            {"reference": p.reference, "title": p.title, "state": p.state,
             "division": p.division or None, "received": p.created_at,
             "url": url_for("proposals.proposal", reference=p.reference)}
            for p in profile.proposals
        ],
        "screenings": [screening_json(s, profile) for s in profile.screenings],
    }


@api.get("/proposals/stats")
def api_proposal_stats():
    return current_library().proposals.stats(current_viewer())


def partner_summary(profile: PartnerProfile) -> dict[str, Any]:
    return {
        "slug": profile.slug, "name": profile.name,
        "url": url_for("partners.partner", slug=profile.slug),
        "partner_types": sorted(t for t in profile.types if t),
        "divisions": profile.divisions, "cases": len(profile.cases),
        "proposals": len(profile.proposals), "expired_screenings": len(profile.expired),
    }


def screening_json(screening, profile: PartnerProfile) -> dict[str, Any]:
    return {
        "subject_type": screening.subject_type, "subject_id": screening.subject_id,
        "tier": screening.tier, "excluded": screening.excluded, "path": screening.path,
        "screened_by": screening.screened_by, "screened_at": screening.screened_at,
        "expires_on": screening.expires_on.isoformat(),
        "expired": screening.expired(profile.today),
        "rules": [r["rule"] for r in screening.reasons if r["tier"] == screening.tier],
    }


def partner_links(names: list[str]) -> list[dict[str, str]]:
    """Partner names as the API shows them: name, slug and profile address."""
    return [{"name": name, "url": partner_url(name),
             "slug": partner_url(name).rsplit("/", 1)[-1]} for name in names]


def _touches(change, profile: PartnerProfile) -> bool:
    from ..partners import partner_key

    keys = {partner_key(n) for n in profile.names}
    return any(value in profile.names or value in keys or after == profile.slug
               or before == profile.slug for _, value, before, after in change.rows)


def _comment() -> str:
    return " ".join(request.form.get("comment", "").split())[:2000]
