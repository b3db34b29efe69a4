"""Parity with PyTorch (forward + gradients) and finite-difference checks for elementwise ops."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from helpers import compare_with_torch

import gradwise as gw
import gradwise.functional as F

BINARY = [
    ("add", F.add, torch.add),
    ("sub", F.sub, torch.sub),
    ("mul", F.mul, torch.mul),
    ("div", F.div, torch.div),
    ("maximum", F.maximum, torch.maximum),
    ("minimum", F.minimum, torch.minimum),
]
BROADCAST_SHAPES = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 1)), ((5,), (2, 3, 5)), ((), (2, 2))]


@pytest.mark.parametrize("name,gw_op,torch_op", BINARY, ids=[b[0] for b in BINARY])
@pytest.mark.parametrize("sa,sb", BROADCAST_SHAPES)
def test_binary_op_matches_torch_with_broadcasting(name, gw_op, torch_op, sa, sb, rng):
    a = rng.standard_normal(sa)
    b = rng.standard_normal(sb) + (3.0 if name == "div" else 0.0)
    compare_with_torch(gw_op, torch_op, [a, b])


def test_pow_matches_torch_for_tensor_and_scalar_exponents(rng):
    a = rng.uniform(0.5, 2.0, (3, 4))
    b = rng.standard_normal((4,))
    compare_with_torch(F.pow, torch.pow, [a, b])
    compare_with_torch(lambda x: x**3, lambda x: x**3, [a])
    compare_with_torch(lambda x: 2.0**x, lambda x: 2.0**x, [b])


def test_operators_with_python_scalars_keep_float32(rng):
    x = gw.tensor(rng.standard_normal((2, 3)).astype(np.float32), requires_grad=True)
    for y in (x + 1.5, 2.0 * x, x / 3, 1 - x, x**2, -x):
        assert y.dtype == np.float32
    ((x * 2 + 1) / 4).sum().backward()
    np.testing.assert_allclose(x.grad.array, np.full((2, 3), 0.5, np.float32))


UNARY = [
    ("exp", F.exp, torch.exp, None),
    ("log", F.log, torch.log, "pos"),
    ("sqrt", F.sqrt, torch.sqrt, "pos"),
    ("abs", F.abs, torch.abs, None),
    ("neg", F.neg, torch.neg, None),
    ("sin", F.sin, torch.sin, None),
    ("cos", F.cos, torch.cos, None),
    ("tanh", F.tanh, torch.tanh, None),
    ("sigmoid", F.sigmoid, torch.sigmoid, None),
    ("relu", F.relu, torch.relu, None),
    ("leaky_relu", lambda x: F.leaky_relu(x, 0.2), lambda x: TF.leaky_relu(x, 0.2), None),
    ("elu", lambda x: F.elu(x, 0.7), lambda x: TF.elu(x, 0.7), None),
    ("gelu", F.gelu, TF.gelu, None),
    ("gelu_tanh", lambda x: F.gelu(x, "tanh"), lambda x: TF.gelu(x, approximate="tanh"), None),
    ("softplus", F.softplus, TF.softplus, None),
    ("softplus_beta", lambda x: F.softplus(x, 2.0, 3.0), lambda x: TF.softplus(x, 2.0, 3.0), None),
    ("clamp", lambda x: F.clamp(x, -0.5, 0.7), lambda x: torch.clamp(x, -0.5, 0.7), None),
    ("clamp_min", lambda x: x.clamp(min=0.1), lambda x: x.clamp(min=0.1), None),
]


@pytest.mark.parametrize("name,gw_op,torch_op,domain", UNARY, ids=[u[0] for u in UNARY])
def test_unary_op_matches_torch_float64(name, gw_op, torch_op, domain, rng):
    x = rng.standard_normal((4, 5)) * 3
    if domain == "pos":
        x = np.abs(x) + 0.1
    compare_with_torch(gw_op, torch_op, [x])


@pytest.mark.parametrize("name,gw_op,torch_op,domain", UNARY, ids=[u[0] for u in UNARY])
def test_unary_op_matches_torch_float32(name, gw_op, torch_op, domain, rng):
    x = (rng.standard_normal((4, 5)) * 3).astype(np.float32)
    if domain == "pos":
        x = np.abs(x) + 0.1
    compare_with_torch(gw_op, torch_op, [x], atol=1e-6, rtol=1e-5)  # float32: ~10 ulp


@pytest.mark.parametrize("name,gw_op,torch_op,domain", UNARY, ids=[u[0] for u in UNARY])
def test_unary_op_passes_gradcheck(name, gw_op, torch_op, domain, rng):
    x = rng.standard_normal((3, 4)) * 2
    x[np.abs(x) < 0.05] = 0.3  # keep away from the kinks of abs/relu/clamp
    x[np.abs(x - 0.7) < 0.05] = 0.3
    x[np.abs(x + 0.5) < 0.05] = 0.3
    if domain == "pos":
        x = np.abs(x) + 0.1
    assert gw.autograd.gradcheck(gw_op, [gw.tensor(x, requires_grad=True)])


def test_sigmoid_is_stable_for_large_inputs():
    x = gw.tensor([-1000.0, 0.0, 1000.0], dtype=gw.float64)
    np.testing.assert_array_equal(F.sigmoid(x).array, [0.0, 0.5, 1.0])


def test_where_matches_torch_and_routes_gradient(rng):
    cond = rng.standard_normal((3, 4)) > 0
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((4,))
    compare_with_torch(lambda x, y: F.where(cond, x, y),
                       lambda x, y: torch.where(torch.tensor(cond), x, y), [a, b])


def test_binary_op_with_incompatible_shapes_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(3, 4\) and \(5,\)"):
        gw.ones(3, 4) + gw.ones(5)


def test_gradient_of_reused_input_accumulates(rng):
    x = rng.standard_normal((3,))
    compare_with_torch(lambda t: t * t + t.exp() * t, lambda t: t * t + t.exp() * t, [x])
