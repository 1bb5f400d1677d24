"""Translate domain exceptions, once, into an HTML page or a JSON error; never show a trace."""

from __future__ import annotations

from flask import Flask, Response, current_app, jsonify, render_template, request, url_for
from werkzeug.exceptions import HTTPException

from ..errors import Conflict, Forbidden, NotFound, ValidationError
from .auth import current_viewer

# Pages of one note or lesson: a 404 there may be a note that signing in would show.
NOTE_ENDPOINTS = ("cases.case", "cases.lesson", "review.history", "documents.brief")

TITLES = {
    400: "Bad request",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request too large",
    429: "Too many requests",
    500: "Something went wrong",
}


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ValidationError)
    def validation_error(error: ValidationError):
        problems = [{"field": p.field, "message": p.message} for p in error.problems]
        message = "; ".join(_problem_text(p) for p in problems) or str(error)
        return error_response(400, message, problems)

    @app.errorhandler(NotFound)
    def not_found(error: NotFound):
        return error_response(404, str(error) or "Nothing here.", signin_hint=_signin_hint())

    @app.errorhandler(Forbidden)
    def forbidden(error: Forbidden):
        return error_response(403, str(error) or "You may not do this.")

    @app.errorhandler(Conflict)
    def conflict(error: Conflict):
        return error_response(409, str(error) or "This conflicts with a change made meanwhile.")

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        response = error_response(error.code or 500, _http_message(error))
        if error.code == 405 and error.valid_methods:
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        return error_response(500, "The server met an unexpected error; it has been logged.")


def error_response(status: int, message: str, problems: list[dict] | None = None,
                   signin_hint: str | None = None) -> Response:
    """A JSON error under /api/, an HTML page elsewhere (``signin_hint``: a sign-in address that
    comes back here, offered on the page)."""
    if request.path.startswith("/api/"):
        body = {"error": {"status": status, "message": message, "problems": problems or []}}
        response = jsonify(body)
    else:
        html = render_template(
            "error.html",
            status=status,
            title=TITLES.get(status, "Error"),
            message=message,
            problems=problems or [],
            signin_hint=signin_hint,
        )
        response = Response(html, mimetype="text/html")
    response.status_code = status
    return response


def _signin_hint() -> str | None:
    """For a visitor who is not signed in and asked for a note that is missing or that they may
    not see (the two answer alike): where to sign in and come back. None anywhere else."""
    if request.endpoint not in NOTE_ENDPOINTS or current_viewer().signed_in:
        return None
    if "signin.login" not in current_app.view_functions:
        return None
    return url_for("signin.login", next=request.full_path.rstrip("?"))


def _problem_text(problem: dict) -> str:
    return f"{problem['field']}: {problem['message']}" if problem["field"] else problem["message"]


def _http_message(error: HTTPException) -> str:
    if error.code == 404:
        return f"There is no page at {request.path}. Check the address, or search the library."
    if error.code == 405:
        return f"{request.method} is not accepted at {request.path}."
    return error.description or TITLES.get(error.code or 500, "Error")
