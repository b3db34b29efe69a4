"""Temperature / top-k / top-p sampling."""
import numpy as np
import pytest

from gradwise.train.generate import filter_logits, generate, sample_next


def test_top_k_keeps_the_k_largest_logits():
    logits = np.array([1.0, 3.0, 2.0, 0.5])
    out = filter_logits(logits, top_k=2)
    np.testing.assert_array_equal(np.isfinite(out), [False, True, True, False])
    np.testing.assert_array_equal(logits, [1.0, 3.0, 2.0, 0.5])   # input not mutated


def test_top_p_keeps_the_smallest_nucleus_reaching_p():
    probs = np.array([0.5, 0.1, 0.3, 0.1])
    logits = np.log(probs)
    # sorted: 0.5, 0.3 (cumulative 0.8), 0.1 ...: p = 0.75 needs {0.5, 0.3}
    keep = np.isfinite(filter_logits(logits, top_p=0.75))
    np.testing.assert_array_equal(keep, [True, False, True, False])
    # p = 0.5 is reached by the first token alone; a tiny p still keeps the best token
    np.testing.assert_array_equal(np.isfinite(filter_logits(logits, top_p=0.5)),
                                  [True, False, False, False])
    np.testing.assert_array_equal(np.isfinite(filter_logits(logits, top_p=1e-9)),
                                  [True, False, False, False])


def test_filters_work_row_wise_on_batches():
    logits = np.array([[0.0, 1.0, 2.0], [2.0, 1.0, 0.0]])
    keep = np.isfinite(filter_logits(logits, top_k=1))
    np.testing.assert_array_equal(keep, [[False, False, True], [True, False, False]])


def test_sampling_frequencies_follow_the_temperature_scaled_softmax():
    rng = np.random.default_rng(0)
    logits = np.log(np.array([0.6, 0.3, 0.1]))
    n = 20000
    draws = sample_next(np.tile(logits, (n, 1)), temperature=1.0, rng=rng)
    np.testing.assert_allclose(np.bincount(draws, minlength=3) / n, [0.6, 0.3, 0.1], atol=0.015)
    # temperature 0.5 squares the probabilities before renormalising
    p = np.array([0.36, 0.09, 0.01]) / 0.46
    draws = sample_next(np.tile(logits, (n, 1)), temperature=0.5, rng=rng)
    np.testing.assert_allclose(np.bincount(draws, minlength=3) / n, p, atol=0.015)


def test_temperature_zero_is_greedy_and_top_k_one_is_greedy():
    logits = np.array([[0.2, 0.9, 0.1], [3.0, -1.0, 2.0]])
    np.testing.assert_array_equal(sample_next(logits, temperature=0), [1, 0])
    rng = np.random.default_rng(1)
    for _ in range(20):
        np.testing.assert_array_equal(sample_next(logits, top_k=1, rng=rng), [1, 0])


def test_sample_next_rejects_bad_arguments():
    with pytest.raises(ValueError, match="temperature"):
        sample_next(np.zeros(3), temperature=-1)
    with pytest.raises(ValueError, match="top_p"):
        sample_next(np.zeros(3), top_p=0.0)
    with pytest.raises(ValueError, match=r"\(V,\) or \(N, V\)"):
        sample_next(np.zeros((1, 2, 3)))


def test_generate_feeds_each_drawn_token_back_with_the_state():
    calls = []

    def step(ids, state):
        calls.append((ids.tolist(), state))
        state = (state or 0) + ids.shape[1]
        logits = np.full((1, ids.shape[1], 5), -10.0)
        logits[0, -1, (ids[0, -1] + 1) % 5] = 10.0          # next token = last + 1
        return logits, state

    out = generate(step, [1, 2], max_new_tokens=4, temperature=0)
    assert out == [3, 4, 0, 1]
    assert calls[0] == ([[1, 2]], None) and calls[1] == ([[3]], 2) and calls[2] == ([[4]], 3)
    assert generate(step, [1], max_new_tokens=10, temperature=0, stop_id=3) == [2, 3]
    with pytest.raises(ValueError, match="prompt"):
        generate(step, [], 3)
