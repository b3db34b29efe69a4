"""Tensor.norm / gradwise.norm: p-norms over dims, parity with PyTorch and gradchecks."""
import numpy as np
import pytest
import torch
from helpers import compare_with_torch

import gradwise as gw
from gradwise.core.gradcheck import gradcheck


@pytest.mark.parametrize("p", ["fro", 1, 2, 3, float("inf")])
def test_norm_matches_torch(rng, p):
    x = rng.standard_normal((3, 4))
    compare_with_torch(lambda t: t.norm(p), lambda t: t.norm(p), [x])
    if p != "fro":
        compare_with_torch(lambda t: t.norm(p, dim=1, keepdim=True),
                           lambda t: t.norm(p, dim=1, keepdim=True), [x])


def test_norm_gradient_at_zero_is_zero_like_torch():
    compare_with_torch(lambda t: t.norm(dim=1), lambda t: t.norm(dim=1),
                       [np.array([[0.0, 0.0], [3.0, 4.0]])])


def test_norm_gradcheck(rng):
    x = gw.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    for p in (1.5, 2, 3):
        assert gradcheck(lambda t: t.norm(p, dim=0), [x])


def test_norm_refuses_non_positive_p():
    with pytest.raises(ValueError, match="norm: p must be positive"):
        gw.ones(3).norm(0)
