"""Reductions and softmax: parity with PyTorch, gradcheck, properties."""
import numpy as np
import pytest
import torch
from helpers import compare_with_torch
from hypothesis import given, settings
from hypothesis import strategies as st

import gradwise as gw
import gradwise.functional as F

DIMS = [None, 0, 1, -1, (0, 2)]


@pytest.mark.parametrize("dim", DIMS)
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("name", ["sum", "mean", "var", "std", "amax", "amin", "logsumexp"])
def test_reduction_matches_torch(name, dim, keepdim, rng):
    x = rng.standard_normal((3, 4, 5))
    if name == "logsumexp" and dim is None:
        dim = (0, 1, 2)
    torch_dim = (0, 1, 2) if dim is None else dim
    compare_with_torch(lambda t: getattr(F, name)(t, dim=dim, keepdim=keepdim),
                       lambda t: getattr(torch, name)(t, dim=torch_dim, keepdim=keepdim), [x])


def test_var_with_correction_zero_matches_torch(rng):
    x = rng.standard_normal((4, 6))
    compare_with_torch(lambda t: t.var(1, unbiased=False), lambda t: t.var(1, unbiased=False), [x])


def test_max_with_dim_returns_values_and_indices_like_torch(rng):
    x = rng.standard_normal((4, 6))
    gv, gi = F.max(gw.tensor(x), dim=1)
    tv, ti = torch.max(torch.tensor(x), dim=1)
    np.testing.assert_array_equal(gi.array, ti.numpy())
    compare_with_torch(lambda t: F.max(t, 1)[0], lambda t: torch.max(t, 1)[0], [x])
    compare_with_torch(lambda t: F.min(t, 0, keepdim=True)[0],
                       lambda t: torch.min(t, 0, keepdim=True)[0], [x])


def test_max_without_dim_splits_gradient_between_ties_like_torch():
    x = np.array([1.0, 3.0, 3.0, 2.0])
    compare_with_torch(lambda t: t.max(), lambda t: t.max(), [x])


def test_argmax_matches_numpy(rng):
    x = rng.standard_normal((3, 7))
    assert F.argmax(gw.tensor(x), 1).tolist() == list(np.argmax(x, 1))
    assert F.argmax(gw.tensor(x)).item() == int(np.argmax(x))


@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
def test_softmax_matches_torch(fn, dim, rng):
    x = rng.standard_normal((3, 4, 5)) * 4
    compare_with_torch(lambda t: getattr(F, fn)(t, dim), lambda t: getattr(torch, fn)(t, dim), [x])
    assert gw.autograd.gradcheck(lambda t: getattr(F, fn)(t, dim), [gw.tensor(x, requires_grad=True)])


def test_log_softmax_is_stable_for_huge_logits():
    x = gw.tensor([[1000.0, 0.0, -1000.0]], dtype=gw.float64)
    y = F.log_softmax(x, -1).array
    assert np.isfinite(y).all() and abs(y[0, 0]) < 1e-12


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 5), c=st.integers(1, 9), scale=st.floats(0.1, 50))
def test_softmax_rows_sum_to_one(n, c, scale):
    x = np.random.default_rng(n * 31 + c).standard_normal((n, c)) * scale
    y = F.softmax(gw.tensor(x), dim=1).array
    np.testing.assert_allclose(y.sum(1), 1.0, rtol=1e-12)
    assert (y >= 0).all()


@pytest.mark.parametrize("name", ["sum", "mean", "var", "logsumexp"])
def test_reduction_passes_gradcheck(name, rng):
    x = gw.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    assert gw.autograd.gradcheck(lambda t: getattr(F, name)(t, dim=1), [x])


def test_reduction_over_bad_dim_raises_index_error():
    with pytest.raises(IndexError, match="Dimension out of range"):
        gw.ones(2, 3).sum(dim=2)
