"""Measure kmsearch against the SPEC's speed bars on generated corpora, and print the figures.

For each corpus size: build time per stage, index sizes, keyword / semantic / hybrid latency,
time for an edited or new note to become searchable, and a no-change re-ingest.

    python benchmarks/search_bench.py --notes 1000 --notes 10000 [--queries 200]
        [--workdir DIR] [--keep]

One embedding cache in ``--workdir`` serves every size and run, so a passage is embedded once:
a second run, or the first 1,000 notes of a 10,000-note corpus after a 1,000-note run, reuse it.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import resource
import secrets
import shutil
import statistics
import string
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from generate_corpus import generate_notes, write_corpus  # beside this script

from kmsearch.access import Viewer, staff
from kmsearch.config import PROJECT_ROOT, Settings
from kmsearch.files.corpus import parse_case_text
from kmsearch.files.ingest import ingest
from kmsearch.filters import NO_FILTERS, Filters
from kmsearch.library import Library
from kmsearch.search.request import SearchRequest
from kmsearch.search.service import SearchService

HERE = Path(__file__).resolve().parent
QUERIES_FILE = HERE / "queries.txt"
RESULTS_DIR = HERE / "results"
DEFAULT_WORKDIR = Path(tempfile.gettempdir()) / "kmsearch-bench"
MODES = ("keyword", "semantic", "hybrid")
TARGETS_MS = {"keyword": 15.0, "hybrid": 40.0}
EDIT_TARGET_S = 1.0
REINGEST_TARGET_S = 10.0
FILTERED_SHARE = 0.3
EDITS = 20
SEARCHABLE_TIMEOUT_S = 10.0
WARM_UP = ("private sector partnership", "data sharing agreement", "road safety sponsorship",
           "how do we choose partners", "division:trade standards")


class Ticker:
    """Progress lines on stderr, at most one every few seconds, with an estimate of time left."""

    def __init__(self, label: str, total: int | None = None, every: float = 5.0):
        self.label, self.total, self.every = label, total, every
        self.count = 0
        self.start = time.perf_counter()
        self.first: tuple[float, int] | None = None  # when and at what count it was first called
        self.shown = (self.start, 0)  # when and at what count the last line was printed

    def step(self, *_) -> None:
        self.count += 1
        self(self.count)

    def __call__(self, done: int, total: int | None = None) -> None:
        now = time.perf_counter()
        self.total = total or self.total
        if self.first is None:
            self.first = (now, done)
        if now - self.shown[0] < self.every and done != self.total:
            return
        line = f"  {self.label}: {done:,}" + (f"/{self.total:,}" if self.total else "")
        line += f", {now - self.start:.0f} s"
        # the recent rate: passages come shortest first, so they get slower
        since, base = self.shown if self.shown[1] >= self.first[1] else self.first
        if self.total and base < done < self.total:
            left = (self.total - done) * (now - since) / (done - base)
            line += f", {left / 60:.1f} min left" if left > 90 else f", {left:.0f} s left"
            line += " at the current rate"
        self.shown = (now, done)
        print(line, file=sys.stderr, flush=True)


class OpenProgress:
    """The progress callback of ``SearchService.open``, which tells its two stages apart.

    Stages report ``progress(stage, done, total)``: "keyword index" in documents, "embedding"
    in passages (the first call right after the cache lookup), so the last keyword call ends
    the keyword stage.
    """

    def __init__(self) -> None:
        self.keyword = Ticker("keyword index (documents)")
        self.vectors = Ticker("vector index (passages)")
        self.keyword_done: float | None = None

    def __call__(self, stage: str, done: int | None = None, total: int | None = None) -> None:
        if done is None:
            return  # a stage's tick without counts
        if stage == "keyword index":
            self.keyword(done)
            self.keyword_done = time.perf_counter()
        elif total is not None:
            self.vectors(done, total)


def timed(action: Callable[[], object]) -> tuple[object, float]:
    start = time.perf_counter()
    result = action()
    return result, time.perf_counter() - start


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# Building


def settings_for(workdir: Path, notes: int) -> Settings:
    """One folder per corpus size; one embedding cache for all sizes and runs."""
    folder = workdir / f"notes-{notes}"
    return Settings.from_env(db_path=folder / "kmsearch.db", index_dir=folder / "indexes",
                             corpus_dir=folder / "corpus",
                             embedding_cache=workdir / "embedding-cache.sqlite")


def build(settings: Settings, notes: int, seed: int) -> dict:
    """Generate, ingest and index one corpus, each stage timed, then open it again as a restart.

    The indexes are built by ``SearchService.open`` on an empty index folder, split into the
    keyword stage (which includes reading the notes from the database) and the vector stage
    (cutting passages, embedding those not cached, saving) by its progress callbacks.
    """
    corpus = settings.corpus_dir
    stages, figures = {}, {}
    say(f"  generating {notes:,} notes in {corpus} ...")
    _, stages["generate corpus"] = timed(lambda: write_corpus(corpus, notes, seed))
    library = Library(settings)
    ticker = Ticker("ingest (notes)", notes)
    report, stages["ingest into SQLite"] = timed(lambda: ingest(
        library.store, corpus, library.taxonomy,
        default_evaluation=settings.default_evaluation, progress=ticker.step))
    if not report.ok:
        raise SystemExit(f"the generated corpus in {corpus} has problems, first: "
                         f"{report.problems[0]}; fix benchmarks/generate_corpus.py")
    progress = OpenProgress()
    start = time.perf_counter()
    opened = library.search.open(progress)
    end = time.perf_counter()
    if progress.keyword_done is None or progress.vectors.first is None:
        raise SystemExit(f"SearchService.open() on an empty index folder did not build both "
                         f"indexes (it reported rebuilt={opened.rebuilt}); cannot time them")
    stages["keyword index"] = progress.keyword_done - start
    stages["vector index"] = end - progress.keyword_done
    cached = progress.vectors.first[1]
    figures |= {"documents": opened.documents, "passages": progress.vectors.total,
                "passages cached": cached, "passages embedded": progress.vectors.total - cached}
    stages["total"] = sum(stages.values())
    return {"build_s": {stage: round(seconds, 2) for stage, seconds in stages.items()}, **figures}


def open_again(settings: Settings) -> tuple[Library, float]:
    """A new library on the built indexes, as after a restart, and the seconds its open took."""
    library = Library(settings)
    opened, seconds = timed(library.search.open)
    if opened.changed:
        say(f"  NOTE: reopening changed the indexes just built: rebuilt {opened.rebuilt}, "
            f"{len(opened.updated)} notes updated, {len(opened.deleted)} deleted")
    return library, seconds


def folder_bytes(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def with_journal(path: Path) -> int:
    """Bytes of an SQLite file with its -wal and -shm files."""
    return sum(folder_bytes(p) for p in path.parent.glob(path.name + "*"))


def sizes(settings: Settings) -> dict[str, float]:
    """Megabytes on disk of each index, the embedding cache, the database and the corpus."""
    found = {
        "keyword index": folder_bytes(settings.index_dir / "keyword"),
        "vector index": folder_bytes(settings.index_dir / "vectors"),
        "embedding cache (all sizes)": with_journal(settings.embedding_cache_file),
        "database": with_journal(settings.db_path),
        "corpus files": folder_bytes(settings.corpus_dir),
    }
    return {name: round(size / 2**20, 1) for name, size in found.items()}


# Searching


def load_queries(count: int, seed: int) -> list[tuple[str, Filters]]:
    """``count`` queries from queries.txt, shuffled, about 30% of them with a filter."""
    lines = [line.strip() for line in QUERIES_FILE.read_text(encoding="utf-8").splitlines()]
    texts = [line for line in lines if line and not line.startswith("#")]
    rng = random.Random(seed)
    rng.shuffle(texts)
    chosen = [texts[i % len(texts)] for i in range(count)]
    return [(text, random_filters(rng) if rng.random() < FILTERED_SHARE else NO_FILTERS)
            for text in chosen]


def random_filters(rng: random.Random) -> Filters:
    kind = rng.choice(("division", "nexus", "sdg", "years"))
    if kind == "division":
        return Filters(division=(rng.choice(("transport", "statistics", "trade", "environment",
                                             "sustainable-energy", "forests-land-housing")),))
    if kind == "nexus":
        return Filters(nexus=(rng.choice(("natural-resources", "smart-cities",
                                          "mobility-connectivity", "measuring-sdgs")),))
    if kind == "sdg":
        return Filters(sdg=(rng.choice((3, 5, 6, 7, 8, 9, 11, 12, 13, 15, 17)),))
    start = rng.randint(2016, 2022)
    return Filters(year_from=start, year_to=start + rng.randint(0, 3))


def measure_latency(service: SearchService, queries: list[tuple[str, Filters]],
                    viewer: Viewer) -> dict:
    """Median and p95 per mode; each query runs in every mode, the order of modes rotating.

    Call after ``SearchService.warm()``: the figures are for a server that has started.
    """
    for text in WARM_UP:
        for mode in MODES:
            service.search(SearchRequest(text, mode), viewer)
    times: dict[str, list[float]] = {mode: [] for mode in MODES}
    asked: dict[str, list[str]] = {mode: [] for mode in MODES}
    empty = dict.fromkeys(MODES, 0)
    errors: list[str] = []
    ticker = Ticker("searches", len(queries) * len(MODES))
    for number, (text, filters) in enumerate(queries):
        for mode in MODES[number % 3:] + MODES[:number % 3]:
            start = time.perf_counter()
            try:
                results = service.search(SearchRequest(text, mode, filters, per_page=10), viewer)
            except Exception as exc:  # noqa: BLE001 - a failing query is a finding, not a stop
                errors.append(f"{mode} {text!r} {filters}: {type(exc).__name__}: {exc}")
                continue
            finally:
                ticker.step()
            times[mode].append((time.perf_counter() - start) * 1000)
            asked[mode].append(f"{text} {filters.to_params() or ''}".strip())
            empty[mode] += not results.hits
    figures = {mode: {**spread(times[mode], TARGETS_MS.get(mode)), "no hits": empty[mode],
                      "slowest": slowest(times[mode], asked[mode])} for mode in MODES}
    figures["queries"] = len(queries)
    figures["filtered"] = sum(not filters.is_empty() for _, filters in queries)
    figures["errors"] = errors
    return figures


def slowest(times: list[float], queries: list[str], count: int = 5) -> list[str]:
    ranked = sorted(zip(times, queries, strict=True), reverse=True)[:count]
    return [f"{ms:.0f} ms: {query}" for ms, query in ranked]


def spread(values: list[float], target: float | None) -> dict:
    if not values:
        return {"median": None, "p95": None, "max": None}
    p95 = percentile(values, 95)
    figures = {"median": round(statistics.median(values), 1), "p95": round(p95, 1),
               "max": round(max(values), 1)}
    if target:
        figures["p95/target"] = round(p95 / target, 2)
    return figures


def percentile(values: list[float], pct: float) -> float:
    """Linear interpolation between closest ranks, as numpy.percentile does by default."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * pct / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


# Changing notes


def made_up_word() -> str:
    """A word no note contains, different on every run so its passages are never cached."""
    return "zq" + "".join(secrets.choice(string.ascii_lowercase) for _ in range(10))


def measure_edits(library: Library, viewer: Viewer, seed: int) -> dict:
    """Seconds from saving a changed or new note to finding it by a word only it contains."""
    store = library.store
    rng = random.Random(seed)
    visible = [s for s in store.iter_cases() if s.note.visibility != "restricted"]
    edited = []
    for stored in rng.sample(visible, min(EDITS, len(visible))):
        word = made_up_word()
        note = replace(stored.note, body=f"{stored.note.body}\n\nFollow-up: the {word} review.\n")
        edited.append(until_searchable(library, note, word, viewer, stored.state,
                                       stored.revision))
    added = []
    for text in generate_notes(EDITS, seed + 1):
        word = made_up_word()
        note = parse_case_text(text, source="generated", taxonomy=library.taxonomy,
                               default_evaluation=library.settings.default_evaluation,
                               known_recommendations=store.recommendation_ids())
        new_id = f"bench-new-{word}"
        # the word in the title starts every passage, so none of them is in the cache
        note = replace(note, id=new_id, title=f"{note.title}: {word}", visibility="internal",
                       lessons=[replace(lesson, case_id=new_id) for lesson in note.lessons])
        added.append(until_searchable(library, note, word, viewer, "published", 0))
    return {"edit": split_times(edited), "new note": split_times(added)}


def until_searchable(library: Library, note, word: str, viewer: Viewer, state: str,
                     revision: int) -> dict | None:
    """Save, tell the service, then search until the note is found; None if it never is."""
    start = time.perf_counter()
    library.store.save_case(note, author="benchmark", comment="benchmark edit", state=state,
                            expected_revision=revision)
    saved = time.perf_counter()
    library.search.case_changed(note.id)
    indexed = time.perf_counter()
    while time.perf_counter() - start < SEARCHABLE_TIMEOUT_S:
        hits = library.search.search(SearchRequest(word, "keyword", group=False), viewer).hits
        if any(hit.doc.case_id == note.id for hit in hits):
            found = time.perf_counter()
            return {"save": saved - start, "case_changed": indexed - saved,
                    "search": found - indexed, "total": found - start}
        time.sleep(0.01)
    say(f"  NOTE: {note.id} was not found by {word!r} within {SEARCHABLE_TIMEOUT_S:g} s")
    return None


def split_times(runs: list[dict | None]) -> dict:
    """Median and p95 of the total and of each part, in ms; how many never became searchable."""
    done = [run for run in runs if run is not None]
    figures = {"count": len(runs), "never found": len(runs) - len(done)}
    for part in ("save", "case_changed", "search", "total"):
        target = EDIT_TARGET_S * 1000 if part == "total" else None
        figures[part] = spread([run[part] * 1000 for run in done], target)
    return figures


# Re-ingesting


def measure_reingest(library: Library) -> dict:
    """A second ingest() in this process, then the ``kmsearch ingest`` command in a fresh one."""
    settings = library.settings
    report, in_process = timed(lambda: ingest(
        library.store, settings.corpus_dir, library.taxonomy,
        default_evaluation=settings.default_evaluation))
    figures = {"ingest() s": round(in_process, 2),
               "ingest() changed": len(report.created) + len(report.updated)}
    command = [*kmsearch_command(), "--db", str(settings.db_path), "--index-dir",
               str(settings.index_dir), "--corpus", str(settings.corpus_dir), "ingest",
               str(settings.corpus_dir)]
    say(f"  running {' '.join(command)}")
    environment = {**os.environ, "KMSEARCH_EMBEDDING_CACHE": str(settings.embedding_cache_file)}
    done, wall = timed(lambda: subprocess.run(command, capture_output=True, text=True,
                                              env=environment))
    figures |= {"command s": round(wall, 2), "command s/target": round(wall / REINGEST_TARGET_S, 2),
                "command exit": done.returncode,
                "command said": [line for line in done.stdout.splitlines() if line.strip()][-1:]}
    if done.returncode:
        say(f"  NOTE: kmsearch ingest exited with {done.returncode}: {done.stderr[-2000:]}")
    return figures


def kmsearch_command() -> list[str]:
    """The installed console script beside this Python, or the same entry point through -c."""
    script = Path(sys.executable).parent / "kmsearch"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from kmsearch.cli import main; main()"]


# One size, all sizes


def run_size(workdir: Path, notes: int, queries: int, seed: int, keep: bool) -> dict:
    settings = settings_for(workdir, notes)
    folder = settings.db_path.parent
    shutil.rmtree(folder, ignore_errors=True)
    say(f"== {notes:,} notes in {folder}")
    figures = build(settings, notes, seed)
    library, reopen = open_again(settings)
    figures["build_s"]["reopen (restart)"] = round(reopen, 2)
    _, warm = timed(library.search.warm)  # as ``kmsearch serve`` does before the first query
    figures["build_s"]["warm model and postings"] = round(warm, 2)
    figures["sizes_mb"] = sizes(settings)
    say("  re-ingesting with nothing changed ...")
    figures["reingest"] = measure_reingest(library)
    say(f"  searching: {queries} queries x {len(MODES)} modes ...")
    figures["latency_ms"] = measure_latency(library.search, load_queries(queries, seed), staff())
    say(f"  editing {EDITS} notes and adding {EDITS} ...")
    figures["searchable_ms"] = measure_edits(library, staff(), seed)
    figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    del library
    gc.collect()
    if not keep:
        shutil.rmtree(folder)
    return {"notes": notes, **figures}


def summary(runs: list[dict]) -> str:
    """One row per figure, one column per corpus size."""
    rows: list[tuple[str, str, list]] = []
    for stage in runs[0]["build_s"]:
        rows.append((f"build: {stage} (s)", "", [r["build_s"][stage] for r in runs]))
    rows.append(("passages (embedded now)", "",
                 [f"{r['passages']:,} ({r['passages embedded']:,})" for r in runs]))
    for name in runs[0]["sizes_mb"]:
        rows.append((f"size: {name} (MB)", "", [r["sizes_mb"][name] for r in runs]))
    rows.append(("peak RSS so far (MB)", "", [r["peak_rss_mb"] for r in runs]))
    for mode in MODES:
        target = TARGETS_MS.get(mode)
        rows.append((f"{mode} median (ms)", "", [r["latency_ms"][mode]["median"] for r in runs]))
        rows.append((f"{mode} p95 (ms)", f"{target:g}" if target else "",
                     [ratio(r["latency_ms"][mode], "p95") for r in runs]))
        rows.append((f"{mode} queries without hits", "",
                     [r["latency_ms"][mode]["no hits"] for r in runs]))
    for kind in ("edit", "new note"):
        rows.append((f"{kind} searchable median (ms)", "",
                     [r["searchable_ms"][kind]["total"]["median"] for r in runs]))
        rows.append((f"{kind} searchable p95 (ms)", "1000",
                     [ratio(r["searchable_ms"][kind]["total"], "p95") for r in runs]))
    rows.append(("re-ingest, kmsearch ingest (s)", "10",
                 [f"{r['reingest']['command s']} ({r['reingest']['command s/target']}x)"
                  for r in runs]))
    rows.append(("re-ingest, ingest() only (s)", "", [r["reingest"]["ingest() s"] for r in runs]))
    rows.append(("re-ingest, notes changed", "0",
                 [r["reingest"]["ingest() changed"] for r in runs]))
    headers = ("figure", "target", *[f"{r['notes']:,} notes" for r in runs])
    cells = [list(headers)] + [[name, target, *map(fmt, values)] for name, target, values in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w)
                       in enumerate(zip(row, widths, strict=True))) for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def ratio(figures: dict, key: str) -> str:
    value = figures[key]
    if value is None:
        return "-"
    share = figures.get(f"{key}/target")
    return f"{value} ({share}x)" if share is not None else str(value)


def fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.2f}" if value < 100 else f"{value:.0f}"
    return "-" if value is None else str(value)


def machine() -> dict:
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=PROJECT_ROOT, capture_output=True, text=True)
        return done.stdout.strip()

    return {"cpus": os.cpu_count(), "python": platform.python_version(),
            "platform": platform.platform(), "load average at start": os.getloadavg(),
            "commit": git("rev-parse", "--short", "HEAD"),
            "uncommitted files": len(git("status", "--porcelain").splitlines())}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notes", type=int, action="append", required=True,
                        help="corpus size; repeat for several (run smallest first)")
    parser.add_argument("--queries", type=int, default=200, help="queries per mode (default 200)")
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR,
                        help=f"where corpora, databases, indexes and the embedding cache live "
                             f"(default {DEFAULT_WORKDIR})")
    parser.add_argument("--keep", action="store_true",
                        help="keep corpus, database and indexes after the run (the embedding "
                             "cache is always kept)")
    parser.add_argument("--seed", type=int, default=1, help="corpus and query seed (default 1)")
    args = parser.parse_args(argv)
    if min(args.notes) < EDITS or args.queries < 1:
        parser.error(f"--notes must be at least {EDITS} and --queries at least 1")
    started = datetime.now()
    RESULTS_DIR.mkdir(exist_ok=True)
    output = RESULTS_DIR / f"{started:%Y%m%d-%H%M%S}.json"
    record = {"started": started.isoformat(timespec="seconds"), "machine": machine(),
              "arguments": {"notes": sorted(args.notes), "queries": args.queries,
                            "seed": args.seed, "workdir": str(args.workdir)},
              "targets": {"keyword p95 ms": 15, "hybrid p95 ms": 40, "searchable s": 1,
                          "no-change re-ingest s": 10},
              "runs": []}
    for notes in sorted(set(args.notes)):
        record["runs"].append(run_size(args.workdir, notes, args.queries, args.seed, args.keep))
        record["machine"]["load average at end"] = os.getloadavg()
        output.write_text(json.dumps(record, indent=2, default=str), encoding="utf-8")
    print(summary(record["runs"]))
    for run in record["runs"]:
        latency = run["latency_ms"]
        for mode in TARGETS_MS:
            print(f"\nslowest {mode} queries at {run['notes']:,} notes:")
            print("\n".join(f"  {line}" for line in latency[mode]["slowest"]))
        for error in latency["errors"]:
            print(f"error at {run['notes']:,} notes: {error}")
    print(f"\nfigures written to {output}")


if __name__ == "__main__":
    main()
