"""Pooling layers: repr and outputs/gradients equal PyTorch's, errors name the layer."""
import numpy as np
import pytest
import torch

import gradwise as gw
from gradwise import nn

LAYERS = [
    ("MaxPool2d", (3,), dict(stride=2, padding=1, ceil_mode=True), (2, 3, 9, 8)),
    ("MaxPool2d", (2,), dict(dilation=2), (1, 2, 7, 7)),
    ("MaxPool1d", (3, 2), dict(padding=1), (2, 3, 10)),
    ("AvgPool2d", ((3, 2),), dict(stride=2, padding=1, count_include_pad=False), (2, 3, 9, 8)),
    ("AvgPool2d", (3,), dict(ceil_mode=True, divisor_override=5), (1, 2, 8, 8)),
    ("AvgPool1d", (3,), dict(stride=2, padding=1, ceil_mode=True), (2, 3, 10)),
    ("AdaptiveAvgPool2d", ((1, 1),), {}, (2, 3, 7, 5)),
    ("AdaptiveAvgPool2d", ((3, None),), {}, (2, 3, 7, 5)),
    ("AdaptiveAvgPool1d", (4,), {}, (2, 3, 9)),
    ("AdaptiveMaxPool2d", ((2, 3),), {}, (2, 3, 7, 5)),
    ("AdaptiveMaxPool1d", (4,), {}, (2, 3, 9)),
    ("LPPool2d", (2, 3), dict(stride=2), (2, 3, 9, 8)),
    ("LPPool2d", (1, (2, 3)), dict(ceil_mode=True), (2, 3, 7, 8)),
    ("LPPool2d", (float("inf"), 2), {}, (1, 2, 6, 6)),
    ("LPPool1d", (4, 3), dict(stride=1), (2, 3, 9)),
    ("LPPool1d", (2, 2), {}, (2, 3, 10)),
]
# PyTorch's unbatched inputs, (C, L) and (C, H, W): the same layers without the N axis
UNBATCHED = [(name, args, kw, shape[1:]) for name, args, kw, shape in LAYERS]


@pytest.mark.parametrize("name,args,kw,shape", LAYERS + UNBATCHED, ids=str)
def test_pool_layer_matches_torch(name, args, kw, shape):
    ours, theirs = getattr(nn, name)(*args, **kw), getattr(torch.nn, name)(*args, **kw)
    assert repr(ours) == repr(theirs)
    assert not list(ours.state_dict())
    x = np.random.default_rng(0).standard_normal(shape)
    gx, tx = gw.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    gy, ty = ours(gx), theirs(tx)
    assert gy.shape == tuple(ty.shape) and gy.dtype == np.float64
    np.testing.assert_allclose(gy.array, ty.detach().numpy(), atol=1e-12)
    gy.backward(np.ones(gy.shape))
    ty.sum().backward()
    np.testing.assert_allclose(gx.grad.array, tx.grad.numpy(), atol=1e-12)


def test_max_pool_layers_return_torch_indices():
    x = np.random.default_rng(1).standard_normal((2, 3, 8, 9))
    y, idx = nn.MaxPool2d(3, 2, 1, return_indices=True)(gw.tensor(x))
    ty, tidx = torch.nn.MaxPool2d(3, 2, 1, return_indices=True)(torch.tensor(x))
    np.testing.assert_array_equal(idx.array, tidx.numpy())
    _, idx = nn.AdaptiveMaxPool2d(3, return_indices=True)(gw.tensor(x))
    _, tidx = torch.nn.AdaptiveMaxPool2d(3, return_indices=True)(torch.tensor(x))
    np.testing.assert_array_equal(idx.array, tidx.numpy())


def test_pool_layer_errors_name_the_layer():
    with pytest.raises(ValueError, match=r"MaxPool2d\(kernel_size=3.*padding should be at most "
                                         r"half"):
        nn.MaxPool2d(3, padding=2)(gw.zeros(1, 1, 8, 8))
    with pytest.raises(ValueError, match=r"AvgPool2d\(kernel_size=5.*larger than the padded "
                                         r"input \(4, 4\)"):
        nn.AvgPool2d(5)(gw.zeros(1, 1, 4, 4))
    with pytest.raises(ValueError, match=r"MaxPool1d\(.*expected input \(N, C, L\), got "
                                         r"\(1, 1, 4, 4\)"):
        nn.MaxPool1d(2)(gw.zeros(1, 1, 4, 4))
    with pytest.raises(ValueError, match="AvgPool2d: stride must be >= 1"):
        nn.AvgPool2d(2, stride=0)


@pytest.mark.parametrize("name,args", [("MaxPool2d", (3, 2, 1)), ("MaxPool1d", (3, 2, 1)),
                                       ("AdaptiveMaxPool2d", ((2, 3),)),
                                       ("AdaptiveMaxPool1d", (3,))])
def test_unbatched_max_pools_return_torch_indices(name, args):
    shape = (3, 8, 9) if name.endswith("2d") else (3, 9)
    x = np.random.default_rng(2).standard_normal(shape)
    y, idx = getattr(nn, name)(*args, return_indices=True)(gw.tensor(x))
    ty, tidx = getattr(torch.nn, name)(*args, return_indices=True)(torch.tensor(x))
    assert idx.shape == tuple(tidx.shape) == y.shape
    np.testing.assert_array_equal(idx.array, tidx.numpy())


def test_pool_layer_refuses_a_rank_it_cannot_read():
    with pytest.raises(ValueError, match=r"MaxPool2d\(.*expected input \(N, C, H, W\), got "
                                         r"\(4, 4\) \(unbatched: \(C, H, W\)\)"):
        nn.MaxPool2d(2)(gw.zeros(4, 4))

