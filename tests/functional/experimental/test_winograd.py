"""Winograd F(2×2, 3×3) conv kernel: the transform matrices, PyTorch parity of the output and
every gradient over a sweep of shapes and paddings (float64 tight, float32 with a stated
tolerance), gradcheck, error messages.

conv2d itself does not dispatch to this kernel (it measured no faster than im2col on this
machine; docs/benchmarks.md, "Convolution"), so these tests call the op pair directly."""
import numpy as np
import pytest
import torch.nn.functional as TF
from helpers import compare_with_torch

import gradwise as gw
from gradwise.autograd import gradcheck
from gradwise.core import apply_op
from gradwise.functional.experimental.winograd import (
    A_T, B_T, G, winograd_conv3x3_backward, winograd_conv3x3_forward,
)


def _pads(padding):
    """conv2d-style padding (int or 'same') -> ((top, bottom), (left, right))."""
    p = 1 if padding == "same" else padding
    return (p, p), (p, p)


def winograd(x, w, b=None, padding=1):
    return apply_op(winograd_conv3x3_forward, winograd_conv3x3_backward, x, w, b,
                    pads=_pads(padding))


def test_f23_one_tile_1d_is_a_2_tap_correlation():
    # Aᵀ[(G g) ⊙ (Bᵀ d)] = [d0 g0 + d1 g1 + d2 g2, d1 g0 + d2 g1 + d3 g2] with 4 multiplies
    rng = np.random.default_rng(1)
    d, g = rng.standard_normal(4), rng.standard_normal(3)
    direct = np.array([d[0:3] @ g, d[1:4] @ g])
    np.testing.assert_allclose(A_T @ ((G @ g) * (B_T @ d)), direct, atol=1e-14)


def test_f23_one_tile_2d_is_a_3x3_correlation():
    # Y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A: the 2×2 valid cross-correlation of a 4×4 patch
    rng = np.random.default_rng(2)
    d, g = rng.standard_normal((4, 4)), rng.standard_normal((3, 3))
    direct = np.array([[(d[i:i + 3, j:j + 3] * g).sum() for j in range(2)] for i in range(2)])
    y = A_T @ ((G @ g @ G.T) * (B_T @ d @ B_T.T)) @ A_T.T
    np.testing.assert_allclose(y, direct, atol=1e-14)


# (N, C, K, H, W, padding): odd and even sizes, 1×1 and 2×2 outputs, padding 0/1/2/'same'
CASES = [
    (1, 1, 1, 3, 3, 0),    # 1×1 output
    (2, 2, 3, 4, 4, 0),    # 2×2 output, one tile
    (1, 3, 2, 1, 1, 1),    # 1×1 input, padding 1 -> 1×1 output
    (3, 1, 4, 2, 2, 1),    # 2×2 output from 2×2 input
    (2, 3, 5, 5, 7, 0),    # odd outputs 3×5: tile grid padded and cropped
    (2, 4, 3, 6, 9, 1),    # even × odd
    (1, 5, 8, 7, 6, 2),    # padding 2: outputs 9×8
    (3, 8, 8, 8, 8, "same"),
    (2, 8, 1, 5, 5, "same"),
    (1, 6, 7, 9, 4, 2),
    (2, 7, 2, 3, 10, 1),
    (3, 2, 6, 11, 3, 0),   # 9×1 output
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_winograd_matches_torch_float64(case):
    n, c, k, h, w, p = case
    rng = np.random.default_rng(hash(str(case)) % 2**32)
    arrays = [rng.standard_normal((n, c, h, w)), rng.standard_normal((k, c, 3, 3)),
              rng.standard_normal(k)]
    compare_with_torch(lambda x, wt, b: winograd(x, wt, b, p),
                       lambda x, wt, b: TF.conv2d(x, wt, b, padding=p),
                       arrays, atol=1e-10, rtol=1e-10)


def test_winograd_random_sweep_matches_torch_float64_without_bias():
    rng = np.random.default_rng(3)
    for _ in range(20):
        n, c, k = rng.integers(1, 4), rng.integers(1, 9), rng.integers(1, 9)
        p = [0, 1, 2, "same"][rng.integers(4)]
        lo = 3 - 2 * (1 if p == "same" else p)  # smallest input with a ≥ 1 output
        h, w = rng.integers(max(lo, 1), 12, size=2)
        arrays = [rng.standard_normal((n, c, h, w)), rng.standard_normal((k, c, 3, 3))]
        compare_with_torch(lambda x, wt: winograd(x, wt, None, p),
                           lambda x, wt: TF.conv2d(x, wt, padding=p),
                           arrays, atol=1e-10, rtol=1e-10)


def test_winograd_asymmetric_padding_matches_torch_float64():
    rng = np.random.default_rng(4)
    pads = ((0, 2), (1, 0))
    arrays = [rng.standard_normal((2, 3, 5, 6)), rng.standard_normal((4, 3, 3, 3))]
    compare_with_torch(
        lambda x, wt: apply_op(winograd_conv3x3_forward, winograd_conv3x3_backward, x, wt, None,
                               pads=pads),
        lambda x, wt: TF.conv2d(TF.pad(x, (1, 0, 0, 2)), wt),
        arrays, atol=1e-10, rtol=1e-10)


@pytest.mark.parametrize("shape", [(2, 8, 5, 7, 7), (2, 64, 32, 10, 9)], ids=str)
def test_winograd_matches_torch_float32_within_1e_4_relative(shape):
    # float32 tolerance: |error| ≤ 1e-4·(1 + |value|); the transforms add a few roundings
    # on top of the GEMM's, growing slowly with C·9 terms per output
    n, c, k, h, w = shape
    rng = np.random.default_rng(5)
    arrays = [rng.standard_normal((n, c, h, w)).astype(np.float32),
              (rng.standard_normal((k, c, 3, 3)) / np.sqrt(9 * c)).astype(np.float32),
              rng.standard_normal(k).astype(np.float32)]
    compare_with_torch(lambda x, wt, b: winograd(x, wt, b, 1),
                       lambda x, wt, b: TF.conv2d(x, wt, b, padding=1),
                       arrays, atol=1e-4, rtol=1e-4)


def test_winograd_backward_passes_gradcheck(rng):
    x, w, b = (gw.tensor(rng.standard_normal(s), requires_grad=True)
               for s in ((2, 3, 5, 4), (2, 3, 3, 3), (2,)))
    assert gradcheck(lambda x, w, b: winograd(x, w, b, 1), [x, w, b])
    x2, w2 = (gw.tensor(rng.standard_normal(s), requires_grad=True)
              for s in ((1, 2, 4, 5), (3, 2, 3, 3)))
    assert gradcheck(lambda x, w: winograd(x, w, None, 0), [x2, w2])


def test_winograd_rejects_non_3x3_weight_and_too_small_input():
    x = np.zeros((1, 2, 5, 5))
    with pytest.raises(ValueError, match=r"expected weight \(4, 2, 3, 3\).*got \(4, 2, 5, 5\)"):
        winograd_conv3x3_forward(x, np.zeros((4, 2, 5, 5)))
    with pytest.raises(ValueError, match=r"larger than the padded input \(2, 2\)"):
        winograd_conv3x3_forward(np.zeros((1, 2, 2, 2)), np.zeros((4, 2, 3, 3)),
                                 pads=((0, 0), (0, 0)))


def test_winograd_conv3x3_wrapper_matches_torch_conv2d_with_gradients():
    from gradwise.functional.experimental.winograd import winograd_conv3x3

    rng = np.random.default_rng(11)
    x, w, b = rng.standard_normal((2, 3, 7, 6)), rng.standard_normal((4, 3, 3, 3)), rng.standard_normal(4)
    for padding in (0, 1, "same"):
        compare_with_torch(lambda a, k, c: winograd_conv3x3(a, k, c, padding=padding),
                           lambda a, k, c: TF.conv2d(a, k, c, padding=padding),
                           [x, w, b])
    with pytest.raises(ValueError, match=r"\(K, C, 3, 3\) weight"):
        winograd_conv3x3(gw.ones(1, 3, 5, 5), gw.ones(4, 3, 5, 5))


def test_winograd_is_not_in_the_public_functional_namespace():
    import gradwise.functional as F

    assert not hasattr(F, "winograd_conv3x3") and "winograd_conv3x3" not in getattr(F, "__all__", [])
