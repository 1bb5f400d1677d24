"""Attached files: download (to those who may see the note, 404 to anyone else), attach and
remove on the contribution page, and the printable case brief (HTML and Word)."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, redirect, render_template, request, send_file, url_for

from ..errors import Problem, ValidationError
from ..files.filetypes import MEDIA_TYPES, human_size
from .auth import current_viewer
from .context import current_library
from .contribute import current_contributions

blueprint = Blueprint("documents", __name__)
UPLOAD_ENDPOINTS = {"documents.attach", "responses.upload"}


def init_uploads(app: Flask) -> None:
    """Let the file upload forms take files up to the attachment limit, while every other
    request keeps the site's small limit; runs before the CSRF check reads the form."""

    def larger_limit_for_uploads() -> None:
        if request.endpoint in UPLOAD_ENDPOINTS:
            limit = current_library().settings.max_attachment_bytes
            request.max_content_length = limit + 256 * 1024

    app.before_request_funcs.setdefault(None, []).insert(0, larger_limit_for_uploads)


@blueprint.get("/cases/<case_id>/attachments/<sha256>")
def download(case_id: str, sha256: str):
    """The file, always as a download with a fixed content type, never rendered in place."""
    attachment, path = current_library().attached_file(case_id, sha256, current_viewer())
    response = send_file(path, mimetype=MEDIA_TYPES.get(attachment.type,
                                                        "application/octet-stream"),
                         as_attachment=True, download_name=attachment.name, max_age=0,
                         conditional=True)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@blueprint.get("/evaluations/<evaluation_id>/files/<sha256>")
def original(evaluation_id: str, sha256: str):
    """An evaluation's original document, as a download."""
    found, path = current_library().evaluation_file(evaluation_id, sha256)
    response = send_file(path, mimetype=MEDIA_TYPES.get(found.type, "application/octet-stream"),
                         as_attachment=True, download_name=found.name, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@blueprint.post("/contribute/<case_id>/attachments")
def attach(case_id: str):
    """Attach one or more files; what reading each one found is shown on the note's page."""
    service, viewer = current_contributions(), current_viewer()
    uploads = [item for item in request.files.getlist("files") if item.filename]
    if not uploads:
        raise ValidationError([Problem("upload", "files", "choose a file to attach")])
    expected = request.form.get("expected_revision", type=int)
    reports = []
    for item in uploads:
        outcome = service.attach(viewer, case_id, item.filename or "", item.read(),
                                 expected_revision=expected)
        expected = outcome.saved.revision
        added = outcome.added
        reports.append(f"{added.attachment.name}: {added.message or 'searchable'}")
    return redirect(url_for("contribute.note", case_id=case_id, done="attached",
                            attached=reports), 303)


@blueprint.post("/contribute/<case_id>/attachments/<sha256>/remove")
def remove(case_id: str, sha256: str):
    current_contributions().detach(current_viewer(), case_id, sha256,
                                   expected_revision=request.form.get("expected_revision",
                                                                      type=int))
    return redirect(url_for("contribute.note", case_id=case_id, done="removed"), 303)


@blueprint.get("/cases/<case_id>/brief")
def brief(case_id: str):
    found = current_library().brief(case_id, current_viewer())
    return render_template("brief.html", brief=found, note=found.note)


@blueprint.get("/cases/<case_id>/brief.docx")
def brief_docx(case_id: str):
    data = current_library().brief_docx(case_id, current_viewer())
    response = Response(data, mimetype=MEDIA_TYPES["docx"])
    response.headers["Content-Disposition"] = f'attachment; filename="{case_id}-brief.docx"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@blueprint.app_template_filter("filesize")
def filesize(count: int) -> str:
    return human_size(int(count or 0))


@blueprint.app_context_processor
def document_helpers() -> dict:
    return {"brief_facts": _facts, "attached_files": _attached_files,
            "attachment_limit": current_library().settings.max_attachment_bytes}


def _facts(found):
    from ..files.briefs import facts

    return facts(found)


def _attached_files(note) -> dict:
    """What reading each attached file found, by hash (for sizes, pages and warnings)."""
    return current_library().attached_files(note)
