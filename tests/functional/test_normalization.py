"""batch_norm, layer_norm, local_response_norm, dropout2d: PyTorch parity incl. running
statistics, gradcheck, and the channel-dropout mask."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from helpers import compare_with_torch

import gradwise as gw
from gradwise.autograd import gradcheck
from gradwise.functional import batch_norm, dropout2d, layer_norm, local_response_norm

SHAPES = [(5, 3), (4, 3, 6), (2, 3, 4, 5)]


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-10), (np.float32, 1e-4)])
def test_batch_norm_training_matches_torch_output_gradients_and_running_stats(shape, dtype, tol):
    rng = np.random.default_rng(0)
    x = (rng.standard_normal(shape) * 3 + 2).astype(dtype)
    w, b = rng.standard_normal(3).astype(dtype), rng.standard_normal(3).astype(dtype)
    rm, rv = np.zeros(3, dtype), np.ones(3, dtype)
    trm, trv = torch.zeros(3, dtype=torch.float64 if dtype == np.float64 else torch.float32), \
        torch.ones(3, dtype=torch.float64 if dtype == np.float64 else torch.float32)
    compare_with_torch(lambda x, w, b: batch_norm(x, rm, rv, w, b, True, 0.3, 1e-3),
                       lambda x, w, b: TF.batch_norm(x, trm, trv, w, b, True, 0.3, 1e-3),
                       [x, w, b], atol=tol, rtol=tol)
    np.testing.assert_allclose(rm, trm.numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(rv, trv.numpy(), rtol=tol, atol=tol)  # unbiased update


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_batch_norm_eval_uses_running_stats_and_matches_torch(shape):
    rng = np.random.default_rng(1)
    x, w, b = rng.standard_normal(shape), rng.standard_normal(3), rng.standard_normal(3)
    rm, rv = rng.standard_normal(3), rng.random(3) + 0.5
    compare_with_torch(lambda x, w, b: batch_norm(x, rm, rv, w, b, False),
                       lambda x, w, b: TF.batch_norm(x, torch.tensor(rm), torch.tensor(rv), w, b,
                                                     False), [x, w, b])


def test_batch_norm_without_affine_or_running_stats_matches_torch():
    x = np.random.default_rng(2).standard_normal((4, 3, 5))
    compare_with_torch(lambda x: batch_norm(x, None, None, training=True),
                       lambda x: TF.batch_norm(x, None, None, training=True), [x])


def test_norm_backwards_pass_gradcheck(rng):
    x, w, b = (gw.tensor(rng.standard_normal(s), requires_grad=True)
               for s in [(3, 2, 3, 2), (2,), (2,)])
    assert gradcheck(lambda x, w, b: batch_norm(x, None, None, w, b, training=True), [x, w, b])
    rm, rv = rng.standard_normal(2), rng.random(2) + 0.5
    assert gradcheck(lambda x, w, b: batch_norm(x, rm, rv, w, b, training=False), [x, w, b])
    w2, b2 = (gw.tensor(rng.standard_normal((3, 2)), requires_grad=True) for _ in range(2))
    assert gradcheck(lambda x, w, b: layer_norm(x, (3, 2), w, b), [x, w2, b2])
    x5 = gw.tensor(rng.standard_normal((2, 5, 2, 2)), requires_grad=True)
    assert gradcheck(lambda x: local_response_norm(x, 3, alpha=0.5, beta=0.75, k=1.5), [x5])


@pytest.mark.parametrize("shape,norm", [((4, 6), (6,)), ((2, 3, 4), (4,)), ((2, 3, 4), (3, 4))],
                         ids=str)
@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-10), (np.float32, 1e-4)])
def test_layer_norm_matches_torch(shape, norm, dtype, tol):
    rng = np.random.default_rng(3)
    arrays = [(rng.standard_normal(shape) * 2 + 1).astype(dtype),
              rng.standard_normal(norm).astype(dtype), rng.standard_normal(norm).astype(dtype)]
    compare_with_torch(lambda x, w, b: layer_norm(x, norm, w, b),
                       lambda x, w, b: TF.layer_norm(x, norm, w, b), arrays, atol=tol, rtol=tol)


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8])
@pytest.mark.parametrize("shape", [(2, 7, 3, 4), (2, 7, 5)], ids=str)
def test_local_response_norm_matches_torch(size, shape):
    x = np.random.default_rng(4).standard_normal(shape) * 3
    kw = dict(alpha=0.1, beta=0.75, k=2.0)
    compare_with_torch(lambda x: local_response_norm(x, size, **kw),
                       lambda x: TF.local_response_norm(x, size, **kw), [x])


def test_dropout2d_zeroes_whole_channels_and_scales_survivors():
    x = gw.tensor(np.ones((64, 8, 3, 3)), requires_grad=True)
    y = dropout2d(x, p=0.25, training=True, rng=np.random.default_rng(0))
    per_channel = y.array.reshape(64 * 8, 9)
    assert np.all((per_channel == 0).all(1) | (per_channel == 1 / 0.75).all(1))
    assert abs((per_channel[:, 0] == 0).mean() - 0.25) < 0.06
    y.backward(np.ones(y.shape))
    np.testing.assert_array_equal(x.grad.array, y.array)  # dL/dx = mask / (1 − p)
    x3 = np.ones((4, 5, 6))
    with pytest.warns(UserWarning, match=r"Received a 3D input .* \(N, C, L\)"):  # as torch
        y3 = dropout2d(gw.tensor(x3), p=0.5, rng=np.random.default_rng(1)).array
    assert np.all((y3 == 0).all(2) | (y3 == 2).all(2))


def test_dropout2d_is_identity_in_eval_and_reproducible_with_a_seeded_rng():
    x = np.random.default_rng(5).standard_normal((2, 3, 4, 4))
    np.testing.assert_array_equal(dropout2d(gw.tensor(x), 0.5, training=False).array, x)
    a = dropout2d(gw.tensor(x), 0.5, rng=np.random.default_rng(7)).array
    b = dropout2d(gw.tensor(x), 0.5, rng=np.random.default_rng(7)).array
    np.testing.assert_array_equal(a, b)


def test_norm_errors_give_expected_and_actual():
    x = gw.tensor(np.zeros((4, 3, 2)))
    with pytest.raises(ValueError, match=r"batch_norm: expected running_mean of shape \(3,\) .* "
                                         r"got \(4,\)"):
        batch_norm(x, np.zeros(4), np.ones(4), training=True)
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        batch_norm(gw.tensor(np.zeros((1, 3))), None, None, training=True)
    with pytest.raises(ValueError, match=r"layer_norm: expected input with trailing shape "
                                         r"\(3,\), got \(4, 3, 2\)"):
        layer_norm(x, 3)
    with pytest.raises(ValueError, match="between 0 and 1"):
        dropout2d(x, 1.5)
