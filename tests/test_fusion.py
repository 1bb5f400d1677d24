import pytest

from kmsearch.search.fusion import FusionSettings, fuse, reciprocal_rank_fusion


def test_a_key_ranked_well_in_both_lists_beats_keys_in_one_list():
    fused = reciprocal_rank_fusion([["a", "b", "c"], ["d", "b", "a"]], k=60)
    assert [key for key, _ in fused][:2] == ["a", "b"]
    scores = dict(fused)
    assert scores["b"] > scores["c"] and scores["a"] > scores["d"]


def test_scores_are_sums_of_reciprocal_ranks():
    scores = dict(reciprocal_rank_fusion([["x", "y"], ["y"]], k=10))
    assert scores["x"] == 1 / 11
    assert scores["y"] == 1 / 12 + 1 / 11


def test_ties_keep_the_first_lists_order():
    fused = reciprocal_rank_fusion([["p", "q"], ["q", "p"]], k=60)
    assert [key for key, _ in fused] == ["p", "q"]


def test_weighted_rrf_weighs_each_list():
    scores = dict(reciprocal_rank_fusion([["x"], ["y"]], k=10, weights=[0.25, 0.75]))
    assert scores == {"x": 0.25 / 11, "y": 0.75 / 11}


def test_convex_fusion_adds_weighted_min_max_normalised_scores():
    keyword = (["a", "b", "c"], {"a": 12.0, "b": 7.0, "c": 2.0})
    semantic = (["c", "d"], {"c": 0.8, "d": 0.4})
    fused = dict(fuse([keyword, semantic], FusionSettings("convex", (0.4, 0.6))))
    assert fused == pytest.approx({"a": 0.4, "b": 0.2, "c": 0.6, "d": 0.0})


def test_convex_fusion_follows_the_scores_not_only_the_ranks():
    # a keyword hit far ahead of the rest stays first even though it is absent semantically
    keyword = (["a", "b"], {"a": 30.0, "b": 1.0})
    semantic = (["b", "c"], {"b": 0.5, "c": 0.49})
    assert fuse([keyword, semantic], FusionSettings("convex", (0.6, 0.4)))[0][0] == "a"
    assert fuse([keyword, semantic], FusionSettings("rrf", (0.6, 0.4)))[0][0] == "b"


def test_zscore_fusion_gives_absent_keys_the_lists_lowest_score():
    keyword = (["a", "b", "c"], {"a": 3.0, "b": 2.0, "c": 1.0})
    semantic = (["d"], {"d": 0.9})
    fused = dict(fuse([keyword, semantic], FusionSettings("zscore", (0.5, 0.5))))
    assert fused["a"] > fused["b"] > fused["c"]
    assert fused["d"] == pytest.approx(0.5 * min(fused[k] / 0.5 for k in "abc"))


def test_an_unknown_method_is_refused():
    with pytest.raises(ValueError, match="unknown fusion"):
        fuse([(["a"], {"a": 1.0})], FusionSettings("magic"))
