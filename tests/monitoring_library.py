"""A database-only library for the follow-up and monitoring tests: the shipped corpus ingested
into a temp dir with "today" fixed at 2026-11-30, plus one restricted note whose words must never
reach a viewer who may not see it. The dashboard needs no search index, so none is built."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from kmsearch.access import staff
from kmsearch.config import PROJECT_ROOT, Settings
from kmsearch.files.ingest import ingest
from kmsearch.library import Library
from kmsearch.records import CaseNote, Lesson, Partner

TODAY = "2026-11-30"
REVIEWER = staff("rita", "reviewer")
READER = staff("vic")
SECRET_PARTNER = "Zanzibar Quartz Holdings"
SECRET_LESSON = "Never share the quartz contract terms outside the division."
RESTRICTED = CaseNote(
    id="quartz-restricted-test",
    title="Restricted quartz supply partnership",
    division="trade",
    partners=[Partner(SECRET_PARTNER, "business")],
    partnership_types=["joint-project"],
    nexus_areas=["natural-resources", "smart-cities"],
    sdgs=[5, 12],
    recommendations=["private-sector-2021/6"],
    start_year=2025,
    end_year=2025,
    status="completed",
    good_practice=True,
    visibility="restricted",
    summary="A restricted note for the visibility tests.",
    lessons=[Lesson("quartz-restricted-test", 1, "good-practice", SECRET_LESSON)],
    body="## Context\n\nRestricted.",
)


def build_monitoring_library(directory: Path, *, restricted: bool = True) -> Settings:
    """Settings of a fresh database in ``directory`` with the shipped corpus."""
    settings = Settings.from_env(environ={}, db_path=directory / "kmsearch.db",
                                 index_dir=directory / "indexes",
                                 corpus_dir=PROJECT_ROOT / "corpus", today=TODAY)
    library = Library(settings)
    report = ingest(library.store, settings.corpus_dir, library.taxonomy,
                    default_evaluation=settings.default_evaluation)
    assert report.ok, report.problems
    if restricted:
        library.store.save_case(RESTRICTED, author="tina", origin="web")
    library.store.close()
    return settings


def with_today(settings: Settings, today: str) -> Settings:
    return replace(settings, today=Settings.from_env(environ={}, today=today).today)
