"""Elman RNN sequence kernel (tanh, relu) and the packed<->padded layout ops."""
import numpy as np
import pytest

from gradwise.autograd import gradcheck
from gradwise.functional import rnn_cell, rnn_sequence
from gradwise.functional.rnn import rnn_forward
from gradwise.functional.rnn_common import pack_padded, pad_packed
from helpers import leaf

T, N, D, H = 5, 3, 3, 4


def params(rng, bias=True, scale=0.6):
    p = [rng.standard_normal((H, D)) * scale, rng.standard_normal((H, H)) * scale]
    return p + ([rng.standard_normal(H) * scale for _ in range(2)] if bias else [None, None])


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("batch_sizes", [None, [3, 3, 2, 1, 1]])
def test_rnn_bptt_gradcheck_with_initial_state(nonlinearity, reverse, batch_sizes):
    rng = np.random.default_rng(0)
    inputs = [leaf(a) for a in [rng.standard_normal((T, N, D)), rng.standard_normal((N, H)),
                                *params(rng)]]
    fn = lambda *a: rnn_sequence(*a, batch_sizes=batch_sizes, reverse=reverse,  # noqa: E731
                                 nonlinearity=nonlinearity)
    assert gradcheck(fn, inputs, atol=1e-7, rtol=1e-5)


def seed_rnn(x, h, w_ih, w_hh, b, act):
    """Seed 001: h_t = φ(W_hh h_{t−1} + W_xh x_t + b), one step at a time."""
    ys = []
    for t in range(x.shape[0]):
        h = act(x[t] @ w_ih.T + h @ w_hh.T + b)
        ys.append(h)
    return np.stack(ys), h


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_rnn_forward_matches_the_seed_recurrence_with_variable_lengths(nonlinearity):
    rng = np.random.default_rng(1)
    x, h0 = rng.standard_normal((T, N, D)), rng.standard_normal((N, H))
    w = params(rng, scale=1.2)
    act = np.tanh if nonlinearity == "tanh" else (lambda a: np.maximum(a, 0))
    bs, lengths = [3, 2, 2, 1, 1], [5, 3, 1]
    for reverse in (False, True):
        (y, h_n), _ = rnn_forward(x, h0, *w, batch_sizes=bs, reverse=reverse,
                                  nonlinearity=nonlinearity)
        for n, L in enumerate(lengths):
            xs = x[:L, n:n + 1][::-1] if reverse else x[:L, n:n + 1]
            ry, rh = seed_rnn(xs, h0[n:n + 1], w[0], w[1], w[2] + w[3], act)
            np.testing.assert_allclose(y[:L, n], (ry[::-1] if reverse else ry)[:, 0], atol=1e-14)
            assert np.all(y[L:, n] == 0)
            np.testing.assert_allclose(h_n[n], rh[0], atol=1e-14)


def test_rnn_cell_gradcheck_and_unknown_nonlinearity():
    rng = np.random.default_rng(2)
    x, h = leaf(rng.standard_normal((N, D))), leaf(rng.standard_normal((N, H)))
    w = [leaf(a) for a in params(rng)]
    assert gradcheck(lambda *a: rnn_cell(*a), [x, h, *w], atol=1e-7, rtol=1e-5)
    with pytest.raises(ValueError, match="unknown nonlinearity 'sigmoid'"):
        rnn_forward(x.array[None], None, *[a.array for a in w], nonlinearity="sigmoid")


def test_pack_and_pad_ops_are_adjoint_and_gradcheck():
    rng = np.random.default_rng(3)
    bs = np.array([3, 2, 2, 1])
    S = int(bs.sum())
    data = leaf(rng.standard_normal((S, 2)))
    padded = leaf(rng.standard_normal((4, 3, 2)))
    assert gradcheck(lambda d: pad_packed(d, bs), [data])
    assert gradcheck(lambda p: pack_padded(p, bs), [padded])
    # ⟨pad(d), p⟩ = ⟨d, pack(p)⟩ and pack(pad(d)) = d
    lhs = (pad_packed(data, bs).array * padded.array).sum()
    rhs = (data.array * pack_padded(padded, bs).array).sum()
    assert np.isclose(lhs, rhs)
    np.testing.assert_array_equal(pack_padded(pad_packed(data, bs), bs).array, data.array)
