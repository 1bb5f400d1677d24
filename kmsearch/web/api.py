"""The JSON API, version 1: the same service calls as the pages, answered as JSON."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, request, url_for

from ..errors import Problem, ValidationError
from ..files.export import to_csv, to_json
from ..library import StoredCase
from ..records import Lesson, Recommendation
from ..search.serialize import hit_json, search_json
from ..workflow.monitoring.service import KeyAction
from .auth import current_viewer
from .context import current_library
from .lookups import link_counts
from .params import parse_page
from .partners import partner_links
from .search import read_search_request, run_search

blueprint = Blueprint("api", __name__, url_prefix="/api/v1")
OPENAPI = Path(__file__).with_name("openapi.json")
MAX_TEXT = 20_000
EXPORT_TYPES = {"json": "application/json", "csv": "text/csv"}


@blueprint.get("/search")
def search():
    results = run_search(read_search_request())
    answer = search_json(results, url=_url)
    for hit_json_, hit in zip(answer["hits"], results.hits, strict=True):
        hit_json_["partners"] = partner_links([n for n in hit.doc.partners.split("; ") if n])
    return answer


@blueprint.post("/search")
def search_text():
    """The same search with its parameters in a JSON or form body: for long texts ("like")."""
    body = _json_body() if request.is_json else request.form.to_dict(flat=False)
    if not isinstance(body, dict):
        raise ValidationError([Problem("request", "body", "expected a JSON object or a form "
                                       "with q or like and the search parameters")])
    return search_json(run_search(read_search_request(body)), url=_url)


@blueprint.get("/cases")
def cases():
    library = current_library()
    page, per_page = parse_page(request.args, library.search.limits)
    visible = library.cases(current_viewer())
    chosen = visible[(page - 1) * per_page : page * per_page]
    return {
        "total": len(visible), "page": page, "per_page": per_page,
        "cases": [case_summary(stored) for stored in chosen],
    }


@blueprint.get("/cases/<case_id>")
def case(case_id: str):
    stored = current_library().get_case(case_id, current_viewer())
    note = stored.note
    return case_summary(stored) | {
        "partners": [asdict(p) | link for p, link in zip(
            note.partners, partner_links([p.name for p in note.partners]), strict=True)],
        "partnership_types": note.partnership_types,
        "recommendations": note.recommendations,
        "end_year": note.end_year,
        "visibility": note.visibility,
        "risk_level": note.risk_level,
        "body": note.body,
        "lessons": [lesson_json(lesson) for lesson in note.lessons],
        "extra": note.extra,
        "attachments": [
            {"name": a.name, "type": a.type, "size": a.size, "sha256": a.sha256,
             "url": url_for("documents.download", case_id=note.id, sha256=a.sha256)}
            for a in note.attachments
        ],
        "revision": stored.revision,
        "created_at": stored.created_at,
        "updated_at": stored.updated_at,
    }


@blueprint.get("/export")
def export():
    """Every published note the caller may see, in the formats of ``kmsearch export``."""
    fmt = request.args.get("format", "json")
    if fmt not in EXPORT_TYPES:
        raise ValidationError([Problem("query", "format",
                                       f"expected json or csv, found {fmt!r}")])
    notes = [stored.note for stored in current_library().cases(current_viewer())]
    body = to_json(notes) if fmt == "json" else to_csv(notes)
    disposition = f'attachment; filename="kmsearch-cases.{fmt}"'
    return Response(body, mimetype=EXPORT_TYPES[fmt],
                    headers={"Content-Disposition": disposition})


@blueprint.get("/lessons/<lesson_id>")
def lesson(lesson_id: str):
    found, stored = current_library().get_lesson(lesson_id, current_viewer())
    return lesson_json(found) | {"case": case_summary(stored)}


@blueprint.get("/recommendations")
def recommendations():
    library = current_library()
    counts = link_counts(library.cases(current_viewer()))["recommendation"]
    evaluations = library.evaluations()
    rows, today = library.monitoring.rows(evaluations), library.monitoring.today()
    return {
        "today": today.isoformat(),
        "evaluations": [
            {"id": ev.id, "title": ev.title, "period": ev.period,
             "date": ev.date.isoformat() if ev.date else None, "default": ev.default,
             "recommendations": [rec_json(rec) | {"case_count": counts[rec.id]}
                                 | followup_json(rows[rec.id].actions, today, {})
                                 for rec in ev.recommendations]}
            for ev in evaluations
        ]
    }


@blueprint.get("/recommendations/<path:rec_id>")
def recommendation(rec_id: str):
    library, viewer = current_library(), current_viewer()
    view = library.recommendation(rec_id, viewer)
    follow = library.monitoring.recommendation_followup(rec_id, viewer)
    return rec_json(view.recommendation) | {
        "evaluation": {"id": view.evaluation.id, "title": view.evaluation.title},
        "today": follow.today.isoformat(),
    } | followup_json(follow.actions, follow.today, follow.evidence) | {
        "progress_notes": [
            {"date": p.date.isoformat() if p.date else None, "status": p.status,
             "text": p.text, "author": p.author}
            for p in library.progress_notes(rec_id)
        ],
        "cases": [case_summary(stored) for stored in view.cases],
        "lessons": [lesson_json(lesson) for lesson, _ in view.lessons],
    }


@blueprint.get("/stats")
def stats():
    """The monitoring dashboard's figures, with its filters (signed-in staff)."""
    monitoring = current_library().monitoring
    filters = monitoring.read_filters(request.args.to_dict(flat=False))
    return monitoring.figures(current_viewer(), filters).to_json()


@blueprint.get("/taxonomy")
def taxonomy():
    return current_library().taxonomy.to_dict()


@blueprint.post("/suggest-links")
def suggest_links():
    text = _posted_text()
    found = current_library().search.suggest_links(text, current_viewer())
    return {
        group: [asdict(s) for s in getattr(found, group)]
        for group in ("nexus_areas", "recommendations", "sdgs")
    } | {"cases": [hit_json(hit, url=_url) for hit in found.cases]}


@blueprint.get("/openapi.json")
def openapi():
    return Response(_openapi_text(), mimetype="application/json")


@cache
def _openapi_text() -> str:
    return OPENAPI.read_text(encoding="utf-8")


def _json_body() -> Any:
    """The request's JSON, or None when it is not JSON (nested deeper than the decoder goes
    included: that raises RecursionError, which ``silent`` does not catch)."""
    try:
        return request.get_json(silent=True)
    except RecursionError:
        return None


def _posted_text() -> str:
    """The ``text`` field of a JSON object or a form; a ValidationError says what to send."""
    if request.is_json:
        body = _json_body()
        text = body.get("text") if isinstance(body, dict) else None
    else:
        text = request.form.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ValidationError([Problem("request", "text", 'expected a JSON object '
                                       '{"text": "..."} or a form field text with some text')])
    if len(text) > MAX_TEXT:
        raise ValidationError([Problem("request", "text", f"the text is {len(text)} characters "
                                       f"long; send at most {MAX_TEXT}")])
    return text


def case_summary(stored: StoredCase) -> dict[str, Any]:
    note = stored.note
    return {
        "id": note.id, "type": "case", "title": note.title, "url": _url("case", note.id),
        "summary": note.summary, "division": note.division, "status": note.status,
        "start_year": note.start_year, "good_practice": note.good_practice,
        "nexus_areas": note.nexus_areas, "sdgs": note.sdgs,
    }


def lesson_json(lesson: Lesson) -> dict[str, Any]:
    return {
        "id": lesson.id, "type": "lesson", "case_id": lesson.case_id, "kind": lesson.kind,
        "text": lesson.text, "url": _url("lesson", lesson.id),
    }


def rec_json(rec: Recommendation) -> dict[str, Any]:
    return asdict(rec) | {
        "id": rec.id, "timeline": rec.timeline.isoformat() if rec.timeline else None,
        "url": url_for("recommendations.recommendation", rec_id=rec.id),
    }


def followup_json(actions: list[KeyAction], today: date,
                  evidence: dict[str, str]) -> dict[str, Any]:
    """Key actions with overdue flags and progress updates; an evidence note the caller may
    not see is left out (only its presence is kept)."""
    overdue = [a for a in actions if a.overdue(today)]
    return {
        "overdue": bool(overdue),
        "overdue_actions": len(overdue),
        "actions": [
            {"id": a.id, "text": a.text, "responsible_unit": a.responsible_unit,
             "due_date": a.due_date.isoformat() if a.due_date else None, "status": a.status,
             "overdue": a in overdue, "source": a.source, "version": a.version,
             "created_by": a.created_by, "created_at": a.created_at,
             "updated_by": a.updated_by, "updated_at": a.updated_at,
             "updates": [
                 {"date": u.date.isoformat(), "text": u.text, "status": u.status,
                  "evidence_url": u.evidence_url or None,
                  "evidence_case": ({"id": u.evidence_case_id,
                                     "url": _url("case", u.evidence_case_id)}
                                    if u.evidence_case_id in evidence else None),
                  "author": u.author, "created_at": u.created_at}
                 for u in a.updates
             ]}
            for a in actions
        ],
    }


def _url(kind: str, item_id: str) -> str:
    if kind == "lesson":
        return url_for("cases.lesson", lesson_id=item_id)
    return url_for("cases.case", case_id=item_id)

