"""LSTM sequence kernel: finite-difference BPTT checks, a NumPy transcription of the seed
equations, variable lengths and the no-grad path."""
import numpy as np
import pytest

import gradwise as gw
from gradwise.autograd import gradcheck
from gradwise.functional import lstm_cell, lstm_sequence
from gradwise.functional.lstm import lstm_backward, lstm_forward
from helpers import leaf

T, N, D, H, P = 4, 3, 3, 2, 1


def params(rng, proj=False, bias=True, scale=0.6):
    G = 4 * H
    p = [rng.standard_normal((G, D)) * scale, rng.standard_normal((G, P if proj else H)) * scale]
    p += [rng.standard_normal(G) * scale, rng.standard_normal(G) * scale] if bias else [None, None]
    p.append(rng.standard_normal((P, H)) * scale if proj else None)
    return p


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("proj", [False, True])
@pytest.mark.parametrize("batch_sizes", [None, [3, 3, 2, 1]])
def test_lstm_bptt_gradcheck_with_initial_state(reverse, proj, batch_sizes):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((T, N, D))
    h0 = rng.standard_normal((N, P if proj else H))
    c0 = rng.standard_normal((N, H))
    inputs = [leaf(a) for a in [x, h0, c0, *params(rng, proj)]]
    fn = lambda *a: lstm_sequence(*a, batch_sizes=batch_sizes, reverse=reverse)  # noqa: E731
    assert gradcheck(fn, inputs, eps=1e-6, atol=1e-7, rtol=1e-5)


def test_lstm_gradcheck_without_bias_or_initial_state():
    rng = np.random.default_rng(1)
    x = leaf(rng.standard_normal((T, N, D)))
    w = [leaf(a) for a in params(rng, bias=False)]
    assert gradcheck(lambda x, wi, wh: lstm_sequence(x, None, None, wi, wh), [x, w[0], w[1]],
                     atol=1e-7, rtol=1e-5)


def seed_lstm(x, h, c, w_ih, w_hh, b, w_hr=None):
    """Seed 000, chapter 5.2.6, one step at a time: (i f g o) = (σ σ tanh σ)(W [x; h] + b)."""
    sig = lambda a: 1 / (1 + np.exp(-a))  # noqa: E731
    ys = []
    for t in range(x.shape[0]):
        a = x[t] @ w_ih.T + h @ w_hh.T + b
        i, f, g, o = sig(a[:, :H]), sig(a[:, H:2 * H]), np.tanh(a[:, 2 * H:3 * H]), sig(a[:, 3 * H:])
        c = f * c + i * g
        h = o * np.tanh(c)
        if w_hr is not None:
            h = h @ w_hr.T
        ys.append(h)
    return np.stack(ys), h, c


@pytest.mark.parametrize("proj", [False, True])
def test_lstm_forward_matches_the_seed_equations(proj):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((T, N, D))
    h0, c0 = rng.standard_normal((N, P if proj else H)), rng.standard_normal((N, H))
    w_ih, w_hh, b_ih, b_hh, w_hr = params(rng, proj, scale=1.5)
    (y, h_n, c_n), _ = lstm_forward(x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr)
    ry, rh, rc = seed_lstm(x, h0, c0, w_ih, w_hh, b_ih + b_hh, w_hr)
    np.testing.assert_allclose(y, ry, atol=1e-14)
    np.testing.assert_allclose(h_n, rh, atol=1e-14)
    np.testing.assert_allclose(c_n, rc, atol=1e-14)


def test_lstm_variable_lengths_zero_the_padding_and_take_each_last_step():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((T, N, D))
    h0, c0 = rng.standard_normal((N, H)), rng.standard_normal((N, H))
    w = params(rng)
    lengths = [4, 2, 1]
    bs = [3, 2, 1, 1]
    for reverse in (False, True):
        (y, h_n, c_n), _ = lstm_forward(x, h0, c0, *w, batch_sizes=bs, reverse=reverse)
        for n, L in enumerate(lengths):
            xs = x[:L, n:n + 1][::-1] if reverse else x[:L, n:n + 1]
            ry, rh, rc = seed_lstm(xs, h0[n:n + 1], c0[n:n + 1], w[0], w[1], w[2] + w[3])
            ry = ry[::-1] if reverse else ry
            np.testing.assert_allclose(y[:L, n], ry[:, 0], atol=1e-14)
            assert np.all(y[L:, n] == 0)
            np.testing.assert_allclose(h_n[n], rh[0], atol=1e-14)
            np.testing.assert_allclose(c_n[n], rc[0], atol=1e-14)


def test_lstm_no_grad_path_gives_the_same_outputs_and_refuses_backward():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((T, N, D)).astype(np.float32)
    w = [a.astype(np.float32) for a in params(rng)[:4]]
    out_a, cache = lstm_forward(x, None, None, *w, needs_input_grad=(True,) * 8)
    out_b, none = lstm_forward(x, None, None, *w, needs_input_grad=(False,) * 8)
    assert none is None and out_a[0].dtype == np.float32
    for a, b in zip(out_a, out_b):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(RuntimeError, match="kept no cache"):
        lstm_backward(tuple(np.ones_like(o) for o in out_a), None)
    with gw.no_grad():
        y, _, _ = lstm_sequence(gw.tensor(x), None, None, *[gw.tensor(a, requires_grad=True)
                                                             for a in w])
    np.testing.assert_array_equal(y.array, out_a[0])


def test_lstm_cell_is_one_step_of_the_sequence_kernel():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((N, D))
    h, c = rng.standard_normal((N, H)), rng.standard_normal((N, H))
    w = params(rng)[:4]
    h1, c1 = lstm_cell(gw.tensor(x), gw.tensor(h), gw.tensor(c), *map(gw.tensor, w))
    ry, rh, rc = seed_lstm(x[None], h, c, w[0], w[1], w[2] + w[3])
    np.testing.assert_allclose(h1.array, rh, atol=1e-14)
    np.testing.assert_allclose(c1.array, rc, atol=1e-14)


def test_lstm_kernel_rejects_bad_batch_sizes_and_mixed_dtypes():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((T, N, D))
    w = params(rng)[:4]
    with pytest.raises(ValueError, match="batch_sizes must be non-increasing"):
        lstm_forward(x, None, None, *w, batch_sizes=[3, 1, 2, 1])
    with pytest.raises(ValueError, match="batch_sizes has 3 steps, input has T=4"):
        lstm_forward(x, None, None, *w, batch_sizes=[3, 2, 1])
    with pytest.raises(ValueError, match="must share the input's dtype float32"):
        lstm_forward(x.astype(np.float32), None, None, *w)
