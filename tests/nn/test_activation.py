"""Activation modules: parity with torch.nn (forward, backward, repr), gradcheck, dims."""
import numpy as np
import pytest
import torch
from helpers import compare_with_torch

import gradwise as gw
from gradwise import nn
from gradwise.autograd import gradcheck

CASES = [
    (lambda: nn.ReLU(), lambda: torch.nn.ReLU()),
    (lambda: nn.ReLU(inplace=True), lambda: torch.nn.ReLU(inplace=True)),
    (lambda: nn.Tanh(), lambda: torch.nn.Tanh()),
    (lambda: nn.Sigmoid(), lambda: torch.nn.Sigmoid()),
    (lambda: nn.LeakyReLU(), lambda: torch.nn.LeakyReLU()),
    (lambda: nn.LeakyReLU(0.2), lambda: torch.nn.LeakyReLU(0.2)),
    (lambda: nn.ELU(), lambda: torch.nn.ELU()),
    (lambda: nn.ELU(alpha=0.5), lambda: torch.nn.ELU(alpha=0.5)),
    (lambda: nn.GELU(), lambda: torch.nn.GELU()),
    (lambda: nn.GELU("tanh"), lambda: torch.nn.GELU("tanh")),
    (lambda: nn.Softplus(), lambda: torch.nn.Softplus()),
    (lambda: nn.Softplus(beta=2.0, threshold=5.0), lambda: torch.nn.Softplus(beta=2.0,
                                                                               threshold=5.0)),
    (lambda: nn.Softmax(dim=1), lambda: torch.nn.Softmax(dim=1)),
    (lambda: nn.Softmax(dim=-1), lambda: torch.nn.Softmax(dim=-1)),
    (lambda: nn.LogSoftmax(dim=0), lambda: torch.nn.LogSoftmax(dim=0)),
    (lambda: nn.LogSoftmax(dim=2), lambda: torch.nn.LogSoftmax(dim=2)),
]
IDS = [repr(make()) for make, _ in CASES]


@pytest.mark.parametrize("ours,theirs", CASES, ids=IDS)
def test_activation_matches_torch_float64(rng, ours, theirs):
    x = rng.standard_normal((3, 4, 5)) * 3
    t = theirs()
    if getattr(t, "inplace", False):
        t.inplace = False  # torch's in-place ReLU cannot run on a leaf that requires grad
    compare_with_torch(ours(), t, [x])
    assert repr(ours()) == repr(theirs())


@pytest.mark.parametrize("ours,theirs", CASES[:13], ids=IDS[:13])
def test_activation_matches_torch_float32(rng, ours, theirs):
    x = (rng.standard_normal((8, 16)) * 3).astype(np.float32)
    t = theirs()
    if getattr(t, "inplace", False):
        t.inplace = False
    compare_with_torch(ours(), t, [x], atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("ours", [c[0] for c in CASES], ids=IDS)
def test_activation_gradcheck(rng, ours):
    x = rng.standard_normal((2, 3, 4)) * 2
    x[np.abs(x) < 1e-3] = 0.5  # keep away from the kinks of ReLU-like functions
    assert gradcheck(ours(), [gw.tensor(x, requires_grad=True)])


@pytest.mark.parametrize("ndim,dim", [(1, 0), (2, 1), (3, 0), (4, 1)])
def test_softmax_implicit_dim_follows_torch_legacy_rule(rng, ndim, dim):
    x = rng.standard_normal((2, 3, 4, 5)[:ndim])
    with pytest.warns(UserWarning, match="Implicit dimension"):
        y = nn.Softmax()(gw.tensor(x))
    np.testing.assert_allclose(y.array.sum(axis=dim), 1.0)
    with pytest.warns(UserWarning):
        expect = torch.nn.LogSoftmax()(torch.tensor(x)).numpy()
    with pytest.warns(UserWarning):
        np.testing.assert_allclose(nn.LogSoftmax()(gw.tensor(x)).array, expect)


def test_gelu_rejects_unknown_approximation():
    with pytest.raises(ValueError, match="approximate"):
        nn.GELU("fast")
