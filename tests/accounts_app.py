"""The accounts test application: an empty library with three accounts, the app with two test
routes, and helpers to sign in through the form. Test modules load it with ``pytest_plugins``."""

import re
import sqlite3
from pathlib import Path

import pytest
from flask import Flask

from kmsearch.config import Settings
from kmsearch.library import Library
from kmsearch.web import create_app
from kmsearch.web.auth import current_viewer

PASSWORD = "correct horse battery"


@pytest.fixture(scope="session")
def accounts_db(tmp_path_factory) -> Path:
    """The three accounts' database, made once: hashing passwords is deliberately slow."""
    return three_accounts(tmp_path_factory.mktemp("accounts")).db_path


@pytest.fixture
def settings(accounts_db, tmp_path):
    """A fresh copy of that library for each test."""
    with sqlite3.connect(accounts_db) as source, sqlite3.connect(tmp_path / "k.db") as copy:
        source.backup(copy)
    return Settings.from_env(environ={}, db_path=tmp_path / "k.db", index_dir=tmp_path / "idx")


def three_accounts(tmp_path) -> Settings:
    """An empty library with three accounts: a contributor, a reviewer and a disabled user."""
    settings = Settings.from_env(environ={}, db_path=tmp_path / "k.db",
                                 index_dir=tmp_path / "idx")
    library = Library(settings)
    library.accounts.add("alice", PASSWORD, roles=["contributor"], divisions=["trade"])
    library.accounts.add("rita", PASSWORD, roles=["reviewer"])
    library.accounts.add("dora", PASSWORD)
    library.accounts.disable("dora")
    library.close()
    return settings


def make_app(settings: Settings, tmp_path, **config) -> Flask:
    """The application, plus two routes for the tests: who is asking, and an API write."""
    app = create_app({"SETTINGS": settings, "SECRET_KEY_FILE": str(tmp_path / "secret_key"),
                      **config})

    @app.get("/test/whoami")
    def whoami():
        viewer = current_viewer()
        return {"username": viewer.username, "roles": sorted(viewer.roles),
                "divisions": sorted(viewer.divisions)}

    @app.post("/api/v1/test-write")
    def api_write():
        return {"written": True}

    return app


@pytest.fixture
def app(settings, tmp_path):
    return make_app(settings, tmp_path)


@pytest.fixture
def client(app):
    return app.test_client()


def store_of(app: Flask):
    return app.extensions["kmsearch"].store


def accounts_of(app: Flask):
    return app.extensions["kmsearch"].accounts


def csrf_token(client) -> str:
    html = client.get("/login").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def sign_in(client, username="alice", password=PASSWORD, next_url="", **kwargs):
    form = {"csrf_token": csrf_token(client), "username": username, "password": password,
            "next": next_url}
    return client.post("/login", data=form, **kwargs)


def whoami(client) -> dict:
    """The viewer the next request of ``client`` is answered for."""
    return client.get("/test/whoami").get_json()
