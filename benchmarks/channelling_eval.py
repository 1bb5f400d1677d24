"""Measure how well proposals are channelled: top-1, top-2 and top-3 accuracy of the suggested
lead division and nexus areas, on labelled fictional proposals.

    python benchmarks/channelling_eval.py [--labelled tests/data/proposals/labelled.yaml]
        [--corpus corpus] [--workdir DIR] [--verbose]

The shipped corpus is ingested and indexed into a temporary folder (or ``--workdir``) with the
same code as the library; each proposal's title and description are channelled as a reviewer
would see them. A nexus suggestion counts as right when it is one of the expected areas.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import yaml

from kmsearch.access import Viewer
from kmsearch.config import PROJECT_ROOT, Settings
from kmsearch.files.ingest import ingest
from kmsearch.library import Library
from kmsearch.workflow.intake import proposal_text

REVIEWER = Viewer("evaluation", frozenset({"reviewer"}))


def evaluate(library: Library, labelled: list[dict], verbose: bool = False) -> dict[str, float]:
    """Accuracy figures over ``labelled`` proposals, each {title, description, division, nexus}."""
    hits = {f"{kind}@{k}": 0 for kind in ("division", "nexus") for k in (1, 2, 3)}
    for item in labelled:
        found = library.channel(proposal_text(item), REVIEWER)
        divisions = [s.code for s in found.divisions]
        nexus = [s.code for s in found.nexus_areas]
        for k in (1, 2, 3):
            hits[f"division@{k}"] += item["division"] in divisions[:k]
            hits[f"nexus@{k}"] += bool(set(nexus[:k]) & set(item["nexus"]))
        if verbose:
            mark = "ok " if divisions[:1] == [item["division"]] else "-- "
            print(f"{mark}{item['division']:<22} got {', '.join(divisions[:3]):<55} "
                  f"{item['title'][:50]}")
    return {name: count / len(labelled) for name, count in hits.items()}


def build(corpus: Path, workdir: Path) -> Library:
    settings = Settings.from_env(
        environ={k: v for k, v in os.environ.items() if k == "KMSEARCH_EMBEDDING_CACHE"},
        db_path=workdir / "kmsearch.db", index_dir=workdir / "indexes", corpus_dir=corpus,
    )
    library = Library(settings)
    report = ingest(library.store, corpus, library.taxonomy,
                    default_evaluation=settings.default_evaluation)
    if not report.ok:
        sys.exit(f"the corpus has problems: {report.problems[:3]}")
    library.search.open()
    return library


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--labelled", type=Path,
                        default=PROJECT_ROOT / "tests" / "data" / "proposals" / "labelled.yaml")
    parser.add_argument("--corpus", type=Path, default=PROJECT_ROOT / "corpus")
    parser.add_argument("--workdir", type=Path, help="keep the built library here")
    parser.add_argument("--verbose", action="store_true", help="one line per proposal")
    args = parser.parse_args(argv)
    labelled = yaml.safe_load(args.labelled.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory(prefix="kmsearch-channelling-") as temp:
        library = build(args.corpus, args.workdir or Path(temp))
        figures = evaluate(library, labelled, args.verbose)
        library.store.close()
    print(f"{len(labelled)} labelled proposals, {len(library.taxonomy.divisions)} divisions, "
          f"{len(library.taxonomy.nexus_areas)} nexus areas")
    print("suggestion    top-1   top-2   top-3")
    for kind, label in (("division", "division"), ("nexus", "nexus area")):
        print(f"{label:<12}  " + "   ".join(f"{figures[f'{kind}@{k}']:.3f}" for k in (1, 2, 3)))

if __name__ == "__main__":
    main()
