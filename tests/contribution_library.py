"""Accounts, ids and forms for tests that change data (contributions, review, uploads) on a
private copy of the web tests' library (the ``library_copy`` fixture in conftest.py). Copying
the built database and indexes takes a moment; building them takes a minute."""

from __future__ import annotations

import io
import shutil
import sqlite3
from dataclasses import replace
from pathlib import Path

from flask import Flask

from kmsearch.access import staff
from kmsearch.config import Settings

TRADE = staff("tina", "contributor", divisions=("trade",))
TRANSPORT = staff("tom", "contributor", divisions=("transport",))
REVIEWER = staff("rita", "reviewer")
ADMIN = staff("ada", "admin")
READER = staff("vic")

TRANSPORT_PUBLIC = "road-safety-campaign-sponsorship"
TRADE_RESTRICTED = "critical-raw-materials-traceability"
STATISTICS_RESTRICTED = "mobile-phone-data-tourism"


def copy_library(source: Settings, target: Path) -> Settings:
    """Settings of a copy of ``source``'s database and indexes in ``target``."""
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


def story(opening: str = "The pilot ran for a year.") -> str:
    """A body long enough to be submitted (``readiness.MIN_BODY_CHARACTERS``), opening with
    ``opening``."""
    return (f"{opening}\n\n## Context\n\nFreight forwarders and the customs administration "
            "agreed to exchange declarations electronically.\n\n## What was done\n\nThey "
            "tested a shared data format on two border crossings and trained the staff.\n")


def contribution_app(settings: Settings, **config) -> Flask:
    """An application over ``settings`` (a private copy) that trusts identity headers."""
    from kmsearch.web import create_app

    return create_app({"SETTINGS": settings, "TRUST_USER_HEADER": True,
                       "TRUST_ROLE_HEADERS": True, "SECRET_KEY": "contribution-tests-secret-key",
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
