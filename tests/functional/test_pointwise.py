"""log1p, expm1, erf, rounding, lerp, addcmul/addcdiv, remainder/fmod and predicates: parity
with PyTorch and float64 gradchecks."""
import numpy as np
import torch
from helpers import compare_with_torch

import gradwise as gw
from gradwise.core.gradcheck import gradcheck


def test_unary_pointwise_ops_match_torch(rng):
    x = rng.uniform(-0.9, 3.0, (3, 4))
    for name in ("log1p", "expm1", "erf", "floor", "ceil", "trunc", "frac", "round"):
        compare_with_torch(lambda t: getattr(t, name)(), lambda t: getattr(t, name)(), [x])
    compare_with_torch(lambda t: t.round(decimals=2), lambda t: t.round(decimals=2), [x])
    compare_with_torch(lambda t: t.clamp_min(0.5), lambda t: t.clamp_min(0.5), [x])
    compare_with_torch(lambda t: t.clamp_max(0.5), lambda t: t.clamp_max(0.5), [x])


def test_ternary_pointwise_ops_match_torch(rng):
    a, b, c = rng.standard_normal((3, 4)), rng.standard_normal((3, 4)), rng.uniform(1, 2, (4,))
    compare_with_torch(lambda x, y, z: x.lerp(y, 0.3), lambda x, y, z: x.lerp(y, 0.3), [a, b, c])
    compare_with_torch(lambda x, y, z: x.addcmul(y, z, value=0.5),
                       lambda x, y, z: x.addcmul(y, z, value=0.5), [a, b, c])
    compare_with_torch(lambda x, y, z: x.addcdiv(y, z, value=-2),
                       lambda x, y, z: x.addcdiv(y, z, value=-2), [a, b, c])


def test_remainder_and_fmod_follow_torch_signs(rng):
    a, b = rng.uniform(-5, 5, (3, 4)), rng.choice([-1.5, 2.5], (3, 4))
    compare_with_torch(lambda x, y: x.remainder(y), lambda x, y: x.remainder(y), [a, b])
    compare_with_torch(lambda x, y: x.fmod(y), lambda x, y: x.fmod(y), [a, b])
    compare_with_torch(lambda x, y: x % 1.5, lambda x, y: x % 1.5, [a, b])
    np.testing.assert_array_equal((gw.tensor(a) // 2).array, (torch.tensor(a) // 2).numpy())


def test_in_place_addcmul_matches_torch_adam_style_update(rng):
    a, b = rng.standard_normal(5), rng.standard_normal(5)
    ours, theirs = gw.tensor(a), torch.tensor(a)
    ours.mul_(0.9).addcmul_(gw.tensor(b), gw.tensor(b), value=0.1)
    theirs.mul_(0.9).addcmul_(torch.tensor(b), torch.tensor(b), value=0.1)
    np.testing.assert_allclose(ours.array, theirs.numpy(), rtol=1e-12)


def test_predicates_match_torch():
    x = np.array([0.0, np.nan, np.inf, -np.inf, -1.0])
    for name in ("isnan", "isinf", "isfinite", "signbit"):
        np.testing.assert_array_equal(getattr(gw.tensor(x), name)().array,
                                      getattr(torch.tensor(x), name)().numpy())
    compare_with_torch(lambda t: t.nan_to_num(0.0, 9.0, -9.0),
                       lambda t: t.nan_to_num(0.0, 9.0, -9.0), [x])


def test_pointwise_gradcheck(rng):
    x = gw.tensor(rng.uniform(0.1, 2.0, (2, 3)), requires_grad=True)
    y = gw.tensor(rng.uniform(0.5, 2.0, (2, 3)), requires_grad=True)
    for fn in (lambda a, b: a.log1p() * b.expm1(), lambda a, b: a.erf() + b.frac(),
               lambda a, b: a.addcdiv(a, b, value=0.7), lambda a, b: a.lerp(b, 0.25),
               lambda a, b: (3 * a).remainder(b)):
        assert gradcheck(fn, [x, y])


def test_trigonometric_and_log_bases_match_torch(rng):
    x = rng.uniform(0.1, 0.9, (3, 4))
    for name in ("log2", "log10", "exp2", "tan", "sinh", "cosh", "asin", "acos", "atan"):
        compare_with_torch(lambda t: getattr(t, name)(), lambda t: getattr(t, name)(), [x])
        assert gradcheck(lambda t: getattr(t, name)(), [gw.tensor(x, requires_grad=True)])
