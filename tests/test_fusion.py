from kmsearch.search.fusion import reciprocal_rank_fusion


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
