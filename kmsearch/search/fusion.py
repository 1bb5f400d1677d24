"""Fusion of the keyword and semantic arms' ranked lists: pure functions of (keys, scores) lists.

Three methods, chosen by ``KMSEARCH_FUSION`` (see the README for the comparison on SciFact):

- ``rrf``: reciprocal rank fusion, each key scores sum(weight / (k + rank)); ranks only.
- ``convex``: a convex combination of each arm's scores, min-max normalised over the arm's own
  list: sum(weight * (score - min) / (max - min)); a key missing from an arm gets 0 there.
- ``zscore``: the same with each arm's scores standardised ((score - mean) / std); a key missing
  from an arm gets that arm's lowest standardised score.

Ties keep the order in which keys were first seen, so the first list breaks them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

METHODS = ("rrf", "convex", "zscore")


@dataclass(frozen=True)
class FusionSettings:
    """How the arms are fused; ``weights`` are per arm, in the order the arms are given."""

    method: str = "rrf"
    weights: tuple[float, ...] = (0.5, 0.5)
    rrf_k: int = 60


Ranking = tuple[Sequence[str], dict[str, float]]


def fuse(rankings: Sequence[Ranking], settings: FusionSettings = FusionSettings()
         ) -> list[tuple[str, float]]:
    """One ranked (key, score) list from the arms' ranked keys and their scores."""
    if settings.method not in METHODS:
        raise ValueError(f"unknown fusion {settings.method!r}; expected one of "
                         f"{', '.join(METHODS)}")
    weights = list(settings.weights) + [1.0] * (len(rankings) - len(settings.weights))
    if settings.method == "rrf":
        return reciprocal_rank_fusion([keys for keys, _ in rankings], k=settings.rrf_k,
                                      weights=weights)
    fused = dict.fromkeys((key for keys, _ in rankings for key in keys), 0.0)
    for (keys, scores), weight in zip(rankings, weights, strict=False):
        if not keys:
            continue
        values = np.array([scores[key] for key in keys], dtype=np.float64)
        normalised, missing = _normalise(values, settings.method)
        own = dict(zip(keys, normalised.tolist(), strict=True))
        for key in fused:
            fused[key] += weight * own.get(key, missing)
    return _ordered(fused)


def _normalise(values: np.ndarray, method: str) -> tuple[np.ndarray, float]:
    """The arm's scores normalised, and the value a key absent from the arm gets."""
    if method == "convex":
        low, high = float(values.min()), float(values.max())
        span = high - low
        return ((values - low) / span if span > 0 else np.ones_like(values)), 0.0
    spread = float(values.std())
    standard = (values - values.mean()) / spread if spread > 0 else np.zeros_like(values)
    return standard, float(standard.min())


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[str]], k: int = 60, weights: Sequence[float] | None = None
) -> list[tuple[str, float]]:
    """Fuse ranked key lists: each key scores the sum of weight / (k + rank) over its lists.

    Ties keep the order in which keys were first seen, so the first list breaks them.
    """
    scores: dict[str, float] = {}
    weights = list(weights or []) + [1.0] * (len(rankings) - len(weights or []))
    for ranking, weight in zip(rankings, weights, strict=False):
        for rank, key in enumerate(ranking, start=1):
            scores[key] = scores.get(key, 0.0) + weight / (k + rank)
    return _ordered(scores)


def _ordered(scores: dict[str, float]) -> list[tuple[str, float]]:
    order = {key: i for i, key in enumerate(scores)}
    return sorted(scores.items(), key=lambda item: (-item[1], order[item[0]]))
