"""Tensor methods that PyTorch spells two ways or composes from other ops: parity with
PyTorch's values and gradients."""
import numpy as np
import pytest
import torch
from helpers import compare_with_torch

import gradwise as gw


@pytest.mark.parametrize("fn", [
    lambda t: t.reshape_as(t.new_zeros(4, 6)), lambda t: t.ravel(), lambda t: t[:1].broadcast_to((5, 3, 4)),
    lambda t: t.movedim(0, 2), lambda t: t.moveaxis((0, 1), (2, 0)), lambda t: t.swapaxes(0, 2),
    lambda t: t.swapdims(1, 2), lambda t: t.select(1, 2), lambda t: t.tile(2), lambda t: t.tile((2, 1, 1, 1)),
    lambda t: t.fliplr(), lambda t: t.flipud(), lambda t: t.multiply(t), lambda t: t.subtract(1.5),
    lambda t: t.divide(2.0), lambda t: t.negative(), lambda t: t.absolute(), lambda t: t[0].trace(),
    lambda t: t[0, 0].dot(t[0, 1]), lambda t: t[0, 0].outer(t[0, 1]), lambda t: t[0].mv(t[0, 0, :4]),
    lambda t: t.where(t > 0, 0.0), lambda t: t.take_along_dim(t.argsort(2), 2),
])
def test_alias_and_composite_methods_match_torch(rng, fn):
    x = rng.standard_normal((1, 3, 4))
    x = np.concatenate([x, x[:, ::-1] * 0.5], axis=0)[:, :3]  # (2, 3, 4)
    compare_with_torch(fn, fn, [x])


def test_non_differentiable_helpers_match_torch():
    x = np.array([[3, 1, 3], [0, 2, 1]])
    g, t = gw.tensor(x), torch.tensor(x)
    for name in ("unique", "count_nonzero", "ndimension", "is_signed", "byte", "short"):
        a, b = getattr(g, name)(), getattr(t, name)()
        np.testing.assert_array_equal(np.asarray(a.array if isinstance(a, gw.Tensor) else a),
                                      b.numpy() if isinstance(b, torch.Tensor) else b)
    values, inverse, counts = g.unique(return_inverse=True, return_counts=True)
    tv, ti, tc = t.unique(return_inverse=True, return_counts=True)
    for a, b in ((values, tv), (inverse, ti), (counts, tc)):
        np.testing.assert_array_equal(a.array, b.numpy())
    np.testing.assert_array_equal(g.view(-1).bincount(minlength=5).array,
                                  t.view(-1).bincount(minlength=5).numpy())
    assert g.allclose(g + 1e-9) and g.equal(gw.tensor(x)) and not g.equal(g[:1])
    np.testing.assert_array_equal(g.isclose(g * 1.0).array, t.isclose(t * 1).numpy())
    assert (g.greater(1).array == t.greater(1).numpy()).all() and g.is_cpu and g.nbytes == t.nbytes


def test_in_place_aliases_write_into_the_tensor(rng):
    x = rng.uniform(0.1, 0.9, 4)
    ours, theirs = gw.tensor(x), torch.tensor(x)
    for name in ("sin_", "tan_", "erf_", "asin_", "log2_", "negative_", "absolute_"):
        getattr(ours, name)()
        getattr(theirs, name)()
    ours.multiply_(2.0).subtract_(0.1).cumsum_(0)
    theirs.multiply_(2.0).subtract_(0.1).cumsum_(0)
    assert np.isfinite(ours.array).all()
    np.testing.assert_allclose(ours.array, theirs.numpy(), rtol=1e-12)
