"""A contribution form posted over the size limit keeps what was typed: the server answers 413
with the form as sent, naming the field to shorten and by about how much."""

import re

import pytest
from accounts_app import (
    csrf_token,
    make_app,
    sign_in,
    store_of,
)

pytestmark = pytest.mark.model  # the form shown back suggests links from its text
LIMIT = 20_000
MARKER = "the last words typed before pressing save"


def contributor(settings, tmp_path, **config):
    app = make_app(settings, tmp_path, MAX_CONTENT_LENGTH=LIMIT, **config)
    client = app.test_client()
    assert sign_in(client).status_code == 303
    return app, client


def note_form(client, body: str, **fields) -> dict:
    return {"csrf_token": csrf_token(client), "title": "A partnership with a very long story",
            "division": "trade", "status": "active", "body": body, "action": "save",
            "lessons-1-kind": "lesson", "lessons-1-text": "Keep notes short.", **fields}


def test_an_oversized_note_comes_back_with_everything_typed_and_what_to_shorten(
    settings, tmp_path
):
    app, client = contributor(settings, tmp_path)
    body = "word " * 5_000 + MARKER  # about 25,000 bytes sent, 5,000 over
    response = client.post("/contribute/new", data=note_form(client, body))
    html = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "A partnership with a very long story" in html and MARKER in html
    assert "Keep notes short." in html
    found = re.search(r"The story, in Markdown: too long by about ([\d,]+) characters", html)
    assert found, html[:2000]
    assert 4_000 < int(found.group(1).replace(",", "")) < 6_500
    assert "Nothing was saved" in html and f"accepts {LIMIT:,} at once" in html
    assert list(store_of(app).db["cases"].rows) == []


def test_a_long_lesson_is_named_by_its_row(settings, tmp_path):
    _, client = contributor(settings, tmp_path)
    response = client.post("/contribute/new", data=note_form(
        client, "Short body.", **{"lessons-1-text": "x" * (LIMIT + 100)}))
    assert response.status_code == 413
    assert "Lesson 1 text: too long by about" in response.get_data(as_text=True)


def test_a_form_far_over_the_limit_gets_the_plain_answer(settings, tmp_path):
    _, client = contributor(settings, tmp_path)
    response = client.post("/contribute/new", data=note_form(client, MARKER + "x" * LIMIT * 5))
    html = response.get_data(as_text=True)
    assert response.status_code == 413 and MARKER not in html
    assert "larger than the" in html


def test_an_oversized_post_without_the_security_token_echoes_nothing(settings, tmp_path):
    _, client = contributor(settings, tmp_path)
    form = note_form(client, MARKER + "x" * LIMIT) | {"csrf_token": "forged"}
    response = client.post("/contribute/new", data=form)
    assert response.status_code == 413 and MARKER not in response.get_data(as_text=True)


def test_the_form_tells_the_script_the_limit(settings, tmp_path):
    _, client = contributor(settings, tmp_path)
    html = client.get("/contribute/new").get_data(as_text=True)
    assert f'data-max-bytes="{LIMIT}"' in html and 'id="size-error"' in html
