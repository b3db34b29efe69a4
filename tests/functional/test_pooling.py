"""Pooling ops: PyTorch parity (values, indices, gradients) over ceil_mode/padding/dilation
configs, gradcheck, output-size rule and error messages."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from helpers import compare_with_torch

import gradwise as gw
import gradwise.functional as F
from gradwise.autograd import gradcheck
from gradwise.functional import (
    adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_max_pool2d, avg_pool1d, avg_pool2d,
    max_pool1d, max_pool2d,
)
from gradwise.functional.pooling import pool_out_size

MAX2D = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
    dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 1), dilation=(2, 3), ceil_mode=True),
    dict(kernel_size=(2, 4), stride=3, padding=(1, 2), dilation=2),
    dict(kernel_size=3, stride=1, padding=1),  # overlapping windows: gradients add up
    dict(kernel_size=4, stride=3, ceil_mode=True),
]


@pytest.mark.parametrize("kw", MAX2D, ids=str)
@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-12), (np.float32, 1e-6)])
def test_max_pool2d_matches_torch_values_indices_and_gradient(kw, dtype, tol):
    x = np.random.default_rng(0).standard_normal((2, 3, 9, 10)).astype(dtype)
    compare_with_torch(lambda x: max_pool2d(x, return_indices=True, **kw),
                       lambda x: TF.max_pool2d(x, return_indices=True, **kw), [x],
                       atol=tol, rtol=tol)
    compare_with_torch(lambda x: max_pool2d(x, **kw), lambda x: TF.max_pool2d(x, **kw), [x],
                       atol=tol, rtol=tol)


def test_max_pool2d_ties_pick_the_first_maximum_like_torch():
    x = np.zeros((1, 1, 4, 4))
    x[0, 0, 1, 1] = x[0, 0, 1, 2] = 1.0
    compare_with_torch(lambda x: max_pool2d(x, 3, 1, return_indices=True),
                       lambda x: TF.max_pool2d(x, 3, 1, return_indices=True), [x])


AVG2D = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=3, stride=2, padding=1, count_include_pad=False),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
    dict(kernel_size=(2, 3), stride=(1, 2), padding=(1, 1), divisor_override=4),
    dict(kernel_size=4, stride=3, ceil_mode=True),
]


@pytest.mark.parametrize("kw", AVG2D, ids=str)
@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-12), (np.float32, 1e-5)])
def test_avg_pool2d_matches_torch(kw, dtype, tol):
    x = np.random.default_rng(1).standard_normal((2, 3, 9, 10)).astype(dtype)
    compare_with_torch(lambda x: avg_pool2d(x, **kw), lambda x: TF.avg_pool2d(x, **kw), [x],
                       atol=tol, rtol=tol)


@pytest.mark.parametrize("args", [(3, 2, 1, 2, True), (2, None, 0, 1, False), (4, 3, 2, 1, True)],
                         ids=str)
def test_max_pool1d_matches_torch(args):
    k, s, p, d, ceil = args
    x = np.random.default_rng(2).standard_normal((2, 3, 13))
    compare_with_torch(lambda x: max_pool1d(x, k, s, p, d, ceil, True),
                       lambda x: TF.max_pool1d(x, k, s, p, d, ceil, True), [x])


@pytest.mark.parametrize("args", [(3, 2, 1, True, False), (2, None, 0, False, True),
                                  (4, 3, 2, True, True)], ids=str)
def test_avg_pool1d_matches_torch(args):
    k, s, p, ceil, cip = args
    x = np.random.default_rng(3).standard_normal((2, 3, 13))
    compare_with_torch(lambda x: avg_pool1d(x, k, s, p, ceil, cip),
                       lambda x: TF.avg_pool1d(x, k, s, p, ceil, cip), [x])


@pytest.mark.parametrize("size", [(1, 1), (4, 3), (5, None), (9, 10), (7, 6), 2], ids=str)
def test_adaptive_pools_match_torch(size):
    x = np.random.default_rng(4).standard_normal((2, 3, 9, 10))
    compare_with_torch(lambda x: adaptive_avg_pool2d(x, size),
                       lambda x: TF.adaptive_avg_pool2d(x, size), [x])
    compare_with_torch(lambda x: adaptive_max_pool2d(x, size, return_indices=True),
                       lambda x: TF.adaptive_max_pool2d(x, size, return_indices=True), [x])


@pytest.mark.parametrize("size", [1, 3, 5, 11])
def test_adaptive_avg_pool1d_matches_torch(size):
    x = np.random.default_rng(5).standard_normal((2, 3, 11))
    compare_with_torch(lambda x: adaptive_avg_pool1d(x, size),
                       lambda x: TF.adaptive_avg_pool1d(x, size), [x])


def test_pool_backwards_pass_gradcheck(rng):
    # distinct values, so no max sits on a tie that a finite difference could flip
    x = gw.tensor(rng.permutation(2 * 2 * 7 * 8).reshape(2, 2, 7, 8) / 10.0, requires_grad=True)
    assert gradcheck(lambda x: max_pool2d(x, 3, 2, 1, dilation=1, ceil_mode=True), [x])
    assert gradcheck(lambda x: max_pool2d(x, (2, 3), 1, (1, 1), dilation=(2, 1)), [x])
    assert gradcheck(lambda x: avg_pool2d(x, 3, 2, 1, ceil_mode=True,
                                          count_include_pad=False), [x])
    assert gradcheck(lambda x: adaptive_avg_pool2d(x, (3, 5)), [x])
    assert gradcheck(lambda x: adaptive_max_pool2d(x, (3, 5)), [x])
    x1 = gw.tensor(rng.standard_normal((2, 2, 9)), requires_grad=True)
    assert gradcheck(lambda x: max_pool1d(x, 3, 2, 1), [x1])
    assert gradcheck(lambda x: avg_pool1d(x, 3, 2, 1, ceil_mode=True), [x1])
    assert gradcheck(lambda x: adaptive_avg_pool1d(x, 4), [x1])


def test_pool_out_size_ceil_mode_drops_a_window_starting_in_the_padding():
    assert pool_out_size(7, 3, 2, 0) == 3
    assert pool_out_size(8, 3, 2, 0, ceil_mode=True) == 4
    # 5 + 1 padding, k=2, s=2: ceil gives 4 windows but the last would start at 6 = L + P
    assert pool_out_size(5, 2, 2, 1, ceil_mode=True) == 3
    y = max_pool2d(gw.tensor(np.zeros((1, 1, 5, 5))), 2, 2, 1, ceil_mode=True)
    assert y.shape == (1, 1, 3, 3)


def test_pool_errors_give_expected_and_actual():
    x = gw.tensor(np.zeros((1, 1, 4, 4)))
    with pytest.raises(ValueError, match=r"max_pool2d: padding should be at most half"):
        max_pool2d(x, 3, padding=2)
    with pytest.raises(ValueError, match=r"avg_pool2d: kernel \(5, 5\).*larger than the padded "
                                         r"input \(4, 4\)"):
        avg_pool2d(x, 5)
    with pytest.raises(ValueError, match=r"max_pool2d: expected input \(N, C, H, W\), got "
                                         r"shape \(4, 4\)"):
        max_pool2d(gw.tensor(np.zeros((4, 4))), 2)
    with pytest.raises(ValueError, match="stride must be >= 1"):
        avg_pool2d(x, 2, stride=0)
    with pytest.raises(ValueError, match="output_size must be >= 1"):
        adaptive_avg_pool2d(x, (0, 2))


def test_tiled_max_pool_matches_torch_on_ties_and_nan():
    """stride = kernel windows take the separable fast path; ties (post-ReLU zeros) pick the
    first maximum like PyTorch, and NaN falls back to the general path and propagates."""
    rng = np.random.default_rng(5)
    for shape, k in (((2, 3, 8, 12), 2), ((2, 2, 9, 6), 3), ((1, 2, 4, 6), (2, 3))):
        x = np.maximum(rng.standard_normal(shape), 0)  # many exact ties at 0
        x[0, 0, :2, :2] = 0.0  # a whole window of ties
        gx = gw.tensor(x, requires_grad=True)
        tx = torch.tensor(x, requires_grad=True)
        (gy, gi) = max_pool2d(gx, k, return_indices=True)
        ty, ti = TF.max_pool2d(tx, k, return_indices=True)
        np.testing.assert_array_equal(gi.array, ti.numpy())
        dy = rng.standard_normal(gy.shape)
        gy.backward(dy)
        ty.backward(torch.tensor(dy))
        np.testing.assert_array_equal(gx.grad.array, tx.grad.numpy())
    x = rng.standard_normal((1, 1, 4, 4))
    x[0, 0, 1, 0] = np.nan
    y = max_pool2d(gw.tensor(x), 2).array
    assert np.isnan(y[0, 0, 0, 0]) and not np.isnan(y[0, 0, 1, 1])


@pytest.mark.parametrize("name,args,shape", [
    ("max_pool2d", (3, 2, 1), (3, 8, 9)), ("max_pool1d", (3, 2, 1), (3, 9)),
    ("avg_pool2d", (3, 2, 1), (3, 8, 9)), ("avg_pool1d", (3, 2, 1), (3, 9)),
    ("adaptive_avg_pool2d", ((3, 2),), (3, 7, 5)), ("adaptive_avg_pool1d", (4,), (3, 9)),
    ("adaptive_max_pool2d", ((3, 2),), (3, 7, 5)), ("adaptive_max_pool1d", (4,), (3, 9)),
    ("lp_pool2d", (2, 3, 2), (3, 8, 9)), ("lp_pool1d", (2, 3, 2), (3, 9)),
], ids=str)
def test_unbatched_pooling_matches_torch_forward_and_backward(name, args, shape):
    x = np.random.default_rng(0).standard_normal(shape)
    compare_with_torch(lambda x: getattr(F, name)(x, *args),
                       lambda x: getattr(TF, name)(x, *args), [x])


def test_adaptive_max_pool1d_and_lp_pool_gradcheck():
    x = gw.tensor(np.random.default_rng(1).standard_normal((2, 3, 9)), requires_grad=True)
    assert gradcheck(lambda x: F.adaptive_max_pool1d(x, 4), [x])
    assert gradcheck(lambda x: F.lp_pool1d(x, 2, 3), [x])
    assert gradcheck(lambda x: F.lp_pool2d(x.reshape(2, 3, 3, 3), 2, 2, 1), [x])
