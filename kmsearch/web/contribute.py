"""Contribute case notes: the form (new, edit, unfinished drafts), autosave, uploads, My notes,
and the page that shows a note in any workflow state with the steps open to the viewer."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for
from werkzeug.exceptions import RequestEntityTooLarge

from ..access import Viewer
from ..errors import Forbidden, KmsearchError, NotFound, Problem, ValidationError
from ..library import StoredCase
from ..workflow.contributions import Contributions, EditConflict, WorkItem, note_fields
from ..workflow.permissions import may_contribute, may_edit_division, may_review, may_see_history
from ..workflow.uploads import MAX_ROWS, MAX_UPLOAD_BYTES, SUFFIXES, check_files, describe
from .auth import current_viewer, viewer_source
from .context import current_library
from .errors import error_response
from .jobs import current_jobs
from .markdown import render_markdown
from .noteform import (
    NoteForm,
    errors_by_input,
    field_label,
    input_id,
    read_form,
    without_blank_rows,
)
from .oversize import oversize_problems, read_oversized_form
from .security import too_large

blueprint = Blueprint("contribute", __name__)
SUGGESTION_TEXT_LIMIT = 20_000
FORM_ENDPOINTS = ("contribute.new", "contribute.edit", "contribute.draft")
BACKGROUND_BYTES = 32 * 1024  # larger uploads (about 50 rows and more) run in the background


def current_contributions() -> Contributions:
    """The library's contribution and review service."""
    return current_library().contributions


# Pages only a contributor's account can use: a viewer without one is sent to sign in.
CONTRIBUTOR_PAGES = ("contribute.my_notes", "contribute.new", "contribute.upload")


def sign_in_first():
    """Send a visitor who is not signed in to the sign-in page, then back here; so too a viewer
    without an account (a demo's default viewer) asking for a contributor's page."""
    viewer = current_viewer()
    if request.method != "GET":
        return None
    needs_account = (request.endpoint in CONTRIBUTOR_PAGES and not may_contribute(viewer)
                     and viewer_source() == "default")
    if viewer.signed_in and not needs_account:
        return None
    if "signin.login" not in current_app.view_functions:
        return None
    return redirect(url_for("signin.login", next=request.full_path.rstrip("?")), 303)


blueprint.before_request(sign_in_first)


@blueprint.app_context_processor
def contribution_navigation() -> dict:
    return {"contribution_nav": contribution_nav}


def contribution_nav() -> list[tuple[str, str, bool]]:
    """Navigation entries for the viewer's roles: (address, label, is the current section)."""
    viewer, endpoint = current_viewer(), request.endpoint or ""
    entries = []
    if may_contribute(viewer):
        entries.append((url_for("contribute.new"), "Contribute",
                        endpoint.startswith("contribute.") and endpoint != "contribute.my_notes"))
        entries.append((url_for("contribute.my_notes"), "My notes",
                        endpoint == "contribute.my_notes"))
    if may_review(viewer):
        entries.append((url_for("review.queue"), "Review", endpoint.startswith("review.")))
    return entries


@blueprint.route("/contribute/new", methods=["GET", "POST"])
def new():
    viewer = current_viewer()
    if request.method == "GET":
        _require_contributor(viewer)
        divisions = sorted(viewer.divisions)
        start = NoteForm(fields={"division": divisions[0] if len(divisions) == 1 else "",
                                 "visibility": "internal", "risk_level": "low",
                                 "status": "active"})
        return _render_form(start)
    return _post_form(None)


@blueprint.route("/contribute/<case_id>/edit", methods=["GET", "POST"])
def edit(case_id: str):
    service, viewer = current_contributions(), current_viewer()
    if request.method == "POST":
        return _post_form(case_id)
    stored = service.editable(viewer, case_id)
    conflict, working = None, service.work_item(stored).note
    note_form = NoteForm(fields=note_fields(working), body=working.body,
                         expected_revision=stored.latest_revision)
    if draft_id := request.args.get("draft", type=int):
        draft = service.draft(viewer, draft_id)
        _check_draft_of(draft.case_id, case_id)
        note_form = NoteForm(fields=draft.fields, body=draft.body, draft_id=draft.id,
                             expected_revision=stored.latest_revision)
    elif conflict_id := request.args.get("conflict", type=int):
        conflict = service.draft(viewer, conflict_id)
        _check_draft_of(conflict.case_id, case_id)
    return _render_form(note_form, stored=stored, conflict=conflict,
                        comparison=conflict and service.compare_draft(viewer, conflict.id),
                        saved=request.args.get("saved", type=int))


@blueprint.route("/contribute/drafts/<int:draft_id>", methods=["GET", "POST"])
def draft(draft_id: int):
    found = current_contributions().draft(current_viewer(), draft_id)
    if request.method == "POST":
        return _post_form(found.case_id)
    if found.case_id:
        return redirect(url_for("contribute.edit", case_id=found.case_id, draft=draft_id), 303)
    return _render_form(NoteForm(fields=found.fields, body=found.body, draft_id=found.id))


@blueprint.post("/contribute/drafts/<int:draft_id>/discard")
def discard(draft_id: int):
    current_contributions().discard_draft(current_viewer(), draft_id)
    return redirect(url_for("contribute.my_notes", done="discarded"), 303)


@blueprint.post("/contribute/autosave")
def autosave():
    """Keep the form as it is, for ``static/autosave.js``; answers with the draft's id."""
    note_form = read_form(request.form)
    found = current_contributions().autosave(
        current_viewer(), without_blank_rows(note_form), note_form.body,
        case_id=request.form.get("case_id") or None, draft_id=note_form.draft_id,
        expected_revision=note_form.expected_revision,
    )
    return {"draft_id": found.id, "saved_at": found.updated_at}


@blueprint.get("/contribute/<case_id>")
def note(case_id: str):
    """A note in any state, with the workflow steps this viewer may take."""
    service, viewer = current_contributions(), current_viewer()
    stored = service.view(viewer, case_id)
    item = service.work_item(stored)
    return render_template(
        "contribute_note.html", stored=stored, note=item.note, item=item,
        recommendations=current_library().linked_recommendations(item.note),
        steps=_steps(viewer, stored, item), done=request.args.get("done", ""),
        attached=request.args.getlist("attached")[:20],
    )


@blueprint.post("/contribute/<case_id>/submit")
def submit(case_id: str):
    viewer = current_viewer()
    try:
        current_library().submit(viewer, case_id, request.form.get("expected_revision", type=int),
                                 request.form.get("comment", ""))
    except ValidationError as error:  # what the note lacks, shown next to each field
        stored = current_contributions().editable(viewer, case_id)
        working = current_contributions().work_item(stored).note
        note_form = NoteForm(fields=note_fields(working), body=working.body,
                             expected_revision=stored.latest_revision)
        return _render_form(note_form, stored=stored, problems=error.problems, status=422)
    return redirect(url_for("contribute.note", case_id=case_id, done="submitted"), 303)


@blueprint.post("/contribute/<case_id>/archive")
def archive(case_id: str):
    current_contributions().archive(current_viewer(), case_id, request.form.get("comment", ""))
    return redirect(url_for("contribute.note", case_id=case_id, done="archived"), 303)


@blueprint.get("/my-notes")
def my_notes():
    viewer = current_viewer()
    mine = current_contributions().my_notes(viewer)
    return render_template("my_notes.html", mine=mine, done=request.args.get("done", ""),
                           contributor=may_contribute(viewer))


@blueprint.route("/contribute/upload", methods=["GET", "POST"])
def upload():
    viewer = current_viewer()
    _require_contributor(viewer)
    if request.method == "GET":
        return _render_upload(None)
    files = [(item.filename or "", item.read(MAX_UPLOAD_BYTES + 1))
             for item in request.files.getlist("files") if item.filename]
    service = current_contributions()
    if sum(len(data) for _, data in files) > BACKGROUND_BYTES and not check_files(files):
        job = current_jobs().start(viewer.username or "", "upload",
                                   lambda progress: service.import_files(viewer, files, progress,
                                                                         atomic=False))
        return redirect(url_for("bulk.upload_job", job_id=job.id), 303)
    try:
        report = service.import_files(viewer, files)
    except KmsearchError:
        raise
    except Exception:  # noqa: BLE001 - the saves were rolled back: say so, not just "error"
        current_app.logger.exception("upload failed part-way; its saves were rolled back")
        return error_response(500, "The upload failed part-way because of a server error, and "
                              "nothing from it was saved. Try again; if it fails again, tell "
                              "an administrator.")
    return _render_upload(report)


@blueprint.errorhandler(RequestEntityTooLarge)
def form_too_large(error: RequestEntityTooLarge):
    """A note form over the limit comes back with everything typed in it, saying which field
    to shorten and by how much; anything else gets the plain 413."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    form = read_oversized_form(limit) if request.endpoint in FORM_ENDPOINTS else None
    if form is None:
        return too_large(error)
    try:
        case_id = (request.view_args or {}).get("case_id")
        if request.endpoint == "contribute.draft":
            case_id = current_contributions().draft(current_viewer(),
                                                    request.view_args["draft_id"]).case_id
        elif case_id is None:
            _require_contributor(current_viewer())
        stored = current_contributions().editable(current_viewer(), case_id) if case_id else None
    except KmsearchError:
        return too_large(error)
    return _render_form(read_form(form), stored=stored, status=413, oversize=True,
                        problems=oversize_problems(form, request.content_length, limit))


def _render_upload(report) -> str:
    return render_template("contribute_upload.html", report=report, describe=describe,
                           limit=MAX_UPLOAD_BYTES, max_rows=MAX_ROWS, accept=",".join(SUFFIXES))


def _post_form(case_id: str | None):
    service, viewer = current_contributions(), current_viewer()
    note_form = read_form(request.form)
    stored = service.editable(viewer, case_id) if case_id else None
    if note_form.action in ("edit", "preview"):
        return _render_form(note_form, stored=stored, preview=note_form.action == "preview")
    fields = without_blank_rows(note_form)
    submitting = note_form.action == "submit"
    try:
        # A submission's comment goes with the submission, so that history shows it once.
        outcome = service.save_draft(
            viewer, fields, note_form.body, case_id=case_id,
            expected_revision=note_form.expected_revision,
            comment="" if submitting else note_form.comment, draft_id=note_form.draft_id,
        )
    except EditConflict as conflict:
        return redirect(url_for("contribute.edit", case_id=case_id, conflict=conflict.draft.id),
                        303)
    if not outcome.saved:
        note_form.fields, note_form.draft_id = fields, outcome.draft_id
        return _render_form(note_form, stored=stored, problems=outcome.problems, status=422)
    if submitting:
        try:
            if outcome.state != "submitted":  # a reviewer's edit keeps a submission as it is
                current_library().submit(viewer, outcome.case_id, outcome.revision,
                                         note_form.comment)
        except ValidationError as error:
            stored = service.editable(viewer, outcome.case_id)
            note_form.expected_revision, note_form.draft_id = stored.latest_revision, None
            note_form.fields = fields
            return _render_form(note_form, stored=stored, problems=error.problems, status=422,
                                saved=None if outcome.action == "unchanged" else outcome.revision)
        return redirect(url_for("contribute.note", case_id=outcome.case_id, done="submitted"),
                        303)
    return redirect(url_for("contribute.edit", case_id=outcome.case_id, saved=outcome.revision),
                    303)


def _render_form(note_form: NoteForm, *, stored: StoredCase | None = None,
                 problems: list[Problem] | None = None, preview: bool = False,
                 conflict=None, comparison=None, saved: int | None = None,
                 status: int = 200, oversize: bool = False) -> Response:
    viewer, library = current_viewer(), current_library()
    divisions = [term for term in library.taxonomy.divisions
                 if may_edit_division(viewer, term.code)]
    item = library.contributions.work_item(stored) if stored else None
    recommendations = library.recommendations()
    html = render_template(
        "contribute_form.html", form=note_form, stored=stored, divisions=divisions,
        recommendations=recommendations, rec_texts={rec.id: rec.text for rec in recommendations},
        problems=problems or [], errors=errors_by_input(problems or []),
        preview=render_markdown(note_form.body) if preview else None,
        suggestions=_suggestions(note_form, viewer), conflict=conflict, comparison=comparison,
        saved=saved, reviewer=may_review(viewer), input_id=input_id, field_label=field_label,
        oversize=oversize, max_bytes=current_app.config.get("MAX_CONTENT_LENGTH") or 0,
        item=item,
    )
    return Response(html, status=status, mimetype="text/html")


def _suggestions(note_form: NoteForm, viewer: Viewer):
    """Links the text suggests, or None while there is too little text to go on."""
    text = " ".join((note_form.value("title"), note_form.value("summary"), note_form.body))
    if len(text.split()) < 3:
        return None
    try:
        return current_library().search.suggest_links(text[:SUGGESTION_TEXT_LIMIT], viewer)
    except ValidationError:
        return None


def _steps(viewer: Viewer, stored: StoredCase, item: WorkItem) -> set[str]:
    """The workflow buttons the note page offers; the service checks each again. Submit,
    publish and return act on the pending change of a published note when it has one."""
    state, editable = stored.state, may_edit_division(viewer, stored.note.division)
    work = item.pending.state if item.pending and state == "published" else state
    steps = set()
    if editable and state != "archived":
        steps.add("edit")
    if editable and work == "draft":
        steps.add("submit")
    if may_review(viewer) and work == "submitted":
        steps.add("return")
        if current_contributions().may_publish(viewer, stored):
            steps.add("publish")
    if (editable and state in ("draft", "submitted")) or (may_review(viewer) and
                                                          state == "published"):
        steps.add("archive")
    if "admin" in viewer.roles and state == "archived":
        steps.add("restore")
    if may_see_history(viewer, stored):
        steps.add("history")
    return steps


def _require_contributor(viewer: Viewer) -> None:
    if not may_contribute(viewer):
        raise Forbidden("Only contributors, reviewers and admins add notes; sign in with such "
                        "an account, or ask an admin for the contributor role.")


def _check_draft_of(draft_case: str | None, case_id: str) -> None:
    if draft_case != case_id:
        raise NotFound(f"That draft does not belong to case note {case_id!r}.")
