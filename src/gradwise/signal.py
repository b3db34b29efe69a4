"""The signal-processing view of convolution (seed 000, chapter 5.1.1).

A filter (convolution kernel) ``w`` of length K slides over a signal ``x`` of length M. The seed
defines two operations that differ only in the direction of the kernel:

    true convolution    y_t  = Σ_{k=1..K} w_k · x_{t-k+1}                y = w * x
    cross-correlation   y_t  = Σ_{k=1..K} w_k · x_{t+k-1}                y = w ⊗ x = rot180(w) * x

and the same in two dimensions (``y_ij = Σ_uv w_uv x_{i-u+1, j-v+1}`` versus ``x_{i+u-1, j+v-1}``).
Deep-learning "convolution" layers (``conv2d``) compute the cross-correlation; the seed: "unless
otherwise stated, convolution generally refers to cross-correlation".

With stride S = 1 the seed names three output lengths by the zero padding P on each side:

    mode            aliases            P          output length
    "narrow"        "valid"            0          M - K + 1
    "wide"          "full"             K - 1      M + K - 1
    "equal-width"   "same"             (K - 1)/2  M

For an even K the equal-width padding (K - 1)/2 is not an integer; the extra zero goes after the
signal for ``correlate*`` (PyTorch's ``padding="same"``) and before it for ``convolve*``, so that
``convolve1d`` equals ``np.convolve`` in all three modes and ``correlate1d(x, w, "same")`` equals
``torch.nn.functional.conv1d(x, w, padding="same")``.

NumPy in, NumPy out: with ndarrays the functions return an ndarray. When ``x`` or ``w`` is a Tensor
the result is a Tensor and the op is differentiable. Both run the library's convolution kernels
(``functional.conv.conv2d_forward``/``conv2d_backward``: im2col plus one GEMM) with one input
and one output channel; true convolution flips the kernel first.

The seed's filters are module constants (read-only float64 arrays), listed in ``FILTERS_1D`` and
``FILTERS_2D``; ``demo`` applies all of them to a real signal or image.
"""
from __future__ import annotations

import numpy as np

from .core.autograd import apply_op
from .core.checks import ntuple
from .core.tensor import Tensor
from .functional.conv import conv2d_backward, conv2d_forward


def _constant(values) -> np.ndarray:
    a = np.array(values, dtype=np.float64)
    a.setflags(write=False)
    return a


# -- the seed's filters ----------------------------------------------------------------------------
#: w_k = 1/2^(k-1): the delayed signal loses half its information per step (y_t = x_t + x_{t-1}/2
#: + x_{t-2}/4). ``decay_filter(K, rate)`` builds longer ones.
DECAY = _constant([1.0, 1 / 2, 1 / 4])
#: x'(t) ≈ (x(t+1) - x(t-1)) / 2 under true convolution, equal-width mode.
FIRST_DIFFERENCE = _constant([1 / 2, 0.0, -1 / 2])
#: the unnormalised first difference, x(t+1) - x(t-1) (= 2 · FIRST_DIFFERENCE); as a
#: cross-correlation kernel it is the slide's [-1, 0, 1] (the same filter, flipped).
CENTRAL_DIFFERENCE = _constant([1.0, 0.0, -1.0])
#: x''(t) ≈ x(t+1) + x(t-1) - 2x(t); detects high-frequency information.
SECOND_DIFFERENCE = _constant([1.0, -2.0, 1.0])
#: mean of three neighbours; keeps low-frequency information.
MOVING_AVERAGE = _constant([1 / 3, 1 / 3, 1 / 3])
#: "Gaussian denoising": the binomial 3×3 kernel [1 2 1]ᵀ[1 2 1] / 16.
GAUSSIAN_3X3 = _constant([[1 / 16, 1 / 8, 1 / 16], [1 / 8, 1 / 4, 1 / 8], [1 / 16, 1 / 8, 1 / 16]])
#: the discrete Laplacian ∂²/∂x² + ∂²/∂y² (sums to 0: flat regions map to 0).
LAPLACIAN_3X3 = _constant([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]])
#: the seed's feature-extractor filter: responds to diagonal edges (dark lower-left, bright
#: upper-right); antisymmetric, so it sums to 0.
EDGE_3X3 = _constant([[0.0, 1.0, 1.0], [-1.0, 0.0, 1.0], [-1.0, -1.0, 0.0]])

FILTERS_1D = {
    "decay": DECAY,
    "first_difference": FIRST_DIFFERENCE,
    "central_difference": CENTRAL_DIFFERENCE,
    "second_difference": SECOND_DIFFERENCE,
    "moving_average": MOVING_AVERAGE,
}
FILTERS_2D = {"gaussian": GAUSSIAN_3X3, "laplacian": LAPLACIAN_3X3, "edge": EDGE_3X3}


def decay_filter(size: int, rate: float = 0.5) -> np.ndarray:
    """The decay filter w_k = rate^(k-1), k = 1..size (seed: rate 1/2 gives [1, 1/2, 1/4])."""
    if size < 1:
        raise ValueError(f"decay_filter: expected size >= 1, got {size}")
    return rate ** np.arange(size, dtype=np.float64)


MODES = {"narrow": "valid", "valid": "valid", "wide": "full", "full": "full",
         "equal-width": "same", "same": "same"}


def padding_for(mode, kernel_size: int, flipped: bool = False) -> tuple[int, int]:
    """Zero padding (before, after) that gives the seed's output length for ``mode``.

    ``mode`` is one of ``MODES`` or an int P (P zeros on both sides). ``flipped`` selects the
    convention of true convolution for an even kernel in equal-width mode (extra zero first).
    """
    if isinstance(mode, (int, np.integer)) and not isinstance(mode, bool):
        if mode < 0:
            raise ValueError(f"padding: expected P >= 0, got {mode}")
        return int(mode), int(mode)
    if mode not in MODES:
        raise ValueError(f"mode: expected one of {sorted(MODES)} or an int padding, got {mode!r}")
    k = kernel_size - 1
    kind = MODES[mode]
    if kind == "valid":
        return 0, 0
    if kind == "full":
        return k, k
    return (k - k // 2, k // 2) if flipped else (k // 2, k - k // 2)


def output_length(m: int, kernel_size: int, mode="narrow", stride: int = 1) -> int:
    """Output length ⌊(M + P_before + P_after - K) / S⌋ + 1 (M - K + 1, M + K - 1 or M at S = 1)."""
    before, after = padding_for(mode, kernel_size)
    return (m + before + after - kernel_size) // stride + 1


# -- the op: cross-correlation of the trailing axes with one kernel, by the conv2d kernels ------
def correlate_forward(x, w, padding, stride):
    """Cross-correlation of the last ``w.ndim`` axes of ``x`` with the kernel ``w``.

    y[..., i] = Σ_u w[u] · x_pad[..., S·i + u]   (u runs over all kernel taps; 1-D or 2-D)

    The leading axes become conv2d's batch, the signal one channel (a 1-D signal an image of
    height 1), the kernel one (1, 1, kH, kW) filter; both in their common dtype.

    Args:
        x: signal (..., M) or image (..., H, W); leading axes are a batch.
        w: kernel (K,) or (U, V).
        padding: ((before, after), ...) zeros per kernel axis.
        stride: (S, ...) per kernel axis.

    Shape: x (..., *M) , w (*K) -> y (..., *((M + P_b + P_a - K) // S + 1))
    """
    d = w.ndim
    dtype = np.result_type(x, w)
    unit = (1,) * (2 - d)                                       # the height of a 1-D signal
    x4 = x.astype(dtype, copy=False).reshape((-1, 1) + unit + x.shape[x.ndim - d:])  # (B, 1, H, W)
    w4 = w.astype(dtype, copy=False).reshape((1, 1) + unit + w.shape)               # (1, 1, kH, kW)
    y, cache = conv2d_forward(x4, w4, None, unit + tuple(stride),
                              ((0, 0),) * (2 - d) + tuple(padding), (1, 1), 1)  # (B, 1, H', W')
    return y.reshape(x.shape[:x.ndim - d] + y.shape[4 - d:]), (cache, x, w)


def correlate_backward(dy, cache):
    """conv2d's backward: dL/dx_pad[S·i + u] += w[u] · dy[i]; dL/dw[u] = Σ_i dy[i] · x_pad[S·i + u].
    """
    conv_cache, x, w = cache
    d = w.ndim
    dy4 = dy.reshape((-1, 1) + (1,) * (2 - d) + dy.shape[dy.ndim - d:])  # (B, 1, H', W')
    dx, dw, _ = conv2d_backward(dy4, conv_cache)
    return dx.reshape(x.shape).astype(x.dtype, copy=False), \
        dw.reshape(w.shape).astype(w.dtype, copy=False)


def _run(fname, x, w, mode, stride, d, flip):
    xa = x.array if isinstance(x, Tensor) else np.asarray(x)
    wa = w.array if isinstance(w, Tensor) else np.asarray(w)
    if wa.ndim != d:
        raise ValueError(f"{fname}: expected a {d}-d kernel, got shape {wa.shape}")
    if xa.ndim < d:
        raise ValueError(f"{fname}: expected input (..., {'M' if d == 1 else 'H, W'}), "
                         f"got shape {xa.shape}")
    if not np.issubdtype(xa.dtype, np.inexact):
        xa = xa.astype(np.float64)
    if not np.issubdtype(wa.dtype, np.inexact):
        wa = wa.astype(np.float64)
    stride = ntuple(fname, "stride", stride, d, minimum=1)
    padding = tuple(padding_for(mode, k, flipped=flip) for k in wa.shape)
    for n, k, (b, a) in zip(xa.shape[-d:], wa.shape, padding):
        if n + b + a < k:
            raise ValueError(f"{fname}: kernel {wa.shape} larger than the padded input "
                             f"{xa.shape[-d:]} (mode {mode!r})")
    if not (isinstance(x, Tensor) or isinstance(w, Tensor)):
        return correlate_forward(xa, np.flip(wa) if flip else wa, padding, stride)[0]
    if flip:  # true convolution = cross-correlation with rot180(w); flip through autograd
        w = _flip(w if isinstance(w, Tensor) else Tensor(wa))
    x = x if isinstance(x, Tensor) else Tensor(xa)
    return apply_op(correlate_forward, correlate_backward, x, w, padding=padding, stride=stride,
                    name="convolve" if flip else "correlate")


def _flip_forward(w):
    return np.flip(w).copy(), None


def _flip_backward(g, cache):
    return np.flip(g).copy()


def _flip(w):
    return apply_op(_flip_forward, _flip_backward, w, name="flip")


def correlate1d(x, w, mode="narrow", stride=1):
    """Cross-correlation y_t = Σ_k w_k x_{t+k-1} (what ``conv1d`` layers compute).

    Args:
        x: signal, shape (..., M); ndarray or Tensor.
        w: filter, shape (K,).
        mode: "narrow"/"valid", "wide"/"full", "equal-width"/"same", or an int padding P.
        stride: S.

    Shape: (..., M) -> (..., ⌊(M + 2P - K)/S⌋ + 1): M - K + 1 / M + K - 1 / M at S = 1.
    """
    return _run("correlate1d", x, w, mode, stride, 1, flip=False)


def convolve1d(x, w, mode="narrow", stride=1):
    """True convolution y_t = Σ_k w_k x_{t-k+1} (the kernel is flipped); equals ``np.convolve``.

    Shape: as ``correlate1d``.
    """
    return _run("convolve1d", x, w, mode, stride, 1, flip=True)


def correlate2d(x, w, mode="narrow", stride=1):
    """Cross-correlation y_ij = Σ_uv w_uv x_{i+u-1, j+v-1} = rot180(w) * x.

    Shape: x (..., H, W), w (U, V) -> (..., H', W') with H' = ⌊(H + 2P - U)/S⌋ + 1.
    """
    return _run("correlate2d", x, w, mode, stride, 2, flip=False)


def convolve2d(x, w, mode="narrow", stride=1):
    """True 2-D convolution y_ij = Σ_uv w_uv x_{i-u+1, j-v+1} (seed: Y = W * X).

    Shape: as ``correlate2d``.
    """
    return _run("convolve2d", x, w, mode, stride, 2, flip=True)


def frequency_response(w, n: int = 64) -> np.ndarray:
    """|W(ω)| of a 1-D filter at ``n//2 + 1`` frequencies ω = 2πf/n from 0 (DC) to π (Nyquist).

    Shows the seed's claim: the moving average passes low frequencies (|W(0)| = 1, |W(π)| = 1/3),
    the second difference passes high ones (|W(0)| = 0, |W(π)| = 4).
    """
    return np.abs(np.fft.rfft(np.asarray(w, dtype=np.float64), n))


def demo(data, mode="equal-width"):
    """Apply the seed's filters to a real signal (1-D) or image (2-D) by true convolution.

    Args:
        data: a 1-D signal (e.g. byte values of a text) or a 2-D image (e.g. an MNIST digit).
        mode: output-length mode (default: equal-width, so every response has the input's shape).

    Returns:
        dict filter name -> response (ndarray, float64). A 1-D signal gets ``FILTERS_1D``; an
        image gets ``FILTERS_2D`` plus the 1-D first and second differences along its rows
        ("d/dx", "d2/dx2") and columns ("d/dy", "d2/dy2").
    """
    x = np.asarray(data, dtype=np.float64)
    if x.ndim == 1:
        return {name: convolve1d(x, w, mode) for name, w in FILTERS_1D.items()}
    if x.ndim != 2:
        raise ValueError(f"demo: expected a 1-D signal or a 2-D image, got shape {x.shape}")
    out = {name: convolve2d(x, w, mode) for name, w in FILTERS_2D.items()}
    out["d/dx"] = convolve2d(x, FIRST_DIFFERENCE[None, :], mode)
    out["d/dy"] = convolve2d(x, FIRST_DIFFERENCE[:, None], mode)
    out["d2/dx2"] = convolve2d(x, SECOND_DIFFERENCE[None, :], mode)
    out["d2/dy2"] = convolve2d(x, SECOND_DIFFERENCE[:, None], mode)
    return out
