"""Dropout: inverted scaling, train/eval modes, the rng argument, gradients, statistics."""
import numpy as np
import pytest
import torch

import gradwise as gw
import gradwise.nn.functional as F
from gradwise import nn
from gradwise.functional.dropout import dropout_backward, dropout_forward


def test_dropout_zeroes_with_probability_p_and_scales_survivors():
    x = np.ones((400, 500), np.float32)
    y, mask = dropout_forward(x, p=0.3, training=True, rng=np.random.default_rng(0))
    assert y.dtype == np.float32
    kept = y != 0
    assert kept.mean() == pytest.approx(0.7, abs=0.005)
    np.testing.assert_allclose(y[kept], 1 / 0.7, rtol=1e-6)
    assert y.mean() == pytest.approx(1.0, abs=0.01)  # E[y] = x


def test_dropout_backward_uses_the_forward_mask():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((6, 7))
    y, mask = dropout_forward(x, p=0.5, training=True, rng=rng)
    g = rng.standard_normal((6, 7))
    np.testing.assert_array_equal(dropout_backward(g, mask), g * mask)
    np.testing.assert_array_equal((y == 0), (mask == 0))
    xt = gw.tensor(x, requires_grad=True)
    out = F.dropout(xt, 0.5, rng=np.random.default_rng(7))
    out.backward(g)
    np.testing.assert_allclose(xt.grad.array, g * (out.array / x))


def test_dropout_gradient_matches_torch_for_the_same_mask(rng):
    x = rng.standard_normal((5, 4))
    xt = gw.tensor(x, requires_grad=True)
    y = F.dropout(xt, 0.25, rng=np.random.default_rng(3))
    mask = torch.tensor((y.array != 0).astype(np.float64))
    tx = torch.tensor(x, requires_grad=True)
    ty = tx * mask / 0.75  # torch's dropout with this mask
    np.testing.assert_allclose(y.array, ty.detach().numpy(), rtol=1e-12)
    v = rng.standard_normal((5, 4))
    y.backward(v)
    (ty * torch.tensor(v)).sum().backward()
    np.testing.assert_allclose(xt.grad.array, tx.grad.numpy(), rtol=1e-12)


def test_dropout_eval_mode_and_p_zero_are_identity():
    x = gw.randn(3, 4)
    np.testing.assert_array_equal(F.dropout(x, 0.5, training=False).array, x.array)
    np.testing.assert_array_equal(F.dropout(x, 0.0).array, x.array)
    d = nn.Dropout(0.9).eval()
    np.testing.assert_array_equal(d(x).array, x.array)
    assert F.dropout(x, 1.0).array.sum() == 0


def test_dropout_module_uses_library_rng_and_training_flag():
    d = nn.Dropout(0.5)
    x = gw.ones(100)
    gw.manual_seed(4)
    a = d(x).array.copy()
    gw.manual_seed(4)
    b = d(x).array.copy()
    np.testing.assert_array_equal(a, b)
    assert 0 < (a == 0).sum() < 100
    assert repr(d) == repr(torch.nn.Dropout(0.5))


def test_dropout_rng_argument_is_reproducible():
    x = gw.ones(50)
    a = F.dropout(x, 0.5, rng=np.random.default_rng(9)).array
    b = F.dropout(x, 0.5, rng=np.random.default_rng(9)).array
    np.testing.assert_array_equal(a, b)


def test_dropout_rejects_bad_p():
    with pytest.raises(ValueError, match="between 0 and 1, but got 1.5"):
        nn.Dropout(1.5)
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.dropout(gw.ones(2), -0.1)


def _torch_warnings(fn):
    with pytest.warns(UserWarning) as record:
        fn()
    return [str(w.message) for w in record if issubclass(w.category, UserWarning)]


@pytest.mark.parametrize("shape", [(6, 40), (4, 6, 5), (2, 3, 2, 4, 4)], ids=str)
def test_dropout2d_off_rank_inputs_warn_and_drop_like_torch(shape):
    """2-D (N, C): element-wise; 3-D: channels along axis 1 of (N, C, L); 5-D: per (n, c). Each
    warns with PyTorch 2.13's message."""
    x = np.random.default_rng(0).standard_normal(shape)
    gx, tx = gw.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ours, theirs = nn.Dropout2d(0.5), torch.nn.Dropout2d(0.5)
    got = []
    want = _torch_warnings(lambda: got.append(theirs(tx)))
    assert _torch_warnings(lambda: got.append(ours(gx))) == want
    ty, gy = got
    assert gy.shape == tuple(ty.shape) and gy.dtype == np.float64
    kept = gy.array != 0
    np.testing.assert_allclose(gy.array[kept], 2 * x[kept], rtol=1e-15)
    per_nc = kept.reshape(shape[0] * shape[1], -1)
    assert (per_nc.all(1) | ~per_nc.any(1)).all()  # the mask is constant within each (n, c)
    gy.backward(np.ones(shape))
    ty.sum().backward()
    np.testing.assert_array_equal(gx.grad.array, 2.0 * kept)  # dL/dx = mask / (1 − p)
    t_kept = ty.detach().numpy() != 0
    np.testing.assert_array_equal(tx.grad.numpy(), 2.0 * t_kept)


def test_dropout2d_2d_input_warns_in_eval_mode_too_and_is_the_identity():
    x = gw.tensor(np.ones((3, 4)))
    drop, tdrop = nn.Dropout2d(0.5).eval(), torch.nn.Dropout2d(0.5).eval()
    assert _torch_warnings(lambda: drop(x)) == _torch_warnings(lambda: tdrop(torch.ones(3, 4)))
    with pytest.warns(UserWarning, match=r"^dropout2d: Received a 2-D input to dropout2d"):
        np.testing.assert_array_equal(drop(x).array, x.array)


def test_dropout2d_refuses_a_1d_input_like_torch():
    with pytest.raises(RuntimeError, match="Feature dropout requires at least 2 dimensions"):
        with pytest.warns(UserWarning):
            torch.nn.Dropout2d(0.5)(torch.ones(5))
    with pytest.raises(ValueError, match=r"dropout2d: .*at least 2 dims.*got shape \(5,\)"):
        nn.Dropout2d(0.5)(gw.ones(5))
