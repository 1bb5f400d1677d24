"""The library a request is answered from."""

from __future__ import annotations

from flask import current_app

from ..library import Library


def current_library() -> Library:
    """The one Library the application was created with."""
    return current_app.extensions["kmsearch"]
