"""matmul / linear / bilinear / einsum: parity with PyTorch and error paths."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from helpers import compare_with_torch

import gradwise as gw
import gradwise.functional as F

MATMUL_SHAPES = [((3, 4), (4, 5)), ((4,), (4, 5)), ((3, 4), (4,)), ((4,), (4,)),
                 ((2, 3, 4), (4, 5)), ((2, 1, 3, 4), (5, 4, 2)), ((3, 4), (2, 4, 5))]


@pytest.mark.parametrize("sa,sb", MATMUL_SHAPES)
def test_matmul_matches_torch_with_batch_broadcasting(sa, sb, rng):
    compare_with_torch(lambda a, b: a @ b, torch.matmul, [rng.standard_normal(sa), rng.standard_normal(sb)])


def test_matmul_float32_within_stated_tolerance(rng):
    a, b = rng.standard_normal((8, 64)).astype(np.float32), rng.standard_normal((64, 16)).astype(np.float32)
    compare_with_torch(F.matmul, torch.matmul, [a, b], atol=1e-4, rtol=1e-5)


def test_matmul_with_mismatched_inner_dims_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(3, 4\) and \(5, 6\)"):
        gw.ones(3, 4) @ gw.ones(5, 6)


def test_linear_and_bilinear_match_torch(rng):
    x, w, b = rng.standard_normal((2, 3, 4)), rng.standard_normal((5, 4)), rng.standard_normal(5)
    compare_with_torch(F.linear, TF.linear, [x, w, b])
    x1, x2 = rng.standard_normal((3, 4)), rng.standard_normal((3, 2))
    wb, bb = rng.standard_normal((5, 4, 2)), rng.standard_normal(5)
    compare_with_torch(F.bilinear, TF.bilinear, [x1, x2, wb, bb])


@pytest.mark.parametrize("eq,shapes", [
    ("ij,jk->ik", [(3, 4), (4, 5)]), ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("ij->j", [(3, 4)]), ("i,j->ij", [(3,), (4,)]), ("ij,kj", [(2, 3), (4, 3)]),
    ("abc,c->a", [(2, 3, 4), (4,)]),
])
def test_einsum_matches_torch(eq, shapes, rng):
    arrays = [rng.standard_normal(s) for s in shapes]
    compare_with_torch(lambda *t: F.einsum(eq, *t), lambda *t: torch.einsum(eq, *t), arrays)


def test_matmul_passes_gradcheck(rng):
    a = gw.tensor(rng.standard_normal((2, 3, 4)), requires_grad=True)
    b = gw.tensor(rng.standard_normal((4, 2)), requires_grad=True)
    assert gw.autograd.gradcheck(F.matmul, [a, b])
