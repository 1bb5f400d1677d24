"""A contribution form posted over the size limit keeps what was typed: it is read once more
under a bounded ceiling and sent back, with the field to shorten and by how much."""

from __future__ import annotations

import math
from urllib.parse import urlencode

from flask import request
from flask_wtf.csrf import validate_csrf
from werkzeug.datastructures import MultiDict
from wtforms import ValidationError as CSRFInvalid

from ..errors import Problem
from .noteform import ROW_KEY

RECOVER_UP_TO = 4  # forms up to this many times the limit are read back; larger are refused
FORM_TYPE = "application/x-www-form-urlencoded"


def read_oversized_form(limit: int) -> MultiDict | None:
    """The refused request's form, read with a ceiling of ``RECOVER_UP_TO`` times ``limit``;
    None when it is larger, not a plain form, or does not carry this site's CSRF token."""
    length = request.content_length
    if length is None or length > limit * RECOVER_UP_TO or request.mimetype != FORM_TYPE:
        return None
    if "form" in request.__dict__ or "stream" in request.__dict__:
        return None  # already partly read: what is left cannot be trusted
    request.max_content_length = request.max_form_memory_size = limit * RECOVER_UP_TO
    form = request.form
    try:
        validate_csrf(form.get("csrf_token"))
    except CSRFInvalid:
        return None
    return form


def oversize_problems(form: MultiDict, length: int, limit: int) -> list[Problem]:
    """Which fields to shorten, largest first, and by about how many characters, until the
    form fits within ``limit`` bytes as the browser sends it."""
    over = length - limit
    sizes = sorted(
        ((len(urlencode([(key, value)])), key, value)
         for key, value in form.items(multi=True) if key != "csrf_token"),
        reverse=True,
    )
    problems = []
    for encoded, key, value in sizes:
        if over <= 0:
            break
        cut = min(over, encoded)
        characters = math.ceil(cut * len(value) / encoded) if encoded else 0
        problems.append(Problem("form", _field(key), (
            f"too long by about {characters:,} characters: the form came to {length:,} bytes "
            f"and this site accepts {limit:,} at once. Shorten it (or move part of it to a "
            "linked document), then save again."
        )))
        over -= cut
    return problems


def _field(key: str) -> str:
    """A form input's name as a problem's field path: ``lessons-2-text`` is ``lessons[2].text``."""
    match = ROW_KEY.fullmatch(key)
    return f"{match.group(1)}[{match.group(2)}].{match.group(3)}" if match else key
