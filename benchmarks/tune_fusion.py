"""Compare fusion methods and weights on a BEIR collection (the TRAINING split only).

    python benchmarks/tune_fusion.py ../shared/eval/scifact-train --workdir DIR

Indexes the collection as ``kmsearch eval`` does (an embedding cache in ``--workdir`` is reused
across runs), runs every query once in keyword and once in semantic mode (top 100 each, with
scores), then fuses the two lists offline with each method of ``kmsearch.search.fusion`` over
a grid of weights and prints nDCG@10 and Recall@100 of each arm and of every fusion setting.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from kmsearch.access import ANONYMOUS
from kmsearch.index.catalog import Catalog
from kmsearch.index.keyword import KeywordIndex
from kmsearch.index.vectors import VectorIndex
from kmsearch.search.engine import SearchEngine
from kmsearch.search.evaluation import index_doc, load_beir, ndcg_at_k, recall_at_k
from kmsearch.search.fusion import FusionSettings, fuse
from kmsearch.search.request import SearchRequest

WEIGHTS = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)  # the semantic arm's weight
RRF_K = (10, 30, 60, 100)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("collection", type=Path)
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args()
    collection = load_beir(args.collection)
    with tempfile.TemporaryDirectory(prefix="kmsearch-fusion-") as scratch:
        workdir = args.workdir or Path(scratch)
        docs = [index_doc(doc) for doc in collection.docs]
        keyword = KeywordIndex.create(workdir / "keyword")
        keyword.rebuild(docs)
        vectors = VectorIndex(workdir / "vectors")
        vectors.rebuild(docs)
        engine = SearchEngine.over(keyword, vectors, Catalog(docs))
        arms: dict[str, list[tuple[list[str], dict[str, float]]]] = {"keyword": [],
                                                                    "semantic": []}
        for text in collection.queries.values():
            for mode, runs in arms.items():
                request = SearchRequest(" ".join(text.split()), mode, per_page=100, group=False)
                hits = engine.search(request, ANONYMOUS).hits
                runs.append(([h.id for h in hits], {h.id: h.score for h in hits}))
        keyword.close()
    qrels = [collection.qrels[q] for q in collection.queries]

    def report(name: str, rankings: list[list[str]]) -> None:
        ndcg = statistics.fmean(ndcg_at_k(r, q, 10) for r, q in zip(rankings, qrels, strict=True))
        recall = statistics.fmean(recall_at_k(r, q, 100)
                                  for r, q in zip(rankings, qrels, strict=True))
        print(f"| {name} | {ndcg:.4f} | {recall:.4f} |", flush=True)

    print("| run | nDCG@10 | R@100 |\n| --- | --- | --- |")
    for mode, runs in arms.items():
        report(mode, [keys for keys, _ in runs])
    settings = [FusionSettings("rrf", (1.0, 1.0), k) for k in RRF_K]
    settings += [FusionSettings(method, (1 - w, w), 60) for method in ("rrf", "convex", "zscore")
                 for w in WEIGHTS]
    for setting in settings:
        fused = [[key for key, _ in fuse(pair, setting)]
                 for pair in zip(arms["keyword"], arms["semantic"], strict=True)]
        report(f"{setting.method} weights {setting.weights[0]:.1f}/{setting.weights[1]:.1f} "
               f"k {setting.rrf_k}", fused)


if __name__ == "__main__":
    main()
