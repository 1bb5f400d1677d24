"""The library the web tests share: the shipped corpus ingested into a temp dir, indexes built,
plus notes that exercise sanitising and revision history (built once per session by the
``web_settings`` fixture in conftest.py), and helpers for apps and requests over it."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

from kmsearch.config import PROJECT_ROOT, Settings
from kmsearch.library import Library
from kmsearch.records import CaseNote, Lesson, Partner
from kmsearch.web import create_app

HOSTILE_BODY = """\
## Context

<script>alert("body")</script>
<img src=x onerror="alert('img')">
[a harmless link](https://unece.org/trade) and [a bad one](javascript:alert('link'))
<a href="javascript:alert('raw')" onclick="alert('click')">raw anchor</a>

# A top heading written too high

| column | other |
| --- | --- |
| cell | value |
"""

HOSTILE = CaseNote(
    id="hostile-markdown-test",
    title="A public note whose body tries to inject script",
    division="trade",
    partners=[Partner("Example Exporters Ltd", "business")],
    partnership_types=["joint-project"],
    nexus_areas=["mobility-connectivity"],
    sdgs=[9],
    recommendations=["private-sector-2021/6"],
    start_year=2020,
    end_year=2021,
    status="completed",
    visibility="public",
    summary="A note saved from the web with hostile Markdown, to check the page stays safe.",
    lessons=[Lesson("hostile-markdown-test", 1, "pitfall", "Never trust Markdown from a form.")],
    body=HOSTILE_BODY,
)

def build_library(directory: Path) -> Settings:
    """Ingest the shipped corpus and the hostile note into ``directory``; index them."""
    settings = Settings.from_env(
        environ={k: v for k, v in os.environ.items() if k == "KMSEARCH_EMBEDDING_CACHE"},
        db_path=directory / "kmsearch.db", index_dir=directory / "indexes",
        corpus_dir=PROJECT_ROOT / "corpus",
    )
    library = Library(settings)
    report = library.ingest()
    assert report.ok, report.problems
    library.save_case(HOSTILE, author="alice", comment="first draft", origin="web")
    edited = CaseNote.from_dict(HOSTILE.to_dict() | {"end_year": 2022})
    library.save_case(edited, author="bob", comment="corrected the end year")
    library.search.indexes.flush()
    library.close()
    return settings


def make_app(settings: Settings, **config) -> Flask:
    """The application over ``settings``; identity headers, roles and divisions included, are
    trusted unless told otherwise."""
    config = {"TRUST_USER_HEADER": True, "TRUST_ROLE_HEADERS": True} | config
    return create_app({"SETTINGS": settings, **config})


def signed_in(user: str = "sam", roles: str = "viewer", divisions: str = "") -> dict[str, str]:
    """Headers that make a signed-in viewer when TRUST_USER_HEADER is on."""
    return {"X-Remote-User": user, "X-Remote-Roles": roles, "X-Remote-Divisions": divisions}


def watch_errors(page):
    """Record the page's console errors and uncaught exceptions in ``page.errors``."""
    page.errors = []
    page.on("console", lambda message: message.type == "error" and page.errors.append(message.text))
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    return page
