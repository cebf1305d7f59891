import math

import pytest

from bench.metrics import mrr_at, ndcg_at, recall_at


def test_ndcg_hand_computed():
    # relevant docs a (gain 1) and b (gain 1); ranked: x, a, y, b
    dcg = 1 / math.log2(3) + 1 / math.log2(5)
    ideal = 1 / math.log2(2) + 1 / math.log2(3)
    assert ndcg_at(10, ["x", "a", "y", "b"], {"a": 1, "b": 1}) == pytest.approx(dcg / ideal)
    assert ndcg_at(10, ["a", "b"], {"a": 1, "b": 1}) == pytest.approx(1.0)
    assert ndcg_at(1, ["x", "a"], {"a": 1}) == 0.0


def test_recall_and_mrr_hand_computed():
    assert recall_at(2, ["a", "x", "b"], {"a": 1, "b": 1}) == 0.5
    assert mrr_at(10, ["x", "y", "a"], {"a": 1}) == pytest.approx(1 / 3)
    assert mrr_at(2, ["x", "y", "a"], {"a": 1}) == 0.0
    assert recall_at(10, [], {}) == 0.0
