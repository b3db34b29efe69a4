"""Shape ops, indexing, joining: parity with PyTorch, gradients, error paths."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from helpers import compare_with_torch

import gradwise as gw
import gradwise.functional as F


def test_reshape_view_flatten_squeeze_unsqueeze_match_torch(rng):
    x = rng.standard_normal((2, 1, 3, 4))
    for fn in (lambda t: t.reshape(6, 4), lambda t: t.view(-1), lambda t: t.flatten(1),
               lambda t: t.squeeze(), lambda t: t.squeeze(1), lambda t: t.unsqueeze(-1),
               lambda t: t.flatten(0, 2), lambda t: t.unflatten(3, (2, 2))):
        compare_with_torch(fn, fn, [x])


def test_permute_transpose_T_and_expand_match_torch(rng):
    x = rng.standard_normal((2, 3, 4))
    for fn in (lambda t: t.permute(2, 0, 1), lambda t: t.transpose(0, 2), lambda t: t[0].T,
               lambda t: t[:, :1].expand(2, 5, 4), lambda t: t.repeat(2, 1, 3)):
        compare_with_torch(fn, fn, [x])


@pytest.mark.parametrize("index", [
    (0,), (slice(1, None), 2), (Ellipsis, slice(None, None, 2)), (np.array([0, 2, 2, 1]),),
    (np.array([1, 1]), slice(None), np.array([0, 3])), (None, 1),
])
def test_indexing_matches_torch_including_repeated_indices(index, rng):
    x = rng.standard_normal((3, 4, 5))
    compare_with_torch(lambda t: t[index], lambda t: t[tuple(torch.tensor(i) if isinstance(i, np.ndarray) else i for i in index)], [x])


def test_boolean_mask_indexing_matches_torch(rng):
    x = rng.standard_normal((4, 5))
    mask = x > 0.2
    compare_with_torch(lambda t: t[mask], lambda t: t[torch.tensor(mask)], [x])
    compare_with_torch(lambda t: t[gw.tensor(mask)], lambda t: t[torch.tensor(mask)], [x])


def test_gather_scatter_adds_repeated_indices(rng):
    x = rng.standard_normal((3, 4))
    idx = np.array([[0, 0, 3], [1, 2, 1], [3, 3, 3]])
    compare_with_torch(lambda t: F.gather(t, 1, idx), lambda t: torch.gather(t, 1, torch.tensor(idx)), [x])


def test_cat_stack_split_chunk_match_torch(rng):
    a, b, c = rng.standard_normal((2, 3)), rng.standard_normal((2, 5)), rng.standard_normal((2, 3))
    compare_with_torch(lambda x, y: F.cat([x, y], 1), lambda x, y: torch.cat([x, y], 1), [a, b])
    compare_with_torch(lambda x, y: F.stack([x, y], -1), lambda x, y: torch.stack([x, y], -1), [a, c])
    compare_with_torch(lambda x: F.split(x, 2, 1), lambda x: torch.split(x, 2, 1), [b])
    compare_with_torch(lambda x: F.split(x, [1, 4], 1), lambda x: torch.split(x, [1, 4], 1), [b])
    compare_with_torch(lambda x: F.chunk(x, 3, 1), lambda x: torch.chunk(x, 3, 1), [b])


@pytest.mark.parametrize("pad,mode", [
    ((1, 2), "constant"), ((1, 1, 2, 0), "constant"), ((2, 1, 1, 2), "reflect"),
    ((1, 2, 0, 1), "replicate"), ((2, 1, 1, 2), "circular"), ((-1, 2), "constant"),
])
def test_pad_matches_torch(pad, mode, rng):
    x = rng.standard_normal((2, 3, 4, 5))
    compare_with_torch(lambda t: F.pad(t, pad, mode), lambda t: TF.pad(t, pad, mode), [x])


def test_masked_fill_and_one_hot_match_torch(rng):
    x = rng.standard_normal((3, 4))
    m = np.array([True, False, True, False])
    compare_with_torch(lambda t: t.masked_fill(gw.tensor(m), -1e9),
                       lambda t: t.masked_fill(torch.tensor(m), -1e9), [x])
    idx = np.array([[0, 2], [1, 3]])
    np.testing.assert_array_equal(F.one_hot(gw.tensor(idx), 4).array,
                                  TF.one_hot(torch.tensor(idx), 4).numpy())


def test_shape_errors_name_the_shapes():
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(2, 4\)|tensor 1 has shape \(3, 4\)"):
        F.cat([gw.ones(2, 3), gw.ones(3, 4)], dim=1)
    with pytest.raises(ValueError, match=r"shape \(4, 4\) is invalid for input of shape \(2, 3\)"):
        gw.ones(2, 3).reshape(4, 4)
    with pytest.raises(ValueError, match="one_hot"):
        F.one_hot(gw.tensor([0, 5]), 3)


def test_shape_ops_pass_gradcheck(rng):
    x = gw.tensor(rng.standard_normal((2, 3, 4)), requires_grad=True)
    assert gw.autograd.gradcheck(lambda t: F.pad(t.permute(2, 0, 1)[1:, :, ::2], (1, 1), "reflect"), [x])
