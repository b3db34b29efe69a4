"""conv1d/conv2d/conv_transpose1d/2d: PyTorch parity (forward and every gradient), gradcheck,
im2col/col2im adjointness and output-size properties, error messages."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from helpers import compare_with_torch
from hypothesis import given, settings
from hypothesis import strategies as st

import gradwise as gw
import gradwise.functional as F
from gradwise.autograd import gradcheck
from gradwise.functional import (
    col2im, conv1d, conv2d, conv_transpose1d, conv_transpose2d, im2col,
)

pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")

# (N, C_in, C_out, H, W, kernel, stride, padding, dilation, groups, bias)
CONV2D_CASES = [
    (2, 3, 4, 7, 7, 3, 1, 0, 1, 1, True),
    (1, 3, 5, 8, 9, (3, 2), (2, 1), (1, 0), 1, 1, True),  # batch 1, non-square kernel
    (2, 4, 6, 9, 7, 3, 2, 1, 2, 2, True),  # dilation + groups
    (3, 4, 4, 6, 6, 3, 1, 1, 1, 4, False),  # depthwise
    (2, 4, 8, 6, 5, 3, 1, 1, 1, 4, True),  # depthwise, channel multiplier 2
    (2, 2, 3, 7, 8, (2, 4), 1, "same", 1, 1, True),  # even kernel: asymmetric 'same'
    (2, 2, 3, 9, 7, 3, 1, "same", (2, 3), 1, True),  # 'same' with dilation
    (2, 3, 2, 5, 5, 5, 1, "valid", 1, 1, True),  # kernel = input
    (1, 6, 6, 11, 13, (1, 3), (3, 2), (0, 2), (1, 2), 3, True),  # odd sizes, stride 3
    (2, 1, 6, 12, 12, 5, 1, 2, 1, 1, True),  # LeNet-like single channel
    (2, 3, 4, 10, 10, 4, 3, 2, 1, 1, True),  # stride leaves a remainder
    (1, 2, 2, 3, 3, 1, 1, 0, 1, 1, True),  # 1x1 kernel
    # C_out/g < 16 and H_out·W_out >= 512: the sample-major column layout (the others are channel-major)
    (2, 3, 4, 24, 24, 3, 1, 1, 1, 1, True),
    (2, 4, 6, 50, 44, 3, (1, 2), (1, 0), (2, 1), 2, False),  # groups, stride, dilation
    (1, 2, 3, 25, 23, (2, 4), 1, "same", 1, 1, True),  # even kernel: asymmetric 'same'
    (2, 1, 6, 28, 28, 5, 1, 2, 1, 1, True),  # LeNet's C1
    (1, 2, 16, 24, 24, 3, 1, 1, 1, 1, True),  # same resolution, 16 outputs: channel-major
]


def _conv2d_pair(case):
    n, ci, co, h, w, k, s, p, d, g, bias = case
    kh, kw = (k, k) if isinstance(k, int) else k
    rng = np.random.default_rng(hash(str(case)) % 2**32)
    arrays = [rng.standard_normal((n, ci, h, w)), rng.standard_normal((co, ci // g, kh, kw))]
    if bias:
        arrays.append(rng.standard_normal(co))
    kw_ = dict(stride=s, padding=p, dilation=d, groups=g)

    def ours(x, wt, b=None):
        return conv2d(x, wt, b, **kw_)

    def theirs(x, wt, b=None):
        return TF.conv2d(x, wt, b, **kw_)

    return ours, theirs, arrays


@pytest.mark.parametrize("case", CONV2D_CASES, ids=str)
def test_conv2d_matches_torch_float64(case):
    ours, theirs, arrays = _conv2d_pair(case)
    compare_with_torch(ours, theirs, arrays, atol=1e-10, rtol=1e-10)


@pytest.mark.parametrize("case", CONV2D_CASES[::2], ids=str)
def test_conv2d_matches_torch_float32_within_1e_4_relative(case):
    ours, theirs, arrays = _conv2d_pair(case)
    arrays = [a.astype(np.float32) for a in arrays]
    compare_with_torch(ours, theirs, arrays, atol=1e-4, rtol=1e-4)


def test_conv2d_random_sweep_matches_torch_float64():
    """40 random configurations of stride, padding (incl. 'same'), dilation and groups."""
    rng = np.random.default_rng(123)
    for _ in range(40):
        g = int(rng.choice([1, 1, 2, 3]))
        ci, co = g * int(rng.integers(1, 3)), g * int(rng.integers(1, 3))
        k = tuple(int(v) for v in rng.integers(1, 4, size=2))
        d = tuple(int(v) for v in rng.integers(1, 3, size=2))
        same = rng.random() < 0.25
        s = (1, 1) if same else tuple(int(v) for v in rng.integers(1, 4, size=2))
        p = "same" if same else tuple(int(rng.integers(0, kk)) for kk in k)
        hw = tuple(int(dd * (kk - 1) + 1 + rng.integers(0, 6)) for kk, dd in zip(k, d))
        n = int(rng.integers(1, 3))
        arrays = [rng.standard_normal((n, ci) + hw), rng.standard_normal((co, ci // g) + k),
                  rng.standard_normal(co)]
        kw = dict(stride=s, padding=p, dilation=d, groups=g)
        compare_with_torch(lambda x, w, b: conv2d(x, w, b, **kw),
                           lambda x, w, b: TF.conv2d(x, w, b, **kw), arrays,
                           atol=1e-10, rtol=1e-10)


CONV1D_CASES = [  # (N, C_in, C_out, L, K, stride, padding, dilation, groups)
    (2, 3, 4, 10, 3, 1, 1, 1, 1),
    (1, 4, 6, 11, 4, 2, 0, 2, 2),
    (2, 2, 3, 9, 4, 1, "same", 1, 1),
    (2, 3, 3, 8, 3, 1, "same", 3, 3),
    (3, 2, 2, 7, 7, 1, "valid", 1, 1),
]


@pytest.mark.parametrize("case", CONV1D_CASES, ids=str)
@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-10), (np.float32, 1e-4)])
def test_conv1d_matches_torch(case, dtype, tol):
    n, ci, co, length, k, s, p, d, g = case
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal((n, ci, length)).astype(dtype),
              rng.standard_normal((co, ci // g, k)).astype(dtype),
              rng.standard_normal(co).astype(dtype)]
    kw = dict(stride=s, padding=p, dilation=d, groups=g)
    compare_with_torch(lambda x, w, b: conv1d(x, w, b, **kw),
                       lambda x, w, b: TF.conv1d(x, w, b, **kw), arrays, atol=tol, rtol=tol)


CONVT2D_CASES = [  # (N, C_in, C_out, H, W, kernel, stride, padding, output_padding, groups, dil)
    (2, 3, 4, 4, 5, 3, 1, 0, 0, 1, 1),
    (2, 4, 6, 3, 4, (3, 2), (2, 3), (1, 0), (1, 2), 2, 1),
    (1, 2, 2, 5, 5, 4, 2, 1, 0, 1, 1),  # the classic 2x upsampler
    (2, 4, 4, 3, 3, 3, (1, 2), 1, (1, 0), 4, (2, 1)),  # output_padding < dilation, depthwise
    (1, 3, 2, 4, 3, 2, 3, 0, 2, 1, 1),
]


@pytest.mark.parametrize("case", CONVT2D_CASES, ids=str)
@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-10), (np.float32, 1e-4)])
def test_conv_transpose2d_matches_torch(case, dtype, tol):
    n, ci, co, h, w, k, s, p, op, g, d = case
    kh, kw = (k, k) if isinstance(k, int) else k
    rng = np.random.default_rng(2)
    arrays = [rng.standard_normal((n, ci, h, w)).astype(dtype),
              rng.standard_normal((ci, co // g, kh, kw)).astype(dtype),
              rng.standard_normal(co).astype(dtype)]
    kw_ = dict(stride=s, padding=p, output_padding=op, groups=g, dilation=d)
    compare_with_torch(lambda x, wt, b: conv_transpose2d(x, wt, b, **kw_),
                       lambda x, wt, b: TF.conv_transpose2d(x, wt, b, **kw_), arrays,
                       atol=tol, rtol=tol)


@pytest.mark.parametrize("kw", [dict(stride=2, padding=1, output_padding=1),
                                dict(stride=1, padding=2, dilation=3, groups=2),
                                dict(stride=3, output_padding=2, groups=2)], ids=str)
def test_conv_transpose1d_matches_torch(kw):
    rng = np.random.default_rng(3)
    arrays = [rng.standard_normal((2, 4, 6)), rng.standard_normal((4, 3, 3)),
              rng.standard_normal(3 * kw.get("groups", 1))]
    compare_with_torch(lambda x, w, b: conv_transpose1d(x, w, b, **kw),
                       lambda x, w, b: TF.conv_transpose1d(x, w, b, **kw), arrays)


def _leaves(rng, *shapes):
    return [gw.tensor(rng.standard_normal(s), requires_grad=True) for s in shapes]


def test_conv2d_backward_passes_gradcheck(rng):
    x, w, b = _leaves(rng, (2, 4, 5, 6), (4, 2, 3, 2), (4,))
    assert gradcheck(lambda x, w, b: conv2d(x, w, b, stride=(2, 1), padding=(1, 2),
                                            dilation=(1, 2), groups=2), [x, w, b])
    assert gradcheck(lambda x, w, b: conv2d(x, w, b, padding="same"), _leaves(
        rng, (1, 2, 4, 5), (3, 2, 2, 4), (3,)))
    # 24 × 24 outputs: the sample-major column layout
    assert gradcheck(lambda x, w, b: conv2d(x, w, b, padding=1, groups=2), _leaves(
        rng, (1, 2, 24, 24), (4, 1, 3, 3), (4,)))


def test_conv1d_and_transposes_pass_gradcheck(rng):
    assert gradcheck(lambda x, w, b: conv1d(x, w, b, stride=2, padding=1, dilation=2),
                     _leaves(rng, (2, 2, 9), (3, 2, 3), (3,)))
    assert gradcheck(lambda x, w, b: conv_transpose2d(x, w, b, stride=2, padding=1,
                                                      output_padding=1, groups=2),
                     _leaves(rng, (1, 4, 3, 3), (4, 1, 3, 2), (2,)))
    assert gradcheck(lambda x, w, b: conv_transpose1d(x, w, b, stride=2, dilation=2),
                     _leaves(rng, (2, 2, 4), (2, 3, 3), (3,)))


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 3), c=st.integers(1, 3), hw=st.integers(3, 8), k=st.integers(1, 3),
       s=st.integers(1, 3), p=st.integers(0, 2), d=st.integers(1, 2))
def test_col2im_is_adjoint_of_im2col(n, c, hw, k, s, p, d):
    if d * (k - 1) + 1 > hw + 2 * p:
        return
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, c, hw, hw))
    cols = im2col(x, k, stride=s, padding=p, dilation=d)
    y = rng.standard_normal(cols.shape)
    assert np.isclose((cols * y).sum(), (x * col2im(y, x.shape, k, s, p, d)).sum())


@settings(max_examples=40, deadline=None)
@given(h=st.integers(1, 12), w=st.integers(1, 12), k=st.integers(1, 4), s=st.integers(1, 3),
       p=st.integers(0, 2), d=st.integers(1, 3))
def test_conv2d_output_shape_follows_formula(h, w, k, s, p, d):
    eff = d * (k - 1) + 1
    x = gw.tensor(np.zeros((1, 1, h, w)))
    wt = gw.tensor(np.zeros((2, 1, k, k)))
    if eff > min(h, w) + 2 * p:
        with pytest.raises(ValueError, match="larger than the padded input"):
            conv2d(x, wt, stride=s, padding=p, dilation=d)
        return
    y = conv2d(x, wt, stride=s, padding=p, dilation=d)
    assert y.shape == (1, 2, (h + 2 * p - eff) // s + 1, (w + 2 * p - eff) // s + 1)


def test_im2col_layout_is_channel_major_rows_and_batch_major_columns():
    x = np.arange(2 * 1 * 3 * 3, dtype=np.float64).reshape(2, 1, 3, 3)
    cols = im2col(x, 2)  # (1·2·2, 2·2·2)
    # row (c=0, p=0, q=1), column (n=1, i=0, j=1) reads x[1, 0, 0 + 0, 1 + 1]
    assert cols.shape == (4, 8)
    assert cols[1, 4 + 1] == x[1, 0, 0, 2]
    np.testing.assert_array_equal(cols[0, :4], x[0, 0, :2, :2].ravel())


def test_conv2d_errors_name_the_op_and_give_expected_and_actual():
    x = gw.tensor(np.zeros((1, 3, 5, 5)))
    with pytest.raises(ValueError, match=r"conv2d: expected input with 4 channels .* got 3"):
        conv2d(x, gw.tensor(np.zeros((2, 4, 3, 3))))
    with pytest.raises(ValueError, match=r"kernel size \(7, 7\).*larger than the padded input "
                                         r"\(5, 5\)"):
        conv2d(x, gw.tensor(np.zeros((2, 3, 4, 4))), padding=0, dilation=2, stride=1)
    with pytest.raises(ValueError, match="out_channels 3 is not divisible by groups 2"):
        conv2d(gw.tensor(np.zeros((1, 4, 5, 5))), gw.tensor(np.zeros((3, 2, 3, 3))), groups=2)
    with pytest.raises(ValueError, match="padding must be 'valid', 'same'"):
        conv2d(x, gw.tensor(np.zeros((2, 3, 3, 3))), padding="full")
    with pytest.raises(ValueError, match="'same' is not supported for strided"):
        conv2d(x, gw.tensor(np.zeros((2, 3, 3, 3))), padding="same", stride=2)
    with pytest.raises(ValueError, match="dtype float32 and weight dtype float64"):
        conv2d(gw.tensor(np.zeros((1, 3, 5, 5), np.float32)), gw.tensor(np.zeros((2, 3, 3, 3))))
    with pytest.raises(ValueError, match="output_padding must be smaller"):
        conv_transpose2d(x, gw.tensor(np.zeros((3, 2, 3, 3))), stride=2, output_padding=2)


def test_conv2d_float32_stays_float32_and_matches_float64_reference():
    rng = np.random.default_rng(5)
    x, w = rng.standard_normal((4, 8, 10, 10)), rng.standard_normal((16, 8, 3, 3)) / 5
    y32 = conv2d(gw.tensor(x.astype(np.float32)), gw.tensor(w.astype(np.float32)), padding=1)
    y64 = TF.conv2d(torch.tensor(x), torch.tensor(w), padding=1).numpy()
    assert y32.dtype == np.float32
    np.testing.assert_allclose(y32.array, y64, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("conv, torch_conv, shape, w_shape", [
    (conv2d, TF.conv2d, (2, 3, 7, 6), (4, 3, 3, 3)),
    (conv1d, TF.conv1d, (2, 3, 9), (4, 3, 3)),
])
def test_conv_input_without_grad_still_gives_weight_and_bias_grads(rng, conv, torch_conv, shape,
                                                                   w_shape):
    """A first layer's input needs no gradient: the backward skips dX but dW and db match."""
    x = rng.standard_normal(shape)
    w, b = rng.standard_normal(w_shape), rng.standard_normal(w_shape[0])
    gx = gw.tensor(x)  # requires_grad=False
    gwt, gbt = gw.tensor(w, requires_grad=True), gw.tensor(b, requires_grad=True)
    conv(gx, gwt, gbt, padding=1).sum().backward()
    tw, tb = torch.tensor(w, requires_grad=True), torch.tensor(b, requires_grad=True)
    torch_conv(torch.tensor(x), tw, tb, padding=1).sum().backward()
    assert gx.grad is None
    np.testing.assert_allclose(gwt.grad.numpy(), tw.grad.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(gbt.grad.numpy(), tb.grad.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("op,top,x_shape,w_shape,kw", [
    (F.conv1d, TF.conv1d, (4, 9), (6, 2, 3), dict(stride=2, padding=1, groups=2)),
    (F.conv2d, TF.conv2d, (4, 7, 6), (6, 2, 3, 2), dict(stride=(2, 1), padding=1, groups=2)),
    (F.conv_transpose1d, TF.conv_transpose1d, (4, 5), (4, 3, 3),
     dict(stride=2, padding=1, output_padding=1)),
    (F.conv_transpose2d, TF.conv_transpose2d, (4, 3, 4), (4, 2, 3, 2),
     dict(stride=2, padding=(1, 0), dilation=(1, 2))),
], ids=["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d"])
def test_unbatched_conv_matches_torch_forward_and_backward(op, top, x_shape, w_shape, kw):
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    b = rng.standard_normal(w_shape[1] * kw.get("groups", 1) if "transpose" in op.__name__
                            else w_shape[0])
    compare_with_torch(lambda x, w, b: op(x, w, b, **kw), lambda x, w, b: top(x, w, b, **kw),
                       [x, w, b])
    assert gradcheck(lambda x, w: op(x, w, None, **kw), [gw.tensor(x, requires_grad=True),
                                                        gw.tensor(w, requires_grad=True)])
