"""scatter, scatter_add, index_add, index_fill, masked_select, narrow, flip, roll, tril/triu,
nonzero: parity with PyTorch (values and gradients of every input), gradchecks, errors."""
import numpy as np
import pytest
import torch
from helpers import compare_with_torch

import gradwise as gw
from gradwise.core.gradcheck import gradcheck


def _index(rng, shape, n):
    return rng.integers(0, n, shape)


def test_scatter_with_src_matches_torch(rng):
    x, src = rng.standard_normal((3, 5)), rng.standard_normal((3, 4))
    index = np.array([[0, 1, 2, 3], [4, 3, 2, 1], [1, 0, 4, 2]])  # no repeats per row
    compare_with_torch(lambda a, s: a.scatter(1, gw.tensor(index), s),
                       lambda a, s: a.scatter(1, torch.tensor(index), s), [x, src])


def test_scatter_value_and_in_place_match_torch(rng):
    index = np.array([[0], [2], [1]])
    ours = gw.zeros(3, 4).scatter_(1, gw.tensor(index), 1.0)
    theirs = torch.zeros(3, 4).scatter_(1, torch.tensor(index), 1.0)
    np.testing.assert_array_equal(ours.array, theirs.numpy())


def test_scatter_add_accumulates_repeated_indices_like_torch(rng):
    x, src = rng.standard_normal((2, 4)), rng.standard_normal((2, 6))
    index = _index(rng, (2, 6), 4)
    compare_with_torch(lambda a, s: a.scatter_add(1, gw.tensor(index), s),
                       lambda a, s: a.scatter_add(1, torch.tensor(index), s), [x, src])


def test_index_add_and_index_fill_match_torch(rng):
    x, src = rng.standard_normal((5, 3)), rng.standard_normal((4, 3))
    index = np.array([0, 2, 2, 4])
    compare_with_torch(lambda a, s: a.index_add(0, gw.tensor(index), s, alpha=2.0),
                       lambda a, s: a.index_add(0, torch.tensor(index), s, alpha=2.0), [x, src])
    compare_with_torch(lambda a: a.index_fill(1, gw.tensor([0, 2]), -1.0),
                       lambda a: a.index_fill(1, torch.tensor([0, 2]), -1.0), [x])


def test_masked_select_narrow_flip_roll_tril_triu_match_torch(rng):
    x = rng.standard_normal((4, 5))
    mask = rng.standard_normal((1, 5)) > 0
    for fn, tfn in (
        (lambda t: t.masked_select(gw.tensor(mask)), lambda t: t.masked_select(torch.tensor(mask))),
        (lambda t: t.narrow(1, 1, 3), lambda t: t.narrow(1, 1, 3)),
        (lambda t: t.flip(0), lambda t: t.flip(0)),
        (lambda t: t.flip((0, 1)), lambda t: t.flip((0, 1))),
        (lambda t: t.roll(2, 1), lambda t: t.roll(2, 1)),
        (lambda t: t.roll((1, -2), (0, 1)), lambda t: t.roll((1, -2), (0, 1))),
        (lambda t: t.roll(3), lambda t: t.roll(3)),
        (lambda t: t.tril(), lambda t: t.tril()), (lambda t: t.triu(1), lambda t: t.triu(1)),
        (lambda t: t.tril(-1), lambda t: t.tril(-1)),
    ):
        compare_with_torch(fn, tfn, [x])


def test_nonzero_matches_torch():
    x = np.array([[0.0, 1.0], [2.0, 0.0]])
    np.testing.assert_array_equal(gw.tensor(x).nonzero().array, torch.tensor(x).nonzero().numpy())
    for ours, theirs in zip(gw.tensor(x).nonzero(as_tuple=True),
                            torch.tensor(x).nonzero(as_tuple=True)):
        np.testing.assert_array_equal(ours.array, theirs.numpy())


def test_index_ops_gradcheck(rng):
    x = gw.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    src = gw.tensor(rng.standard_normal((3, 2)), requires_grad=True)
    index = gw.tensor(np.array([[0, 3], [1, 2], [2, 0]]))
    assert gradcheck(lambda a, s: a.scatter(1, index, s), [x, src])
    assert gradcheck(lambda a, s: a.scatter_add(1, index, s), [x, src])
    assert gradcheck(lambda a, s: a.index_add(1, gw.tensor([3, 3]), s), [x, src])
    assert gradcheck(lambda a: a.roll(1, 0).flip(1).tril().narrow(0, 1, 2), [x])


def test_scatter_refuses_out_of_range_index():
    with pytest.raises(IndexError, match=r"scatter: index out of range \[-4, 4\) along dim 1"):
        gw.zeros(2, 4).scatter(1, gw.tensor([[4], [0]]), 1.0)


def test_index_add_refuses_wrong_source_shape():
    with pytest.raises(RuntimeError, match=r"index_add: source must have shape \(2, 3\)"):
        gw.zeros(4, 3).index_add(0, gw.tensor([0, 1]), gw.zeros(3, 3))


@pytest.mark.parametrize("index", [(1,), (slice(None), 0), (np.array([0, 2]),), (Ellipsis, 3)])
def test_setitem_matches_torch_values_and_gradients(rng, index):
    x = rng.standard_normal((3, 4))
    value = rng.standard_normal(np.zeros((3, 4))[index].shape[-1:])

    def ours(a, v):
        out = a * 1.0
        out[index] = v
        return out

    def theirs(a, v):
        out = a * 1.0
        out[tuple(torch.tensor(i) if isinstance(i, np.ndarray) else i for i in index)] = v
        return out

    compare_with_torch(ours, theirs, [x, value])


def test_setitem_on_a_leaf_that_requires_grad_refuses_like_torch():
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        gw.ones(2, requires_grad=True)[0] = 1.0


def test_in_place_operators_iteration_and_membership_match_torch():
    ours, theirs = gw.ones(3), torch.ones(3)
    alias_ours, alias_theirs = ours, theirs
    for t in (ours, theirs):
        t += 1
        t *= 3
        t -= 0.5
        t /= 2
    np.testing.assert_array_equal(alias_ours.array, alias_theirs.numpy())  # in place: aliases see it
    assert [v.item() for v in ours] == [v.item() for v in theirs]
    assert (2.75 in ours) == (2.75 in theirs) and (5.0 in ours) == (5.0 in theirs)
