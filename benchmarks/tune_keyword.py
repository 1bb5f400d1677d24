"""Tune the keyword arm's BM25F parameters on a BEIR collection (the TRAINING split only).

    python benchmarks/tune_keyword.py ../shared/eval/scifact-train [--workdir DIR]

Builds the keyword index once, then changes one parameter at a time (k1, per-field b, the
title's weight, the coordination exponent) over its grid, keeping a change when nDCG@10 rises,
and prints every trial and the best settings (Recall@100 beside nDCG@10). The shipped values
in ``kmsearch/index/postings.py`` and ``querysyntax.py`` come from its run on scifact-train.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from pathlib import Path

from kmsearch.index import postings, querysyntax
from kmsearch.index.keyword import KeywordIndex
from kmsearch.search.evaluation import index_doc, load_beir, ndcg_at_k, recall_at_k

GRID = {
    "title": (1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0),  # queries are parsed again when it changes
    "k1": (0.6, 0.9, 1.2, 1.5, 2.0, 2.5, 3.0),
    "b_title": (0.3, 0.6, 0.75, 0.9, 1.0),
    "b_body": (0.5, 0.65, 0.75, 0.85, 0.95, 1.0),
    "coordination": (0.0, 0.5, 1.0),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("collection", type=Path)
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--start", help='JSON of starting values, e.g. \'{"k1": 2.0}\'')
    parser.add_argument("--only", nargs="*", help="tune only these parameters")
    args = parser.parse_args()
    collection = load_beir(args.collection)
    ids = list(collection.queries)
    with tempfile.TemporaryDirectory(prefix="kmsearch-tune-") as scratch:
        keyword = KeywordIndex.create((args.workdir or Path(scratch)) / "keyword")
        keyword.rebuild(index_doc(d) for d in collection.docs)
        keyword.warm()
        snapshot = keyword._current()
        parsed: dict[str, object] = {}
        parsed_title = [None]

        def measure(setting: dict) -> tuple[float, float]:
            postings.K1 = setting["k1"]
            postings.FIELD_B.update(title=setting["b_title"], body=setting["b_body"])
            postings.COORDINATION = setting["coordination"]
            querysyntax.FIELD_BOOSTS["title"] = setting["title"]
            if parsed_title[0] != setting["title"]:
                parsed.update({qid: keyword.parse_query(collection.queries[qid]) for qid in ids})
                parsed_title[0] = setting["title"]
            ndcgs, recalls = [], []
            for qid in ids:
                mask, scores = snapshot.evaluate(parsed[qid])
                ranked = [snapshot.keys[d].removeprefix("case:")
                          for d in snapshot.ranked(mask, scores, 100)]
                ndcgs.append(ndcg_at_k(ranked, collection.qrels[qid], 10))
                recalls.append(recall_at_k(ranked, collection.qrels[qid], 100))
            return statistics.fmean(ndcgs), statistics.fmean(recalls)

        # coordinate ascent: one parameter at a time over its grid, twice round
        best = {name: values[len(values) // 2] for name, values in GRID.items()}
        best.update(json.loads(args.start or "{}"))
        best_score = measure(best)
        print(f"start {best_score[0]:.4f} {best}", flush=True)
        for _ in range(args.rounds):
            for name, values in GRID.items():
                if args.only and name not in args.only:
                    continue
                for value in values:
                    if value == best[name]:
                        continue
                    trial = {**best, name: value}
                    score = measure(trial)
                    print(f"  nDCG@10 {score[0]:.4f} R@100 {score[1]:.4f} {trial}", flush=True)
                    if score[0] > best_score[0]:
                        best, best_score = trial, score
            print(f"best nDCG@10 {best_score[0]:.4f} R@100 {best_score[1]:.4f} {best}",
                  flush=True)
        keyword.close()


if __name__ == "__main__":
    main()
