"""A private copy of the web tests' library for tests that change data: contributions, review,
uploads. Copying the built database and indexes takes a moment; building them takes a minute."""

from __future__ import annotations

import io
import shutil
import sqlite3
from dataclasses import replace
from pathlib import Path

from flask import Flask
from web_library import shared_settings

from kmsearch.access import staff
from kmsearch.config import Settings
from kmsearch.web import create_app

TRADE = staff("tina", "contributor", divisions=("trade",))
TRANSPORT = staff("tom", "contributor", divisions=("transport",))
REVIEWER = staff("rita", "reviewer")
ADMIN = staff("ada", "admin")
READER = staff("vic")

TRANSPORT_PUBLIC = "road-safety-campaign-sponsorship"
TRADE_RESTRICTED = "critical-raw-materials-traceability"
STATISTICS_RESTRICTED = "mobile-phone-data-tourism"


def copied_settings(tmp_path_factory, name: str) -> Settings:
    """Settings of a fresh copy of the shared library in its own temp dir."""
    source = shared_settings(tmp_path_factory)
    return copy_library(source, tmp_path_factory.mktemp(name))


def copy_library(source: Settings, target: Path) -> Settings:
    db_path, index_dir = target / "kmsearch.db", target / "indexes"
    with sqlite3.connect(source.db_path) as src, sqlite3.connect(db_path) as dst:
        src.backup(dst)
    shutil.copytree(source.index_dir, index_dir)
    return replace(source, db_path=db_path, index_dir=index_dir)


def form_fields(title: str = "Customs data exchange with freight forwarders", **changes) -> dict:
    """A complete contribution form's fields, as a contributor of Trade would fill it in."""
    return {
        "title": title,
        "summary": "Freight forwarders shared customs data to test a single window.",
        "division": "trade",
        "partners": [{"name": "Example Forwarders", "type": "business"}],
        "partnership_types": ["data-sharing"],
        "nexus_areas": ["mobility-connectivity"],
        "sdgs": ["9", "17"],
        "recommendations": ["private-sector-2021/6"],
        "start_year": "2022",
        "end_year": "",
        "status": "active",
        "good_practice": "",
        "visibility": "internal",
        "risk_level": "low",
        "lessons": [{"kind": "lesson", "text": "Agree the data format before the pilot."}],
    } | changes


def contribution_app(tmp_path_factory, name: str, **config) -> Flask:
    """An application over a fresh copy of the shared library that trusts identity headers."""
    settings = copied_settings(tmp_path_factory, name)
    return create_app({"SETTINGS": settings, "TRUST_USER_HEADER": True,
                       "TRUST_ROLE_HEADERS": True, "SECRET_KEY": f"{name}-tests-secret-key",
                       "TESTING": True, **config})


def xlsx_bytes(rows: list[list]) -> bytes:
    """An .xlsx workbook whose first sheet holds ``rows``."""
    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
