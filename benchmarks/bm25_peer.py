"""kmsearch's keyword arm beside plain BM25 (``bm25s``) on a BEIR collection, in one run.

    python benchmarks/bm25_peer.py ../shared/eval/scifact [--workdir DIR]

Prints nDCG@10 and Recall@100 of both, and per-query time (median / p95, one query at a time,
top 100, after 5 warm-up queries): bm25s tokenising and retrieving; kmsearch's scoring alone
(parsed query -> ranked top 100, ``Snapshot.evaluate`` + ``ranked``); parsing plus scoring;
and the whole ``KeywordIndex.search`` (snippets for 10 hits and the spelling suggestion).
bm25s runs as the issue specifies: k1 1.5, b 0.75, Snowball English stemming (PyStemmer),
English stop words, title and text as one field. Needs the ``bench`` extra.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from kmsearch.index.keyword import KeywordIndex
from kmsearch.search.evaluation import index_doc, load_beir, ndcg_at_k, recall_at_k

WARM_UP = 5
DEPTH = 100


def percentiles(times: list[float]) -> str:
    """'median / p95' in milliseconds."""
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"{statistics.median(ordered) * 1000:.2f} / {p95 * 1000:.2f}"


def timed(run, queries: list[str]) -> tuple[list[list[str]], list[float]]:
    """Results and seconds of ``run(query)`` for each query, after a few warm-up calls."""
    for text in queries[:WARM_UP]:
        run(text)
    results, times = [], []
    for text in queries:
        start = time.perf_counter()
        results.append(run(text))
        times.append(time.perf_counter() - start)
    return results, times


def quality(rankings: list[list[str]], qrels: list[dict[str, int]]) -> tuple[float, float]:
    ndcg = statistics.fmean(ndcg_at_k(r, q, 10) for r, q in zip(rankings, qrels, strict=True))
    recall = statistics.fmean(recall_at_k(r, q, 100) for r, q in zip(rankings, qrels, strict=True))
    return ndcg, recall


def bm25s_runner(docs):
    """Plain BM25 over title + text, as bm25s and PyStemmer do it; returns (build s, run)."""
    import bm25s
    import Stemmer

    stemmer = Stemmer.Stemmer("english")
    start = time.perf_counter()
    tokens = bm25s.tokenize([f"{d.title} {d.text}" for d in docs], stopwords="en",
                            stemmer=stemmer, show_progress=False)
    retriever = bm25s.BM25(k1=1.5, b=0.75)
    retriever.index(tokens, show_progress=False)
    build = time.perf_counter() - start
    ids = [d.id for d in docs]

    def run(text: str) -> list[str]:
        q = bm25s.tokenize([text], stopwords="en", stemmer=stemmer, show_progress=False)
        if not q.vocab:
            return []
        found, _ = retriever.retrieve(q, k=min(DEPTH, len(ids)), show_progress=False,
                                      n_threads=1)
        return [ids[i] for i in found[0]]

    return build, run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("collection", type=Path)
    parser.add_argument("--workdir", type=Path, help="keep the keyword index here")
    args = parser.parse_args()
    collection = load_beir(args.collection)
    queries = list(collection.queries.values())
    qrels = [collection.qrels[q] for q in collection.queries]
    rows = []

    build, run = bm25s_runner(collection.docs)
    rankings, times = timed(run, queries)
    rows.append(("bm25s (k1 1.5, b 0.75, Snowball, stop words)", *quality(rankings, qrels),
                 build, percentiles(times)))

    with tempfile.TemporaryDirectory(prefix="kmsearch-bm25-") as scratch:
        workdir = args.workdir or Path(scratch)
        keyword = KeywordIndex.create(workdir / "keyword")
        start = time.perf_counter()
        keyword.rebuild(index_doc(d) for d in collection.docs)
        build = time.perf_counter() - start
        keyword.warm()
        snapshot = keyword._current()
        parsed = {text: keyword.parse_query(text) for text in queries}

        def score(text: str) -> list[str]:
            mask, scores = snapshot.evaluate(parsed[text])
            return [snapshot.keys[d].removeprefix("case:")
                    for d in snapshot.ranked(mask, scores, DEPTH)]

        def parse_and_score(text: str) -> list[str]:
            mask, scores = snapshot.evaluate(keyword.parse_query(text))
            return [snapshot.keys[d] for d in snapshot.ranked(mask, scores, DEPTH)]

        def search(text: str) -> list[str]:
            return [h.key for h in keyword.search(text, limit=DEPTH, snippets=10).hits]

        rankings, times = timed(score, queries)
        rows.append(("kmsearch keyword, scoring a parsed query", *quality(rankings, qrels),
                     build, percentiles(times)))
        _, times = timed(parse_and_score, queries)
        rows.append(("kmsearch keyword, parsing + scoring", None, None, None, percentiles(times)))
        _, times = timed(search, queries)
        rows.append(("kmsearch KeywordIndex.search (snippets, suggestion)", None, None, None,
                     percentiles(times)))
        keyword.close()

    print(f"{args.collection}: {len(collection.docs)} documents, {len(queries)} queries")
    print("| system | nDCG@10 | R@100 | build s | query median / p95 ms |")
    print("| --- | --- | --- | --- | --- |")
    for name, ndcg, recall, build, latency in rows:
        cells = [f"{v:.3f}" if v is not None else "" for v in (ndcg, recall)]
        cells.append(f"{build:.2f}" if build is not None else "")
        print(f"| {name} | {' | '.join(cells)} | {latency} |")


if __name__ == "__main__":
    main()
