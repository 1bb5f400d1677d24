"""Embedding throughput: the PyTorch path against the int8 ONNX path, side by side in one run.

    python benchmarks/embed_bench.py ../shared/eval/scifact [--passages 1000] [--batch 32]

Cuts the collection's documents into passages exactly as indexing does, takes the first
``--passages``, and embeds them batch by batch with both back ends, alternating batch by batch
so that both see the same load on a shared machine. Prints, per back end, the median and p95
seconds per batch and passages a second, the ratio of throughputs, and how close the vectors
are (cosine between the two back ends' vectors of the same passage). Passages per CPU second
(all threads) is printed too: on a machine shared with other work, wall time mostly measures
the others.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from kmsearch.index.embedder import Embedder, passages_for
from kmsearch.search.evaluation import index_doc, load_beir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("collection", type=Path)
    parser.add_argument("--passages", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--export-dir", type=Path, help="where the ONNX export is cached")
    args = parser.parse_args()
    export_dir = args.export_dir or Path(tempfile.gettempdir()) / "kmsearch-embed-bench"
    backends = {
        "torch": Embedder(backend="torch", batch_size=args.batch),
        "onnx int8": Embedder(backend="onnx", batch_size=args.batch, export_dir=export_dir),
    }
    collection = load_beir(args.collection)
    first = next(iter(backends.values()))
    texts: list[str] = []
    for doc in collection.docs:
        texts.extend(passages_for(index_doc(doc), first))
        if len(texts) >= args.passages:
            break
    texts = texts[: args.passages]
    # the same length-sorted batches for both, as indexing makes them
    batches = [[texts[i] for i in batch] for batch in first._batches(texts)]
    for embedder in backends.values():
        embedder.embed(batches[0])  # load (and export) before timing
    times: dict[str, list[float]] = {name: [] for name in backends}
    cpu: dict[str, float] = dict.fromkeys(backends, 0.0)
    vectors: dict[str, list[np.ndarray]] = {name: [] for name in backends}
    for batch in batches:
        for name, embedder in backends.items():
            start, start_cpu = time.perf_counter(), time.process_time()
            vectors[name].append(embedder.embed(batch))
            times[name].append(time.perf_counter() - start)
            cpu[name] += time.process_time() - start_cpu
    print(f"{len(texts)} passages of {args.collection} in {len(batches)} batches of up to "
          f"{args.batch}; threads {first.threads}")
    print("| back end | median s / batch | p95 s / batch | passages / s | passages / CPU s |")
    print("| --- | --- | --- | --- | --- |")
    rates, cpu_rates = {}, {}
    for name, spent in times.items():
        ordered = sorted(spent)
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
        rates[name] = len(texts) / sum(spent)
        cpu_rates[name] = len(texts) / cpu[name]
        print(f"| {name} | {statistics.median(spent):.3f} | {p95:.3f} | {rates[name]:.1f} | "
              f"{cpu_rates[name]:.1f} |")
    names = list(backends)
    print(f"throughput ratio {names[1]} / {names[0]}: {rates[names[1]] / rates[names[0]]:.2f}x "
          f"(per CPU second: {cpu_rates[names[1]] / cpu_rates[names[0]]:.2f}x)")
    a, b = (np.vstack(vectors[name]) for name in names)
    cosines = (a * b).sum(axis=1)
    print(f"cosine between the two back ends' vectors: mean {cosines.mean():.4f}, "
          f"min {cosines.min():.4f}")


if __name__ == "__main__":
    main()
