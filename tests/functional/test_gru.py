"""GRU sequence kernel in both forms: finite-difference BPTT checks and the reset-before form
against a direct NumPy transcription of the seed formula (Cho et al. 2014)."""
import numpy as np
import pytest

import gradwise as gw
from gradwise import nn
from gradwise.autograd import gradcheck
from gradwise.functional import gru_cell, gru_sequence
from gradwise.functional.gru import gru_forward
from helpers import leaf

T, N, D, H = 4, 3, 3, 2


def params(rng, bias=True, scale=0.7):
    p = [rng.standard_normal((3 * H, D)) * scale, rng.standard_normal((3 * H, H)) * scale]
    return p + ([rng.standard_normal(3 * H) * scale for _ in range(2)] if bias else [None, None])


@pytest.mark.parametrize("reset_after", [True, False])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("batch_sizes", [None, [3, 2, 2, 1]])
def test_gru_bptt_gradcheck_with_initial_state(reset_after, reverse, batch_sizes):
    rng = np.random.default_rng(0)
    inputs = [leaf(a) for a in [rng.standard_normal((T, N, D)), rng.standard_normal((N, H)),
                                *params(rng)]]
    fn = lambda *a: gru_sequence(*a, batch_sizes=batch_sizes, reverse=reverse,  # noqa: E731
                                 reset_after=reset_after)
    assert gradcheck(fn, inputs, atol=1e-7, rtol=1e-5)


def test_gru_gradcheck_without_bias():
    rng = np.random.default_rng(1)
    x, h0 = leaf(rng.standard_normal((T, N, D))), leaf(rng.standard_normal((N, H)))
    w_ih, w_hh, _, _ = [leaf(a) for a in params(rng, bias=False)]
    for reset_after in (True, False):
        assert gradcheck(lambda *a: gru_sequence(*a, reset_after=reset_after),
                         [x, h0, w_ih, w_hh], atol=1e-7, rtol=1e-5)


def seed_gru(x, h, w_ih, w_hh, b_ih, b_hh):
    """Seed 000 ch. 5.2.6 / Cho et al. 2014, transcribed literally, one step at a time:

        r = σ(W_xr x + W_hr h + b_r),  z = σ(W_xz x + W_hz h + b_z)
        h̃ = tanh(W_xh x + W_hh (r ⊙ h) + b_h),  h = z ⊙ h + (1 − z) ⊙ h̃

    with W_x* the r/z/n row blocks of weight_ih, W_h* those of weight_hh and b = b_ih + b_hh.
    """
    sig = lambda a: 1 / (1 + np.exp(-a))  # noqa: E731
    W_xr, W_xz, W_xh = w_ih[:H], w_ih[H:2 * H], w_ih[2 * H:]
    W_hr, W_hz, W_hh = w_hh[:H], w_hh[H:2 * H], w_hh[2 * H:]
    b = b_ih + b_hh
    b_r, b_z, b_h = b[:H], b[H:2 * H], b[2 * H:]
    ys = []
    for t in range(x.shape[0]):
        r = sig(x[t] @ W_xr.T + h @ W_hr.T + b_r)
        z = sig(x[t] @ W_xz.T + h @ W_hz.T + b_z)
        h_tilde = np.tanh(x[t] @ W_xh.T + (r * h) @ W_hh.T + b_h)
        h = z * h + (1 - z) * h_tilde
        ys.append(h)
    return np.stack(ys), h


def test_gru_reset_before_matches_the_seed_formula():
    rng = np.random.default_rng(2)
    x, h0 = rng.standard_normal((T, N, D)), rng.standard_normal((N, H))
    w = params(rng, scale=1.5)
    (y, h_n), _ = gru_forward(x, h0, *w, reset_after=False)
    ry, rh = seed_gru(x, h0, *w)
    np.testing.assert_allclose(y, ry, atol=1e-14)
    np.testing.assert_allclose(h_n, rh, atol=1e-14)
    # and the two forms really differ
    (y_after, _), _ = gru_forward(x, h0, *w, reset_after=True)
    assert np.abs(y_after - ry).max() > 1e-3


def test_gru_module_and_cell_reset_before_match_the_seed_formula():
    gw.manual_seed(0)
    m = nn.GRU(D, H, num_layers=1, bidirectional=True, reset_after=False, dtype=np.float64)
    cell = nn.GRUCell(D, H, reset_after=False, dtype=np.float64)
    rng = np.random.default_rng(3)
    x, h0 = rng.standard_normal((T, N, D)), rng.standard_normal((2, N, H))
    y, h_n = m(gw.tensor(x), gw.tensor(h0))
    fwd = [m.weight_ih_l0.array, m.weight_hh_l0.array, m.bias_ih_l0.array, m.bias_hh_l0.array]
    bwd = [m.weight_ih_l0_reverse.array, m.weight_hh_l0_reverse.array, m.bias_ih_l0_reverse.array,
           m.bias_hh_l0_reverse.array]
    ry_f, rh_f = seed_gru(x, h0[0], *fwd)
    ry_b, rh_b = seed_gru(x[::-1], h0[1], *bwd)
    np.testing.assert_allclose(y.array[..., :H], ry_f, atol=1e-14)
    np.testing.assert_allclose(y.array[..., H:], ry_b[::-1], atol=1e-14)
    np.testing.assert_allclose(h_n.array, np.stack([rh_f, rh_b]), atol=1e-14)
    cell_w = [cell.weight_ih.array, cell.weight_hh.array, cell.bias_ih.array, cell.bias_hh.array]
    h1 = cell(gw.tensor(x[0]), gw.tensor(h0[0]))
    np.testing.assert_allclose(h1.array, seed_gru(x[:1], h0[0], *cell_w)[1], atol=1e-14)


def test_gru_variable_lengths_reverse_starts_at_each_end():
    rng = np.random.default_rng(4)
    x, h0 = rng.standard_normal((T, N, D)), rng.standard_normal((N, H))
    w = params(rng)
    lengths, bs = [4, 3, 1], [3, 2, 2, 1]
    (y, h_n), _ = gru_forward(x, h0, *w, batch_sizes=bs, reverse=True, reset_after=False)
    for n, L in enumerate(lengths):
        ry, rh = seed_gru(x[:L, n:n + 1][::-1], h0[n:n + 1], *w)
        np.testing.assert_allclose(y[:L, n], ry[::-1, 0], atol=1e-14)
        assert np.all(y[L:, n] == 0)
        np.testing.assert_allclose(h_n[n], rh[0], atol=1e-14)


def test_gru_cell_gradcheck_both_forms():
    rng = np.random.default_rng(5)
    x, h = leaf(rng.standard_normal((N, D))), leaf(rng.standard_normal((N, H)))
    w = [leaf(a) for a in params(rng)]
    for reset_after in (True, False):
        assert gradcheck(lambda *a: gru_cell(*a, reset_after=reset_after), [x, h, *w],
                         atol=1e-7, rtol=1e-5)
