"""interpolate / Upsample: PyTorch parity (output and input gradient) over sizes up and down,
integer and fractional scale factors, 1-D and 2-D, align_corners both ways; gradcheck; the
backward as the adjoint of the forward; modules and their repr; error messages."""
import re

import numpy as np
import pytest
import torch
import torch.nn as tnn
import torch.nn.functional as TF
from helpers import compare_with_torch
from hypothesis import given, settings
from hypothesis import strategies as st

import gradwise as gw
import gradwise.nn as nn
from gradwise.autograd import gradcheck
from gradwise.functional import interpolate
from gradwise.functional.interpolate import (
    _sum_into, interpolate_linear_backward, interpolate_linear_forward,
    interpolate_nearest_backward, interpolate_nearest_forward,
)

F64, F32 = (np.float64, 1e-12), (np.float32, 1e-6)  # float32: a few ulps of O(1) values

# (N, C, L) = (2, 3, 7)
CONFIGS_1D = [
    dict(size=1), dict(size=3), dict(size=7), dict(size=12), dict(size=14), dict(size=20),
    dict(size=[5]), dict(scale_factor=2), dict(scale_factor=3), dict(scale_factor=0.5),
    dict(scale_factor=0.7), dict(scale_factor=1.7), dict(scale_factor=2.5),
    dict(scale_factor=(1.3,)), dict(scale_factor=2.3, recompute_scale_factor=True),
    dict(scale_factor=0.45, recompute_scale_factor=True),
]
# (N, C, H, W) = (2, 3, 5, 7)
CONFIGS_2D = [
    dict(size=(10, 14)), dict(size=(3, 4)), dict(size=(1, 1)), dict(size=(8, 11)),
    dict(size=(5, 7)), dict(size=9), dict(size=(2, 13)), dict(scale_factor=2),
    dict(scale_factor=(2, 3)), dict(scale_factor=0.5), dict(scale_factor=(1.7, 0.6)),
    dict(scale_factor=2.5), dict(scale_factor=(1.1, 2.1)), dict(scale_factor=[3, 0.3]),
    dict(scale_factor=(2.3, 1.45), recompute_scale_factor=True),
]
MODES_1D = [("nearest", None), ("nearest-exact", None), ("linear", False), ("linear", True)]
MODES_2D = [("nearest", None), ("nearest-exact", None), ("bilinear", False),
            ("bilinear", True)]


def _both(mode, align_corners, kw):
    return (lambda x: interpolate(x, mode=mode, align_corners=align_corners, **kw),
            lambda x: TF.interpolate(x, mode=mode, align_corners=align_corners, **kw))


@pytest.mark.parametrize("kw", CONFIGS_1D, ids=str)
@pytest.mark.parametrize("mode,align_corners", MODES_1D, ids=str)
@pytest.mark.parametrize("dtype,tol", [F64, F32], ids=["float64", "float32"])
def test_interpolate_1d_matches_torch_output_and_gradient(kw, mode, align_corners, dtype, tol):
    x = np.random.default_rng(0).standard_normal((2, 3, 7)).astype(dtype)
    compare_with_torch(*_both(mode, align_corners, kw), [x], atol=tol, rtol=tol)


@pytest.mark.parametrize("kw", CONFIGS_2D, ids=str)
@pytest.mark.parametrize("mode,align_corners", MODES_2D, ids=str)
@pytest.mark.parametrize("dtype,tol", [F64, F32], ids=["float64", "float32"])
def test_interpolate_2d_matches_torch_output_and_gradient(kw, mode, align_corners, dtype, tol):
    x = np.random.default_rng(1).standard_normal((2, 3, 5, 7)).astype(dtype)
    compare_with_torch(*_both(mode, align_corners, kw), [x], atol=tol, rtol=tol)


@pytest.mark.parametrize("mode,align_corners", MODES_1D + MODES_2D[2:], ids=str)
def test_interpolate_matches_torch_on_every_small_size_pair(mode, align_corners):
    """Every n_in ≤ 9 → n_out ≤ 19 along one axis, by size and by scale factor, float64: the
    source indices and weights are computed with PyTorch's float arithmetic, so no floor lands
    on the other side of an integer."""
    rng = np.random.default_rng(2)
    two_d = mode == "bilinear"
    for n_in in range(1, 10):
        configs = [dict(size=n_out) for n_out in range(1, 20)]
        configs += [dict(scale_factor=s) for s in (0.3, 0.6, 1.0, 1.2, 1.5, 2.0, 2.2, 3.4)
                    if int(n_in * s) >= 1 and not _torch_1d_nearest_quirk(mode, n_in, s)]
        for kw in configs:
            if two_d:  # resize H only, then W only
                kws = [{k: (v, 1.0 if k == "scale_factor" else 3)} for k, v in kw.items()]
                kws += [{k: (1.0 if k == "scale_factor" else 3, v)} for k, v in kw.items()]
                shapes = [(1, 2, n_in, 3), (1, 2, 3, n_in)]
            else:
                kws, shapes = [kw], [(1, 2, n_in)]
            for kw2, shape in zip(kws, shapes):
                x = rng.standard_normal(shape)
                compare_with_torch(*_both(mode, align_corners, kw2), [x], atol=1e-12,
                                   rtol=1e-12)


def _torch_1d_nearest_quirk(mode, n_in, s):
    """Cases where PyTorch's 1-D nearest backward is not the transpose of its forward."""
    return mode == "nearest" and int(n_in * s) in (n_in, 2 * n_in) and s not in (1.0, 2.0)


@pytest.mark.parametrize("n_in,scale_factor", [(5, 1.1), (7, 2.1), (4, 1.2), (6, 2.05)])
def test_nearest1d_fractional_factor_gives_torch_output_and_true_gradient(n_in, scale_factor):
    """With n_out = n_in or 2·n_in from a fractional factor, PyTorch's 1-D forward computes
    ⌊o / scale_factor⌋ (e.g. 5 at 1.1 → sources [0, 0, 1, 2, 3]) but its backward takes the
    shortcut o or ⌊o/2⌋, so torch's own gradcheck fails there. We match the forward, and our
    gradient is the transpose of that forward: torch's gradient of the same gather."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, n_in))
    xt = torch.tensor(x, requires_grad=True)
    yt = TF.interpolate(xt, scale_factor=scale_factor)
    y = interpolate(gw.tensor(x, requires_grad=True), scale_factor=scale_factor)
    np.testing.assert_array_equal(y.array, yt.detach().numpy())
    src = TF.interpolate(torch.arange(n_in, dtype=torch.float64)[None, None],
                         scale_factor=scale_factor)[0, 0].long()
    v = rng.standard_normal(y.shape)
    xg = torch.tensor(x, requires_grad=True)
    (xg[:, :, src] * torch.tensor(v)).sum().backward()  # the forward as an explicit gather
    xw = gw.tensor(x, requires_grad=True)
    interpolate(xw, scale_factor=scale_factor).backward(v)
    np.testing.assert_allclose(xw.grad.array, xg.grad.numpy(), atol=1e-12, rtol=1e-12)


@pytest.mark.parametrize("shape,kw", [
    ((2, 2, 5), dict(mode="nearest", scale_factor=1.7)),
    ((2, 2, 5), dict(mode="nearest", size=3)),
    ((2, 2, 5), dict(mode="linear", scale_factor=2.5)),
    ((2, 2, 5), dict(mode="linear", size=3, align_corners=True)),
    ((1, 2, 4, 5), dict(mode="nearest", scale_factor=(1.5, 0.6))),
    ((1, 2, 4, 5), dict(mode="nearest-exact", size=(7, 3))),
    ((1, 2, 4, 5), dict(mode="bilinear", scale_factor=(2, 1.5))),
    ((1, 2, 4, 5), dict(mode="bilinear", size=(3, 8), align_corners=True)),
    ((1, 2, 4, 5), dict(mode="bilinear", size=(9, 2), align_corners=False)),
], ids=str)
def test_interpolate_gradcheck_float64(shape, kw):
    x = gw.tensor(np.random.default_rng(4).standard_normal(shape), requires_grad=True)
    assert gradcheck(lambda x: interpolate(x, **kw), [x], eps=1e-6, atol=1e-8, rtol=1e-6)


@settings(max_examples=30, deadline=None)
@given(n_in=st.integers(1, 9), m_in=st.integers(1, 9), n_out=st.integers(1, 19),
       m_out=st.integers(1, 19), align_corners=st.booleans(), exact=st.booleans())
def test_interpolate_backward_is_adjoint_of_forward(n_in, m_in, n_out, m_out, align_corners,
                                                    exact):
    """⟨A x, g⟩ = ⟨x, Aᵀ g⟩ for the nearest and the bilinear pair."""
    rng = np.random.default_rng(n_in * 100 + m_out)
    x = rng.standard_normal((2, 3, n_in, m_in))
    g = rng.standard_normal((2, 3, n_out, m_out))
    y, cache = interpolate_linear_forward(x, (n_out, m_out), None, align_corners)
    (dx,) = interpolate_linear_backward(g, cache)
    assert np.isclose((y * g).sum(), (x * dx).sum(), rtol=1e-12, atol=1e-12)
    y, cache = interpolate_nearest_forward(x, (n_out, m_out), None, exact)
    (dx,) = interpolate_nearest_backward(g, cache)
    assert np.isclose((y * g).sum(), (x * dx).sum(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("idx,n_in", [([0, 0, 1, 1, 2, 2], 3), ([0, 1, 2], 3), ([0, 0, 0, 2], 4),
                                      ([1, 1, 3], 5), ([0, 0, 0, 1, 1, 1], 2), ([2], 3)],
                         ids=str)
def test_sum_into_is_the_transpose_of_take(idx, n_in):
    """Reshape-sum, segmented-sum and zero-filled paths against np.add.at."""
    idx = np.array(idx)
    g = np.random.default_rng(5).standard_normal((2, len(idx), 3))
    expected = np.zeros((2, n_in, 3))
    np.add.at(expected, (slice(None), idx), g)
    np.testing.assert_allclose(_sum_into(g, idx, n_in, axis=1), expected, rtol=1e-14)


def test_interpolate_keeps_inf_and_nan_local_like_torch():
    x = np.random.default_rng(6).standard_normal((1, 1, 6, 6))
    x[0, 0, 1, 1], x[0, 0, 4, 3] = np.inf, np.nan
    for kw in (dict(mode="bilinear", scale_factor=2), dict(mode="bilinear", size=(4, 9),
                                                           align_corners=True),
               dict(mode="nearest", scale_factor=1.5)):
        with np.errstate(invalid="ignore"):  # inf · 0 = NaN next to the inf, as in torch
            y = interpolate(gw.tensor(x), **kw).array
        np.testing.assert_allclose(y, TF.interpolate(torch.tensor(x), **kw).numpy(),
                                   rtol=1e-12, atol=1e-12)  # NaN and inf in the same places
        assert np.isfinite(y).mean() > 0.5


def test_interpolate_nearest_integer_scale_is_repeat_and_backward_is_block_sum():
    x = gw.tensor(np.arange(6.0).reshape(1, 1, 2, 3), requires_grad=True)
    y = interpolate(x, scale_factor=(2, 3))
    np.testing.assert_array_equal(y.array[0, 0], np.repeat(np.repeat(x.array[0, 0], 2, 0), 3, 1))
    y.backward(np.ones(y.shape))
    np.testing.assert_array_equal(x.grad.array, np.full((1, 1, 2, 3), 6.0))


def test_interpolate_float32_stays_float32_and_no_grad_input_works():
    x = np.random.default_rng(7).standard_normal((1, 2, 3, 3)).astype(np.float32)
    for mode in ("nearest", "bilinear"):
        y = interpolate(gw.tensor(x), scale_factor=2, mode=mode)
        assert y.dtype == np.float32 and y.shape == (1, 2, 6, 6) and not y.requires_grad


# ----------------------------------------------------------------------------- modules


@pytest.mark.parametrize("kw", [
    dict(scale_factor=2), dict(size=(4, 9), mode="bilinear"),
    dict(scale_factor=(1.5, 0.5), mode="bilinear", align_corners=True),
    dict(scale_factor=1.7, mode="nearest-exact"), dict(size=3),
    dict(scale_factor=2.3, mode="bilinear", recompute_scale_factor=True),
], ids=str)
def test_upsample_equals_functional_and_torch_module(kw):
    x = np.random.default_rng(8).standard_normal((2, 3, 5, 6))
    m, tm = nn.Upsample(**kw), tnn.Upsample(**kw)
    assert repr(m) == repr(tm)
    fkw = dict(kw, scale_factor=m.scale_factor) if "scale_factor" in kw else kw
    np.testing.assert_array_equal(m(gw.tensor(x)).array, interpolate(gw.tensor(x), **fkw).array)
    compare_with_torch(m, tm, [x], atol=1e-12, rtol=1e-12)


def test_upsample_1d_linear_matches_torch_module():
    x = np.random.default_rng(9).standard_normal((2, 3, 5))
    m, tm = nn.Upsample(scale_factor=1.5, mode="linear"), tnn.Upsample(scale_factor=1.5,
                                                                          mode="linear")
    assert repr(m) == repr(tm) == "Upsample(scale_factor=1.5, mode='linear')"
    compare_with_torch(m, tm, [x], atol=1e-12, rtol=1e-12)


@pytest.mark.parametrize("cls,kw", [
    ("UpsamplingNearest2d", dict(scale_factor=2)), ("UpsamplingNearest2d", dict(size=(3, 8))),
    ("UpsamplingBilinear2d", dict(scale_factor=2)), ("UpsamplingBilinear2d", dict(size=7)),
    ("UpsamplingBilinear2d", dict(scale_factor=(0.5, 1.5))),
], ids=str)
def test_upsampling2d_modules_match_torch_and_functional(cls, kw):
    x = np.random.default_rng(10).standard_normal((2, 3, 5, 6))
    m, tm = getattr(nn, cls)(**kw), getattr(tnn, cls)(**kw)
    assert repr(m) == repr(tm)
    assert (m.mode, m.align_corners) == (tm.mode, tm.align_corners)
    mode = "nearest" if "Nearest" in cls else "bilinear"
    ac = None if mode == "nearest" else True
    np.testing.assert_array_equal(m(gw.tensor(x)).array,
                                  interpolate(gw.tensor(x), mode=mode, align_corners=ac,
                                              **kw).array)
    compare_with_torch(m, tm, [x], atol=1e-12, rtol=1e-12)


def test_upsample_has_no_parameters_and_keeps_torch_attributes():
    m, tm = nn.Upsample(scale_factor=(2, 3)), tnn.Upsample(scale_factor=(2, 3))
    assert list(m.parameters()) == [] and m.state_dict() == {}
    for name in ("name", "size", "scale_factor", "mode", "align_corners",
                 "recompute_scale_factor"):
        assert getattr(m, name) == getattr(tm, name), name


# ----------------------------------------------------------------------------- errors

X3, X4 = (2, 3, 5), (2, 3, 5, 6)
ERRORS = [
    (X4, dict(size=3, scale_factor=2), "interpolate: expected exactly one of size or "
                                       "scale_factor, got both"),
    (X4, dict(), "interpolate: expected exactly one of size or scale_factor, got neither"),
    ((2, 3), dict(size=3), r"interpolate: mode 'nearest' expects input \(N, C, L\) or "
                           r"\(N, C, H, W\), got shape \(2, 3\)"),
    ((1, 2, 3, 4, 5), dict(size=3), "expects input .* got shape \\(1, 2, 3, 4, 5\\)"),
    (X3, dict(size=3, mode="bilinear"), r"mode 'bilinear' expects input \(N, C, H, W\), got "
                                        r"shape \(2, 3, 5\)"),
    (X4, dict(size=3, mode="linear"), r"mode 'linear' expects input \(N, C, L\), got shape"),
    (X4, dict(size=3, align_corners=True), "align_corners can only be set with mode 'linear' "
                                           "or 'bilinear', got align_corners=True with mode "
                                           "'nearest'"),
    (X4, dict(size=3, align_corners=False, mode="nearest-exact"), "align_corners can only"),
    (X4, dict(size=3, mode="bicubic"), "expected mode one of 'nearest', 'nearest-exact', "
                                       "'linear', 'bilinear', got 'bicubic'"),
    (X4, dict(size=(3,)), r"expected size with 2 entries \(one per spatial dimension of the "
                          r"input\), got size=\(3,\)"),
    (X3, dict(size=(3, 4)), r"expected size with 1 entry .* got size=\(3, 4\)"),
    (X4, dict(scale_factor=(2, 2, 2)), "expected scale_factor with 2 entries"),
    (X4, dict(size=(0, 4)), r"expected output sizes > 0, got size=\(0, 4\)"),
    (X3, dict(size=-2), "expected output sizes > 0, got size=-2"),
    (X3, dict(size=2.5), "expected integer output sizes, got size=2.5"),
    (X4, dict(scale_factor=0), "expected scale_factor > 0, got scale_factor=0"),
    (X4, dict(scale_factor=(2, -1)), r"expected scale_factor > 0, got scale_factor=\(2, -1\)"),
    (X3, dict(scale_factor=0.1), r"scale_factor=0.1 gives output size \(0,\) for input "
                                 r"spatial size \(5,\); expected sizes > 0"),
    (X3, dict(size=4, recompute_scale_factor=True), "recompute_scale_factor is not "
                                                    "meaningful with an explicit size"),
]


@pytest.mark.parametrize("shape,kw,match", ERRORS, ids=[str(e[1]) for e in ERRORS])
def test_interpolate_rejects_bad_arguments(shape, kw, match):
    with pytest.raises(ValueError, match=match):
        interpolate(gw.tensor(np.zeros(shape)), **kw)


@pytest.mark.parametrize("kw,match", [
    (dict(size=3, scale_factor=2), "Upsample: expected exactly one of size or scale_factor"),
    (dict(), "Upsample: expected exactly one of size or scale_factor, got neither"),
    (dict(size=3, mode="trilinear"), "Upsample: expected mode one of"),
    (dict(size=3, align_corners=True), "Upsample: align_corners can only be set"),
    (dict(size=(3, 0)), r"Upsample: expected output sizes > 0, got size=\(3, 0\)"),
    (dict(scale_factor=-2.0), "Upsample: expected scale_factor > 0"),
], ids=str)
def test_upsample_checks_arguments_in_init(kw, match):
    with pytest.raises(ValueError, match=match):
        nn.Upsample(**kw)


def test_upsample_input_errors_name_the_layer():
    m = nn.UpsamplingBilinear2d(size=(3, 4))
    with pytest.raises(ValueError, match=re.escape(
            "UpsamplingBilinear2d(size=(3, 4), mode='bilinear'): interpolate: mode 'bilinear' "
            "expects input (N, C, H, W), got shape (2, 3, 5)")):
        m(gw.tensor(np.zeros(X3)))
    with pytest.raises(ValueError, match=r"Upsample\(scale_factor=0.1, mode='nearest'\): "
                                         r"interpolate: scale_factor=0.1 gives output size"):
        nn.Upsample(scale_factor=0.1)(gw.tensor(np.zeros(X3)))
