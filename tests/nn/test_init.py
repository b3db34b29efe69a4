"""nn.init: distributions and bounds match PyTorch's, fills happen in place from the library RNG."""
import math

import numpy as np
import pytest
import torch

import gradwise as gw
from gradwise import nn
from gradwise.nn import init


def _p(*shape, dtype=np.float64):
    return nn.Parameter(np.zeros(shape, dtype))


@pytest.mark.parametrize("name,param", [("linear", None), ("conv2d", None), ("sigmoid", None),
                                        ("tanh", None), ("relu", None), ("leaky_relu", None),
                                        ("leaky_relu", 0.2), ("leaky_relu", math.sqrt(5)),
                                        ("selu", None)])
def test_calculate_gain_matches_torch(name, param):
    assert init.calculate_gain(name, param) == pytest.approx(torch.nn.init.calculate_gain(name, param))


def test_calculate_gain_rejects_unknown():
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        init.calculate_gain("swish")


@pytest.mark.parametrize("shape", [(4, 3), (8, 3, 5), (16, 4, 3, 3)])
def test_fan_in_fan_out_match_torch(shape):
    ours = init._calculate_fan_in_and_fan_out(gw.zeros(*shape))
    theirs = torch.nn.init._calculate_fan_in_and_fan_out(torch.zeros(shape))
    assert ours == theirs


def test_fan_needs_two_dims():
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(gw.zeros(5))


def test_fills_in_place_return_same_object_and_keep_dtype():
    p = _p(3, 4, dtype=np.float32)
    arr = p.array
    for fn in (init.uniform_, init.normal_, init.xavier_uniform_, init.xavier_normal_,
               init.kaiming_uniform_, init.kaiming_normal_, init.orthogonal_, init.trunc_normal_,
               init.zeros_, init.ones_, init.eye_):
        assert fn(p) is p
        assert p.array is arr and p.dtype == np.float32 and p.requires_grad


def test_library_rng_makes_init_reproducible():
    gw.manual_seed(3)
    a = init.normal_(_p(10)).array.copy()
    gw.manual_seed(3)
    b = init.normal_(_p(10)).array.copy()
    np.testing.assert_array_equal(a, b)
    c = init.normal_(_p(10), generator=np.random.default_rng(1)).array
    d = init.normal_(_p(10), generator=np.random.default_rng(1)).array
    np.testing.assert_array_equal(c, d)


def _uniform_stats_ok(x, bound):
    assert np.abs(x).max() <= bound
    assert np.abs(x).max() > 0.95 * bound  # fills the interval
    assert x.std() == pytest.approx(bound / math.sqrt(3), rel=0.03)
    assert abs(x.mean()) < 0.02 * bound


def test_uniform_and_normal_statistics():
    gw.manual_seed(0)
    x = init.uniform_(_p(200, 100), -0.3, 0.5).array
    assert x.min() >= -0.3 and x.max() < 0.5 and x.mean() == pytest.approx(0.1, abs=0.01)
    y = init.normal_(_p(200, 100), 2.0, 0.5).array
    assert y.mean() == pytest.approx(2.0, abs=0.01) and y.std() == pytest.approx(0.5, rel=0.02)


@pytest.mark.parametrize("shape", [(300, 200), (64, 32, 3, 3)])
def test_xavier_bounds_and_std_match_torch_formula(shape):
    gw.manual_seed(0)
    fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(torch.zeros(shape))
    gain = 5 / 3
    bound = gain * math.sqrt(6 / (fan_in + fan_out))
    _uniform_stats_ok(init.xavier_uniform_(_p(*shape), gain=gain).array, bound)
    std = gain * math.sqrt(2 / (fan_in + fan_out))
    assert init.xavier_normal_(_p(*shape), gain=gain).array.std() == pytest.approx(std, rel=0.03)


@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
@pytest.mark.parametrize("nonlinearity,a", [("relu", 0), ("leaky_relu", math.sqrt(5)),
                                            ("leaky_relu", 0.1), ("tanh", 0)])
def test_kaiming_bounds_and_std(mode, nonlinearity, a):
    gw.manual_seed(1)
    shape = (120, 40, 3, 3)
    fan = 40 * 9 if mode == "fan_in" else 120 * 9
    gain = torch.nn.init.calculate_gain(nonlinearity, a)
    bound = gain * math.sqrt(3 / fan)
    _uniform_stats_ok(init.kaiming_uniform_(_p(*shape), a, mode, nonlinearity).array, bound)
    x = init.kaiming_normal_(_p(*shape), a, mode, nonlinearity).array
    assert x.std() == pytest.approx(gain / math.sqrt(fan), rel=0.03)
    # the same distribution as torch's: compare quantiles of a torch draw
    t = torch.empty(shape, dtype=torch.float64)
    torch.nn.init.kaiming_normal_(t, a, mode, nonlinearity)
    qs = [0.05, 0.25, 0.5, 0.75, 0.95]
    np.testing.assert_allclose(np.quantile(x, qs), np.quantile(t.numpy(), qs), atol=0.05 * x.std())


def test_kaiming_rejects_bad_mode():
    with pytest.raises(ValueError, match="fan_avg"):
        init.kaiming_uniform_(_p(3, 3), mode="fan_avg")


def test_constant_ones_zeros_eye():
    np.testing.assert_array_equal(init.constant_(_p(2, 3), 0.25).array, np.full((2, 3), 0.25))
    np.testing.assert_array_equal(init.ones_(_p(2)).array, [1, 1])
    np.testing.assert_array_equal(init.zeros_(nn.Parameter(np.ones(2))).array, [0, 0])
    np.testing.assert_array_equal(init.eye_(_p(3, 4)).array, torch.nn.init.eye_(
        torch.empty(3, 4, dtype=torch.float64)).numpy())
    with pytest.raises(ValueError, match="2 dimensions"):
        init.eye_(_p(2, 2, 2))


def test_dirac_matches_torch():
    for shape, groups in [((4, 4, 3, 3), 1), ((6, 3, 5), 2), ((4, 2, 3, 3, 3), 2)]:
        expect = torch.nn.init.dirac_(torch.empty(shape, dtype=torch.float64), groups).numpy()
        np.testing.assert_array_equal(init.dirac_(_p(*shape), groups).array, expect)


@pytest.mark.parametrize("shape", [(5, 8), (8, 5), (6, 6), (4, 2, 3)])
def test_orthogonal_is_orthogonal_and_scaled(shape):
    gw.manual_seed(0)
    w = init.orthogonal_(_p(*shape), gain=2.0).array.reshape(shape[0], -1)
    if w.shape[0] <= w.shape[1]:
        np.testing.assert_allclose(w @ w.T, 4 * np.eye(w.shape[0]), atol=1e-12)
    else:
        np.testing.assert_allclose(w.T @ w, 4 * np.eye(w.shape[1]), atol=1e-12)


def test_orthogonal_is_haar_not_biased_in_sign():
    gw.manual_seed(0)
    diag = np.array([init.orthogonal_(_p(3, 3)).array[0, 0] for _ in range(400)])
    assert abs(diag.mean()) < 0.1  # a QR without the sign fix has a biased diagonal


def test_trunc_normal_bounds_and_moments():
    gw.manual_seed(0)
    x = init.trunc_normal_(_p(100_000), mean=0.5, std=1.0, a=-0.5, b=2.0).array
    assert x.min() >= -0.5 and x.max() <= 2.0
    t = torch.nn.init.trunc_normal_(torch.empty(100_000, dtype=torch.float64), 0.5, 1.0, -0.5, 2.0)
    assert x.mean() == pytest.approx(t.mean().item(), abs=0.01)
    assert x.std() == pytest.approx(t.std().item(), rel=0.02)
    with pytest.raises(ValueError, match="a < b"):
        init.trunc_normal_(_p(3), a=1.0, b=0.0)


def test_init_rejects_non_tensors():
    with pytest.raises(TypeError, match="uniform_"):
        init.uniform_([1.0, 2.0])


def test_linear_default_init_follows_pytorch_reset_parameters():
    gw.manual_seed(0)
    lin = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    _uniform_stats_ok(lin.weight.array, bound)
    assert np.abs(lin.bias.array).max() <= bound
    assert lin.weight.dtype == np.float32 and lin.bias.dtype == np.float32
    t = torch.nn.Linear(400, 300)
    assert np.abs(t.weight.detach().numpy()).max() <= bound
    assert lin.weight.array.std() == pytest.approx(t.weight.detach().numpy().std(), rel=0.03)
