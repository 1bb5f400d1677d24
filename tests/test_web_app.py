"""The application factory: configuration order, the default viewer, trusted headers, errors."""

import logging
from dataclasses import replace

import pytest
from flask import Flask

from kmsearch.access import ANONYMOUS
from kmsearch.config import Settings
from kmsearch.web import create_app
from kmsearch.web.auth import current_viewer


@pytest.fixture
def settings(tmp_path):
    return Settings.from_env(environ={}, db_path=tmp_path / "k.db", index_dir=tmp_path / "idx")


def viewer_of(app: Flask, headers: dict | None = None):
    with app.test_request_context("/", headers=headers or {}):
        return current_viewer()


def test_create_app_does_no_work_until_a_request(tmp_path, settings):
    create_app({"SETTINGS": settings})
    assert not (tmp_path / "k.db").exists()


def test_default_viewer_is_anonymous(settings):
    assert viewer_of(create_app({"SETTINGS": settings})) == ANONYMOUS


def test_local_demo_can_default_to_a_staff_viewer(settings, monkeypatch):
    monkeypatch.setenv("KMSEARCH_DEFAULT_VIEWER", "staff")
    viewer = viewer_of(create_app({"SETTINGS": settings}))
    assert viewer.signed_in and viewer.roles == {"viewer"}


def test_an_unknown_default_viewer_is_refused_with_the_accepted_values(settings):
    with pytest.raises(ValueError, match="anonymous, staff"):
        create_app({"SETTINGS": settings, "DEFAULT_VIEWER": "admin"})


def test_instance_file_is_read_and_environment_wins_over_it(tmp_path, settings, monkeypatch):
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "kmsearch.cfg").write_text('DEFAULT_VIEWER = "staff"\nTRUST_USER_HEADER = True\n')
    settings = replace(settings, instance_dir=instance)
    app = create_app({"SETTINGS": settings})
    assert app.config["DEFAULT_VIEWER"] == "staff" and app.config["TRUST_USER_HEADER"] is True
    monkeypatch.setenv("KMSEARCH_TRUST_USER_HEADER", "false")
    assert create_app({"SETTINGS": settings}).config["TRUST_USER_HEADER"] is False


def test_identity_headers_are_ignored_unless_trusted(settings):
    headers = {"X-Remote-User": "eve", "X-Remote-Roles": "admin"}
    assert viewer_of(create_app({"SETTINGS": settings}), headers) == ANONYMOUS


def test_trusted_identity_headers_make_a_signed_in_viewer(settings):
    app = create_app({"SETTINGS": settings, "TRUST_USER_HEADER": True, "TRUST_ROLE_HEADERS": True})
    headers = {"X-Remote-User": "cora", "X-Remote-Roles": "contributor, Bogus",
               "X-Remote-Divisions": "Statistics,transport"}
    viewer = viewer_of(app, headers)
    assert viewer.username == "cora"
    assert viewer.roles == {"contributor"}
    assert viewer.divisions == {"statistics", "transport"}


def test_an_unexpected_error_is_a_plain_500_page_and_is_logged(settings, caplog):
    app = create_app({"SETTINGS": settings})

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    with caplog.at_level(logging.ERROR):
        response = app.test_client().get("/boom")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "Something went wrong" in html
    assert "secret internals" not in html and "Traceback" not in html
    assert "secret internals" in caplog.text


def test_an_unexpected_api_error_is_a_json_500(settings):
    app = create_app({"SETTINGS": settings})

    @app.get("/api/v1/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = app.test_client().get("/api/v1/boom")
    assert response.status_code == 500
    assert response.json["error"]["status"] == 500
    assert "secret internals" not in response.get_data(as_text=True)


def test_unknown_page_is_a_404_page_that_says_what_happened(settings):
    response = create_app({"SETTINGS": settings}).test_client().get("/no/such/page")
    assert response.status_code == 404
    assert "There is no page at /no/such/page" in response.get_data(as_text=True)


def test_wrong_method_is_a_405_with_allow_header(settings):
    response = create_app({"SETTINGS": settings}).test_client().get("/api/v1/suggest-links")
    assert response.status_code == 405
    assert response.json["error"]["message"] == "GET is not accepted at /api/v1/suggest-links."
    assert "POST" in response.headers["Allow"]
