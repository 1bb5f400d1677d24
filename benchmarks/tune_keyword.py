"""Grid-search the keyword arm's BM25F parameters on a BEIR collection (the TRAINING split only).

    python benchmarks/tune_keyword.py ../shared/eval/scifact-train [--workdir DIR]

Builds the keyword index once, then for every combination of k1, per-field b, the title's
weight and the coordination exponent, scores every query and prints the best settings by
nDCG@10 (Recall@100 beside it). The shipped values in ``kmsearch/index/postings.py`` and
``kmsearch/index/querysyntax.py`` come from this script's output on ``scifact-train``.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import tempfile
from pathlib import Path

from kmsearch.index import postings, querysyntax
from kmsearch.index.keyword import KeywordIndex
from kmsearch.search.evaluation import index_doc, load_beir, ndcg_at_k, recall_at_k

GRID = {
    "title": (1.0, 2.0, 3.0, 4.0),  # first: queries are parsed again when it changes
    "k1": (0.9, 1.2, 1.5),
    "b_title": (0.3, 0.6, 0.9),
    "b_body": (0.6, 0.75, 0.9),
    "coordination": (0.0,),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("collection", type=Path)
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    collection = load_beir(args.collection)
    ids = list(collection.queries)
    with tempfile.TemporaryDirectory(prefix="kmsearch-tune-") as scratch:
        keyword = KeywordIndex.create((args.workdir or Path(scratch)) / "keyword")
        keyword.rebuild(index_doc(d) for d in collection.docs)
        keyword.warm()
        snapshot = keyword._current()
        results = []
        parsed: dict[str, object] = {}
        parsed_title = None
        for values in itertools.product(*GRID.values()):
            setting = dict(zip(GRID, values, strict=True))
            postings.K1 = setting["k1"]
            postings.FIELD_B.update(title=setting["b_title"], body=setting["b_body"])
            postings.COORDINATION = setting["coordination"]
            querysyntax.FIELD_BOOSTS["title"] = setting["title"]
            if parsed_title != setting["title"]:
                parsed = {qid: keyword.parse_query(collection.queries[qid]) for qid in ids}
                parsed_title = setting["title"]
            ndcgs, recalls = [], []
            for qid in ids:
                q = parsed[qid]
                mask, scores = snapshot.evaluate(q)
                ranked = [snapshot.keys[d].removeprefix("case:")
                          for d in snapshot.ranked(mask, scores, 100)]
                ndcgs.append(ndcg_at_k(ranked, collection.qrels[qid], 10))
                recalls.append(recall_at_k(ranked, collection.qrels[qid], 100))
            results.append((statistics.fmean(ndcgs), statistics.fmean(recalls), setting))
        keyword.close()
    results.sort(key=lambda r: -r[0])
    for ndcg, recall, setting in results[: args.top]:
        print(f"nDCG@10 {ndcg:.4f}  R@100 {recall:.4f}  {setting}")


if __name__ == "__main__":
    main()
