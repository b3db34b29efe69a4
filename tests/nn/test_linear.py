"""Linear, Bilinear, Identity, Flatten, Unflatten: parity with torch.nn, gradcheck, errors, repr."""
import numpy as np
import pytest
import torch
from helpers import compare_with_torch

import gradwise as gw
from gradwise import nn
from gradwise.autograd import gradcheck


def module_parity(ours, theirs, inputs, atol=1e-12, rtol=1e-10, seed=0):
    """Load theirs' weights into ours, run both on the same inputs, and compare the outputs,
    the input gradients and every parameter gradient (by name)."""
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    g_in = [gw.tensor(a, requires_grad=True) for a in inputs]
    t_in = [torch.tensor(a, requires_grad=True) for a in inputs]
    g_out, t_out = ours(*g_in), theirs(*t_in)
    assert g_out.shape == tuple(t_out.shape) and str(g_out.dtype) in str(t_out.dtype)
    np.testing.assert_allclose(g_out.array, t_out.detach().numpy(), atol=atol, rtol=rtol)
    v = np.random.default_rng(seed).standard_normal(g_out.shape).astype(g_out.dtype)
    g_out.backward(v)
    (t_out * torch.tensor(v)).sum().backward()
    for g, t in zip(g_in, t_in):
        np.testing.assert_allclose(g.grad.array, t.grad.numpy(), atol=atol, rtol=rtol)
    t_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.array, t_params[name].grad.numpy(), atol=atol,
                                   rtol=rtol, err_msg=name)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(5, 3), (3,), (2, 4, 3)])
def test_linear_matches_torch_float64(rng, shape, bias):
    module_parity(nn.Linear(3, 7, bias=bias).double(),
                  torch.nn.Linear(3, 7, bias=bias, dtype=torch.float64),
                  [rng.standard_normal(shape)])


def test_linear_matches_torch_float32_within_1e5(rng):
    module_parity(nn.Linear(64, 32), torch.nn.Linear(64, 32),
                  [rng.standard_normal((16, 64)).astype(np.float32)], atol=1e-5, rtol=1e-5)


def test_linear_gradcheck(rng):
    lin = nn.Linear(4, 3).double()
    x = gw.tensor(rng.standard_normal((2, 5, 4)), requires_grad=True)
    assert gradcheck(lambda a, w, b: gw.functional.linear(a, w, b), [x, lin.weight, lin.bias])


def test_linear_rejects_wrong_input_features_with_shape_in_message():
    lin = nn.Linear(3, 2)
    with pytest.raises(ValueError) as e:
        lin(gw.zeros(4, 5))
    assert str(e.value) == ("Linear(in_features=3, out_features=2, bias=True): expected input "
                            "(*, 3), got (4, 5)")
    with pytest.raises(ValueError, match="expected input"):
        lin(gw.tensor(1.0))


def test_linear_constructor_checks_and_repr():
    with pytest.raises(ValueError, match="in_features must be an integer >= 0"):
        nn.Linear(-1, 3)
    with pytest.raises(ValueError, match="out_features"):
        nn.Linear(3, 2.5)
    assert repr(nn.Linear(3, 2, bias=False)) == repr(torch.nn.Linear(3, 2, bias=False))
    lin = nn.Linear(3, 2, dtype=np.float64)
    assert lin.weight.dtype == np.float64 and lin.weight.shape == (2, 3)
    assert [n for n, _ in lin.named_parameters()] == ["weight", "bias"]


def test_linear_reset_parameters_redraws_from_library_rng():
    gw.manual_seed(0)
    a = nn.Linear(5, 4)
    gw.manual_seed(0)
    b = nn.Linear(5, 4)
    np.testing.assert_array_equal(a.weight.array, b.weight.array)
    w = a.weight.array.copy()
    a.reset_parameters()
    assert not np.array_equal(a.weight.array, w)


@pytest.mark.parametrize("lead", [(4,), (2, 3)])
def test_bilinear_matches_torch(rng, lead):
    module_parity(nn.Bilinear(3, 5, 2).double(),
                  torch.nn.Bilinear(3, 5, 2, dtype=torch.float64),
                  [rng.standard_normal(lead + (3,)), rng.standard_normal(lead + (5,))])


def test_bilinear_init_bounds_errors_and_repr():
    gw.manual_seed(0)
    b = nn.Bilinear(16, 4, 50)
    assert np.abs(b.weight.array).max() <= 1 / 4 and np.abs(b.bias.array).max() <= 1 / 4
    assert b.weight.array.std() == pytest.approx(0.25 / np.sqrt(3), rel=0.05)
    assert repr(b) == repr(torch.nn.Bilinear(16, 4, 50))
    with pytest.raises(ValueError, match=r"expected input2 \(\*, 4\), got \(2, 3\)"):
        b(gw.zeros(2, 16), gw.zeros(2, 3))
    with pytest.raises(ValueError, match="same leading dimensions"):
        b(gw.zeros(2, 16), gw.zeros(3, 4))


def test_identity_flatten_unflatten_match_torch(rng):
    x = rng.standard_normal((2, 3, 4, 5))
    compare_with_torch(nn.Identity(54, unused=1), torch.nn.Identity(54, unused=1), [x])
    for start, end in [(1, -1), (0, 2), (2, 3)]:
        compare_with_torch(nn.Flatten(start, end), torch.nn.Flatten(start, end), [x])
        assert repr(nn.Flatten(start, end)) == repr(torch.nn.Flatten(start, end))
    compare_with_torch(nn.Unflatten(2, (2, 2)), torch.nn.Unflatten(2, (2, 2)), [x])
    compare_with_torch(nn.Unflatten(-1, (5, -1)), torch.nn.Unflatten(-1, (5, -1)), [x])
    assert repr(nn.Unflatten(1, (3, 1))) == repr(torch.nn.Unflatten(1, (3, 1)))


def test_flatten_unflatten_errors():
    with pytest.raises(ValueError, match=r"dim 1 out of range for input of shape \(3,\)"):
        nn.Flatten()(gw.zeros(3))
    with pytest.raises(ValueError, match=r"dim 2 of input \(2, 3, 4\) has size 4, which cannot "
                                         r"be unflattened into \(3, 2\)"):
        nn.Unflatten(2, (3, 2))(gw.zeros(2, 3, 4))
    with pytest.raises(TypeError):
        nn.Unflatten(1, 4)


def test_mlp_sequential_matches_torch(rng):
    ours = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 8), nn.Tanh(),
                         nn.Linear(8, 3)).double()
    theirs = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.ReLU(), torch.nn.Linear(8, 8),
                                 torch.nn.Tanh(), torch.nn.Linear(8, 3)).double()
    module_parity(ours, theirs, [rng.standard_normal((10, 6))])
    assert repr(ours) == repr(theirs)
