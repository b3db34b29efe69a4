"""Metrics against hand-computed values: BLEU (Papineni et al. 2002), F1, accuracy, perplexity."""
import math

import numpy as np
import pytest
import torch

from gradwise.train.metrics import (
    Accuracy, BLEUStats, MacroF1, Solved, accuracy, confusion_matrix, corpus_bleu, macro_f1,
    modified_precision, perplexity, token_accuracy,
)

# Papineni et al. 2002, §2.1, Example 2 (candidate 1 and its three references)
PAPINENI_CAND1 = ("It is a guide to action which ensures that the military always obeys the "
                  "commands of the party").split()
PAPINENI_REFS = [
    ("It is a guide to action that ensures that the military will forever heed Party "
     "commands").split(),
    ("It is the guiding principle which guarantees the military forces always being under the "
     "command of the Party").split(),
    "It is the practical guide for the army always to heed the directions of the party".split(),
]


def test_modified_unigram_precision_clips_repeated_words_papineni_example():
    # "the the the the the the the" against "The cat is on the mat" / "There is a cat on the mat":
    # "the" occurs at most twice in one reference (lower-cased) -> 2/7
    cand = "the the the the the the the".split()
    refs = ["the cat is on the mat".split(), "there is a cat on the mat".split()]
    assert modified_precision(refs, cand, 1) == (2, 7)


def test_modified_precision_of_papineni_candidate_one():
    # the paper: unigram precision 17/18; bigram precision 10/17
    assert modified_precision(PAPINENI_REFS, PAPINENI_CAND1, 1) == (17, 18)
    assert modified_precision(PAPINENI_REFS, PAPINENI_CAND1, 2) == (10, 17)


def test_sentence_bleu_matches_hand_computation_with_brevity_penalty():
    hyp = "the quick brown fox jumps over the dog".split()          # c = 8
    ref = "the quick brown fox jumped over the lazy dog".split()    # r = 9
    # p1 = 7/8 (the x2 quick brown fox over dog), p2 = 4/7 (the quick, quick brown, brown fox,
    # over the), p3 = 2/6 (the quick brown, quick brown fox), p4 = 1/5 (the quick brown fox)
    expected = math.exp(1 - 9 / 8) * (7 / 8 * 4 / 7 * 2 / 6 * 1 / 5) ** 0.25
    assert corpus_bleu([[ref]], [hyp]) == pytest.approx(expected, rel=1e-12)
    assert expected == pytest.approx(0.377079, abs=1e-6)


def test_corpus_bleu_sums_statistics_over_segments_not_sentence_scores():
    hyps = ["a b c d e".split(), "x y".split()]
    refs = [["a b c d e".split()], ["x z w".split()]]
    # n-gram matches/totals summed: p1 = (5+1)/(5+2), p2 = (4+0)/(4+1), p3 = 3/3, p4 = 2/2;
    # c = 7, r = 5 + 3 = 8 -> BP = exp(1 - 8/7)
    expected = math.exp(1 - 8 / 7) * (6 / 7 * 4 / 5 * 1 * 1) ** 0.25
    assert corpus_bleu(refs, hyps) == pytest.approx(expected, rel=1e-12)
    # the second segment alone has no trigram, so its sentence BLEU is 0, the corpus BLEU is not
    assert corpus_bleu(refs[1:], hyps[1:]) == 0.0


def test_brevity_penalty_uses_closest_reference_length_and_is_one_for_long_hypotheses():
    stats = BLEUStats()
    stats.add(["a b c".split(), "a b c d e f g".split()], "a b c d e".split())
    # |5-3| = 2 = |5-7|: the tie goes to the shorter reference, r = 3 < c = 5 -> BP = 1
    assert stats.ref_len == 3 and stats.brevity_penalty() == 1.0
    stats = BLEUStats()
    stats.add(["a b c d e f".split()], "a b c".split())
    assert stats.brevity_penalty() == pytest.approx(math.exp(1 - 6 / 3))


def test_identical_hypothesis_scores_one_and_smoothing_rescues_short_segments():
    s = "the cat sat on the mat".split()
    assert corpus_bleu([[s]], [s]) == pytest.approx(1.0)
    short = "the cat".split()
    assert corpus_bleu([["the cat sat".split()]], [short]) == 0.0
    # smoothing 2 (Lin & Och 2004): p1 = 2/2, p2 = (1+1)/(1+1), p3 = (0+1)/(0+1), p4 = 1/1
    assert corpus_bleu([["the cat sat".split()]], [short], smooth=True) == pytest.approx(
        math.exp(1 - 3 / 2))


def test_bleu_rejects_strings_and_mismatched_lengths():
    with pytest.raises(TypeError, match="token lists"):
        corpus_bleu([["a b"]], ["a b"])
    with pytest.raises(ValueError, match="2 hypotheses but 1"):
        corpus_bleu([[["a"]]], [["a"], ["b"]])


def test_accuracy_and_token_accuracy_ignore_padding():
    logits = np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]])
    assert accuracy(logits, np.array([1, 1, 1])) == pytest.approx(2 / 3)
    pred = np.array([[1, 2, 0], [3, 1, 2]])
    tgt = np.array([[1, 0, 0], [3, 3, 2]])          # 0 = <pad>: 4 counted, 3 correct
    assert token_accuracy(pred, tgt, ignore_index=0) == pytest.approx(3 / 4)
    with pytest.raises(ValueError, match="do not match"):
        accuracy(np.zeros((3, 2)), np.zeros(4))


def test_macro_f1_matches_hand_computation_and_sklearn_convention():
    y = np.array([0, 0, 1, 1, 2, 2])
    p = np.array([0, 1, 1, 1, 0, 2])
    # class 0: tp 1 fp 1 fn 1 -> 2/4; class 1: tp 2 fp 1 fn 0 -> 4/5; class 2: tp 1 fp 0 fn 1 -> 2/3
    assert macro_f1(p, y) == pytest.approx((1 / 2 + 4 / 5 + 2 / 3) / 3)
    # a class absent from both predictions and targets is left out, not averaged in as 0
    assert macro_f1(p, y, num_classes=5) == pytest.approx((1 / 2 + 4 / 5 + 2 / 3) / 3)
    m = confusion_matrix(p, y)
    np.testing.assert_array_equal(m, [[1, 1, 0], [0, 2, 0], [1, 0, 1]])


def test_running_metrics_equal_the_whole_set_values():
    rng = np.random.default_rng(0)
    logits, y = rng.standard_normal((50, 4)), rng.integers(0, 4, 50)
    acc, f1 = Accuracy(), MacroF1(4)
    for i in range(0, 50, 16):
        acc.update(logits[i:i + 16], y[i:i + 16])
        f1.update(logits[i:i + 16], y[i:i + 16])
    assert acc.compute() == pytest.approx(accuracy(logits, y))
    assert f1.compute() == pytest.approx(macro_f1(logits.argmax(1), y))


def test_perplexity_is_exp_of_mean_nll_as_torch_cross_entropy():
    rng = np.random.default_rng(1)
    logits, y = rng.standard_normal((20, 7)), rng.integers(0, 7, 20)
    nll = torch.nn.functional.cross_entropy(torch.tensor(logits), torch.tensor(y)).item()
    assert perplexity(nll) == pytest.approx(math.exp(nll))
    assert perplexity(0.0) == 1.0
    assert math.isfinite(perplexity(1e6))        # clamped, no OverflowError


def test_metric_state_dict_round_trips_the_counters_as_json_lists():
    f1 = MacroF1(3)
    f1.update(np.array([0, 1, 2, 2]), np.array([0, 2, 2, 1]))
    state = f1.state_dict()
    assert state["matrix"] == f1.matrix.tolist() and state["num_classes"] == 3
    fresh = MacroF1(3)
    fresh.load_state_dict(state)
    np.testing.assert_array_equal(fresh.matrix, f1.matrix)
    assert fresh.compute() == f1.compute()


def test_solved_counts_predictions_within_the_tolerance():
    solved = Solved()
    solved.update(np.array([[0.5], [1.0], [1.5]]), np.array([[0.53], [1.05], [1.5]]))
    assert solved.name == "solved" and solved.compute() == pytest.approx(2 / 3)
    solved.reset()
    assert math.isnan(solved.compute())
