"""Time the monitoring dashboard on a generated corpus: its figures, the whole /monitoring page,
/api/v1/stats and the DOCX report, and print median and p95.

The dashboard needs no search index, so only the database is built: a corpus from
``generate_corpus.py``, ingested, then some review activity (notes submitted, returned,
published) and key actions with progress updates, so that every figure has work to do.

    python benchmarks/monitoring_bench.py --notes 10000 [--runs 60] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from generate_corpus import write_corpus  # beside this script

from kmsearch.access import staff
from kmsearch.config import PROJECT_ROOT, Settings
from kmsearch.files.ingest import ingest
from kmsearch.library import Library
from kmsearch.web import create_app

TARGET_MS = 300.0
REVIEWER = staff("rita", "reviewer")
READER = staff("vic")
HEADERS = {"X-Remote-User": "rita", "X-Remote-Roles": "reviewer"}


def build(workdir: Path, notes: int, seed: int) -> Settings:
    """A database of ``notes`` generated notes with review activity and key actions."""
    corpus = workdir / f"corpus-{notes}"
    if not corpus.exists():
        write_corpus(corpus, notes, seed)
    settings = Settings.from_env(environ={}, db_path=workdir / f"monitoring-{notes}.db",
                                 index_dir=workdir / "indexes", corpus_dir=corpus,
                                 taxonomy_path=PROJECT_ROOT / "corpus" / "taxonomy.yaml",
                                 today="2026-11-30")
    if settings.db_path.exists():
        return settings
    library = Library(settings)
    started = time.perf_counter()
    report = ingest(library.store, corpus, library.taxonomy,
                    default_evaluation=settings.default_evaluation)
    print(f"ingested {len(report.created)} notes in {time.perf_counter() - started:.1f} s",
          file=sys.stderr)
    rng = random.Random(seed)
    store = library.store
    for case_id in rng.sample(store.case_ids(), min(500, notes // 10)):
        for state in rng.choice([("draft", "submitted", "published"),
                                 ("draft", "submitted", "draft", "submitted", "published"),
                                 ("draft", "submitted")]):
            store.save_case(store.get_case(case_id).note, author="rita", state=state)  # no search
    monitoring = library.monitoring
    for rec in store.list_recommendations():
        for n in range(5):
            action = monitoring.add_action(REVIEWER, rec.id, {
                "text": f"Benchmark action {n} of {rec.id}", "responsible_unit": "PMU",
                "due_date": f"202{5 + n % 3}-06-30", "status": "in-progress"})
            for day in ("2026-01-15", "2026-06-15"):
                monitoring.add_update(REVIEWER, rec.id, action.id, {
                    "date": day, "text": "Progress.", "evidence_url": "https://unece.org/"})
    store.close()
    return settings


def timed(call: Callable[[], object], runs: int,
          before: Callable[[], object] | None = None) -> list[float]:
    """Milliseconds per call of ``call`` (``before`` runs first each time, untimed)."""
    call()  # warm-up: first connection, templates compiled
    times = []
    for _ in range(runs):
        if before is not None:
            before()
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return times


def summary(name: str, times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    median = statistics.median(ordered)
    flag = "ok" if p95 <= TARGET_MS else "OVER"
    return f"{name:<46} median {median:7.1f} ms   p95 {p95:7.1f} ms   ({flag} vs {TARGET_MS:.0f})"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=10000)
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path,
                        default=Path(tempfile.gettempdir()) / "kmsearch-monitoring-bench")
    args = parser.parse_args(argv)
    calibration = time.perf_counter()
    sum(range(10**7))
    calibration = time.perf_counter() - calibration
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; "
          f"sum(range(10**7)) took {calibration:.2f} s (about 0.15 s on an idle core)")
    args.workdir.mkdir(parents=True, exist_ok=True)
    settings = build(args.workdir, args.notes, args.seed)
    library = Library(settings)
    monitoring = library.monitoring
    everything = monitoring.read_filters({})
    filtered = monitoring.read_filters({"division": ["transport"], "year_from": ["2018"],
                                        "year_to": ["2022"]})
    app = create_app({"SETTINGS": settings, "TESTING": True, "TRUST_USER_HEADER": True,
                      "TRUST_ROLE_HEADERS": True})
    client = app.test_client()
    figures = monitoring.figures(REVIEWER, everything)
    print(f"{figures.notes} published notes, {sum(len(r.actions) for r in figures.followup)} "
          f"key actions, {sum(figures.activity_totals.values())} review steps")
    served = app.extensions["kmsearch"].monitoring  # the web app's own Library

    def forget() -> None:
        """As at the first request after a start: nothing cached."""
        for service in (monitoring, served):
            service._cache = None
            service._figures.clear()

    store = library.store
    edited = store.get_case(store.case_ids(states=("published",))[0])
    edits = iter(range(1, 1_000_000))

    def edit_one() -> None:
        """Change one published note (a new revision), as a contributor's edit would."""
        note = replace(edited.note, summary=f"{edited.note.summary} (edit {next(edits)})")
        store.save_case(note, author="bench")

    page = lambda: _ok(client.get("/monitoring", headers=HEADERS))  # noqa: E731
    rows = [
        ("figures, first request after a start, reviewer",
         lambda: monitoring.figures(REVIEWER, everything), forget),
        ("GET /monitoring, first request after a start", page, forget),
        ("GET /monitoring, first request after `kmsearch serve`", page,
         lambda: (forget(), served.warm())),
        ("GET /monitoring right after a note changed", page, edit_one),
        ("figures, reviewer, no filter", lambda: monitoring.figures(REVIEWER, everything), None),
        ("figures, staff, division + years",
         lambda: monitoring.figures(READER, filtered), None),
        ("GET /monitoring (whole page), reviewer", page, None),
        ("GET /monitoring?division=transport&years", lambda: _ok(client.get(
            "/monitoring?division=transport&year_from=2018&year_to=2022", headers=HEADERS)),
         None),
        ("GET /api/v1/stats", lambda: _ok(client.get("/api/v1/stats", headers=HEADERS)), None),
    ]
    for name, call, before in rows:
        print(summary(name, timed(call, args.runs, before)))
    print(summary("DOCX report, all years (5 runs)",
                  timed(lambda: monitoring.report(REVIEWER, everything, "docx"), 5)))
    library.store.close()


def _ok(response) -> None:
    assert response.status_code == 200, response.status_code


if __name__ == "__main__":
    main()
