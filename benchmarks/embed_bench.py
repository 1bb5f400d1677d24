"""Embedding throughput: before, PyTorch now and int8 OpenVINO now, side by side in one run.

    python benchmarks/embed_bench.py ../shared/eval/scifact [--passages 0] [--batch 32]

Cuts the collection's documents into passages exactly as indexing does (``--passages 0``: all of
them) and embeds them as indexing does, in chunks of ``CHUNK_BATCHES`` batches, three ways,
alternating chunk by chunk so that all see the same load on a shared machine:

- "before": kmsearch's embedding as it was before this work, kept here as the reference: PyTorch,
  with passages batched by their length in characters (``CharacterBatches``);
- "torch": PyTorch with today's batching, by length in tokens;
- "openvino int8": the default back end.

Prints, per way, the median and p95 seconds per chunk and passages a second, the ratios of
throughputs to "before", and how close the vectors are (cosine between PyTorch's and the int8
model's vectors of the same passage). Passages per CPU second (all threads) is printed too: on a
machine shared with other work, wall time mostly measures the others.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np

from kmsearch.config import Settings
from kmsearch.index.embedder import CHUNK_BATCHES, Embedder, passages_for
from kmsearch.search.evaluation import index_doc, load_beir


class CharacterBatches(Embedder):
    """PyTorch with the batching kmsearch had before: texts sorted by length in characters."""

    def _batches(self, texts: list[str]) -> list[list[int]]:
        batches: list[list[int]] = []
        for i in sorted(range(len(texts)), key=lambda i: len(texts[i])):
            batch = batches[-1] if batches else None
            if (
                batch
                and len(batch) < self.batch_size
                and len(texts[i]) <= 2 * len(texts[batch[0]]) + 100
            ):
                batch.append(i)
            else:
                batches.append([i])
        return batches


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("collection", type=Path)
    parser.add_argument("--passages", type=int, default=0, help="0: every passage")
    parser.add_argument("--batch", type=int, default=Settings.from_env().embed_batch_size)
    args = parser.parse_args()
    backends = {
        "before": CharacterBatches(backend="torch", batch_size=args.batch),
        "torch": Embedder(backend="torch", batch_size=args.batch),
        "openvino int8": Embedder(backend="openvino", batch_size=args.batch),
    }
    collection = load_beir(args.collection)
    first = next(iter(backends.values()))
    texts: list[str] = []
    for doc in collection.docs:
        texts.extend(passages_for(index_doc(doc), first))
        if 0 < args.passages <= len(texts):
            break
    texts = sorted(texts[: args.passages or None], key=len)  # as embed_cached orders them
    step = args.batch * CHUNK_BATCHES
    chunks = [texts[start : start + step] for start in range(0, len(texts), step)]
    for embedder in backends.values():
        embedder.embed(chunks[0])  # load (and export) before timing
    times: dict[str, list[float]] = {name: [] for name in backends}
    cpu: dict[str, float] = dict.fromkeys(backends, 0.0)
    vectors: dict[str, list[np.ndarray]] = {name: [] for name in backends}
    for chunk in chunks:
        for name, embedder in backends.items():
            start, start_cpu = time.perf_counter(), time.process_time()
            vectors[name].append(embedder.embed(chunk))
            times[name].append(time.perf_counter() - start)
            cpu[name] += time.process_time() - start_cpu
    print(f"{len(texts)} passages of {args.collection} in {len(chunks)} chunks of up to {step} "
          f"(batches of {args.batch}); threads {first.threads}")
    print("| way | median s / chunk | p95 s / chunk | passages / s | passages / CPU s |")
    print("| --- | --- | --- | --- | --- |")
    rates, cpu_rates = {}, {}
    for name, spent in times.items():
        ordered = sorted(spent)
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
        rates[name] = len(texts) / sum(spent)
        cpu_rates[name] = len(texts) / cpu[name]
        print(f"| {name} | {statistics.median(spent):.3f} | {p95:.3f} | {rates[name]:.1f} | "
              f"{cpu_rates[name]:.1f} |")
    for name in list(backends)[1:]:
        print(f"throughput {name} / before: {rates[name] / rates['before']:.2f}x "
              f"(per CPU second: {cpu_rates[name] / cpu_rates['before']:.2f}x)")
    a, b = (np.vstack(vectors[name]) for name in ("torch", "openvino int8"))
    cosines = (a * b).sum(axis=1)
    print(f"cosine between PyTorch's and the int8 model's vectors: mean {cosines.mean():.4f}, "
          f"min {cosines.min():.4f}")


if __name__ == "__main__":
    main()
