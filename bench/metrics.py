"""Ranking quality metrics: nDCG@k, Recall@k and MRR@k over judged queries."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence


def ndcg_at(k: int, ranked: Sequence[str], relevant: Mapping[str, int]) -> float:
    """Normalised discounted cumulative gain of the first k results (graded relevance, log2 discount)."""
    gains = [relevant.get(doc, 0) for doc in ranked[:k]]
    dcg = sum(gain / math.log2(rank + 2) for rank, gain in enumerate(gains))
    ideal = sorted(relevant.values(), reverse=True)[:k]
    idcg = sum(gain / math.log2(rank + 2) for rank, gain in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall_at(k: int, ranked: Sequence[str], relevant: Mapping[str, int]) -> float:
    """Share of the relevant documents found in the first k results."""
    wanted = {doc for doc, gain in relevant.items() if gain > 0}
    return len(wanted & set(ranked[:k])) / len(wanted) if wanted else 0.0


def mrr_at(k: int, ranked: Sequence[str], relevant: Mapping[str, int]) -> float:
    """Reciprocal rank of the first relevant result within the first k, else 0."""
    for rank, doc in enumerate(ranked[:k], start=1):
        if relevant.get(doc, 0) > 0:
            return 1.0 / rank
    return 0.0
