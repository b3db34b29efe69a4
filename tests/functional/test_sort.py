"""sort, argsort, topk, cumsum, prod, all/any: parity with PyTorch and float64 gradchecks."""
import numpy as np
import pytest
import torch
from helpers import compare_with_torch

import gradwise as gw
from gradwise.core.gradcheck import gradcheck


def test_sort_values_indices_and_gradient_match_torch(rng):
    x = rng.standard_normal((3, 5))
    for kw in ({}, {"dim": 0}, {"descending": True}, {"dim": 0, "descending": True}):
        compare_with_torch(lambda t: t.sort(**kw)[0], lambda t: t.sort(**kw)[0], [x])
        np.testing.assert_array_equal(gw.tensor(x).sort(**kw).indices.array,
                                      torch.tensor(x).sort(**kw).indices.numpy())


def test_sort_keeps_input_order_of_ties_like_torch_stable():
    x = np.array([[2.0, 1.0, 2.0, 1.0, 3.0]])
    for descending in (False, True):
        ours = gw.tensor(x).sort(descending=descending, stable=True).indices.array
        theirs = torch.tensor(x).sort(descending=descending, stable=True).indices.numpy()
        np.testing.assert_array_equal(ours, theirs)


def test_argsort_matches_torch_on_integers(rng):
    x = rng.integers(0, 100, (4, 6))
    for d in (0, 1):
        np.testing.assert_array_equal(gw.argsort(gw.tensor(x), dim=d).array,
                                      torch.argsort(torch.tensor(x), dim=d, stable=True).numpy())


@pytest.mark.parametrize("largest", [True, False])
def test_topk_matches_torch(rng, largest):
    x = rng.standard_normal((4, 7))
    compare_with_torch(lambda t: t.topk(3, dim=1, largest=largest)[0],
                       lambda t: t.topk(3, dim=1, largest=largest)[0], [x])
    np.testing.assert_array_equal(gw.tensor(x).topk(3, 0, largest).indices.array,
                                  torch.tensor(x).topk(3, 0, largest).indices.numpy())


def test_topk_refuses_k_larger_than_dim():
    with pytest.raises(RuntimeError, match=r"topk: k must be an int in \[0, 3\]"):
        gw.zeros(2, 3).topk(4)


def test_cumsum_and_prod_match_torch(rng):
    x = rng.standard_normal((3, 4))
    compare_with_torch(lambda t: t.cumsum(1), lambda t: t.cumsum(1), [x])
    compare_with_torch(lambda t: t.cumsum(-2), lambda t: t.cumsum(-2), [x])
    compare_with_torch(lambda t: t.prod(), lambda t: t.prod(), [x])
    compare_with_torch(lambda t: t.prod(1, keepdim=True), lambda t: t.prod(1, keepdim=True), [x])


def test_prod_gradient_is_exact_with_zeros():
    x = np.array([[0.0, 2.0, 3.0], [0.0, 0.0, 4.0]])
    compare_with_torch(lambda t: t.prod(1), lambda t: t.prod(1), [x])


def test_cumsum_of_integers_gives_int64_like_torch():
    out = gw.cumsum(gw.tensor(np.array([1, 2, 3], np.int32)), 0)
    assert out.dtype == np.int64 and out.tolist() == [1, 3, 6]


def test_sort_topk_cumsum_prod_gradcheck(rng):
    x = gw.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    for fn in (lambda t: t.sort(1)[0], lambda t: t.topk(2, 0)[0], lambda t: t.cumsum(1),
               lambda t: t.prod(0)):
        assert gradcheck(fn, [x])


def test_all_any_match_torch(rng):
    x = rng.standard_normal((3, 4)) > 0
    for fn in (lambda t: t.all(), lambda t: t.any(1), lambda t: t.all(0)):
        np.testing.assert_array_equal(fn(gw.tensor(x)).array, fn(torch.tensor(x)).numpy())
